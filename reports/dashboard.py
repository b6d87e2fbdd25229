"""The director's dashboard figures: computed by the database, kept in Redis.

The default period (the last 90 days) is computed ahead every minute by the periodic job
"dashboard-figures" and kept for KEPT_SECONDS, so the director's first look never waits for
the aggregates (~2 s at a million requests); another period is computed when asked and kept
for DASHBOARD_CACHE_SECONDS (app.page_cache). The same job keeps the managers' loads of the
distribution page.
"""

from __future__ import annotations

from datetime import date

from app.distribution import keep_loads, manager_loads
from app.page_cache import cached_figures, keep
from models.base import utcnow
from reports import queries

# longer than the job's one-minute interval: a late or missed run leaves no gap
KEPT_SECONDS = 300


def figures_key(start: date, end: date) -> str:
    return f"director:{start.isoformat()}:{end.isoformat()}"


def director_figures(start: date, end: date) -> dict:
    """The dashboard's figures for the period as plain JSON values (labels come later, in
    the reader's language), with the moment they were computed."""
    figures = queries.period_figures(start, end)  # four aggregates, one statement
    return {
        "computed_at": utcnow().isoformat(),
        "by_status": dict(figures["by_status"]),
        "weekly": [list(row) for row in figures["weekly"]],
        "revenue": [list(row) for row in figures["revenue"]],
        "partners": [list(row) for row in figures["partners"]],
        "status_hours": list(queries.average_hours_in_status(start, end).items()),
        "engineers": [list(row) for row in queries.engineer_utilisation(start, end)],
        "managers": [[m.manager.get_full_name(), m.open_requests] for m in manager_loads()],
    }


def figures_for(start: date, end: date) -> dict:
    """The period's figures as the page shows them: kept ones when there are."""
    return cached_figures(figures_key(start, end), lambda: director_figures(start, end))


def refresh_figures() -> int:
    """The periodic job: the default period's figures and the managers' loads computed now
    and kept; how many were kept (0 without Redis: the pages compute their own)."""
    start, end = queries.default_period()
    kept = keep(figures_key(start, end), director_figures(start, end), KEPT_SECONDS)
    return int(kept) + int(keep_loads(KEPT_SECONDS))
