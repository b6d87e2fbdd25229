"""Payments: the admin marks them and voids wrong ones; a request's payment state follows
the sum of its valid (not voided) payments."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func

from app.access import require_role
from app.audit import record
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.money import MoneyText, money
from app.pricing import keep_vat_mode, request_payable
from app.timefmt import format_day, local_today, to_local
from app.notifications import announce
from app.permissions import ADMIN
from app.webhooks import emit_payment
from models.base import utcnow
from models.finance import Payment
from models.requests import PAYMENT_PAID, PAYMENT_PARTIAL, PAYMENT_UNPAID, Request


class PaymentError(InvalidInput):
    pass


# a payment dated this long before its request was filed is a typo (0202, 0001-01-01 went in)
EARLIEST_PAYMENT = timedelta(days=366)


def payment_state(total: int, paid: int) -> str:
    if paid <= 0:
        return PAYMENT_UNPAID
    return PAYMENT_PAID if paid >= total else PAYMENT_PARTIAL


def valid_payments():
    """The payments that count (voided ones are kept for the record but count nowhere)."""
    return Payment.voided_at.is_(None)


def recompute_paid(request: Request) -> None:
    """The request's paid sum and payment state from its valid payments only (flushes)."""
    db.session.flush()
    paid = db.session.query(func.coalesce(func.sum(Payment.amount_kopecks), 0)).filter(
        Payment.request_id == request.id, valid_payments()).scalar()
    request.paid_kopecks = int(paid)
    request.payment_state = payment_state(request_payable(request), request.paid_kopecks)


def amount_due(request: Request, payable: int | None = None) -> int:
    """What is left to pay (never negative), VAT on top included (`payable`: the request's
    amount_payable when the caller has it: no second read of the VAT setting)."""
    if payable is None:
        payable = request_payable(request)
    return max(payable - (request.paid_kopecks or 0), 0)


def mark_payment(request: Request, amount_kopecks: int, paid_on: date, document: str,
                 actor, note: str | None = None) -> Payment:
    """Add a payment and recompute the request's paid sum and state (caller commits)."""
    if amount_kopecks <= 0:
        raise PaymentError(_("The amount must be positive."))
    if not (document or "").strip():
        raise PaymentError(_("Enter the payment document number."))
    if paid_on > local_today():  # the bureau's today: a payment not made yet is not marked
        raise PaymentError(_("The payment date cannot be later than today."))
    filed_on = to_local(request.created_at).date() if request.created_at else None
    if filed_on is not None and paid_on < filed_on - EARLIEST_PAYMENT:  # a typo in the year
        raise PaymentError(_("The payment date is more than a year before the request "
                             "(%(day)s): check the year.", day=format_day(filed_on)))
    due = amount_due(request)
    if amount_kopecks > due:
        raise PaymentError(_("The payment exceeds what is due: %(due)s is left to pay.",
                             due=money(max(due, 0))) if due > 0 else
                           _("The request is paid in full; nothing is due."))
    keep_vat_mode(request)  # paid under the mode of this moment, whatever comes later
    payment = Payment(request=request, amount_kopecks=amount_kopecks, paid_on=paid_on,
                      document=document.strip(), note=note, created_by_id=actor.id)
    db.session.add(payment)
    recompute_paid(request)
    record("payment", actor, request, amount_kopecks=amount_kopecks, document=document)
    announce("payment_marked", request, actor, amount=MoneyText(amount_kopecks))
    emit_payment(payment)  # webhooks: payment.recorded, in this transaction
    return payment


def void_payment(admin, payment_id: int, reason: str) -> Payment:
    """The admin voids a wrong payment with a reason: it is kept (struck out), counts nowhere,
    and the request's paid sum and state are recomputed (caller commits)."""
    require_role(admin, ADMIN)
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(_("No such payment."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for voiding the payment."))
    if payment.voided_at is not None:
        raise Conflict(_("This payment is already voided."))
    payment.voided_at = utcnow()
    payment.voided_by_id = admin.id
    payment.void_reason = reason
    request = payment.request
    recompute_paid(request)
    record("payment_void", admin, request, payment_id=payment.id,
           amount_kopecks=payment.amount_kopecks, document=payment.document, reason=reason)
    announce("payment_voided", request, admin, amount=MoneyText(payment.amount_kopecks),
             reason=reason)
    return payment
