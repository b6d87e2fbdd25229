"""Approval steps: which steps a request must pass, who decides the next one, the gate.

A request's steps are the active steps of its services (the order of its service lines, then
each service's positions); steps gating the acceptance of the work come before those gating
delivery. Steps are decided one after the other: only the first step not yet approved in the
current round can be decided, by a user holding its role who sees the request, while the
work is on review or ready. A rework (the manager's "return") starts a new round: earlier
decisions stay in the history but no longer count. A rejection keeps the step open (its
approver may approve it later, e.g. after the manager fixed the documents) and tells the
manager, who may return the work for rework with the existing move.

app.workflow asks `check_gate` before accepting or delivering; the desk asks `board`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from app.access import can_see_request
from app.audit import record
from app.catalogue_names import service_name
from app.errors import Conflict, InvalidInput, NotFound, Refused
from app.extensions import db
from app.permissions import role_label, role_names
from app.shared_cache import CATALOGUE, cached, plain_row
from app.translations import locale_name
from models.approvals import (DECISION_APPROVED, DECISION_LABELS, DECISION_REJECTED,
                              GATE_ACCEPT, GATE_DELIVER, GATE_LABELS, ApprovalStep,
                              RequestApproval)
from models.base import utcnow
from models.request_status import Action, Status
from models.requests import Request, StatusChange

# statuses in which steps are decided: the work exists and is not delivered yet
DECIDING_STATUSES = (Status.ON_REVIEW, Status.READY)
# the moves a step's gate holds back: accept waits for the "accept" steps, delivery for all
GATED = {Action.ACCEPT: (GATE_ACCEPT,), Action.DELIVER: (GATE_ACCEPT, GATE_DELIVER)}
COMMENT_LIMIT = 2000
# delivered, closed or cancelled: the desk shows the decisions taken, not steps still "waiting"
PAST_APPROVALS = (Status.DELIVERED, Status.CLOSED, Status.CANCELLED)


class ApprovalPending(Refused):
    """The move waits for an approval step; str(error) names it."""


def step_title(step: ApprovalStep) -> str:
    """The step's title in the reader's language (English when given and asked for)."""
    english = locale_name("") == "en"
    return step.title_en if english and step.title_en else step.title


def steps_of(request: Request) -> list:
    """The request's active steps: accept-gated first, then by service line and position
    (plain copies of the ApprovalStep rows, kept per process: compare them by id)."""
    service_ids = list(dict.fromkeys(line.service_id for line in request.lines
                                     if line.service_id is not None))
    if not service_ids:
        return []
    steps = [step for step in _active_steps() if step.service_id in service_ids]
    return sorted(steps, key=lambda s: (s.gate != GATE_ACCEPT, service_ids.index(s.service_id),
                                        s.position, s.id))


def _active_steps() -> list:
    """Every active step with its service's names, as plain copies of the rows: read once
    per process while the shared cache's `catalogue` stamp holds (app.shared_cache)."""
    return cached(CATALOGUE, "approval-steps", lambda: [
        plain_row(step, service=SimpleNamespace(name=step.service.name,
                                                name_en=step.service.name_en))
        for step in db.session.query(ApprovalStep).filter(ApprovalStep.is_active.is_(True))
        .options(joinedload(ApprovalStep.service))])


def current_round(request: Request, history=None) -> int:
    """1, plus one for every return for rework: a rework makes earlier approvals void.
    `history`: the request's status changes when the caller has loaded them all."""
    if history is not None:
        return 1 + sum(1 for change in history if change.action == Action.RETURN)
    returns = db.session.query(func.count(StatusChange.id)).filter(
        StatusChange.request_id == request.id, StatusChange.action == Action.RETURN).scalar()
    return 1 + (returns or 0)


def decisions_of(request: Request) -> list[RequestApproval]:
    """Every decision on the request, all rounds, oldest first."""
    return db.session.query(RequestApproval).filter_by(request_id=request.id) \
        .options(joinedload(RequestApproval.actor), joinedload(RequestApproval.step)) \
        .order_by(RequestApproval.id).all()


