"""Notifications: who hears about what, in the recipient's own language.

One table, EVENTS, says for every event what kind of notification it is, who receives it and
on which channels by default. Use cases call `announce(event, request, actor, **context)`
inside their transaction: the in-app rows are part of the same unit of work, the e-mail
copies go through the outbox (app.mail) and leave after the commit. The actor never hears of
their own action; an inactive user hears nothing.

Each kind is one switch of the recipient's e-mail preferences (UserProfile.notify_prefs);
KINDS says which roles may receive a kind, so a profile page lists only the kinds that can
reach its user. Texts for engineers carry no partner words nor contacts (app.visibility):
their events (booking, rework, status) say the request number, the status and the time only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access import get_notification_or_404, own_notifications
from app.approvals import approvers, step_title
from app.extensions import db
from app.mail import queue_mail
from app.permissions import (ADMIN, DIRECTOR, ENGINEER, MANAGER, PARTNER, SUPERMANAGER,
                             is_partner, role_names)
from app.sla import duration_text
from app.status_labels import partner_label, staff_label
from app.telegram import chat_for
from app.telegram_outbox import queue_telegram
from app.texts import render_email
from app.timefmt import wall_range
from app.translations import locale_name
from app.web_security import external_url
from app.webhooks import emit_message, emit_status_change
from models.notifications import Notification
from models.partners import UserProfile
from models.request_status import PARTNER_GROUP_OF, Action, Status
from models.requests import Request, StatusChange
from models.schedule import ENTRY_VISIT, ScheduleEntry

IN_APP, EMAIL = "in_app", "email"
BOTH = (IN_APP, EMAIL)
OWNER = "PartnerOwner"  # a pseudo-role for KINDS: the owner of a partner company


@dataclass(frozen=True)
class Kind:
    """One switch in the preferences: label, the roles it can reach, default channels."""

    label: object
    roles: tuple[str, ...]
    channels: tuple[str, ...] = BOTH


# kind (Notification.kind, at most 20 characters) → label, recipients' roles, default channels
KINDS: dict[str, Kind] = {
    "submitted": Kind(_l("New submitted requests"), (SUPERMANAGER,)),
    "application": Kind(_l("New partner applications"), (ADMIN,)),
    "assignment": Kind(_l("Assignments"), (MANAGER, SUPERMANAGER)),
    "message": Kind(_l("New messages"), (MANAGER, SUPERMANAGER, PARTNER)),
    "answer": Kind(_l("Partner answers"), (MANAGER, SUPERMANAGER)),
    "review": Kind(_l("Work submitted for review"), (MANAGER, SUPERMANAGER)),
    "rework": Kind(_l("Returned for rework"), (ENGINEER,)),
    "booking": Kind(_l("Visits booked, moved or cancelled"), (ENGINEER,)),
    "payment": Kind(_l("Payments"), (MANAGER, SUPERMANAGER)),
    "sla": Kind(_l("Overdue requests"), (MANAGER, SUPERMANAGER)),
    "status": Kind(_l("Status changes"), (MANAGER, SUPERMANAGER, PARTNER)),
    "needs_info": Kind(_l("Requests for data"), (PARTNER,)),
    "team": Kind(_l("Requests of my team"), (OWNER,), (IN_APP,)),
    "approval": Kind(_l("Approval steps"), (ADMIN, DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER)),
}


@dataclass(frozen=True)
class Event:
    """An event: its kind, who receives it, the text, the e-mail's subject."""

    kind: str
    recipients: Callable[[Request | None, object, dict], Iterable]
    text: Callable[[Request | None, dict], str]
    subject: Callable[[Request | None, dict], str]


def users_with_role(name: str) -> list:
    """Active users holding the role, by id."""
    return db.session.query(User).join(User.roles).filter(
        Role.name == name, User.active.is_(True)).order_by(User.id).all()


def company_owners(request: Request) -> list:
    """The owners of the request's partner company (except the request's author)."""
    return db.session.query(User).join(UserProfile, UserProfile.user_id == User.id).filter(
        UserProfile.partner_company_id == request.company_id,
        UserProfile.partner_role == "owner", User.id != request.author_id).all()


def _manager(request, actor, ctx):
    return [request.manager]


