"""Director's dashboard: charts (Chart.js, vendored) over a chosen period."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import flash, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.status_labels import staff_label
from app.timefmt import format_day
from models.request_status import Status
from reports import queries
from reports.dashboard import figures_for


# the charts count days, weeks and months: a period of centuries (or year 1) is a typo
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def period_from_args() -> tuple[date, date]:
    start, end = queries.default_period()
    try:
        if request.args.get("from"):
            start = date.fromisoformat(request.args["from"])
        if request.args.get("to"):
            end = date.fromisoformat(request.args["to"])
    except ValueError:
        flash(_("Dates are written as YYYY-MM-DD; the last 90 days are shown."), "warning")
        return queries.default_period()
    if not all(EARLIEST <= day <= LATEST for day in (start, end)):
        flash(_("Choose dates between %(first)s and %(last)s; the last 90 days are shown.",
                first=EARLIEST.isoformat(), last=LATEST.isoformat()), "warning")
        return queries.default_period()
    if start > end:
        flash(_("The period start is after its end; they were swapped."), "warning")
        start, end = end, start
    return start, end


class DashboardView(BaseView):
    route_base = "/dashboard"
    default_view = "index"
    base_permissions = ["can_index"]

    @expose("/")
    @has_access
    def index(self):
        start, end = period_from_args()
        found = figures_for(start, end)
        by_status = found["by_status"]
        charts = {
            "status": [[staff_label(s), by_status.get(s.value, 0)] for s in Status
                       if s != Status.DRAFT],
            # every week and month of the period, the empty ones at 0 (a line joining only
            # the weeks that had requests hid the quiet ones)
            "weekly": _named(_filled(found["weekly"], _weeks(start, end)), _week_name),
            "revenue": _named(_filled([[k, v / 100] for k, v in found["revenue"]],
                                      _months(start, end)), _month_name),
            "partners": [[k, v / 100] for k, v in found["partners"]],
            "status_hours": [[staff_label(s), h] for s, h in found["status_hours"]],
            "engineers": found["engineers"],
            "managers": found["managers"],
        }
        # a chart of zeros says "no data for the period", as the empty ones do
        charts = {key: rows if any(value for _key, value in rows) else []
                  for key, rows in charts.items()}
        return self.render_template("desk/dashboard.html", charts=charts, start=start,
                                    end=end, total=sum(by_status.values()),
                                    computed_at=_moment(found.get("computed_at")))


def _weeks(start: date, end: date) -> list[str]:
    """The Mondays of the period's weeks, as the weekly figure names them."""
    monday = start - timedelta(days=start.weekday())
    return [(monday + timedelta(weeks=k)).isoformat()
            for k in range((end - monday).days // 7 + 1)]


def _months(start: date, end: date) -> list[str]:
    """The period's months as the revenue figure names them ("2026-05")."""
    return [f"{n // 12:04d}-{n % 12 + 1:02d}"
            for n in range(start.year * 12 + start.month - 1, end.year * 12 + end.month)]


def _filled(rows: list, keys: list[str]) -> list[list]:
    """`rows` ([key, value]) with every key of `keys` present (0 where the figure had none),
    in key order; nothing when the figure had nothing."""
    found = {key: value for key, value in rows}
    if not found:
        return []
    return [[key, found.get(key, 0)] for key in sorted(set(keys) | set(found))]


def _named(rows: list, name) -> list[list]:
    """Each [key, value] with its key as people read it (the axis showed "2026-08-31")."""
    return [[name(key), value] for key, value in rows]


def _week_name(monday: str) -> str:
    """A week by its Monday: "31.08"."""
    return format_day(date.fromisoformat(monday), "dd.MM")


def _month_name(month: str) -> str:
    """A month: "авг. 2026" / "Aug 2026"."""
    return format_day(date.fromisoformat(f"{month}-01"), "LLL yyyy")


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None  # figures kept before the field
