"""Versioned document packages: each upload is a new version; delivery releases the latest."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func

from app.attachments import attach_files
from app.extensions import db
from app.storage import UploadError
from models.request_status import Actor, Status
from models.requests import ATTACH_DELIVERABLE, ATTACH_WORK, Attachment, Request

# staff files: who adds which kind, and in which statuses (the desk shows exactly this rule)
STAFF_UPLOADS = {
    "work": (Actor.ENGINEER, (Status.IN_PROGRESS, Status.REWORK)),
    "deliverable": (Actor.MANAGER, (Status.ON_REVIEW, Status.READY)),
}


def can_upload(request: Request, kind: str, kinds) -> bool:
    """May a user acting as `kinds` on this request add staff files of `kind` now?"""
    actor, statuses = STAFF_UPLOADS.get(kind, (None, ()))
    return actor in kinds and request.status in statuses


def upload_staff_files(request: Request, kind: str, files, user, kinds) -> list[Attachment]:
    """The engineer's work files or the manager's next package version, when the rule allows."""
    if not can_upload(request, kind, kinds):
        raise UploadError(_("Files of this kind cannot be added to the request now."))
    if kind == "work":
        return attach_files(request, files, user, ATTACH_WORK)
    return upload_package(request, files, user)


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
