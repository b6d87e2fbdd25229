"""Uploaded files: type sniffed from content, size from settings, stored outside static."""

from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.settings import get_setting

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UploadError(ValueError):
    """A file was refused; str(error) is a message for the user."""


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes, path: Path) -> str | None:
    """The MIME type by magic bytes, or None when the content is not an accepted kind."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return "image/heic"
    if head.startswith(b"AC10"):
        return "image/vnd.dwg"
    if head.startswith(OLE):
        return "application/vnd.ms-office"
    if head.startswith(b"PK\x03\x04"):
        return _office_zip_type(path)
    return None


def _office_zip_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    prefixes = {"word/": "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document",
                "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "ppt/": "application/vnd.openxmlformats-officedocument."
                        "presentationml.presentation"}
    for prefix, mime in prefixes.items():
        if any(n.startswith(prefix) for n in names):
            return mime
    return None


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_of(stored_name: str) -> Path:
    return upload_root() / stored_name[:2] / stored_name


def max_upload_bytes() -> int:
    return int(get_setting("upload_max_mb")) * 1024 * 1024


def save_upload(upload: FileStorage) -> StoredFile:
    """Store an upload under a generated name after checking its size and real type."""
    original = os.path.basename((upload.filename or "").replace("\\", "/")).strip()
    if not original:
        raise UploadError(_("A file without a name was skipped."))
    stored_name = uuid.uuid4().hex
    target = path_of(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    limit, size, digest = max_upload_bytes(), 0, hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := upload.stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise UploadError(_("“%(name)s” is larger than %(mb)s MB.", name=original,
                                    mb=limit // (1024 * 1024)))
            digest.update(chunk)
            out.write(chunk)
    with open(target, "rb") as saved:
        content_type = sniff(saved.read(16), target)
    if size == 0 or content_type is None:
        target.unlink(missing_ok=True)
        raise UploadError(_("“%(name)s” is not a plan, photo, PDF or office document.",
                            name=original))
    return StoredFile(stored_name, original[:255], content_type, size, digest.hexdigest())


def discard(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)