def _engineer(request, actor, ctx):
    return [ctx.get("engineer", request.engineer)]


def _author(request, actor, ctx):
    return [request.author]


def _owners(request, actor, ctx):
    return company_owners(request)


def _author_and_owners(request, actor, ctx):
    return [request.author, *company_owners(request)]


def _supermanagers(request, actor, ctx):
    return users_with_role(SUPERMANAGER)


def _admins(request, actor, ctx):
    return users_with_role(ADMIN)


def _manager_and_supermanagers(request, actor, ctx):
    return [request.manager, *users_with_role(SUPERMANAGER)]


def _n(request):
    return {"number": request.number}


def _when(ctx) -> str:
    start, end = ctx.get("start"), ctx.get("end")
    if start is None:
        return ""
    return wall_range(start, end)  # wall-clock times in the bureau's zone: as stored


def _partner_status(request, ctx):
    return partner_label(ctx["to_status"])


# event → kind, recipients, text, subject (texts are built in each recipient's language)
EVENTS: dict[str, Event] = {
    "request_submitted": Event(
        "submitted", _supermanagers,
        lambda r, c: _("New request %(number)s from %(company)s is waiting for a manager.",
                       number=r.number, company=r.company.name if r.company else "—"),
        lambda r, c: _("New request %(number)s", **_n(r))),
    "application_filed": Event(
        "application", _admins,
        lambda r, c: _("New partner application from %(company)s.", company=c["company"]),
        lambda r, c: _("New partner application: %(company)s", company=c["company"])),
    "assigned": Event(
        "assignment", _manager,
        lambda r, c: _("Request %(number)s is assigned to you.", **_n(r)),
        lambda r, c: _("Request %(number)s is assigned to you", **_n(r))),
    "partner_message": Event(
        "message", _manager,
        lambda r, c: _("Request %(number)s: new message.", **_n(r)),
        lambda r, c: _("New message from the partner on request %(number)s", **_n(r))),
    "staff_message": Event(
        "message", _author,
        lambda r, c: _("Request %(number)s: new message.", **_n(r)),
        lambda r, c: _("New message on request %(number)s", **_n(r))),
    "partner_answer": Event(
        "answer", _manager,
        lambda r, c: _("Request %(number)s: the partner answered your request for data.",
                       **_n(r)),
        lambda r, c: _("The partner answered on request %(number)s", **_n(r))),
    "review_submitted": Event(
        "review", _manager,
        lambda r, c: _("Request %(number)s: the engineer submitted the work for review.",
                       **_n(r)),
        lambda r, c: _("Request %(number)s is ready for review", **_n(r))),
    "returned": Event(
        "rework", _engineer,  # the manager's words are for the engineer (staff to staff)
        lambda r, c: _("Request %(number)s is returned to you for rework: %(comment)s",
                       comment=c["comment"], **_n(r)) if c.get("comment") else
        _("Request %(number)s is returned to you for rework.", **_n(r)),
        lambda r, c: _("Request %(number)s is returned for rework", **_n(r))),
    "visit_booked": Event(
        "booking", _engineer,
        lambda r, c: _("Request %(number)s: a visit is booked for you, %(when)s.",
                       when=_when(c), **_n(r)),
        lambda r, c: _("Visit booked: request %(number)s, %(when)s", when=_when(c), **_n(r))),
    "visit_cancelled": Event(
        "booking", _engineer,
        lambda r, c: _("Request %(number)s: your visit %(when)s is cancelled.",
                       when=_when(c), **_n(r)) if c.get("start") else
        _("Request %(number)s: your visit is cancelled.", **_n(r)),
        lambda r, c: _("Visit cancelled: request %(number)s, %(when)s", when=_when(c),
                       **_n(r)) if c.get("start") else
        _("Visit cancelled: request %(number)s", **_n(r))),
    "payment_marked": Event(
        "payment", _manager,
        lambda r, c: _("Request %(number)s: a payment of %(amount)s is recorded.",
                       amount=c["amount"], **_n(r)),
        lambda r, c: _("Payment received for request %(number)s", **_n(r))),
    "payment_voided": Event(
        "payment", _manager,
        lambda r, c: _("Request %(number)s: the payment of %(amount)s was voided: "
                       "%(reason)s.", amount=c["amount"], reason=c["reason"], **_n(r)),
        lambda r, c: _("Payment voided on request %(number)s", **_n(r))),
    "sla_breach": Event(
        "sla", _manager_and_supermanagers,
        lambda r, c: _("Request %(number)s has been “%(status)s” longer than %(duration)s.",
                       status=staff_label(c["status"]), duration=duration_text(c["minutes"]),
                       **_n(r)),
        lambda r, c: _("Request %(number)s is overdue", **_n(r))),
    "staff_status": Event(
        "status", _manager,
        lambda r, c: _("Request %(number)s: status is now “%(status)s”.",
                       status=staff_label(c["to_status"]), **_n(r)),
        lambda r, c: _("Request %(number)s: %(status)s", **_n(r),
                       status=staff_label(c["to_status"]))),
    "data_requested": Event(
        "needs_info", _author,  # the manager's question itself, as the cabinet shows it
        lambda r, c: _("Request %(number)s: the manager needs data from you: %(comment)s",
                       comment=c["comment"], **_n(r)) if c.get("comment") else
        _("Request %(number)s: the manager needs data from you.", **_n(r)),
        lambda r, c: _("Data needed for request %(number)s", **_n(r))),
    "partner_status": Event(
        "status", _author,
        lambda r, c: _("Request %(number)s: status is now “%(status)s”.",
                       status=_partner_status(r, c), **_n(r)),
        lambda r, c: _("Request %(number)s: %(status)s", status=_partner_status(r, c),
                       **_n(r))),
    "member_request_moved": Event(
        "team", _owners,
        lambda r, c: _("Request %(number)s of %(member)s: status is now “%(status)s”.",
                       member=r.author.get_full_name(), status=_partner_status(r, c),
                       **_n(r)),
        lambda r, c: _("Request %(number)s of %(member)s: %(status)s",
                       member=r.author.get_full_name(), status=_partner_status(r, c),
                       **_n(r))),
    "filed_on_behalf": Event(
        "status", _author_and_owners,
        lambda r, c: _("Request %(number)s was filed for you by manager %(name)s: check it "
                       "and continue.", name=c["manager"], **_n(r)),
        lambda r, c: _("Request %(number)s was filed for you", **_n(r))),
    # approval steps (app.approvals): the next approver, the manager on a rejection or at the end
    "approval_needed": Event(
        "approval", lambda r, a, c: approvers(r, c["step"]),
        lambda r, c: _("Request %(number)s: your approval is needed: “%(step)s”.",
                       step=step_title(c["step"]), **_n(r)),
        lambda r, c: _("Approval needed: request %(number)s", **_n(r))),
    "approval_rejected": Event(
        "approval", _manager,
        lambda r, c: _("Request %(number)s: “%(step)s” was rejected by %(name)s: %(comment)s",
                       step=step_title(c["step"]), name=c["by"], comment=c["comment"],
                       **_n(r)),
        lambda r, c: _("Approval rejected: request %(number)s", **_n(r))),
    "approvals_done": Event(
        "approval", _manager,
        lambda r, c: _("Request %(number)s: every approval step is approved.", **_n(r)),
        lambda r, c: _("Approvals complete: request %(number)s", **_n(r))),
}


