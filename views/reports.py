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
from app.timefmt import local_today
from app.typed_input import show_page_at
from models.exports import ExportTask
from reports.queries import default_period
from reports.registry import REPORTS


def _day(text: str, label: str) -> date:
    """A day of the period as the form sends it (YYYY-MM-DD); InvalidInput naming the field
    and what was typed ("2026-02-30": February has no 30th)."""
    if not text:
        raise InvalidInput(_("%(field)s: choose a day.", field=label))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("%(field)s: “%(text)s” is not a day of the calendar; enter it as "
                             "YYYY-MM-DD, e.g. %(example)s.", field=label, text=text[:20],
                             example=local_today().replace(day=1).isoformat())) from None


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
        report = REPORTS.get(request.form.get("report", ""))
        typed = [request.form.get(name, "").strip() for name in ("from", "to")]
        try:
            if report is None:
                raise InvalidInput(_("Choose a report."))
            start, end = (_day(text, label) for text, label in
                          zip(typed, (_("Start of the period"), _("End of the period"))))
        except InvalidInput as error:  # the form again with what was typed
            flash(str(error), "danger")
            return self._page(*typed, request.form.get("report"))
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
