"""What the staff desk shows: work lists ordered by need of action, request page data."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import and_, case, func, literal, literal_column, not_, select, union_all
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.access import request_scope
from app.request_conversation import staff_may_download
from app.request_records import RequestRecords
from app.permissions import ENGINEER, MANAGER, role_names
from app.pg_connections import plan_for_values
from app.request_filters import (RequestFilters, apply_filters, by_keys, client_clause,
                                 many_matches, text_clause)
from app.sla import overdue_by_status
from app.thread import thread_of
from app.visibility import reads_partner_words, visible_history
from models.base import utcnow
from models.request_status import OPEN_STATUSES, Action, Status
from models.requests import Request, StatusChange

S = Status
MANAGER_PRIORITY = {S.ON_REVIEW: 0, S.ASSIGNED: 1, S.READY: 2, S.SUBMITTED: 3, S.REWORK: 5,
                    S.NEEDS_INFO: 6, S.SCHEDULED: 7, S.IN_PROGRESS: 8, S.DELIVERED: 9}
ENGINEER_PRIORITY = {S.REWORK: 0, S.SCHEDULED: 1, S.IN_PROGRESS: 2, S.ON_REVIEW: 5}
del S
LIST_LIMIT = 50  # rows a page of the desk shows (200 rows: ~50 ms of rendering at 1M)
# a text search's open matches sorted whole up to this many (read by the open requests'
# trigram indexes, ~30 ms for 3 000 at 1M); more are found walking each range in order
FEW_MATCHES = 5_000




def work_list(user, status: str | None = None, text: str | None = None,
              filters: RequestFilters | None = None, page: int = 0):
    """Open requests in the user's scope; overdue first, then by what needs action.

    Returns (rows of the page, overdue ids, answered ids, whether a next page exists)."""
    roles = role_names(user)
    priority = ENGINEER_PRIORITY if ENGINEER in roles and MANAGER not in roles \
        else MANAGER_PRIORITY
    # each range of _ordered_page names its open status: the list of them is only for the
    # matches of a search (a list in each of ~17 ranges cost ~40 % of the statement's
    # planning at 1M: partial indexes' conditions proved against it in each)
    query = db.session.query(Request).filter(request_scope(user))
    if status:
        query = query.filter(Request.status == status)
    # a client's name is searched like the text: by a trigram index, the matches first
    client = filters.client if filters is not None else ""
    if client:
        plan_for_values()  # the open requests' client index is partial (ix_request_open_end_client)
    if filters is not None:
        query = apply_filters(query, replace(filters, client=""))
    overdue = overdue_by_status(utcnow())
    in_text = text_clause(text, user)  # number, title or a field value the user may see
    searched = [found for found in (in_text, client_clause(client) if client else None)
                if found is not None]
    if not searched:
        found = _ordered_page(query, overdue, priority, status, page)
    else:
        # the matches found once by the trigram indexes; when few, those rows are sorted
        # whole (one range per status would rerun the scans in each of ~18 ranges)
        late, rank = _late_and_rank(overdue, priority)
        matches = query.filter(Request.status.in_(OPEN_STATUSES), *searched) \
            .with_entities(late, rank, Request.status_changed_at, Request.id) \
            .order_by(None).limit(FEW_MATCHES + 1).all()
        if len(matches) <= FEW_MATCHES:
            found = _sorted_page(matches, page)
        else:  # a common word or name: each range walked in its order, each row checked
            walked = query
            if in_text is not None:
                walked = walked.filter(text_clause(text, user, indexed=False))
            if client:
                with many_matches():
                    walked = walked.filter(client_clause(client))
            found = _ordered_page(walked, overdue, priority, status, page)
    more, found = len(found) > LIST_LIMIT, found[:LIST_LIMIT]
    rows = [row for row, _late in found]
    overdue_ids = {row.id for row, late in found if late == 0}
    return rows, overdue_ids, answered_ids([r.id for r in rows]), more


# a range's and the page's keys, in the page's order: (0 if overdue else 1, the status's
# rank, status_changed_at, id)
KEY_COLUMNS = tuple(literal_column(name) for name in ("late", "rank", "since", "id"))


def _ordered_page(query, overdue: dict, priority: dict, status: str | None, page: int) -> list:
    """The page (LIST_LIMIT + 1 rows) of `query` ordered overdue first, then by the status's
    priority, then oldest first (status_changed_at, id), as (request, 0 if overdue else 1).

    Within one status and one side of "overdue" that order is the index's order
    (ix_request_status_changed, ix_request_manager_status_changed), so each (status,
    overdue or not) contributes at most the rows up to the page's end from one index range,
    and only those few are sorted: the same order as sorting every open request in scope,
    which at a million requests was ~60 000 rows a supermanager's page (~280 ms).
    `overdue`: app.sla.overdue_by_status; a status with no threshold is one range, not two,
    and each range carries only its own status's thresholds (~1 ms of planning each)."""
    wanted = (page + 1) * LIST_LIMIT + 1
    parts = []
    for each in [s for s in OPEN_STATUSES if not status or s.value == status]:
        rank = priority.get(each, 9)
        late = overdue.get(each)
        for side in (0, 1) if late is not None else (1,):
            ranged = query.filter(Request.status == each)
            if late is not None:  # the condition itself (never NULL: status_changed_at is
                # NOT NULL), which the planner estimates from the column's statistics
                ranged = ranged.filter(late if side == 0 else not_(late))
            ranged = ranged.with_entities(
                Request.id.label("id"), literal(side).label("late"),
                literal(rank).label("rank"), Request.status_changed_at.label("since")) \
                .order_by(Request.status_changed_at, Request.id).limit(wanted).subquery()
            # each range in a subquery of its own (SQLite: no ORDER BY / LIMIT in a UNION's
            # parts), its columns named, not taken from the subquery: working out the
            # columns of ~18 ORM subqueries for the union was ~15 % of the desk's time
            parts.append(select(*KEY_COLUMNS).select_from(ranged))
    if not parts:  # a status that is not open: nothing
        return []
    merged = union_all(*parts).subquery()
    # the page's keys first (index-only rows), then only its rows read with their people
    keys = select(*KEY_COLUMNS).select_from(merged).order_by(*KEY_COLUMNS) \
        .offset(page * LIST_LIMIT).limit(LIST_LIMIT + 1).subquery()
    return db.session.query(Request, keys.c.late).join(keys, keys.c.id == Request.id) \
        .options(joinedload(Request.manager), joinedload(Request.engineer)) \
        .order_by(keys.c.late, keys.c.rank, keys.c.since, keys.c.id).all()