# events whose recipients are the partner side (the author, the company's owners): their
# e-mails carry the partner's status labels and cabinet links (the texts editor previews them
# so); told by who receives them, so a new event is classified where it is declared
PARTNER_RECIPIENTS = (_author, _owners, _author_and_owners)
PARTNER_EVENTS = frozenset(name for name, event in EVENTS.items()
                           if event.recipients in PARTNER_RECIPIENTS)


def kinds_for(user) -> list[str]:
    """The kinds that can reach this user (their profile's e-mail switches), in table order."""
    roles = set(role_names(user))
    profile = getattr(user, "profile", None)
    if profile is not None and profile.partner_role == "owner":
        roles.add(OWNER)
    if ADMIN in roles:  # the administrator may hold any post: every staff kind
        roles |= {SUPERMANAGER, MANAGER, ENGINEER}
    return [kind for kind, spec in KINDS.items() if roles & set(spec.roles)]


def kind_label(kind: str) -> str:
    spec = KINDS.get(kind)
    return str(spec.label) if spec else kind


def wants_email(user, kind: str) -> bool:
    """The user's switch for this kind, else the table's default channel."""
    spec = KINDS.get(kind)
    default = spec is None or EMAIL in spec.channels
    profile = getattr(user, "profile", None)
    prefs = (profile.notify_prefs if profile is not None else None) or {}
    return bool(prefs.get(kind, default))


