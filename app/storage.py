"""Uploaded files: type sniffed from content, size from settings, stored outside static.

Where the bytes live is a FileStore (app.file_store): the local disk under UPLOAD_DIR by
default, which several web hosts share as one mounted volume (docs/deploy.md). An upload is
written to UPLOAD_DIR/.incoming first, checked there, then handed to the store in one step.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.errors import InvalidInput
from app.extensions import db
from app.file_store import file_store
from app.settings import get_setting
from app.validators import clean_filename, file_extension

log = logging.getLogger(__name__)

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024
PDF, JPEG, PNG, WEBP, HEIC = ("application/pdf", "image/jpeg", "image/png", "image/webp",
                              "image/heic")
DWG, OLE_OFFICE = "image/vnd.dwg", "application/vnd.ms-office"
_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX, XLSX, PPTX = (_OOXML + "wordprocessingml.document", _OOXML + "spreadsheetml.sheet",
                    _OOXML + "presentationml.presentation")
# The allowlist: each accepted extension and the sniffed content it must really hold.
KINDS = {"pdf": PDF, "jpg": JPEG, "jpeg": JPEG, "png": PNG, "webp": WEBP, "heic": HEIC,
         "heif": HEIC, "dwg": DWG, "doc": OLE_OFFICE, "xls": OLE_OFFICE, "docx": DOCX,
         "xlsx": XLSX, "pptx": PPTX}
KIND_LABELS = "PDF, JPEG, PNG, WEBP, HEIC, DWG, DOC, XLS, DOCX, XLSX, PPTX"
# Windows Installer packages (.msi/.msp/.mst) are OLE files too: CLSID 000C10xx-...-46.
_INSTALLER_CLSID_TAIL = b"\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
_PENDING = "replan_pending_uploads"


class UploadError(InvalidInput):
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
        return None if _ole_is_installer(path) else OLE_OFFICE
    if head.startswith(b"PK\x03\x04"):
        return _office_zip_type(path)
    return None


def _office_zip_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names or any(_foreign_part(n) for n in names):
        return None
    for prefix, mime in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
        if any(n.startswith(prefix) for n in names):
            return mime
    return None


# parts no Office document has: what makes a zip also a Java archive (a manifest, classes)
# or carries a program or a web page to be opened from it ("jar.docx" was accepted as Word)
_FOREIGN_SUFFIXES = (".class", ".jar", ".exe", ".dll", ".so", ".js", ".mjs", ".vbs", ".bat",
                     ".cmd", ".ps1", ".sh", ".html", ".htm", ".xhtml", ".hta", ".php", ".py")


def _foreign_part(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("meta-inf/") or lowered.endswith(_FOREIGN_SUFFIXES)


def _ole_is_installer(path: Path) -> bool:
    """True for an OLE file whose root storage is a Windows Installer package."""
    with open(path, "rb") as handle:
        header = handle.read(512)
        sector_size = 1 << int.from_bytes(header[0x1E:0x20], "little")
        first_dir = int.from_bytes(header[0x30:0x34], "little")
        if not 8 <= sector_size.bit_length() <= 17 or first_dir > 2**20:
            return False
        handle.seek((first_dir + 1) * sector_size)
        root = handle.read(128)
    return root[0x51:0x60] == _INSTALLER_CLSID_TAIL


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_of(stored_name: str) -> Path:
    """The file on the local disk (the local store only; other stores: file_store().open)."""
    return file_store().path(stored_name)


def max_upload_bytes() -> int:
    return int(get_setting("upload_max_mb")) * MB


def request_body_limit() -> int:
    """Bytes a multipart request may carry before it is cut off unread (413)."""
    return 2 * int(get_setting("upload_max_total_mb")) * MB + MB


def _size_of(upload: FileStorage) -> int:
    stream = upload.stream
    try:
        position = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return upload.content_length or 0
    return size


def check_batch(uploads: list[FileStorage]) -> None:
    """Refuse the whole submission when it has too many files or is too large in total."""
    max_files = int(get_setting("upload_max_files"))
    max_total = int(get_setting("upload_max_total_mb"))
    if len(uploads) > max_files:
        raise UploadError(_("Too many files at once: %(count)s; at most %(max)s per upload.",
                            count=len(uploads), max=max_files))
    total = sum(_size_of(u) for u in uploads)
    if total > max_total * MB:
        raise UploadError(_("The files together take %(mb)s MB; at most %(max)s MB per "
                            "upload.", mb=round(total / MB, 1), max=max_total))


def check_name(original: str) -> str:
    """The extension of an allowed kind, or UploadError naming the file."""
    ext = file_extension(original)
    if ext not in KINDS:
        raise UploadError(_("“%(name)s”: this type of file is not accepted. Allowed: "
                            "%(kinds)s.", name=original, kinds=KIND_LABELS))
    return ext


def _copy_limited(upload: FileStorage, target: Path, original: str):
    """Write the upload to `target`; (size, sha256) or UploadError when too large."""
    limit, size, digest = max_upload_bytes(), 0, hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := upload.stream.read(MB):
            size += len(chunk)
            if size > limit:
                raise UploadError(_("“%(name)s” is larger than %(mb)s MB.", name=original,
                                    mb=limit // MB))
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def _check_content(target: Path, size: int, original: str, ext: str) -> str:
    if not size:
        raise UploadError(_("“%(name)s” is empty: choose the file again.", name=original))
    with open(target, "rb") as saved:
        content_type = sniff(saved.read(16), target)
    if content_type is None:
        raise UploadError(_("“%(name)s” is not a plan, photo, PDF or office document.",
                            name=original))
    if content_type != KINDS[ext]:
        raise UploadError(_("“%(name)s” is not really a .%(ext)s file: its content does "
                            "not match its name.", name=original, ext=ext))
    return content_type


def save_upload(upload: FileStorage) -> StoredFile:
    """Store an upload under a generated name after checking its name, size and real type."""
    if not (upload.filename or "").strip():
        raise UploadError(_("A file without a name was skipped."))
    original = clean_filename(upload.filename)
    ext = check_name(original)
    stored_name = uuid.uuid4().hex
    incoming = upload_root() / ".incoming"  # beside the files: the store's move is a rename
    incoming.mkdir(exist_ok=True)
    target = incoming / stored_name
    try:
        size, sha256 = _copy_limited(upload, target, original)
        content_type = _check_content(target, size, original, ext)
        file_store().put(stored_name, target)  # whole or not at all
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    _track_pending(stored_name)
    return StoredFile(stored_name, original, content_type, size, sha256)


def discard(stored_name: str) -> None:
    file_store().delete(stored_name)


def _track_pending(stored_name: str) -> None:
    """Remember a new file until the transaction commits; a rollback deletes it from disk."""
    db.session().info.setdefault(_PENDING, []).append(stored_name)


@event.listens_for(Session, "after_commit")
def _keep_pending(session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session, transaction) -> None:
    """Files stored in a transaction that ended without commit are orphans: delete them."""
    if transaction.parent is None:
        for stored_name in session.info.pop(_PENDING, []):
            discard(stored_name)


def send_stored(stored_name: str, original_name: str | None,
                content_type: str | None = None):
    """Serve a stored file as a download: clean name (RFC 5987 filename*), nosniff."""
    name = clean_filename(original_name)
    store = file_store()
    local = getattr(store, "path", None)  # the local disk: sendfile, no copy through Python
    try:
        response = send_file(local(stored_name) if local else store.open(stored_name),
                             mimetype=content_type or "application/octet-stream")
    except FileNotFoundError:  # the row outlived its file (a restore, a lost volume): a 404
        # for the user, an error in the log for whoever runs the storage
        log.error("stored file %s (%s) is missing from the storage", stored_name, name)
        abort(404)
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{clean_filename(ascii_name)}"; '
        f"filename*=UTF-8''{quote(name, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
