"""Document checklist at intake: the documents a service asks the partner to attach."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import relationship

from models.base import Model

# the kinds of file a slot accepts (app.document_slots maps each to the sniffed MIME types
# the storage layer accepts); the order is the order of the admin's checkboxes
SLOT_PDF = "pdf"
SLOT_IMAGE = "image"
SLOT_OFFICE = "office"
SLOT_DRAWING = "drawing"
SLOT_KINDS = (SLOT_PDF, SLOT_IMAGE, SLOT_OFFICE, SLOT_DRAWING)
SLOT_KIND_LABELS = {SLOT_PDF: _l("PDF"), SLOT_IMAGE: _l("Photo or image (JPEG, PNG, WEBP, HEIC)"),
                    SLOT_OFFICE: _l("Office document (Word, Excel)"),
                    SLOT_DRAWING: _l("Drawing (DWG)")}
SLOT_KIND_SHORT = {SLOT_PDF: _l("PDF"), SLOT_IMAGE: _l("photo"), SLOT_OFFICE: _l("Word/Excel"),
                   SLOT_DRAWING: _l("DWG")}
SLOT_KEY_PATTERN = r"[a-z0-9][a-z0-9_-]{0,39}"
SLOT_MAX_FILES = 20  # at most this many files in one slot (the admin may set fewer)


class DocumentSlot(Model):
    """One document a service asks for at intake: which kinds of file, how many, an example.

    Slots of the chosen services with the same key are one slot on the form (app.document_slots
    merges them); min_files 0 makes the slot optional."""

    __tablename__ = "document_slot"
    __table_args__ = (
        UniqueConstraint("service_id", "key", name="uq_document_slot_service_key"),
        CheckConstraint("min_files >= 0 AND max_files >= 1 AND min_files <= max_files",
                        name="ck_document_slot_counts"),
    )
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey("service.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    key = Column(String(40), nullable=False)
    title = Column(String(200), nullable=False)
    title_en = Column(String(200))
    hint = Column(Text)
    hint_en = Column(Text)
    accepted = Column(JSON, nullable=False, default=list)  # SLOT_KINDS
    min_files = Column(Integer, nullable=False, default=1)
    max_files = Column(Integer, nullable=False, default=1)
    kb_article_id = Column(Integer, ForeignKey("kb_article.id", ondelete="SET NULL"))
    sort_order = Column(Integer, nullable=False, default=0)
    is_active = Column(Boolean, nullable=False, default=True)
    # personal data (a passport scan): its files are hidden from engineers, like contacts
    is_personal = Column(Boolean, nullable=False, default=False, server_default=sa_false())

    # no backref: a slot the admin's form refused must not ride along in Service's collection
    service = relationship("Service")
    kb_article = relationship("KbArticle")

    def __repr__(self) -> str:
        return self.title
