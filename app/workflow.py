"""The request workflow: the only writer of a request's status.

Every move is checked against models.request_status.MOVES, the actor's role and ownership,
recorded in the status history and followed by notifications. Concurrent moves are caught by
the request's version column: the loser gets ConflictError and nothing of its move is stored.
"""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from app.access import partner_owns
from app.extensions import db
from app.permissions import ENGINEER, MANAGER, SUPERMANAGER, role_names
from flask_babel import gettext as _
from models.base import utcnow
from models.request_status import ACTION_LABELS, MOVES, STAFF_LABELS, Actor, Move, Status
from models.requests import PAYMENT_PAID, Request, StatusChange, status_writer


class WorkflowError(Exception):
    """A refused move; str(error) is a translated message for the user."""


class IllegalTransition(WorkflowError):
    pass


class NotAllowed(WorkflowError):
    pass


class ConflictError(WorkflowError):
    """Someone changed the request since the page was rendered; nothing of this move is kept."""

    def __init__(self, message: str | None = None):
        super().__init__(message or conflict_message())


def conflict_message() -> str:
    """The one text for a lost race on a request (moves, desk actions, draft edits)."""
    return _("The request was changed by someone else. Reload the page and try again.")


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
    return kinds


def available_moves(request: Request, user) -> list[Move]:
    """Moves the user may make on the request now (for buttons)."""
    kinds = actor_kinds(user, request)
    seen, result = set(), []
    for move in MOVES:
        if request.status in move.sources and kinds & set(move.actors) \
                and move.action not in seen:
            seen.add(move.action)
            result.append(move)
    return result


def find_move(request: Request, action: str, user) -> Move:
    """The move the user asks for, or a clear error why it is refused."""
    candidates = [m for m in MOVES if m.action == action]
    if not candidates:
        raise IllegalTransition(_("Unknown action “%(action)s”.", action=action))
    in_status = [m for m in candidates if request.status in m.sources]
    if not in_status:
        raise IllegalTransition(_(
            "“%(action)s” is not possible while the request is “%(status)s”.",
            action=ACTION_LABELS.get(action, action),
            status=STAFF_LABELS[Status(request.status)]))
    kinds = actor_kinds(user, request)
    for move in in_status:
        if kinds & set(move.actors):
            return move
    raise NotAllowed(_("You are not allowed to “%(action)s” on request %(number)s.",
                       action=ACTION_LABELS.get(action, action), number=request.number))


def transition(request: Request, action: str, user, comment: str | None = None,
               expected_version: int | None = None, **params) -> StatusChange:
    """Make a status move and record it; flushes so a concurrent move fails here."""
    if expected_version is not None and int(expected_version) != request.version:
        raise ConflictError()
    move = find_move(request, action, user)
    comment = (comment or "").strip() or None
    if move.comment_required and not comment:
        raise WorkflowError(_("A comment is required for “%(action)s”.",
                              action=ACTION_LABELS[action]))
    _check_preconditions(request, move, params)
    from_status = request.status
    _apply_params(request, move, params, comment)
    token = status_writer.set(True)
    try:
        request.status = move.target
    finally:
        status_writer.reset(token)
    request.status_changed_at = utcnow()
    change = StatusChange(request=request, actor_id=getattr(user, "id", None),
                          action=action, from_status=from_status, to_status=move.target,
                          comment=comment)
    db.session.add(change)
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
        return transition(request, "assign", user, comment, expected_version, manager=manager)
    if expected_version is not None and int(expected_version) != request.version:
        raise ConflictError()
    if SUPERMANAGER not in role_names(user):
        raise NotAllowed(_("Only a supermanager distributes requests."))
    if request.status in (Status.DRAFT, Status.CLOSED, Status.CANCELLED):
        raise IllegalTransition(_("A request in status “%(status)s” cannot be reassigned.",
                                  status=STAFF_LABELS[Status(request.status)]))
    request.manager_id = manager.id
    change = StatusChange(request=request, actor_id=user.id, action="reassign",
                          from_status=request.status, to_status=request.status,
                          comment=comment or manager.username)
    db.session.add(change)
    _flush_or_conflict()
    _after_move(request, change, user)
    return change


def _check_preconditions(request: Request, move: Move, params: dict) -> None:
    if move.action == "assign" and params.get("manager") is None:
        raise WorkflowError(_("Choose a manager."))
    if move.action in ("schedule", "reschedule") and params.get("engineer") is None:
        raise WorkflowError(_("Choose an engineer."))
    if move.action == "deliver":
        from app.deliverables import latest_version
        from app.settings import get_setting

        if request.payment_state != PAYMENT_PAID and get_setting("payment_before_delivery"):
            raise WorkflowError(_("The request is not paid yet: documents are released "
                                  "after payment."))
        if not latest_version(request):
            raise WorkflowError(_("Upload the document package before delivering."))


def _apply_params(request: Request, move: Move, params: dict, comment: str | None) -> None:
    if move.action == "assign":
        request.manager_id = params["manager"].id
    elif move.action in ("schedule", "reschedule"):
        request.engineer_id = params["engineer"].id
    elif move.action == "submit":
        request.submitted_at = utcnow()
    elif move.target == Status.CANCELLED:
        request.cancel_reason = comment
    elif move.action == "deliver":
        from app.deliverables import release_latest

        release_latest(request)


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError() from None


def _after_move(request: Request, change: StatusChange, user) -> None:
    from app.audit import record
    from app.notifications import notify_status_change

    record("status_move", user, request, move=change.action,
           from_status=change.from_status, to_status=change.to_status)
    notify_status_change(request, change)
