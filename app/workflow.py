"""The request workflow: the only writer of a request's status.

Every move is checked against models.request_status.MOVES, the actor's role and ownership,
then its own precondition and effect (EFFECTS, one entry per action beside the table),
recorded in the status history and followed by notifications. Concurrent moves are caught by
the request's version column: the loser gets ConflictError and nothing of its move is stored.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from collections.abc import Callable
from dataclasses import dataclass

from app.access import partner_owns
from app.approvals import announce_on_review, check_gate
from app.attachments import attach_files
from app.audit import record
from app.deliverables import latest_version, release_latest
from app.document_numbers import issue_document_number
from app.document_slots import require_documents
from app.errors import Conflict, Refused, conflict_message  # noqa: F401  (re-exported)
from app.errors import InvalidInput
from app.extensions import db
from app.money import money
from app.permissions import (ENGINEER, FILER_ROLES, MANAGER, SUPERMANAGER, is_partner,
                             role_names)
from app.payments import amount_due
from app.settings import get_setting
from app.timefmt import format_day, local_today
from app import rollups  # noqa: F401  (its flush hook keeps the daily rollup of these moves)
from models.base import utcnow
from app.status_labels import partner_label, staff_label
from models.request_status import ACTION_LABELS, MOVES, Action, Actor, Move, Status
from models.requests import (ATTACH_MESSAGE, ATTACH_WORK, PAYMENT_PAID, Attachment, Message,
                             Request, StatusChange, status_writer)
from models.schedule import ENTRY_VISIT, ScheduleEntry


class WorkflowError(Refused):
    """A refused move; str(error) is a translated message for the user."""


class IllegalTransition(WorkflowError):
    pass


class NotAllowed(WorkflowError):
    pass


class ConflictError(Conflict, WorkflowError):
    """Someone changed the request since the page was rendered; nothing of this move is kept.

    A Conflict (409) first, and still a WorkflowError for callers that catch those."""


def actor_kinds(user, request: Request) -> set[Actor]:
    """Which actor kinds of the transition table this user is for this request."""
    if user is None:
        return {Actor.SYSTEM}
    roles = role_names(user)
    kinds: set[Actor] = set()
    if partner_owns(user, request):
        kinds.add(Actor.PARTNER)
    if SUPERMANAGER in roles:
        kinds |= {Actor.SUPERMANAGER, Actor.MANAGER}
    if MANAGER in roles and request.manager_id == user.id:
        kinds.add(Actor.MANAGER)
    if ENGINEER in roles and request.engineer_id == user.id:
        kinds.add(Actor.ENGINEER)
    if request.filed_by_id == user.id and roles & set(FILER_ROLES):
        kinds.add(Actor.FILER)
    return kinds


def available_moves(request: Request, user) -> list[Move]:
    """Moves the user may make on the request now (one per action, in table order)."""
    kinds = actor_kinds(user, request)
    seen, result = set(), []
    for move in MOVES:
        if request.status in move.sources and kinds & set(move.actors) \
                and move.action not in seen:
            seen.add(move.action)
            result.append(move)
    return result


def _action(action) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise IllegalTransition(_("Unknown action “%(action)s”.", action=action)) from None


def find_move(request: Request, action: Action | str, user) -> Move:
    """The move the user asks for, or a clear error why it is refused."""
    action = _action(action)
    in_status = [m for m in MOVES if m.action == action and request.status in m.sources]
    if not in_status:  # the status as this user reads it: a partner never the staff's
        status = partner_label(request.status) if user is not None and is_partner(user) \
            else staff_label(request.status)
        raise IllegalTransition(_(
            "“%(action)s” is not possible while the request is “%(status)s”.",
            action=ACTION_LABELS[action], status=status))
    kinds = actor_kinds(user, request)
    for move in in_status:
        if kinds & set(move.actors):
            return move
    raise NotAllowed(_("You are not allowed to “%(action)s” on request %(number)s.",
                       action=ACTION_LABELS[action], number=request.number))


def transition(request: Request, action: Action | str, user, comment: str | None = None,
               expected_version: int | None = None, **params) -> StatusChange:
    """Make a status move and record it; flushes so a concurrent move fails here."""
    if expected_version is not None and int(expected_version) != request.version:
        raise ConflictError()
    move = find_move(request, action, user)
    comment = (comment or "").strip() or None
    if move.comment_required and not comment:
        raise WorkflowError(_("A comment is required for “%(action)s”.",
                              action=ACTION_LABELS[move.action]))
    effect = EFFECTS.get(move.action, NO_EFFECT)
    check_gate(request, move.action)  # accept / deliver wait for the approval steps
    effect.check(request, {**params, "by": user})
    if (reason := effect.waiting(request)) is not None:
        raise WorkflowError(reason)
    _confirmed_by_partner(request, move.action, user, params.get("confirmation_code"))
    from_status = request.status
    effect.apply(request, params, comment)
    token = status_writer.set(True)
    try:
        request.status = move.target
    finally:
        status_writer.reset(token)
    if effect.restarts_clock:
        request.status_changed_at = utcnow()
    change = StatusChange(request=request, actor_id=getattr(user, "id", None),
                          action=move.action, from_status=from_status, to_status=move.target,
                          comment=comment)
    db.session.add(change)
    effect.record(request, change, user, params)
    _flush_or_conflict()
    _after_move(request, change, user)
    return change


def assign_manager(request: Request, manager, user, comment: str | None = None,
                   expected_version: int | None = None) -> StatusChange:
    """Assign (submitted → assigned) or reassign (status kept) a request's manager."""
    if MANAGER not in role_names(manager) and SUPERMANAGER not in role_names(manager):
        raise WorkflowError(_("%(name)s is not a manager.", name=manager.username))
    if not manager.active:
        raise WorkflowError(_("%(name)s is blocked.", name=manager.username))
    if request.status == Status.SUBMITTED:
        return transition(request, Action.ASSIGN, user, comment, expected_version,
                          manager=manager)
    # the history says to whom, by name (it printed the login: "— manager2")
    return transition(request, Action.REASSIGN, user, comment or manager.get_full_name(),
                      expected_version, manager=manager)


