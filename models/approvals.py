"""Approval steps per service and the decisions recorded on requests (issue 12, item 5).

A service may carry an ordered list of steps ("проверка главным инженером", "согласование с
юристом"), each decided by a staff role. Accepting the work (gate "accept") or delivering it
(gate "deliver") waits until the request's steps are approved in the current round; the rules
are in app/approvals.py.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk

GATE_ACCEPT = "accept"  # blocks accepting the work (on review → ready)
GATE_DELIVER = "deliver"  # blocks delivering the documents (ready → delivered)
GATE_LABELS = {GATE_ACCEPT: _l("Before accepting the work"),
               GATE_DELIVER: _l("Before delivering the documents")}

DECISION_APPROVED = "approved"
DECISION_REJECTED = "rejected"
DECISION_LABELS = {DECISION_APPROVED: _l("Step approved"),
                   DECISION_REJECTED: _l("Step rejected")}


class ApprovalStep(Model):
    """One approval step of a service, decided by users holding `role_name`."""

    __tablename__ = "approval_step"
    __table_args__ = (Index("ix_approval_step_service_position", "service_id", "position"),)
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey("service.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False, default=1)
    title = Column(String(200), nullable=False)
    title_en = Column(String(200))
    role_name = Column(String(64), nullable=False)  # a staff role of app.permissions
    gate = Column(String(10), nullable=False, default=GATE_ACCEPT)
    is_active = Column(Boolean, nullable=False, default=True)

    service = relationship("Service")

    def __repr__(self) -> str:
        return self.title


class RequestApproval(Model):
    """One decision on one step of a request, in a round (a rework starts a new round)."""

    __tablename__ = "request_approval"
    __table_args__ = (Index("ix_request_approval_request_round", "request_id", "round"),)
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request.id", ondelete="CASCADE"), nullable=False)
    step_id = Column(Integer, ForeignKey("approval_step.id", ondelete="CASCADE"),
                     nullable=False, index=True)
    round = Column(Integer, nullable=False, default=1)
    decision = Column(String(10), nullable=False)
    actor_id = user_fk()
    comment = Column(Text)
    created_at = created_at_column()

    step = relationship(ApprovalStep)
    actor = relationship("User")
