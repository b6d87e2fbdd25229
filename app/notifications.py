"""Notifications: who hears about what, in the recipient's own language."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.access import get_notification_or_404, own_notifications
from app.extensions import db
from app.mail import queue_mail
from app.permissions import is_partner
from models.notifications import Notification
from models.request_status import (
    PARTNER_GROUP_OF,
    PARTNER_GROUPS,
    STAFF_LABELS,
    Action,
    Status,
)
from models.requests import Request, StatusChange

# which staff member hears of a move (the partner hears of every change of their label)
ASSIGNING = (Action.ASSIGN, Action.REASSIGN)
TELL_MANAGER = (*ASSIGNING, Action.ANSWER, Action.CANCEL, Action.SUBMIT_REVIEW, Action.CLOSE)
TELL_ENGINEER = (Action.SCHEDULE, Action.RESCHEDULE, Action.RETURN)


def notify(user, kind: str, request: Request | None, render) -> Notification | None:
    """Add a notification for `user`; `render()` builds the text in the user's locale."""
    if user is None or not user.active:
        return None
    profile = getattr(user, "profile", None)
    with force_locale(profile.locale if profile else "ru"):
        text = str(render())
        subject = _("Replan: request %(number)s", number=request.number) if request \
            else _("Replan notification")
    note = Notification(user_id=user.id, kind=kind, request=request, text=text)
    db.session.add(note)
    if user.email and (profile is None or profile.wants_email(kind)):
        queue_mail(user.email, str(subject), text, kind=kind)
    return note


def notify_new_message(message) -> None:
    """A partner message reaches the manager; a manager message reaches the partner."""
    request = message.request
    number = request.number
    if message.is_internal:
        return
    author = message.author
    recipient = request.manager if is_partner(author) else request.author
    if recipient is not None and recipient.id != author.id:
        notify(recipient, "message", request,
               lambda: _("Request %(number)s: new message.", number=number))


def notify_status_change(request: Request, change: StatusChange) -> None:
    """Tell the partner, manager and engineer what concerns them about a move."""
    actor_id = change.actor_id
    for user, kind, render in _recipients(request, change):
        if user is not None and user.id != actor_id:
            notify(user, kind, request, render)


def _recipients(request: Request, change: StatusChange):
    number, target = request.number, Status(change.to_status)
    partner_changed = PARTNER_GROUP_OF[target] != PARTNER_GROUP_OF.get(
        Status(change.from_status)) if change.from_status else True

    def partner_text():
        label = PARTNER_GROUPS[PARTNER_GROUP_OF[target]][0]
        if target == Status.NEEDS_INFO:
            return _("Request %(number)s: the manager needs data from you.", number=number)
        return _("Request %(number)s: status is now “%(status)s”.", number=number,
                 status=label)

    def staff_text():
        if change.action in ASSIGNING:
            return _("Request %(number)s is assigned to you.", number=number)
        return _("Request %(number)s: status is now “%(status)s”.", number=number,
                 status=STAFF_LABELS[target])

    if partner_changed and target != Status.DRAFT:
        kind = "needs_info" if target == Status.NEEDS_INFO else "status"
        yield request.author, kind, partner_text
    if change.action in TELL_MANAGER:
        yield request.manager, "assignment" if change.action in ASSIGNING else "status", \
            staff_text
    if change.action in TELL_ENGINEER:
        yield request.engineer, "status", staff_text


def mark_read(user, note_id: int) -> Notification:
    """Mark one of the user's notifications read (404 for anyone else's; caller commits)."""
    note = get_notification_or_404(user, note_id)
    note.is_read = True
    return note


def mark_all_read(user) -> int:
    """Mark every unread notification of the user read; how many (caller commits)."""
    return own_notifications(user).filter(Notification.is_read.is_(False)).update(
        {Notification.is_read: True}, synchronize_session=False)