def _late_and_rank(overdue: dict, priority: dict):
    """SQL: a request's place in _ordered_page's order before its time: 0 when overdue
    (else 1), then the rank of its status (`priority`, else 9)."""
    late = case(*[(and_(Request.status == each, condition), 0)
                  for each, condition in overdue.items()], else_=1) if overdue else literal(1)
    rank = case({each.value: rank for each, rank in priority.items()}, value=Request.status,
                else_=9)
    return late.label("late"), rank.label("rank")


def _sorted_page(matches: list, page: int) -> list:
    """The page (LIST_LIMIT + 1 rows) of a text search's few matches in _ordered_page's
    order: `matches` are their (late, rank, status_changed_at, id), read with the matches
    themselves (the text index's rows are read from the table anyway), so they are sorted
    here and only the page's rows are read again, with their people. (Reading the sort keys
    again by id and sorting in SQL cost ~35 ms for ~3 000 matches at 1M.)"""
    chosen = sorted(matches, key=tuple)[page * LIST_LIMIT:(page + 1) * LIST_LIMIT + 1]
    rows = {row.id: row for row in by_keys(
        db.session.query(Request).options(joinedload(Request.manager),
                                          joinedload(Request.engineer)),
        Request.id, [match.id for match in chosen])}
    return [(rows[match.id], match.late) for match in chosen if match.id in rows]


def answered_ids(ids: list[int]) -> set[int]:
    """Requests whose latest move was the partner's answer to a data request."""
    if not ids:
        return set()
    last = db.session.query(func.max(StatusChange.id)).filter(
        StatusChange.request_id.in_(ids)).group_by(StatusChange.request_id)
    return {rid for (rid,) in db.session.query(StatusChange.request_id).filter(
        StatusChange.id.in_(last), StatusChange.action == Action.ANSWER)}


def page_data(req: Request, user, records: RequestRecords) -> dict:
    """The partner thread (app.thread), notes, files by kind and history for the page, from
    the request's rows loaded once (app.request_records).

    Partner-facing words (the thread with its files, partner and client contacts,
    partner-facing history comments) follow app.visibility: engineers never get them.
    """
    full = reads_partner_words(user)
    files = sorted((f for f in records.files if full or staff_may_download(user, f)),
                   key=lambda f: (f.kind, -f.version, f.id))  # personal documents hidden
    return {
        "thread": thread_of(req, records) if full else [],
        "notes": [m for m in records.messages if m.is_internal],
        "files": {kind: [f for f in files if f.kind == kind]
                  for kind in ("input", "work", "deliverable")},
        "history": visible_history(req, user, records),
        "show_contacts": full,
    }
