"""Request statuses, partner-facing labels and the transition table (data, no logic)."""

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


@dataclass(frozen=True)
class Move:
    """One allowed status move: action name, source statuses, target, who may make it."""

    action: str
    sources: tuple[Status, ...]
    target: Status
    actors: tuple[Actor, ...]
    comment_required: bool = False


S, A = Status, Actor
MOVES: tuple[Move, ...] = (
    Move("submit", (S.DRAFT,), S.SUBMITTED, (A.PARTNER,)),
    Move("cancel", (S.SUBMITTED,), S.CANCELLED, (A.PARTNER,)),
    Move("cancel", (S.SUBMITTED, S.ASSIGNED, S.NEEDS_INFO), S.CANCELLED, (A.MANAGER,),
         comment_required=True),
    Move("assign", (S.SUBMITTED,), S.ASSIGNED, (A.SUPERMANAGER,)),
    Move("ask_info", (S.ASSIGNED,), S.NEEDS_INFO, (A.MANAGER,), comment_required=True),
    Move("answer", (S.NEEDS_INFO,), S.ASSIGNED, (A.PARTNER,)),
    Move("schedule", (S.ASSIGNED,), S.SCHEDULED, (A.MANAGER,)),
    Move("reschedule", (S.SCHEDULED,), S.SCHEDULED, (A.MANAGER,)),
    Move("start", (S.SCHEDULED,), S.IN_PROGRESS, (A.ENGINEER,)),
    Move("submit_review", (S.IN_PROGRESS, S.REWORK), S.ON_REVIEW, (A.ENGINEER,)),
    Move("accept", (S.ON_REVIEW,), S.READY, (A.MANAGER,)),
    Move("return", (S.ON_REVIEW,), S.REWORK, (A.MANAGER,), comment_required=True),
    Move("deliver", (S.READY,), S.DELIVERED, (A.MANAGER,)),
    Move("close", (S.DELIVERED,), S.CLOSED, (A.PARTNER, A.MANAGER, A.SYSTEM)),
)
del S, A

ACTION_LABELS = {
    "submit": _l("Submit"),
    "cancel": _l("Cancel request"),
    "assign": _l("Assign manager"),
    "ask_info": _l("Ask partner for data"),
    "answer": _l("Send answer"),
    "schedule": _l("Schedule engineer"),
    "reschedule": _l("Reschedule"),
    "start": _l("Start work"),
    "submit_review": _l("Submit for review"),
    "accept": _l("Accept work"),
    "return": _l("Return for rework"),
    "deliver": _l("Deliver documents"),
    "close": _l("Close request"),
}
