"""Payments: the admin marks them; a request's payment state follows their sum."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.audit import record
from app.errors import InvalidInput
from app.extensions import db
from app.templating import money
from models.finance import Payment
from models.requests import PAYMENT_PAID, PAYMENT_PARTIAL, PAYMENT_UNPAID, Request


class PaymentError(InvalidInput):
    pass


def payment_state(total: int, paid: int) -> str:
    if paid <= 0:
        return PAYMENT_UNPAID
    return PAYMENT_PAID if paid >= total else PAYMENT_PARTIAL


def mark_payment(request: Request, amount_kopecks: int, paid_on: date, document: str,
                 actor, note: str | None = None) -> Payment:
    """Add a payment and recompute the request's paid sum and state (caller commits)."""
    if amount_kopecks <= 0:
        raise PaymentError(_("The amount must be positive."))
    if not (document or "").strip():
        raise PaymentError(_("Enter the payment document number."))
    due = (request.total_kopecks or 0) - (request.paid_kopecks or 0)
    if amount_kopecks > due:
        raise PaymentError(_("The payment exceeds what is due: %(due)s is left to pay.",
                             due=money(max(due, 0))) if due > 0 else
                           _("The request is paid in full; nothing is due."))
    payment = Payment(request=request, amount_kopecks=amount_kopecks, paid_on=paid_on,
                      document=document.strip(), note=note, created_by_id=actor.id)
    db.session.add(payment)
    request.paid_kopecks = (request.paid_kopecks or 0) + amount_kopecks
    request.payment_state = payment_state(request.total_kopecks, request.paid_kopecks)
    record("payment", actor, request, amount_kopecks=amount_kopecks, document=document)
    return payment
