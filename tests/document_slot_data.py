"""Document slots for tests (issue 12: the document checklist at intake)."""

from __future__ import annotations

from pathlib import Path

from app.extensions import db
from models.document_slots import DocumentSlot


def make_slot(service, key: str = "bti", title: str = "Техпаспорт БТИ", accepted=("pdf",),
              min_files: int = 1, max_files: int = 1, **fields) -> DocumentSlot:
    slot = DocumentSlot(service_id=service.id, key=key, title=title, accepted=list(accepted),
                        min_files=min_files, max_files=max_files, **fields)
    db.session.add(slot)
    db.session.commit()
    return slot


def said(html: str, english: str, russian: str) -> bool:
    """A new message in Russian once the lead merges babel/pending, in English until then."""
    return russian in html or english in html


def files_on_disk(app) -> set:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    return {p for p in upload_dir.rglob("*") if p.is_file()} if upload_dir.exists() else set()
