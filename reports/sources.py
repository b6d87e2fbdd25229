"""Every Excel export source, in one list (SOURCES): explicit parameters in, rows out.

A source gets the parameters captured when the export was asked for (report and period,
the list's filters and sort) and the user it runs for. It never reads flask.request or the
signed-in user, so the same code writes a small export in the request and a large one in
the background job (app.exports.run_export), which has no request at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.access import bounding_company, request_scope
from app.extensions import appbuilder, db
from app.input_guard import bounded_int
from app.request_filters import client_clause, narrowed_by_text, search_text, text_clause
from app.request_rules import payment_label
from app.templating import partner_status_of
from app.timefmt import day_bounds_utc
from models.request_status import PARTNER_GROUPS
from models.requests import Request, RequestService
from reports.excel import Column
from reports.fields import export_fields, field_cells, field_columns
from reports.registry import REPORTS, labels_once

BOUND = 1_000_001  # counts stop here: enough to choose inline or background


@dataclass(frozen=True)
class ExportSource:
    name: str
    table: Callable  # (params, user) -> (title, columns, rows iterator)
    count: Callable  # (params, user) -> row count, bounded by BOUND


# the director's reports (reports.registry): params {"key", "from", "to"}

def _report_and_period(params: dict):
    report = REPORTS[params["key"]]
    return report, date.fromisoformat(params["from"]), date.fromisoformat(params["to"])


def report_table(params: dict, user):
    report, start, end = _report_and_period(params)
    if report.table is not None:
        columns, rows = report.table(start, end, user)
        return report.title, columns, rows
    return report.title, report.columns, report.rows(start, end)


def report_count(params: dict, user) -> int:
    report, start, end = _report_and_period(params)
    return report.count(start, end)


# the partner's own requests (the cabinet list): params {"filters": {...}}

PARTNER_FILTERS = ("status", "object_type", "service", "from", "to", "q")
PARTNER_COLUMNS = [
    Column(_l("Number"), width=14), Column(_l("Created"), "datetime", 17),
    Column(_l("Status"), width=26), Column(_l("Object"), width=45),
    Column(_l("Client"), width=24), Column(_l("Total"), "money", 14),
    Column(_l("Paid"), "money", 14), Column(_l("Payment"), width=18)]


def _day(value) -> date | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None


def partner_requests(user, filters: dict):
    """The requests `user` may see, narrowed by the cabinet list's filters."""
    query = db.session.query(Request).filter(request_scope(user))
    group = filters.get("status")
    if group in PARTNER_GROUPS:
        query = query.filter(Request.status.in_(PARTNER_GROUPS[group][1]))
    if filters.get("object_type"):
        query = query.filter(Request.object_type == filters["object_type"])
    if (service := service_filter(filters)) is not None:
        query = query.filter(Request.id.in_(select(RequestService.request_id).where(
            RequestService.service_id == service)))
    # the days as the bureau lives them (the list shows dates in its zone)
    if (start := _day(filters.get("from"))) is not None:
        query = query.filter(Request.created_at >= day_bounds_utc(start, start)[0])
    if (end := _day(filters.get("to"))) is not None:
        query = query.filter(Request.created_at <= day_bounds_utc(end, end)[1])
    # the number, the title, any field value (app.request_filters.text_clause) or the client
    text = search_text(filters.get("q"))
    if text:
        query = narrowed_by_text(query, or_(text_clause(text, user),
                                            client_clause(text, bounding_company(user))))
    return query


def service_filter(filters: dict) -> int | None:
    """The service id the list is narrowed to (a bounded number), or None."""
    return bounded_int(filters.get("service"))


def partner_period_column(filters: dict):
    """Request.created_at when the cabinet list's filters name a period, else None: a list
    with a period is ordered by that date (then id), so a month far back is one range of
    ix_request_company_created_id, not a walk through every newer request."""
    if _day(filters.get("from")) is None and _day(filters.get("to")) is None:
        return None
    return Request.created_at


def partner_filters(args) -> dict:
    """The list filters among a query string's arguments (what an export saves)."""
    return {name: args[name] for name in PARTNER_FILTERS if args.get(name)}


def partner_table(params: dict, user):
    """The fixed columns, then one per field of the filtered requests' services (or of the
    service filtered by), found in one query; rows streamed."""
    filters = params.get("filters") or {}
    filtered = partner_requests(user, filters)
    service = service_filter(filters)
    fields = export_fields(filtered.with_entities(Request.id).order_by(None),
                           with_contacts=True, service_ids=[service] if service else None)
    query = filtered.order_by(Request.id.desc()) \
        .options(joinedload(Request.end_client))  # the client's name without a query a row
    payment = labels_once(payment_label)

    def rows():  # the partner's labels: "Ready — awaiting payment", not the staff's "ready"
        for r in query.yield_per(1000):
            yield (r.number, r.created_at, partner_status_of(r), r.object_address,
                   r.end_client.name if r.end_client else None, r.total_kopecks,
                   r.paid_kopecks, payment(r.payment_state)) + field_cells(fields,
                                                                           r.field_values)
    return _l("My requests"), PARTNER_COLUMNS + field_columns(fields), rows()


def partner_count(params: dict, user) -> int:
    return partner_requests(user, params.get("filters") or {}).limit(BOUND).count()


# back-office lists (views.base.ReplanModelView):
# params {"view": class name, "filters": [[column, index, [values]]], "order": [col, dir]}

def _list_view(name: str):
    """The registered back-office view of that class name (found, not imported: views sit
    above reports)."""
    for view in appbuilder.baseviews:
        if view.__class__.__name__ == name and hasattr(view, "export_table"):
            return view
    raise LookupError(name)


def list_table(params: dict, user):
    view = _list_view(params["view"])
    return view.export_table(params.get("filters") or [], params.get("order"), user)


def list_count(params: dict, user) -> int:
    view = _list_view(params["view"])
    return view.export_count(params.get("filters") or [], user)


SOURCES = {source.name: source for source in [
    ExportSource("report", report_table, report_count),
    ExportSource("cabinet", partner_table, partner_count),
    ExportSource("list", list_table, list_count),
]}
