"""Cabinet dashboard: counts by partner-facing status, what needs the partner first."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import contains_eager

from app.access import request_scope
from app.extensions import db
from app.pg_connections import plan_for_values
from app.request_rules import WAITING_FOR_PARTNER
from cabinet import bp
from cabinet.access import partner_required
from app.status_labels import partner_label
from models.request_status import PARTNER_GROUP_OF, PARTNER_GROUPS, Status
from models.notifications import Notification
from models.requests import Message, Request


LATEST = 5  # messages the dashboard shows
FIRST_ROUND = 20  # requests read in the first round (most dashboards need no second)


def latest_messages(user, limit: int = LATEST) -> list[Message]:
    """The newest messages others wrote in threads of the user's requests, newest first.

    Walks the user's requests by their latest public message (Request.last_public_message_id,
    an index) instead of every message of every request: the first `rounds` requests give
    the answer as soon as the `limit`-th message found is newer than the latest public
    message of the first request not read; otherwise more requests are read."""
    size = FIRST_ROUND
    while True:
        heads = db.session.query(Request.id, Request.last_public_message_id).filter(
            request_scope(user), Request.last_public_message_id.is_not(None)) \
            .order_by(Request.last_public_message_id.desc()).limit(size + 1).all()
        read, rest = heads[:size], heads[size:]
        found = db.session.query(Message).join(Request, Message.request_id == Request.id) \
            .options(contains_eager(Message.request)) \
            .filter(Message.request_id.in_([rid for rid, _last in read]),
                    Message.is_internal.is_(False), Message.author_id != user.id) \
            .order_by(Message.id.desc()).limit(limit).all() if read else []
        if not rest or (len(found) == limit and found[-1].id > rest[0][1]):
            return found
        size *= 4


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
