"""Supermanager: the new-requests queue beside each manager's load; assign or auto-distribute."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from sqlalchemy.orm import selectinload
from wtforms import ValidationError

from app.distribution import active_managers, auto_distribute, manager_loads
from app.extensions import db
from app.input_guard import bounded_int, form_int
from app.workflow import WorkflowError, assign_manager
from models.request_status import Status
from models.requests import Request


class DistributionView(BaseView):
    route_base = "/distribution"
    default_view = "index"
    base_permissions = ["can_index", "can_assign", "can_auto"]

    @expose("/")
    @has_access
    def index(self):
        queue = db.session.query(Request).filter(Request.status == Status.SUBMITTED) \
            .options(selectinload(Request.company), selectinload(Request.lines)) \
            .order_by(Request.submitted_at, Request.id).limit(200).all()
        return self.render_template("desk/distribution.html", queue=queue,
                                    loads=manager_loads())

    def _checked_csrf(self) -> bool:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            flash(_("The form expired. Reload the page."), "danger")
            return False
        return True

    @expose("/assign", methods=["POST"])
    @has_access
    def assign(self):
        """Assign the ticked requests to one manager, each through the workflow."""
        if not self._checked_csrf():
            return redirect(url_for("DistributionView.index"))
        manager = db.session.get(User, form_int("manager_id", default=0))
        if manager is None or manager not in active_managers():
            flash(_("Choose a manager."), "danger")
            return redirect(url_for("DistributionView.index"))
        ids = [i for x in request.form.getlist("request_id") if (i := bounded_int(x))]
        done, failed = 0, []
        for req in db.session.query(Request).filter(Request.id.in_(ids)).all():
            try:
                assign_manager(req, manager, g.user)  # re-checks role and status itself
                db.session.commit()
                done += 1
            except WorkflowError as exc:
                db.session.rollback()
                failed.append(f"{req.number}: {exc}")
        self._report(done, failed)
        return redirect(url_for("DistributionView.index"))

    @expose("/auto", methods=["POST"])
    @has_access
    def auto(self):
        """Give every waiting request to the least-loaded active manager."""
        if not self._checked_csrf():
            return redirect(url_for("DistributionView.index"))
        queue = db.session.query(Request).filter(Request.status == Status.SUBMITTED).all()
        try:
            done = auto_distribute(queue, g.user)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("DistributionView.index"))
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
