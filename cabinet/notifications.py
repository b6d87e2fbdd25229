"""The bell: notification list, mark one or all read (app.notifications)."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from app.access import own_notifications
from app.input_guard import arg_int
from app.notifications import mark_all_read, mark_read
from app.uow import unit_of_work
from cabinet import bp
from cabinet.access import login_required
from models.notifications import Notification

PAGE_SIZE = 30


@bp.route("/notifications")
@login_required
def notifications():
    """Newest first, keyset paging by id."""
    query = own_notifications(current_user)
    if (after := arg_int("after")):
        query = query.filter(Notification.id < after)
    rows = query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1).all()
    older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return render_template("cabinet/notifications.html", rows=rows[:PAGE_SIZE], older=older)


@bp.route("/notifications/<int:note_id>/read", methods=["POST"])
@login_required
def notification_read(note_id: int):
    with unit_of_work():
        request_id = mark_read(current_user, note_id).request_id
    if request_id and request.form.get("open"):
        return redirect(url_for("cabinet.request_detail", request_id=request_id))
    return redirect(url_for("cabinet.notifications"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def notifications_read_all():
    with unit_of_work():
        mark_all_read(current_user)
    return redirect(url_for("cabinet.notifications"))
