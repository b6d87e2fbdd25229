"""Attaching uploaded files to requests: all files of one submission are stored, or none."""

from __future__ import annotations

from app.document_slots import check_upload, slot_uploads
from app.extensions import db
from app.storage import UploadError, check_batch, discard, save_upload
from models.requests import ATTACH_INPUT, Attachment, Request


def real_files(files) -> list:
    """Uploads the browser actually sent (an empty file input sends one nameless part)."""
    return [f for f in files if f is not None and f.filename]


def attach_files(request: Request, files, user, kind: str = ATTACH_INPUT, message=None,
                 version: int = 1, slot_files: dict | None = None) -> list[Attachment]:
    """Store every file or raise UploadError and keep none of them (caller commits; a
    rollback deletes the stored files from disk too, see app.storage).

    `slot_files`: {slot key: uploads} of partner input files that fill document slots
    (app.document_slots): the key must be one the request's services ask for, the slot must
    have room, and each file's real content must be a kind the slot takes."""
    uploads = [(None, upload) for upload in real_files(files)]
    uploads += slot_uploads(request, {key: real_files(found)
                                      for key, found in (slot_files or {}).items()})
    check_batch([upload for _slot, upload in uploads])
    stored, refusals = [], []
    for slot, upload in uploads:  # every file checked: each refusal said at once (one a
        try:                      # time, the next bad file showed only once this one went)
            item = save_upload(upload)
            stored.append((slot, item))
            if slot is not None:
                check_upload(slot, item.original_name, item.content_type)
        except UploadError as error:
            refusals.append(str(error))
    if refusals:
        for _slot, item in stored:
            discard(item.stored_name)
        raise UploadError(" ".join(dict.fromkeys(refusals)))
    rows = [Attachment(request=request, message=message, uploaded_by_id=user.id, kind=kind,
                       version=version, original_name=s.original_name,
                       stored_name=s.stored_name, content_type=s.content_type, size=s.size,
                       sha256=s.sha256, slot_key=slot.key if slot is not None else None)
            for slot, s in stored]
    db.session.add_all(rows)
    return rows
