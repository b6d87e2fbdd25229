"""Director's Excel reports and the export task pages (progress bar, owner-only download)."""

from __future__ import annotations

from datetime import date

from flask import flash, g, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.errors import InvalidInput
from app.exports import check_period, export_response, task_response
from app.extensions import db
from app.typed_input import show_page_at
from models.exports import ExportTask
from reports.queries import default_period
from reports.registry import REPORTS


class ReportsView(BaseView):
    route_base = "/reports"
    default_view = "index"
    base_permissions = ["can_index", "can_run", "can_task"]

    @expose("/")
    @has_access
    def index(self):
        return self._page(*default_period())

    def _page(self, start: date | str, end: date | str, chosen: str | None = None):
        """The form with this period and report (a refused one shows what was typed; a
        reload opens the form)."""
        show_page_at(url_for("ReportsView.index"))
        tasks = db.session.query(ExportTask).filter_by(user_id=g.user.id) \
            .order_by(ExportTask.id.desc()).limit(10).all()
        return self.render_template("desk/reports.html", reports=REPORTS, start=start, end=end,
                                    chosen=chosen, tasks=tasks)

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        try:
            report = REPORTS[request.form["report"]]
            start = date.fromisoformat(request.form["from"])
            end = date.fromisoformat(request.form["to"])
        except (KeyError, ValueError):  # the form again with what was typed
            flash(_("Choose a report and a period (YYYY-MM-DD)."), "danger")
            return self._page(request.form.get("from", ""), request.form.get("to", ""),
                              request.form.get("report"))
        try:
            check_period(start, end)
        except InvalidInput as error:  # the form again with the dates as typed
            flash(str(error), "danger")
            return self._page(start, end, report.key)
        params = {"key": report.key, "from": start.isoformat(), "to": end.isoformat()}
        file_name = f"{report.key}-{start.isoformat()}-{end.isoformat()}.xlsx"
        return export_response(g.user, "report", params, file_name, "ReportsView.task")

    @expose("/task/<int:task_id>")
    @expose("/task/<int:task_id>/<fmt>")
    @has_access
    def task(self, task_id: int, fmt: str | None = None):
        """Progress page; `json` for polling; `download` once ready (owner only)."""
        return task_response(task_id, g.user, fmt,
                             lambda **ctx: self.render_template("desk/export_task.html", **ctx))