@dataclass(frozen=True)
class StepState:
    """A step of the request and its latest decision in the current round (None: pending)."""

    step: ApprovalStep
    decision: RequestApproval | None

    @property
    def approved(self) -> bool:
        return self.decision is not None and self.decision.decision == DECISION_APPROVED

    @property
    def state(self) -> str:
        return self.decision.decision if self.decision is not None else "pending"

    @property
    def title(self) -> str:
        return step_title(self.step)

    @property
    def role(self) -> str:
        return role_label(self.step.role_name)

    @property
    def service(self) -> str:
        return service_name(self.step.service)

    @property
    def gate_label(self) -> str:
        return str(GATE_LABELS.get(self.step.gate, self.step.gate))


@dataclass(frozen=True)
class Approvals:
    """A request's approvals read once: the round, every decision, each step's state."""

    round: int
    decisions: list[RequestApproval]
    states: list[StepState]

    def pending(self, gates=(GATE_ACCEPT, GATE_DELIVER)) -> list[ApprovalStep]:
        """The steps (of these gates) not approved in the current round, in order."""
        return [s.step for s in self.states if not s.approved and s.step.gate in gates]

    @property
    def current(self) -> ApprovalStep | None:
        """The one step that may be decided now: the first not approved in this round."""
        pending = self.pending()
        return pending[0] if pending else None


def approvals_of(request: Request, history=None) -> Approvals:
    """The request's approvals in three statements (two when `history`, the request's
    status changes, is loaded already)."""
    round_ = current_round(request, history)
    decisions = decisions_of(request)
    latest = {d.step_id: d for d in decisions if d.round == round_}  # oldest first: last wins
    return Approvals(round_, decisions,
                     [StepState(step, latest.get(step.id)) for step in steps_of(request)])


def states(request: Request) -> list[StepState]:
    """Each step with its latest decision of the current round."""
    return approvals_of(request).states


def pending_steps(request: Request, gates=(GATE_ACCEPT, GATE_DELIVER)) -> list[ApprovalStep]:
    """The steps (of these gates) not approved in the current round, in order."""
    return approvals_of(request).pending(gates)


def current_step(request: Request) -> ApprovalStep | None:
    """The one step that may be decided now: the first not approved in this round."""
    return approvals_of(request).current


def refusal(user, request: Request, step: ApprovalStep,
            known: Approvals | None = None) -> str | None:
    """Why `user` may not decide `step` of `request` now (None: they may); `known`: the
    request's approvals when the caller has read them."""
    if not can_see_request(user, request) or step.role_name not in role_names(user):
        return _("Only a user with the role “%(role)s” decides “%(step)s”.",
                 role=role_label(step.role_name), step=step_title(step))
    if request.status not in DECIDING_STATUSES:
        return _("Approvals are decided while the work is on review or ready.")
    known = known or approvals_of(request)
    first = known.current
    if first is None or first.id != step.id:
        if step in known.pending():
            return _("“%(step)s” waits for “%(previous)s” to be approved first.",
                     step=step_title(step), previous=step_title(first))
        return _("“%(step)s” is already approved.", step=step_title(step))
    return None


def can_decide(user, request: Request, step: ApprovalStep,
               known: Approvals | None = None) -> bool:
    """Whether `user` may approve or reject `step` of `request` now."""
    return refusal(user, request, step, known) is None


def check_gate(request: Request, action, known: Approvals | None = None) -> None:
    """Refuse accepting or delivering while a step of its gate is pending (app.workflow)."""
    gates = GATED.get(action)
    if not gates:
        return
    pending = (known or approvals_of(request)).pending(gates)
    if not pending:
        return
    step = pending[0]
    what = _("The work cannot be accepted yet") if action == Action.ACCEPT \
        else _("The documents cannot be delivered yet")
    raise ApprovalPending(_("%(what)s: the approval step “%(step)s” (%(role)s) is not "
                            "approved.", what=what, step=step_title(step),
                            role=role_label(step.role_name)))


def _clean_comment(comment, approve: bool) -> str | None:
    text = (comment or "").strip()
    if "\x00" in text:
        raise InvalidInput(_("The comment contains a forbidden character (NUL)."))
    if len(text) > COMMENT_LIMIT:
        raise InvalidInput(_("The comment is longer than %(limit)s characters.",
                             limit=COMMENT_LIMIT))
    if not approve and not text:
        raise InvalidInput(_("Say why the step is rejected: the comment is required."))
    return text or None


