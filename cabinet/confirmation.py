"""The cabinet's one-time code step (app.signatures): an action the admin put behind a code
answers ConfirmationRequired; the route hands it here, which sends a code (the first time, or
when asked again) and shows the code input with the posted form repeated in hidden fields, so
the same action is posted again with the code and nothing the user typed is lost."""

from __future__ import annotations

from flask import make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import DomainError
from app.signatures import PURPOSE_LABELS, ConfirmationRequired, pending_code, request_code
from app.uow import unit_of_work

CODE_FIELD, RESEND_FIELD = "confirmation_code", "resend_code"
NOT_REPEATED = {"csrf_token", CODE_FIELD, RESEND_FIELD}


def posted_code() -> str | None:
    """The code typed in the step (None when the user asked for a new one instead)."""
    if request.form.get(RESEND_FIELD):
        return None
    return (request.form.get(CODE_FIELD) or "").strip() or None


def confirmation_step(needed: ConfirmationRequired, back_url: str, action_url: str | None = None,
                      hidden: list | None = None):
    """The page "we sent a code to …" for the action that was just refused for lack of a good
    code; answers 200 with no-store. The code is posted to `action_url` (this URL) with
    `hidden` fields (the posted form, but for the token and the code)."""
    error = None if needed.reason == "missing" or request.form.get(RESEND_FIELD) \
        else str(needed)
    pending = pending_code(current_user, needed.purpose, needed.payload)
    sent_to, notice = pending.sent_to if pending else None, None
    if request.form.get(RESEND_FIELD) or (pending is None and needed.reason == "missing"):
        try:
            with unit_of_work():
                row = request_code(current_user, needed.purpose, needed.payload)
                sent_to = row.sent_to
            if request.form.get(RESEND_FIELD):  # the first one is announced by "we sent"
                notice = _("A new code is sent.")
        except DomainError as exc:  # one code a minute; an SMS the gateway refused
            error = str(exc)
    if hidden is None:
        hidden = [(name, value) for name, values in request.form.lists() for value in values
                  if name not in NOT_REPEATED]
    response = make_response(render_template(
        "cabinet/confirm_code.html", what=PURPOSE_LABELS[needed.purpose], sent_to=sent_to,
        error=error, notice=notice, hidden=hidden, action_url=action_url or request.path,
        back_url=back_url, code_field=CODE_FIELD, resend_field=RESEND_FIELD))
    response.headers["Cache-Control"] = "no-store"
    return response
