"""A partner exports own requests (with the list's filters) to Excel."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.exports import (inline_limit, queue_export, send_xlsx, source, task_response,
                         write_inline)
from app.templating import partner_status
from cabinet import bp
from cabinet.access import partner_required
from cabinet.requests import filtered_requests
from models.requests import Request
from reports.excel import Column

COLUMNS = [Column(_l("Number"), width=14), Column(_l("Created"), "datetime", 17),
           Column(_l("Status"), width=16), Column(_l("Address"), width=45),
           Column(_l("Object type"), width=14), Column(_l("Area, m²"), "number", 10),
           Column(_l("Client"), width=24), Column(_l("Total"), "money", 14),
           Column(_l("Paid"), "money", 14)]


@source("cabinet")
def cabinet_source(params: dict):
    """Rows of the partner's filtered list, streamed (runs inside a re-created request)."""
    query = filtered_requests().order_by(Request.id.desc())

    def rows():
        for r in query.yield_per(1000):
            yield (r.number, r.created_at, partner_status(r.status), r.object_address,
                   r.object_type, r.area, r.end_client.name if r.end_client else None,
                   r.total_kopecks, r.paid_kopecks)
    return _l("My requests"), COLUMNS, rows()


@bp.route("/requests/export.xlsx")
@partner_required
def request_export():
    estimate = filtered_requests().limit(1_000_001).count()
    if estimate <= inline_limit():
        title, columns, rows = cabinet_source({})
        return send_xlsx(write_inline(title, columns, rows), "requests.xlsx")
    task = queue_export(current_user, "cabinet", {"args": request.query_string.decode()},
                        "requests.xlsx", estimate)
    return redirect(url_for("cabinet.export_task", task_id=task.id))


@bp.route("/exports/<int:task_id>")
@bp.route("/exports/<int:task_id>/<fmt>")
@partner_required
def export_task(task_id: int, fmt: str | None = None):
    return task_response(task_id, current_user, fmt,
                         lambda **ctx: render_template("cabinet/export_task.html", **ctx))
