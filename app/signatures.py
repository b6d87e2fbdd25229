"""Confirmation codes: the simple electronic signature of a partner's key actions.

The admin chooses (setting "signatures") which actions need a one-time code. A use case that
makes such an action calls `check_confirmation(user, purpose, payload, code, obj)`: nothing
happens when the setting is off; without a code (or with a bad one) it raises
ConfirmationRequired, which carries the purpose and the exact data, so the surface asks for a
code (`request_code`) and repeats the action with it. A good code records a Signature: who,
when, IP, user agent and the SHA-256 of the canonical JSON of the data signed; a code sent for
other data (the request was edited since) is refused.

Codes are 6 digits, work 10 minutes and 5 tries, are stored as an HMAC with the application's
secret, and one user gets at most one code a minute per purpose. A wrong try is counted even
though the refused use case is rolled back (app.uow.keep_after_rollback).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from app.access import get_request_or_404, partner_owns
from app.audit import record
from app.errors import InvalidInput, RateLimited, Refused
from app.extensions import db
from app.mail import queue_mail
from app.permissions import PARTNER, role_names
from app.settings import get_setting
from app.sms import SmsError, send_sms
from app.timefmt import format_moment
from app.uow import keep_after_rollback
from models.base import utcnow
from models.signatures import (CHANNEL_EMAIL, CHANNEL_SMS, PURPOSE_CLOSE, PURPOSE_CONTACT,
                               PURPOSE_QUOTE, PURPOSE_SUBMIT, PURPOSES, ConfirmationCode,
                               Signature)

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(minutes=1)
CODE_DIGITS = 6

PURPOSE_LABELS = {
    PURPOSE_SUBMIT: _l("Submitting a request"),
    PURPOSE_CLOSE: _l("Accepting the work (signing the act)"),
    PURPOSE_QUOTE: _l("Agreeing to a quote"),
    PURPOSE_CONTACT: _l("Changing the profile e-mail or phone"),
}


class ConfirmationRequired(Refused):
    """The action needs a valid one-time code; `reason` says why this one is not: missing,
    wrong, expired, used, exhausted, other_data, not_sent."""

    kind = "confirmation_required"

    def __init__(self, message: str, purpose: str, payload: dict, reason: str = "missing"):
        super().__init__(message)
        self.purpose, self.payload, self.reason = purpose, payload, reason


def required(purpose: str) -> bool:
    """Whether the admin put this action behind a one-time code (default: no)."""
    value = get_setting("signatures") or {}
    return bool(isinstance(value, dict) and value.get(purpose))


def data_hash(payload) -> str:
    """SHA-256 of the canonical JSON of the data signed (sorted keys, UTF-8)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _code_hash(user_id: int, purpose: str, digest: str, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"{user_id}:{purpose}:{digest}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _latest(user, purpose: str) -> ConfirmationCode | None:
    return db.session.query(ConfirmationCode).filter_by(user_id=user.id, purpose=purpose) \
        .order_by(ConfirmationCode.id.desc()).first()


def _phone(user) -> str | None:
    profile = getattr(user, "profile", None)
    phone = (getattr(profile, "phone", None) or "").strip()
    return phone or None


def channel_for(user) -> str:
    """SMS when the admin chose it and the user has a phone; e-mail otherwise."""
    value = get_setting("signatures") or {}
    return CHANNEL_SMS if value.get("sms") and _phone(user) else CHANNEL_EMAIL


def mask_email(address: str) -> str:
    name, _at, domain = (address or "").partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return f"*** ** {''.join(digits[-2:])}" if len(digits) >= 2 else "***"


def pending_code(user, purpose: str, payload) -> ConfirmationCode | None:
    """The latest code for exactly this data that can still be used, if any."""
    row = _latest(user, purpose)
    if row is None or row.used_at or row.tries_left <= 0 or row.expires_at <= utcnow() \
            or row.data_hash != data_hash(payload):
        return None
    return row


def request_code(user, purpose: str, payload) -> ConfirmationCode:
    """Send a new 6-digit code for `purpose` and exactly `payload` (e-mail through the outbox,
    or SMS through app.sms); one a minute per user and purpose, unless the last one was used.
    The caller commits."""
    if purpose not in PURPOSES:
        raise InvalidInput(_("Unknown action to confirm."))
    last = _latest(user, purpose)
    now = utcnow()
    # a code already used signed something: the next action gets its own code at once
    if last is not None and last.used_at is None and last.created_at > now - RESEND_AFTER:
        wait = int((last.created_at + RESEND_AFTER - now).total_seconds()) + 1
        raise RateLimited(_("A code was sent less than a minute ago; a new one can be asked "
                            "for in %(seconds)d s.", seconds=wait), wait)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    digest = data_hash(payload)
    channel = channel_for(user)
    row = ConfirmationCode(
        user_id=user.id, purpose=purpose, data_hash=digest, channel=channel,
        code_hash=_code_hash(user.id, purpose, digest, code), created_at=now,
        expires_at=now + CODE_TTL, tries_left=MAX_TRIES,
        sent_to=mask_phone(_phone(user)) if channel == CHANNEL_SMS else mask_email(user.email))
    db.session.add(row)
    _deliver(user, purpose, channel, code)
    db.session.flush()
    record("confirmation_code_sent", user, row, purpose=purpose, channel=channel)
    return row


def _deliver(user, purpose: str, channel: str, code: str) -> None:
    profile = getattr(user, "profile", None)
    with force_locale(getattr(profile, "locale", None) or "ru"):
        what = str(PURPOSE_LABELS[purpose])
        text = _("%(brand)s confirmation code: %(code)s (%(what)s). It works 10 minutes; do not "
                 "tell it to anyone, the bureau never asks for it.", code=code, what=what)
        if channel == CHANNEL_SMS:
            try:
                send_sms(_phone(user), text)
            except SmsError:
                raise InvalidInput(_("The SMS with the code could not be sent. Try again in "
                                     "a minute.")) from None
            return
        queue_mail(user.email, _("%(brand)s: confirmation code %(code)s", code=code),
                   _("Hello, %(name)s!\n\n", name=user.first_name) + text + "\n",
                   kind="confirmation_code", sensitive=True)


def confirm(user, purpose: str, payload, code: str, obj) -> Signature:
    """Check `code` against the latest code for `purpose`; a Signature of `obj` when right,
    ConfirmationRequired with a clear message otherwise (a wrong try is counted)."""
    row, digest = _latest(user, purpose), data_hash(payload)
    code = "".join((code or "").split())

    def refuse(message, reason):
        return ConfirmationRequired(message, purpose, payload, reason)

    if row is None:
        raise refuse(_("No code was sent for this action: ask for a code."), "not_sent")
    if row.used_at is not None:
        raise refuse(_("This code was already used: ask for a new one."), "used")
    if row.tries_left <= 0:
        raise refuse(_("Too many wrong tries: ask for a new code."), "exhausted")
    if row.expires_at <= utcnow():
        raise refuse(_("The code has expired (a code works 10 minutes): ask for a new one."),
                     "expired")
    if row.data_hash != digest:
        raise refuse(_("The data changed after the code was sent: ask for a new code to sign "
                       "what is shown now."), "other_data")
    if not hmac.compare_digest(row.code_hash, _code_hash(user.id, purpose, digest, code)):
        row.tries_left -= 1
        keep_after_rollback(_count_wrong_try, row.id)
        if row.tries_left <= 0:
            raise refuse(_("Wrong code, and no tries are left: ask for a new code."),
                         "exhausted")
        raise refuse(_("Wrong code: %(left)d tries left.", left=row.tries_left), "wrong")
    # one conditional UPDATE claims the code: of two confirms that both read it unused, the
    # second finds it used (a plain attribute write let both sign with one code)
    now = utcnow()
    claimed = db.session.execute(
        update(ConfirmationCode).where(ConfirmationCode.id == row.id,
                                       ConfirmationCode.used_at.is_(None),
                                       ConfirmationCode.tries_left > 0)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise refuse(_("This code was already used: ask for a new one."), "used")
    row.used_at = now
    obj = _unproxied(obj)
    signature = Signature(user_id=user.id, purpose=purpose, object_type=type(obj).__name__,
                          object_id=obj.id, data_hash=digest, code_id=row.id,
                          ip=request.remote_addr if has_request_context() else None,
                          user_agent=_user_agent(), signed_at=utcnow())
    db.session.add(signature)
    db.session.flush()
    record("signed", user, obj, purpose=purpose, data_hash=digest, signature=signature.id)
    return signature


def _unproxied(obj):
    """current_user is a proxy: the signature names the object's own class (User)."""
    unwrap = getattr(obj, "_get_current_object", None)
    return unwrap() if callable(unwrap) else obj


def _count_wrong_try(code_id: int) -> None:
    """After the refused action was rolled back: the wrong try still counts."""
    db.session.execute(update(ConfirmationCode).where(ConfirmationCode.id == code_id)
                       .where(ConfirmationCode.tries_left > 0)
                       .values(tries_left=ConfirmationCode.tries_left - 1))


def _user_agent() -> str | None:
    if not has_request_context():
        return None
    return (request.headers.get("User-Agent") or "")[:300] or None


def check_confirmation(user, purpose: str, payload, code, obj) -> Signature | None:
    """The gate a use case calls before its action: None when no code is required, a
    Signature for a good code, ConfirmationRequired otherwise. Only partners sign: staff
    (a profile of the back office, a request filed on a partner's behalf) are never asked."""
    if not required(purpose) or PARTNER not in role_names(user):
        return None
    if not (code or "").strip():
        raise ConfirmationRequired(_("%(what)s needs a one-time confirmation code.",
                                     what=PURPOSE_LABELS[purpose]), purpose, payload)
    return confirm(user, purpose, payload, code, obj)


def request_code_for_request(user, purpose: str, request_id) -> ConfirmationCode:
    """A code for the partner's submit or close of a request (the API asks this way; the
    cabinet asks when the move answers ConfirmationRequired). Only the partner who may make
    the move signs: staff are refused, another company's request is not found."""
    req = get_request_or_404(user, request_id)
    if purpose not in (PURPOSE_SUBMIT, PURPOSE_CLOSE):
        raise InvalidInput(_("Codes for a request are for submitting it or accepting the "
                             "work (purpose submit or close)."))
    if not partner_owns(user, req):
        raise Refused(_("Only the partner who owns the request signs it."))
    if not required(purpose):
        raise InvalidInput(_("This action needs no confirmation code."))
    payload = request_payload(req) if purpose == PURPOSE_SUBMIT else act_payload(req)
    return request_code(user, purpose, payload)


# --- the exact data each action signs --------------------------------------------------

def request_payload(req) -> dict:
    """What submitting signs: the request's number, services, values, options and price."""
    return {"action": PURPOSE_SUBMIT, "request": req.number, "id": req.id,
            "services": [[line.service_id, line.title, line.price_kopecks]
                         for line in req.lines],
            "field_values": req.field_values or {}, "urgency": req.urgency,
            "options": list(req.options or []), "end_client": req.end_client_id,
            "wanted_date": req.wanted_date, "total_kopecks": req.total_kopecks}


def act_payload(req) -> dict:
    """What accepting the work signs: the act's parties, object, lines and total."""
    return {"action": PURPOSE_CLOSE, "request": req.number, "id": req.id,
            "company": req.company.name, "company_inn": req.company.inn,
            "object": req.object_address,
            "lines": [[line.title, line.price_kopecks] for line in req.lines],
            "total_kopecks": req.total_kopecks}


def quote_payload(services, field_values, urgency, options, total_kopecks) -> dict:
    """What agreeing to a quote signs: the priced inputs and the total."""
    return {"action": PURPOSE_QUOTE, "services": list(services or []),
            "field_values": dict(field_values or {}), "urgency": urgency,
            "options": list(options or []), "total_kopecks": total_kopecks}


def contact_payload(user, email: str, phone: str | None) -> dict:
    """What a change of contacts signs: the account and its new e-mail and phone."""
    return {"action": PURPOSE_CONTACT, "user": user.id, "email": email, "phone": phone or ""}


# --- showing signatures -----------------------------------------------------------------

def signatures_of(obj) -> list[Signature]:
    """The signatures recorded for an object, oldest first."""
    obj = _unproxied(obj)
    return db.session.query(Signature).filter_by(object_type=type(obj).__name__,
                                                 object_id=obj.id) \
        .options(joinedload(Signature.user)).order_by(Signature.id).all()


def act_signature(req) -> Signature | None:
    """The signature the act was signed with (the partner's close with a code), if any."""
    rows = [s for s in signatures_of(req) if s.purpose == PURPOSE_CLOSE]
    return rows[-1] if rows else None


def signature_text(signature: Signature) -> str:
    """"Signed with a simple electronic signature: name, date time, IP …, SHA-256 …"."""
    return _("Signed with a simple electronic signature: %(name)s, %(moment)s, IP %(ip)s, "
             "SHA-256 %(hash)s", name=signature.user.get_full_name(),
             moment=format_moment(signature.signed_at), ip=signature.ip or "—",
             hash=signature.data_hash)
