"""The bell: notification list, mark one or all read."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.input_guard import arg_int
from cabinet import bp
from cabinet.access import login_required
from models.notifications import Notification

PAGE_SIZE = 30


def own_notifications():
    return db.session.query(Notification).filter(Notification.user_id == current_user.id)


@bp.route("/notifications")
@login_required
def notifications():
    """Newest first, keyset paging by id."""
    query = own_notifications()
    if (after := arg_int("after")):
        query = query.filter(Notification.id < after)
    rows = query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1).all()
    older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return render_template("cabinet/notifications.html", rows=rows[:PAGE_SIZE], older=older)


@bp.route("/notifications/<int:note_id>/read", methods=["POST"])
@login_required
def notification_read(note_id: int):
    note = own_notifications().filter(Notification.id == note_id).one_or_none()
    if note is None:
        abort(404)
    note.is_read = True
    db.session.commit()
    if note.request_id and request.form.get("open"):
        return redirect(url_for("cabinet.request_detail", request_id=note.request_id))
    return redirect(url_for("cabinet.notifications"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def notifications_read_all():
    own_notifications().filter(Notification.is_read.is_(False)) \
        .update({Notification.is_read: True}, synchronize_session=False)
    db.session.commit()
    return redirect(url_for("cabinet.notifications"))