def decide(user, request: Request, step_id: int, approve: bool, comment: str | None = None,
           expected_version: int | None = None) -> RequestApproval:
    """Approve or reject the request's current step (the caller commits)."""
    if expected_version is not None and int(expected_version) != request.version:
        raise Conflict()
    step = next((s for s in steps_of(request) if s.id == step_id), None)
    if step is None:
        raise NotFound(_("This approval step is not part of the request."))
    why = refusal(user, request, step)
    if why:
        raise Refused(why)
    text = _clean_comment(comment, approve)
    decision = RequestApproval(
        request_id=request.id, step_id=step.id, round=current_round(request),
        decision=DECISION_APPROVED if approve else DECISION_REJECTED,
        actor_id=user.id, comment=text, created_at=utcnow())
    db.session.add(decision)
    request.updated_at = utcnow()  # the version goes up: a concurrent decision conflicts
    db.session.flush()
    record("approval_decided", user, request, step=step.title, step_id=step.id,
           decision=decision.decision, round=decision.round, comment=text)
    _announce_decision(request, step, decision, user)
    return decision


def _announce_decision(request: Request, step: ApprovalStep, decision, user) -> None:
    # app.notifications → app.mail → app.jobs → app.periodic → app.workflow → here
    # deferred: that import cycle
    from app.notifications import announce

    if decision.decision == DECISION_REJECTED:
        announce("approval_rejected", request, user, step=step, by=user.get_full_name(),
                 comment=decision.comment)
        return
    following = current_step(request)
    if following is not None:
        announce("approval_needed", request, user, step=following)
    else:
        announce("approvals_done", request, user)


def announce_on_review(request: Request, change: StatusChange, user) -> None:
    """Work submitted for review: the approvers of the first pending step hear of it."""
    if change.to_status != Status.ON_REVIEW:
        return
    step = current_step(request)
    if step is not None:
        # deferred: the import cycle of _announce_decision
        from app.notifications import announce

        announce("approval_needed", request, user, step=step)


def approvers(request: Request, step: ApprovalStep) -> list:
    """Active users holding the step's role who see the request."""
    users = db.session.query(User).join(User.roles).filter(
        Role.name == step.role_name, User.active.is_(True)).order_by(User.id)
    return [u for u in users if can_see_request(u, request)]


@dataclass(frozen=True)
class Entry:
    """One decision as the request's history shows it."""

    created_at: object
    title: str
    decision: str
    label: str
    actor_name: str
    comment: str | None
    round: int


def _entry(decision: RequestApproval) -> Entry:
    actor = decision.actor.get_full_name() if decision.actor is not None else "—"
    return Entry(decision.created_at, step_title(decision.step), decision.decision,
                 str(DECISION_LABELS.get(decision.decision, decision.decision)), actor,
                 decision.comment, decision.round)


@dataclass(frozen=True)
class Board:
    """The desk's "Approvals" block for one reader: steps, states, the history, the form."""

    round: int
    steps: list[StepState]
    current: ApprovalStep | None
    can_decide: bool
    history: list[Entry]
    waiting: str | None = None  # what the next move of the request waits for, if anything

    @property
    def several_services(self) -> bool:
        """Steps of more than one service: each step says its service."""
        return len({s.step.service_id for s in self.steps}) > 1

    def __bool__(self) -> bool:
        return bool(self.steps or self.history)


def board(request: Request, user, history=None) -> Board:
    """What the desk shows of the request's approvals to `user` (staff only); the approvals
    are read once (`history`: the request's status changes when loaded already)."""
    known = approvals_of(request, history)
    current, steps = known.current, known.states
    if request.status in PAST_APPROVALS:  # steps added later were never asked of it
        steps = [s for s in steps if s.decision is not None]
    return Board(round=known.round, steps=steps, current=current,
                 can_decide=current is not None and can_decide(user, request, current, known),
                 history=[_entry(d) for d in known.decisions],
                 waiting=_waiting(request, known))


def _waiting(request: Request, known: Approvals) -> str | None:
    """The refusal the request's next gated move would get now (None: nothing waits)."""
    action = {Status.ON_REVIEW: Action.ACCEPT, Status.READY: Action.DELIVER}.get(request.status)
    try:
        check_gate(request, action, known)
    except ApprovalPending as pending:
        return str(pending)
    return None