# --- per-action preconditions and effects (the table says who and when; these say what) ---

def _nothing(*_args) -> None:
    return None


@dataclass(frozen=True)
class Effect:
    """What an action needs besides the table (`check`) and what it writes (`apply`)."""

    check: Callable[[Request, dict], None] = _nothing
    apply: Callable[[Request, dict, str | None], None] = _nothing
    # what the request itself still lacks for the move (the reason, or None when ready):
    # checked with `check`, and shown beside the button before it is pressed
    waiting: Callable[[Request], str | None] = lambda request: None
    restarts_clock: bool = True  # "in status since" (the SLA clock) starts again
    # what the move writes beside the history, once the change exists (request, change,
    # user, params)
    record: Callable[[Request, StatusChange, object, dict], None] = _nothing


NO_EFFECT = Effect()


def _needs_manager(request: Request, params: dict) -> None:
    if params.get("manager") is None:
        raise WorkflowError(_("Choose a manager."))


def _assignable(request: Request, params: dict) -> None:
    """Only a supermanager hands a request to a manager; its filer takes it for themselves."""
    _needs_manager(request, params)
    by = params.get("by")
    if SUPERMANAGER not in role_names(by) and params["manager"].id != getattr(by, "id", None):
        raise NotAllowed(_("Only a supermanager assigns a request to another manager."))


def _reassignable(request: Request, params: dict) -> None:
    """A reassignment names another manager: "reassigned" to the same one wrote a history
    row and notified the manager again, changing nothing."""
    _needs_manager(request, params)
    if params["manager"].id == request.manager_id:
        raise WorkflowError(_("The request is already assigned to %(name)s.",
                              name=params["manager"].get_full_name()))


def _set_manager(request: Request, params: dict, comment: str | None) -> None:
    request.manager_id = params["manager"].id


def _needs_engineer(request: Request, params: dict) -> None:
    if params.get("engineer") is None:
        raise WorkflowError(_("Choose an engineer."))


def _set_engineer(request: Request, params: dict, comment: str | None) -> None:
    request.engineer_id = params["engineer"].id


class WantedDatePassed(InvalidInput):
    """The draft's wanted date is behind us: the partner picks a new one in the draft (the
    data is to change, not the move: 422 in the API)."""


def _submittable(request: Request, params: dict) -> None:
    """The document checklist is complete and the wanted date has not passed (a draft saved
    earlier keeps its date while it waits; it cannot go to the bureau with a day gone by)."""
    require_documents(request, params)
    if request.wanted_date is not None and request.wanted_date < local_today():
        raise WantedDatePassed(_(
            "The wanted date %(day)s has passed: choose today (%(today)s) or a later day in "
            "the draft, then submit it.", day=format_day(request.wanted_date),
            today=format_day(local_today())))


def _stamp_submitted(request: Request, params: dict, comment: str | None) -> None:
    request.submitted_at = utcnow()


def _keep_cancel_reason(request: Request, params: dict, comment: str | None) -> None:
    request.cancel_reason = comment
    # a cancelled request's visits free the engineers' time (no autoflush here: the request
    # is written once, with its new status, so its version goes up by one)
    with db.session.no_autoflush:
        db.session.query(ScheduleEntry).filter_by(request_id=request.id, kind=ENTRY_VISIT) \
            .delete(synchronize_session="fetch")


