"""Request statuses, partner-facing labels and the transition table (data, and the allow-lists
derived from it)."""

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    NEEDS_INFO = "needs_info"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    ON_REVIEW = "on_review"
    REWORK = "rework"
    READY = "ready"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Actor(StrEnum):
    """Who may make a move: resolved per user and request in app.workflow."""

    PARTNER = "partner"  # partner who owns the request (author, or company owner)
    MANAGER = "manager"  # the assigned manager, or any supermanager
    SUPERMANAGER = "supermanager"
    ENGINEER = "engineer"  # the engineer scheduled on the request
    SYSTEM = "system"  # scheduled jobs (auto-close)
    # the staff member who filed the request on the partner's behalf (request.filed_by_id):
    # submits the draft they filed and, if a manager, takes it (assigns it to themselves)
    FILER = "filer"


STAFF_LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.SUBMITTED: _l("Submitted"),
    Status.ASSIGNED: _l("Assigned"),
    Status.NEEDS_INFO: _l("Needs info"),
    Status.SCHEDULED: _l("Scheduled"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.ON_REVIEW: _l("On review"),
    Status.REWORK: _l("Rework"),
    Status.READY: _l("Ready"),
    Status.DELIVERED: _l("Delivered"),
    Status.CLOSED: _l("Closed"),
    Status.CANCELLED: _l("Cancelled"),
}

# partner-facing groups: several internal statuses share one friendly label
PARTNER_GROUPS = {
    "draft": (_l("Draft"), (Status.DRAFT,)),
    "accepted": (_l("Accepted"), (Status.SUBMITTED,)),
    "processing": (_l("Processing"), (Status.ASSIGNED,)),
    "action_required": (_l("Data needed"), (Status.NEEDS_INFO,)),
    "in_work": (_l("In work"), (Status.SCHEDULED, Status.IN_PROGRESS, Status.ON_REVIEW,
                                Status.REWORK)),
    "ready": (_l("Ready"), (Status.READY,)),
    "completed": (_l("Completed"), (Status.DELIVERED,)),
    "closed": (_l("Closed"), (Status.CLOSED,)),
    "cancelled": (_l("Cancelled"), (Status.CANCELLED,)),
}
PARTNER_GROUP_OF = {s: key for key, (_, statuses) in PARTNER_GROUPS.items() for s in statuses}

OPEN_STATUSES = tuple(s for s in Status if s not in (Status.DRAFT, Status.CLOSED,
                                                      Status.CANCELLED))
TERMINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)


class Action(StrEnum):
    """The moves of the transition table; nothing outside it spells an action by hand."""

    SUBMIT = "submit"
    CANCEL = "cancel"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    ASK_INFO = "ask_info"
    ANSWER = "answer"
    SCHEDULE = "schedule"
    RESCHEDULE = "reschedule"
    START = "start"
    SUBMIT_REVIEW = "submit_review"
    ACCEPT = "accept"
    RETURN = "return"
    DELIVER = "deliver"
    CLOSE = "close"


@dataclass(frozen=True)
class Move:
    """One allowed status move: action, source statuses, target, who may make it.

    `form`: made through its own form (manager choice, engineer booking, the partner's answer
    with files), never by a bare move button. `once`: the page's form token is required, so a
    second post of the same page is refused (the move has effects outside the status).
    """

    action: Action
    sources: tuple[Status, ...]
    target: Status
    actors: tuple[Actor, ...]
    comment_required: bool = False
    form: bool = False
    once: bool = False


S, A, M = Status, Actor, Action
# a supermanager hands a request to another manager without changing its status
REASSIGNABLE = tuple(s for s in OPEN_STATUSES if s != S.SUBMITTED)
MOVES: tuple[Move, ...] = (
    Move(M.SUBMIT, (S.DRAFT,), S.SUBMITTED, (A.PARTNER, A.FILER)),
    Move(M.CANCEL, (S.SUBMITTED,), S.CANCELLED, (A.PARTNER,)),
    Move(M.CANCEL, (S.SUBMITTED, S.ASSIGNED, S.NEEDS_INFO), S.CANCELLED, (A.MANAGER,),
         comment_required=True),
    Move(M.ASSIGN, (S.SUBMITTED,), S.ASSIGNED, (A.SUPERMANAGER, A.FILER), form=True),
    *(Move(M.REASSIGN, (s,), s, (A.SUPERMANAGER,), form=True) for s in REASSIGNABLE),
    Move(M.ASK_INFO, (S.ASSIGNED,), S.NEEDS_INFO, (A.MANAGER,), comment_required=True),
    Move(M.ANSWER, (S.NEEDS_INFO,), S.ASSIGNED, (A.PARTNER,), form=True),
    Move(M.SCHEDULE, (S.ASSIGNED,), S.SCHEDULED, (A.MANAGER,), form=True),
    Move(M.RESCHEDULE, (S.SCHEDULED,), S.SCHEDULED, (A.MANAGER,), form=True),
    Move(M.START, (S.SCHEDULED,), S.IN_PROGRESS, (A.ENGINEER,)),
    Move(M.SUBMIT_REVIEW, (S.IN_PROGRESS, S.REWORK), S.ON_REVIEW, (A.ENGINEER,)),
    Move(M.ACCEPT, (S.ON_REVIEW,), S.READY, (A.MANAGER,)),
    Move(M.RETURN, (S.ON_REVIEW,), S.REWORK, (A.MANAGER,), comment_required=True),
    Move(M.DELIVER, (S.READY,), S.DELIVERED, (A.MANAGER,), once=True),
    Move(M.CLOSE, (S.DELIVERED,), S.CLOSED, (A.PARTNER, A.MANAGER, A.SYSTEM)),
)
del S, A, M

STAFF_ACTORS = (Actor.MANAGER, Actor.SUPERMANAGER, Actor.ENGINEER)


def button_actions(actors) -> frozenset[Action]:
    """Actions some of `actors` make with a plain move button (not through their own form)."""
    return frozenset(m.action for m in MOVES if not m.form and set(m.actors) & set(actors))


PARTNER_BUTTONS = button_actions((Actor.PARTNER,))  # the cabinet's move route
STAFF_BUTTONS = button_actions(STAFF_ACTORS)  # the desk's move route
ONCE_ONLY = frozenset(m.action for m in MOVES if m.once)

ACTION_LABELS = {
    Action.SUBMIT: _l("Submit"),
    Action.CANCEL: _l("Cancel request"),
    Action.ASSIGN: _l("Assign manager"),
    Action.REASSIGN: _l("Reassign"),
    Action.ASK_INFO: _l("Ask partner for data"),
    Action.ANSWER: _l("Send answer"),
    Action.SCHEDULE: _l("Schedule engineer"),
    Action.RESCHEDULE: _l("Reschedule"),
    Action.START: _l("Start work"),
    Action.SUBMIT_REVIEW: _l("Submit for review"),
    Action.ACCEPT: _l("Accept work"),
    Action.RETURN: _l("Return for rework"),
    Action.DELIVER: _l("Deliver documents"),
    Action.CLOSE: _l("Close request"),
}