def user_language(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.locale if profile is not None else None) or "ru"


def link_for(user, kind: str, request: Request | None) -> str:
    """The absolute address (REPLAN_BASE_URL) of the page a notification is about."""
    if request is not None and is_partner(user):
        return external_url("cabinet.request_detail", request_id=request.id)
    if request is not None and kind == "booking" and request.engineer_id != user.id:
        return external_url("ScheduleView.week")  # the visit moved to another engineer
    if request is not None:
        return external_url("DeskView.show", pk=request.id)
    if kind == "application":
        return external_url("PartnerApplicationView.list")
    if is_partner(user):
        return external_url("cabinet.notifications")
    return external_url("StaffNotificationView.index")


def _preferences_url(user) -> str:
    return external_url("cabinet.profile") if is_partner(user) \
        else external_url("StaffProfileView.edit")


def announce(event: str, request: Request | None = None, actor=None,
             **context) -> list[Notification]:
    """Tell the event's recipients (EVENTS): an in-app row each, and an e-mail copy where
    the kind's switch is on. Part of the caller's transaction; the actor is skipped."""
    spec = EVENTS[event]
    actor_id = getattr(actor, "id", None)
    seen: set[int] = set()
    notes = []
    for user in spec.recipients(request, actor, context):
        if user is None or user.id in seen or user.id == actor_id:
            continue
        seen.add(user.id)
        note = _deliver(user, spec, request, context, event)
        if note is not None:
            notes.append(note)
    return notes


def _deliver(user, spec: Event, request, context, event: str = "") -> Notification | None:
    if not user.active:
        return None
    texts = texts_in_every_language(lambda: spec.text(request, context))
    with force_locale(user_language(user)):
        text = texts.get(user_language(user)) or str(spec.text(request, context))
        by_email = wants_email(user, spec.kind)
        chat_id = chat_for(user, spec.kind, default=by_email)  # Telegram (app.telegram)
        if (user.email and by_email) or chat_id:
            values = email_values(user, request, context, text=text,
                                  subject=str(spec.subject(request, context)),
                                  link=link_for(user, spec.kind, request),
                                  preferences_link=_preferences_url(user))
            # the admin's wording of this event's e-mail (app.texts), else the default
            subject, body = render_email(event, values)
            if user.email and by_email:
                queue_mail(user.email, subject, body, kind=spec.kind)
            if chat_id:  # the same rendered text: the e-mail's visibility rules hold
                queue_telegram(chat_id, body, user_id=user.id, kind=spec.kind)
    note = Notification(user_id=user.id, kind=spec.kind, request=request, text=text,
                        texts=texts)
    db.session.add(note)
    return note


def texts_in_every_language(render: Callable[[], object]) -> dict[str, str]:
    """{language: text} of `render` in each interface language (the admin's wording of the
    interface texts included): the bell shows the one its reader reads now, whatever
    language the recipient had when it was written."""
    texts = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            texts[language] = str(render())
    return texts


def shown_text(note: Notification) -> str:
    """The notification in the current language (its text as written when none is stored)."""
    return (note.texts or {}).get(locale_name()) or note.text


def email_values(user, request: Request | None, context: dict, **values) -> dict:
    """The placeholders of an e-mail (app.texts.EMAIL_PLACEHOLDERS), as plain strings."""
    status = context.get("to_status") or context.get("status") or \
        (request.status if request is not None else None)
    if status:
        values["status"] = partner_label(status) if is_partner(user) else staff_label(status)
    if request is not None:
        values["number"] = request.number
        values["company"] = request.company.name if request.company else ""
        values["member"] = request.author.get_full_name() if request.author else ""
    values["recipient"] = user.get_full_name()
    values["when"] = _when(context)
    if "minutes" in context:
        values["overdue_after"] = duration_text(context["minutes"])
    for key in ("company", "amount", "reason", "manager", "comment"):
        if context.get(key) is not None:
            values[key] = str(context[key])
    return values


