"""Payments marked by the admin against requests."""

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Text
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