def _unpaid_or_unpackaged(request: Request) -> str | None:
    """Every reason the documents cannot go yet, at once (one at a time, the second showed
    only once the first was dealt with)."""
    reasons = []
    if request.payment_state != PAYMENT_PAID and get_setting("payment_before_delivery"):
        left = amount_due(request)
        reasons.append(_("The request is not paid in full: %(left)s is left to pay, documents "
                         "are released after payment.", left=money(left))
                       if request.paid_kopecks else
                       _("The request is not paid yet: documents are released after payment."))
    if not latest_version(request):
        reasons.append(_("Upload the document package before delivering."))
    return " ".join(reasons) or None


def _no_work_yet(request: Request) -> str | None:
    """The engineer's work goes to review with its files (an empty review was accepted and
    the partner told the documents were on their way)."""
    uploaded = db.session.query(Attachment.id).filter_by(request_id=request.id,
                                                         kind=ATTACH_WORK).first()
    return None if uploaded else _("Upload the work files before submitting them for review.")


def _release_package(request: Request, params: dict, comment: str | None) -> None:
    release_latest(request)


def _number_the_act(request: Request, change: StatusChange, user, params: dict) -> None:
    """The act is issued with the delivery: numbered and dated the day the work is handed
    over (numbered on its first download, it was dated that day: weeks, or a year, later)."""
    issue_document_number(request, "act", user)


def _data_request_message(request: Request, change: StatusChange, user, params: dict) -> None:
    """The manager's data request is a message of the partner thread too (app.thread shows
    it as the data request), with the files sent along (params["files"]); one transaction."""
    # deferred: app.webhooks → app.uow → app.mail → app.jobs → app.periodic → here (cycle)
    from app.webhooks import emit_message

    message = Message(request=request, author_id=user.id, body=change.comment)
    db.session.add(message)
    attach_files(request, params.get("files", ()), user, ATTACH_MESSAGE, message=message)
    emit_message(message)  # request.message_created, as every message the partner reads


EFFECTS: dict[Action, Effect] = {
    Action.SUBMIT: Effect(_submittable, _stamp_submitted),  # documents, wanted date
    Action.CANCEL: Effect(apply=_keep_cancel_reason),
    Action.ASSIGN: Effect(_assignable, _set_manager),
    Action.REASSIGN: Effect(_reassignable, _set_manager, restarts_clock=False),
    Action.SCHEDULE: Effect(_needs_engineer, _set_engineer),
    Action.RESCHEDULE: Effect(_needs_engineer, _set_engineer),
    Action.SUBMIT_REVIEW: Effect(waiting=_no_work_yet),
    Action.DELIVER: Effect(apply=_release_package, waiting=_unpaid_or_unpackaged,
                           record=_number_the_act),
    Action.ASK_INFO: Effect(record=_data_request_message),
}


def _confirmed_by_partner(request: Request, action: Action, user, code) -> None:
    """The partner's submit and close (accepting the work, signing the act) need a one-time
    code when the admin asks for it (app.signatures; staff moves never do)."""
    if action not in (Action.SUBMIT, Action.CLOSE) or user is None \
            or Actor.PARTNER not in actor_kinds(user, request):
        return
    # deferred: app.signatures → app.uow → app.mail → app.jobs → app.periodic → here (cycle)
    from app import signatures

    if action == Action.SUBMIT:
        signatures.check_confirmation(user, signatures.PURPOSE_SUBMIT,
                                      signatures.request_payload(request), code, request)
    else:
        signatures.check_confirmation(user, signatures.PURPOSE_CLOSE,
                                      signatures.act_payload(request), code, request)


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        # the session is unusable until rolled back: the caller's unit_of_work() does it
        raise ConflictError() from None


def _after_move(request: Request, change: StatusChange, user) -> None:
    # deferred: app.notifications → app.mail → app.jobs → app.periodic → app.workflow (cycle)
    from app.notifications import notify_status_change

    record("status_move", user, request, move=change.action,
           from_status=change.from_status, to_status=change.to_status)
    notify_status_change(request, change)
    announce_on_review(request, change, user)  # the first approver hears of the work


def waiting_reasons(request: Request, moves) -> dict[Action, str]:
    """{action: what the request still lacks for it} of these moves (the page shows the
    reason beside a button that would be refused)."""
    reasons = {}
    for move in moves:
        reason = EFFECTS.get(move.action, NO_EFFECT).waiting(request)
        if reason is not None:
            reasons[move.action] = reason
    return reasons
