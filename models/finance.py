"""Payments marked by the admin against requests."""

from sqlalchemy import (JSON, Column, Date, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk


class Payment(Model):
    """One (possibly partial) payment for a request, in kopecks."""

    __tablename__ = "payment"
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request.id"), nullable=False, index=True)
    amount_kopecks = Column(Integer, nullable=False)
    paid_on = Column(Date, nullable=False, index=True)
    document = Column(String(100), nullable=False)  # payment order number
    note = Column(Text)
    created_by_id = user_fk()
    created_at = created_at_column()
    # a wrong payment is voided, never deleted: it stays listed (struck out) and counts nowhere
    voided_at = Column(DateTime)
    voided_by_id = user_fk(index=False)
    void_reason = Column(Text)

    request = relationship("Request", backref="payments")
    voided_by = relationship("User", foreign_keys=[voided_by_id])

    @property
    def is_valid(self) -> bool:
        return self.voided_at is None


DOCUMENT_KINDS = ("invoice", "act")


class DocumentNumber(Model):
    """The number and date an invoice or act of a request got when first issued.

    Numbers run per kind and calendar year (1, 2, 3 …) and are never reused: the row stays
    when its request is cancelled or deleted (request_id becomes NULL, the number is kept).
    """

    __tablename__ = "document_number"
    __table_args__ = (
        UniqueConstraint("kind", "year", "seq", name="uq_document_number_kind_year_seq"),
        UniqueConstraint("kind", "request_id", name="uq_document_number_kind_request"),
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    year = Column(Integer, nullable=False)
    seq = Column(Integer, nullable=False)
    request_id = Column(Integer, ForeignKey("request.id", ondelete="SET NULL"), index=True)
    request_number = Column(String(20), nullable=False)  # kept if the request goes away
    issued_on = Column(Date, nullable=False)  # the date printed on the document
    # what the document was issued with and prints ever after: {"bureau": the requisites}
    # (editing the bureau's details rewrote every old invoice); NULL on rows issued before
    # 0042 until their next download stores them
    issued_with = Column(JSON)
    issued_at = created_at_column()

    # deleting a request through the ORM clears request_id here (SQLite enforces no
    # foreign keys): a later request with the same id never inherits this number
    request = relationship("Request", backref="document_numbers")
