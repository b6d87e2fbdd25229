"""Where uploaded files live: a small interface with a local-disk default.

A store keeps whole files under the names app.storage generates (32 hex digits) and has
three operations: put (move a checked file in, atomically), open (read it) and delete.
LocalDiskStore keeps them under UPLOAD_DIR/<first two digits>/<name>; with several web hosts
UPLOAD_DIR is one shared volume (NFS, a cloud file share) mounted on every web and worker host.
Another backend (an S3-compatible object store, for instance) is a class with the same three
methods registered in STORES and chosen with REPLAN_STORAGE; none ships yet, so Replan needs
no SDK (docs/deploy.md, "Uploaded files").
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

STORED_NAME = re.compile(r"[0-9a-f]{32}")


class FileStore(Protocol):
    """What app.storage needs from a place to keep files."""

    def put(self, stored_name: str, source: Path) -> None:
        """Take the finished file at `source` (it is moved, not copied, when possible)."""

    def open(self, stored_name: str) -> BinaryIO:
        """The stored bytes; FileNotFoundError when there is no such file."""

    def delete(self, stored_name: str) -> None:
        """Remove the file; no error when it is already gone."""


class LocalDiskStore:
    """Files on a local (or shared, mounted) disk under `root`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def from_config(cls, config) -> LocalDiskStore:
        return cls(Path(config["UPLOAD_DIR"]))

    def path(self, stored_name: str) -> Path:
        if not STORED_NAME.fullmatch(stored_name or ""):
            raise FileNotFoundError(f"not a stored file name: {stored_name!r}")
        return self.root / stored_name[:2] / stored_name

    def put(self, stored_name: str, source: Path) -> None:
        target = self.path(stored_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)  # atomic on one file system: never a half-written file

    def open(self, stored_name: str) -> BinaryIO:
        return open(self.path(stored_name), "rb")

    def delete(self, stored_name: str) -> None:
        try:
            self.path(stored_name).unlink(missing_ok=True)
        except FileNotFoundError:  # not one of ours: nothing to delete
            pass


# REPLAN_STORAGE -> class with from_config(config); add an S3-compatible store here
STORES: dict[str, type] = {"local": LocalDiskStore}


def file_store() -> FileStore:
    """The configured store (REPLAN_STORAGE, default "local")."""
    kind = current_app.config.get("STORAGE_BACKEND", "local")
    try:
        return STORES[kind].from_config(current_app.config)
    except KeyError:
        raise RuntimeError(f"REPLAN_STORAGE={kind!r} is not one of {', '.join(STORES)}") from None
