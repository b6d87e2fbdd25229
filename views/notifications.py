"""Staff notification centre: the list behind the bell, filter by kind, mark read, open."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from app.access import get_request_or_404, own_notifications
from app.input_guard import arg_int
from app.notifications import KINDS, kind_label, kinds_for, mark_all_read, mark_read
from app.uow import unit_of_work
from models.notifications import Notification
from views.actions import run_use_case

PAGE_SIZE = 30


def _kind_arg(value: str | None) -> str | None:
    """A known kind or nothing (anything else is ignored, never an error)."""
    return value if value in KINDS else None


class StaffNotificationView(BaseView):
    route_base = "/notifications"
    default_view = "index"
    base_permissions = ["can_index", "can_open", "can_read", "can_read_all"]

    @expose("/")
    @has_access
    def index(self):
        """Newest first, keyset paging by id, optionally one kind."""
        kind = _kind_arg(request.args.get("kind"))
        query = own_notifications(g.user)
        if kind:
            query = query.filter(Notification.kind == kind)
        unread = query.filter(Notification.is_read.is_(False)).count()
        if (after := arg_int("after")):
            query = query.filter(Notification.id < after)
        rows = query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1).all()
        older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
        present = {k for (k,) in own_notifications(g.user).with_entities(
            Notification.kind).distinct()}
        kinds = [k for k in KINDS if k in present or k in kinds_for(g.user)]
        return self.render_template(
            "desk/notifications.html", rows=rows[:PAGE_SIZE], older=older, kind=kind,
            kinds=[(k, kind_label(k)) for k in kinds], unread=unread, labels=kind_label)

    @expose("/<int:note_id>/open", methods=["POST"])
    @has_access
    def open(self, note_id: int):
        """Mark the notification read and go to its page (the request's desk page)."""
        with unit_of_work():
            note = mark_read(g.user, note_id)
            request_id, kind = note.request_id, note.kind
        if request_id:
            try:
                get_request_or_404(g.user, request_id)
            except NotFound:
                flash(_("This request is no longer in your work."), "info")
                return redirect(self._back())
            return redirect(url_for("DeskView.show", pk=request_id))
        if kind == "application":
            return redirect(url_for("PartnerApplicationView.list"))
        return redirect(self._back())

    @expose("/<int:note_id>/read", methods=["POST"])
    @has_access
    def read(self, note_id: int):
        with unit_of_work():
            mark_read(g.user, note_id)
        return redirect(self._back())

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self):
        kind = _kind_arg(request.form.get("kind"))
        run_use_case(lambda: mark_all_read(g.user, kind), _("All marked read."), once=True)
        return redirect(self._back())

    @staticmethod
    def _back() -> str:
        kind = _kind_arg(request.form.get("kind"))
        return url_for("StaffNotificationView.index", **({"kind": kind} if kind else {}))
