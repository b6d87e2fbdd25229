"""Cabinet dashboard: counts by partner-facing status, what needs the partner first."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import func

from app.access import request_scope
from app.extensions import db
from app.request_rules import WAITING_FOR_PARTNER
from cabinet import bp
from cabinet.access import partner_required
from app.status_labels import partner_label
from models.request_status import PARTNER_GROUP_OF, PARTNER_GROUPS, Status
from models.notifications import Notification
from models.requests import Message, Request


@bp.route("/")
@partner_required
def dashboard():
    """Partner home page."""
    rows = db.session.query(Request.status, func.count(Request.id)) \
        .filter(request_scope(current_user)).group_by(Request.status).all()
    groups = {key: 0 for key in PARTNER_GROUPS}
    for status, count in rows:
        groups[PARTNER_GROUP_OF[Status(status)]] += count
    tiles = [(key, partner_label(key), groups[key]) for key in PARTNER_GROUPS]
    attention = db.session.query(Request).filter(
        request_scope(current_user), Request.status.in_(WAITING_FOR_PARTNER)
    ).order_by(Request.status_changed_at).limit(10).all()
    messages = db.session.query(Message).join(Request, Message.request_id == Request.id) \
        .filter(request_scope(current_user), Message.is_internal.is_(False),
                Message.author_id != current_user.id) \
        .order_by(Message.id.desc()).limit(5).all()
    notes = db.session.query(Notification).filter_by(user_id=current_user.id, is_read=False) \
        .order_by(Notification.id.desc()).limit(5).all()
    return render_template("cabinet/dashboard.html", tiles=tiles, attention=attention,
                           messages=messages, notes=notes)