def notify(user, kind: str, request: Request | None, render) -> Notification | None:
    """A one-off notification outside the table (kept for callers not yet moved to it)."""
    spec = Event(kind, lambda r, a, c: [user], lambda r, c: render(),
                 lambda r, c: _("%(brand)s: request %(number)s", number=r.number) if r
                 else _("%(brand)s notification"))
    return _deliver(user, spec, request, {}) if user is not None else None


def notify_new_message(message) -> None:
    """A partner message reaches the manager; a manager message reaches the partner."""
    emit_message(message)  # webhooks (partner-visible messages only)
    if message.is_internal:
        return
    author = message.author
    event = "partner_message" if is_partner(author) else "staff_message"
    announce(event, message.request, author)


def notify_status_change(request: Request, change: StatusChange) -> None:
    """The events of a status move (called by app.workflow for every move)."""
    emit_status_change(request, change)  # webhooks: written in this transaction (outbox)
    actor = change.actor
    target = Status(change.to_status)
    moved = {"to_status": change.to_status, "from_status": change.from_status}
    action = Action(change.action)
    partner_changed = PARTNER_GROUP_OF[target] != PARTNER_GROUP_OF.get(
        Status(change.from_status)) if change.from_status else True
    if partner_changed and target != Status.DRAFT:
        if target == Status.NEEDS_INFO:  # the manager's words are for the partner
            announce("data_requested", request, actor, comment=change.comment, **moved)
        else:
            announce("partner_status", request, actor, **moved)
        announce("member_request_moved", request, actor, **moved)
    if action == Action.SUBMIT:
        announce("request_submitted", request, actor)
    elif action in (Action.ASSIGN, Action.REASSIGN):
        announce("assigned", request, actor)
    elif action == Action.ANSWER:
        announce("partner_answer", request, actor)
    elif action == Action.SUBMIT_REVIEW:
        announce("review_submitted", request, actor)
    elif action == Action.RETURN:
        announce("returned", request, actor, comment=change.comment)
    elif action in (Action.CANCEL, Action.CLOSE):
        announce("staff_status", request, actor, **moved)
    if action == Action.CANCEL and request.engineer is not None:
        visit = db.session.query(ScheduleEntry).filter_by(
            request_id=request.id, kind=ENTRY_VISIT).order_by(ScheduleEntry.starts_at).first()
        announce("visit_cancelled", request, actor,
                 **({"start": visit.starts_at, "end": visit.ends_at} if visit else {}))


def mark_read(user, note_id: int) -> Notification:
    """Mark one of the user's notifications read (404 for anyone else's; caller commits)."""
    note = get_notification_or_404(user, note_id)
    note.is_read = True
    return note


def mark_all_read(user, kind: str | None = None) -> int:
    """Mark the user's unread notifications (of one kind) read; how many (caller commits)."""
    query = own_notifications(user).filter(Notification.is_read.is_(False))
    if kind:
        query = query.filter(Notification.kind == kind)
    return query.update({Notification.is_read: True}, synchronize_session=False)


def mark_request_read(user, request_id: int) -> int:
    """The user's unread notifications about a request marked read; how many (caller
    commits)."""
    return own_notifications(user).filter(
        Notification.request_id == request_id, Notification.is_read.is_(False)).update(
        {Notification.is_read: True}, synchronize_session=False)


def read_on_page(user, request_id: int) -> int:
    """Opening a request's page reads the user's notifications about it (the bell drops as
    the user sees what happened); how many. Known with the user's row (app.security.
    NOTES_READ_ON): no statement unless there are some; the bell of this page counts
    without them. The caller commits once the page is rendered (a commit expires what the
    page is about to read)."""
    if not getattr(user, "replan_unread_here", 0):
        return 0
    read = mark_request_read(user, request_id)
    user.replan_unread = max(0, (getattr(user, "replan_unread", 0) or 0) - read)
    user.replan_unread_here = 0
    return read
