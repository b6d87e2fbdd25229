"""Attaching uploaded files to requests: all files of one submission are stored, or none."""

from __future__ import annotations

from app.extensions import db
from app.storage import UploadError, check_batch, discard, save_upload
from models.requests import ATTACH_INPUT, Attachment, Request


def real_files(files) -> list:
    """Uploads the browser actually sent (an empty file input sends one nameless part)."""
    return [f for f in files if f is not None and f.filename]


def attach_files(request: Request, files, user, kind: str = ATTACH_INPUT, message=None,
                 version: int = 1) -> list[Attachment]:
    """Store every file or raise UploadError and keep none of them (caller commits; a
    rollback deletes the stored files from disk too, see app.storage)."""
    uploads = real_files(files)
    check_batch(uploads)
    stored = []
    try:
        for upload in uploads:
            stored.append(save_upload(upload))
    except UploadError:
        for item in stored:
            discard(item.stored_name)
        raise
    rows = [Attachment(request=request, message=message, uploaded_by_id=user.id, kind=kind,
                       version=version, original_name=s.original_name,
                       stored_name=s.stored_name, content_type=s.content_type, size=s.size,
                       sha256=s.sha256) for s in stored]
    db.session.add_all(rows)
    return rows
