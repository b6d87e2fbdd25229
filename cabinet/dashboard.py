"""Cabinet dashboard: counts by partner-facing status, what needs the partner first."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import Integer, cast, func, null, select, union_all
from sqlalchemy.orm import contains_eager

from app.access import partner_scope, request_scope
from app.extensions import db
from app.pg_connections import plan_for_values
from app.request_rules import WAITING_FOR_PARTNER
from cabinet import bp
from cabinet.access import partner_required
from app.status_labels import partner_label
from models.request_status import PARTNER_GROUP_OF, PARTNER_GROUPS, Status
from models.notifications import Notification
from models.requests import Message, Request, RequestThread


LATEST = 5  # messages the dashboard shows
FIRST_ROUND = 20  # requests read in the first round (most dashboards need no second)
GROWTH = 8  # each further round reads this many times more (a partner often writes last)


def _thread_scope(user) -> list:
    """The partner's rule (app.access) on the threads' copied company and author, for their
    index, walked newest first; the request's own scope is applied to the joined request
    too, so a copy that ever differed would hide a thread, never show another's. (Written
    as a join on the copies, the planner took the three equalities for independent, expected
    a few hundred threads of a 200 000-request company and read them in parallel: 25 ms.)"""
    rule = partner_scope(user, RequestThread)
    return [] if rule is None else [rule]


def _round(user, size: int, limit: int):
    """One round in one statement: the ids of the newest `limit` messages others wrote in the
    user's `size` requests of the latest public messages, newest first, and the latest public
    message of the next request (None: no more requests)."""
    last = RequestThread.last_public_message_id
    ranked = select(RequestThread.request_id.label("id"), last.label("last"),
                    func.row_number().over(order_by=last.desc()).label("n")) \
        .join(Request, Request.id == RequestThread.request_id) \
        .where(request_scope(user), *_thread_scope(user)) \
        .order_by(last.desc()).limit(size + 1).cte("heads")
    newest = select(Message.id.label("message_id"), cast(null(), Integer).label("next_last")) \
        .where(Message.request_id.in_(select(ranked.c.id).where(ranked.c.n <= size)),
               Message.is_internal.is_(False), Message.author_id != user.id) \
        .order_by(Message.id.desc()).limit(limit).subquery()
    rows = db.session.execute(union_all(
        select(newest.c.message_id, newest.c.next_last),
        select(cast(null(), Integer), ranked.c.last).where(ranked.c.n == size + 1))).all()
    found = sorted((m for m, _next in rows if m is not None), reverse=True)
    return found, next((last for m, last in rows if m is None), None)


def latest_messages(user, limit: int = LATEST) -> list[Message]:
    """The newest messages others wrote in threads of the user's requests, newest first.

    Walks the user's requests by their latest public message (RequestThread, an index)
    instead of every message of every request: a round reads the first `size`
    requests and is the answer as soon as the `limit`-th message found is newer than the
    latest public message of the first request not read (no request further on can hold a
    newer one); otherwise the next round reads GROWTH times more. One statement a round and
    one for the messages found: a partner who wrote last in his 100 latest threads costs
    three, not a round-trip pair per round."""
    size = FIRST_ROUND
    while True:
        found, next_last = _round(user, size, limit)
        if next_last is None or (len(found) == limit and found[-1] > next_last):
            break
        size *= GROWTH
    if not found:
        return []
    return db.session.query(Message).join(Request, Message.request_id == Request.id) \
        .options(contains_eager(Message.request)).filter(Message.id.in_(found)) \
        .order_by(Message.id.desc()).all()


@bp.route("/")
@partner_required
def dashboard():
    """Partner home page."""
    # a company's size decides the count's plan (200 000 requests: a parallel scan; a small
    # company: a plain one); one plan kept for every company read the big one's ~1.5× slower
    plan_for_values()
    rows = db.session.query(Request.status, func.count()) \
        .filter(request_scope(current_user)).group_by(Request.status).all()
    groups = {key: 0 for key in PARTNER_GROUPS}
    for status, count in rows:
        groups[PARTNER_GROUP_OF[Status(status)]] += count
    tiles = [(key, partner_label(key), groups[key]) for key in PARTNER_GROUPS]
    attention = db.session.query(Request).filter(
        request_scope(current_user), Request.status.in_(WAITING_FOR_PARTNER)
    ).order_by(Request.status_changed_at).limit(10).all()
    messages = latest_messages(current_user)
    notes = db.session.query(Notification).filter_by(user_id=current_user.id, is_read=False) \
        .order_by(Notification.id.desc()).limit(5).all()
    return render_template("cabinet/dashboard.html", tiles=tiles, attention=attention,
                           messages=messages, notes=notes)
