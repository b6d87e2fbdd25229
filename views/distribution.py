"""Supermanager: the new-requests queue beside each manager's load; assign or auto-distribute."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _

from app.distribution import (active_managers, auto_distribute, forget_loads, manager_loads,
                              queue_rows)
from app.errors import DomainError
from app.extensions import db
from app.input_guard import bounded_int, form_int
from app.uow import unit_of_work
from app.workflow import assign_manager
from models.request_status import Status
from models.requests import Request
from views.actions import run_use_case


class DistributionView(BaseView):
    route_base = "/distribution"
    default_view = "index"
    base_permissions = ["can_index", "can_assign", "can_auto"]

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("desk/distribution.html", queue=queue_rows(),
                                    loads=manager_loads(cached=True))

    @expose("/assign", methods=["POST"])
    @has_access
    def assign(self):
        """Assign the ticked requests to one manager, each in its own unit of work (one
        refusal does not undo the others); the workflow re-checks role and status."""
        manager = db.session.get(User, form_int("manager_id", default=0))
        if manager is None or manager not in active_managers():
            flash(_("Choose a manager."), "danger")
            return redirect(url_for("DistributionView.index"))
        ids = [i for x in request.form.getlist("request_id") if (i := bounded_int(x))]
        if not ids:
            flash(_("Tick the requests to assign first."), "warning")
            return redirect(url_for("DistributionView.index"))
        done, failed = 0, []
        for req in db.session.query(Request).filter(Request.id.in_(ids)).all():
            number = req.number
            try:
                with unit_of_work():
                    assign_manager(req, manager, g.user)
                done += 1
            except DomainError as error:  # a Conflict too: someone changed it meanwhile
                failed.append(f"{number}: {error}")
        forget_loads()
        self._report(done, failed)
        return redirect(url_for("DistributionView.index"))

    @expose("/auto", methods=["POST"])
    @has_access
    def auto(self):
        """Give every waiting request to the least-loaded active manager."""
        queue = db.session.query(Request).filter(Request.status == Status.SUBMITTED).all()
        done = []
        if not run_use_case(lambda: done.extend(auto_distribute(queue, g.user))):
            return redirect(url_for("DistributionView.index"))
        forget_loads()
        if not active_managers():
            flash(_("There is no active manager."), "warning")
        self._report(len(done), [])
        return redirect(url_for("DistributionView.index"))

    @staticmethod
    def _report(done: int, failed: list[str]) -> None:
        if done:
            flash(_("Assigned: %(n)s.", n=done), "success")
        for line in failed:
            flash(line, "danger")
        if not done and not failed:
            flash(_("Nothing to assign."), "info")
