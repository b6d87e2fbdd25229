"""A partner exports own requests (with the list's filters) to Excel."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from app.errors import InvalidInput
from app.exports import check_period_args, export_response, task_response
from cabinet import bp
from cabinet.access import partner_required
from reports.sources import partner_filters


@bp.route("/requests/export.xlsx")
@partner_required
def request_export():
    try:
        check_period_args(request.args)
    except InvalidInput:  # the list again, its filters as typed: it says what is wrong
        return redirect(url_for("cabinet.request_list", **request.args))
    params = {"filters": partner_filters(request.args)}
    return export_response(current_user._get_current_object(), "cabinet", params,
                           "requests.xlsx", "cabinet.export_task")


@bp.route("/exports/<int:task_id>")
@bp.route("/exports/<int:task_id>/<fmt>")
@partner_required
def export_task(task_id: int, fmt: str | None = None):
    return task_response(task_id, current_user, fmt,
                         lambda **ctx: render_template("cabinet/export_task.html", **ctx))
