"""Versioned document packages: each upload is a new version; delivery releases the latest."""

from __future__ import annotations

from sqlalchemy import func

from app.attachments import attach_files
from app.extensions import db
from models.requests import ATTACH_DELIVERABLE, Attachment, Request


def latest_version(request: Request) -> int:
    return db.session.query(func.coalesce(func.max(Attachment.version), 0)).filter(
        Attachment.request_id == request.id, Attachment.kind == ATTACH_DELIVERABLE).scalar()


def upload_package(request: Request, files, actor) -> list[Attachment]:
    """Store the files as the next version of the request's document package."""
    return attach_files(request, files, actor, ATTACH_DELIVERABLE,
                        version=latest_version(request) + 1)


def release_latest(request: Request) -> int:
    """Mark the newest version released to the partner; returns its number (0 if none)."""
    version = latest_version(request)
    if version:
        db.session.query(Attachment).filter(
            Attachment.request_id == request.id, Attachment.kind == ATTACH_DELIVERABLE,
            Attachment.version == version).update({Attachment.is_released: True},
                                                  synchronize_session=False)
    return version
