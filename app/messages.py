"""The request thread: partner and manager messages (with files), internal staff notes.

Use cases: the request is loaded through app.access by the caller; each checks
app.request_rules, acts, notifies and returns; the caller's unit of work commits.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.action_limits import spend
from app.attachments import attach_files, real_files
from app.errors import InvalidInput, Refused
from app.extensions import db
from app.notifications import notify_new_message
from app.webhooks import emit_message
from app.request_rules import MESSAGING_STATUSES, RequestRules, rules_for
from app.workflow import transition
from models.request_status import Action
from models.requests import ATTACH_INPUT, ATTACH_MESSAGE, Message, Request


def _require_thread(rules: RequestRules, request: Request) -> None:
    if rules.can_message:
        return
    if request.status not in MESSAGING_STATUSES:
        raise Refused(_("Messages are closed for this request."))
    raise Refused(_("Only the request's manager writes to the partner."))


def _clean(body: str | None) -> str:
    return (body or "").strip()


def post_partner_message(user, request: Request, body: str | None, files=()) -> bool:
    """The partner writes to the manager with files; while data is requested this is the
    answer that returns the request to the manager. Returns True for an answer."""
    rules = rules_for(user, request)
    _require_thread(rules, request)
    body = _clean(body)
    if not body and not real_files(files):
        raise InvalidInput(_("Write a message or attach files."))
    spend(user, "partner_message")  # each one mails the manager
    message = Message(request=request, author_id=user.id, body=body or _("Files attached."))
    db.session.add(message)
    attach_files(request, files, user, ATTACH_INPUT, message=message)
    if rules.answering:
        # the history carries the message's text: app.thread pairs them as the answer
        transition(request, Action.ANSWER, user, message.body)  # notifies the manager
        emit_message(message)  # webhooks: the answer is a message too
    else:
        db.session.flush()
        notify_new_message(message)
    return rules.answering


def post_staff_message(user, request: Request, body: str | None, files=()) -> Message:
    """The request's manager (or a supermanager) writes to the partner, with files (the
    partner's upload rules: all stored or none)."""
    _require_thread(rules_for(user, request), request)
    body = _clean(body)
    if not body and not real_files(files):
        raise InvalidInput(_("Write a message or attach files."))
    message = Message(request=request, author_id=user.id, body=body or _("Files attached."))
    db.session.add(message)
    attach_files(request, files, user, ATTACH_MESSAGE, message=message)
    db.session.flush()
    notify_new_message(message)
    return message


def add_note(user, request: Request, body: str | None) -> Message:
    """An internal note of the staff working on the request: never shown to partners."""
    if not rules_for(user, request).can_note:
        raise Refused(_("Only the request's manager and engineer add notes."))
    body = _clean(body)
    if not body:
        raise InvalidInput(_("Write the note text."))
    note = Message(request=request, author_id=user.id, body=body, is_internal=True)
    db.session.add(note)
    return note
