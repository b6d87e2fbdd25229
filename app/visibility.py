"""Partner-facing words: the one rule for who may read what a partner wrote or was told.

Engineers never talk to partners and never see partner contacts (PRODUCT.md). A status
change's comment is partner-facing when a partner may make that move (submit, cancel,
answer, close: the partner wrote it) or when the move needs a comment and changes what the
partner sees (ask_info, a manager's cancel: the comment is addressed to the partner). Both
sets come from the transition table, so a new move is classified when it is added there.
The request's object data, description and input files are the engineer's working data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.permissions import ENGINEER, is_partner, role_names
from models.request_status import MOVES, PARTNER_GROUP_OF, Actor
from models.requests import StatusChange

PARTNER_ACTIONS = frozenset(m.action for m in MOVES if Actor.PARTNER in m.actors)
PARTNER_ADDRESSED = frozenset(
    m.target for m in MOVES if m.comment_required and Actor.PARTNER not in m.actors
    and all(PARTNER_GROUP_OF[s] != PARTNER_GROUP_OF[m.target] for s in m.sources))


def reads_partner_words(user) -> bool:
    """False for engineers (unless they hold another staff role too); partners read their own."""
    roles = role_names(user)
    return not (ENGINEER in roles and not roles - {ENGINEER})


def is_partner_facing(change) -> bool:
    """A status-history comment written by the partner or addressed to the partner."""
    return change.action in PARTNER_ACTIONS or change.to_status in PARTNER_ADDRESSED


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a request's status history as a given reader may see it."""

    created_at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor_name: str
    comment: str | None


def visible_history(request, user, records=None) -> list[HistoryEntry]:
    """The request's status history; partner-facing comments and names hidden from engineers.

    `records`: the request's rows a page already loaded (app.request_records)."""
    full = reads_partner_words(user)
    changes = records.history if records is not None else \
        db.session.query(StatusChange).filter_by(request_id=request.id) \
        .options(selectinload(StatusChange.actor)).order_by(StatusChange.id).all()
    if not full:  # whether each actor is a partner: their roles, read at once
        _load_roles({change.actor_id for change in changes} - {None})
    return [_entry(change, full) for change in changes]


def _load_roles(user_ids: set[int]) -> None:
    """Load the roles of these (already loaded) users by one statement, not one each."""
    if user_ids:
        db.session.query(User).filter(User.id.in_(user_ids)) \
            .options(selectinload(User.roles)).all()


def _entry(change, full: bool) -> HistoryEntry:
    hidden = not full and is_partner_facing(change)
    if change.actor is None:
        name = _("system")
    elif not full and is_partner(change.actor):
        name = _("partner")
    else:
        name = change.actor.get_full_name()
    return HistoryEntry(change.created_at, change.action, change.from_status,
                        change.to_status, name, None if hidden else change.comment)
