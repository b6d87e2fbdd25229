"""Back-office request screens with row-level access."""

import re
from urllib.parse import quote

from flask import g, request, url_for
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField

from app.permissions import MONEY_ROLES, role_names
from app.request_filters import client_clause, partner_side_allowed, search_text, text_clause
from app.request_form import object_type_choices
from app.request_rules import PAYMENT_LABELS
from app.templating import staff_status
from app.status_labels import staff_label
from models.request_status import Status
from models.requests import Request, StatusChange
from reports.fields import export_fields, field_cells, field_columns, sees_contacts
from views.base import (KeptFilterConverter, ReadOnlyView, ReplanInterface,
                        _export_value as export_value, readable)
from views.filters import (RelatedRequestScopeFilter, RequestScopeFilter,
                           choices_on_visible_requests)
from views.keyset import KeysetListMixin

FIELD_SEARCH = "field_values"  # the search column of the text search (number, title, values)
CLIENT_SEARCH = "client_name"  # the search column of the client's name
# search columns that name the partner side: engineers get neither the filter nor its choices
PARTNER_SIDE_COLUMNS = ("company", "end_client", CLIENT_SEARCH)
# accepted in a link but not offered in the form: a select of every end client is tens of
# thousands of options (seconds to render); the form offers CLIENT_SEARCH instead
LINK_ONLY_COLUMNS = ("end_client",)
_FILTER_ARG = re.compile(r"_flt_\d_(.*)")


def _scoped(column, partner_side: bool = False) -> list:
    return [["id", choices_on_visible_requests(column, partner_side), None]]


def _select(label, choices) -> SelectField:
    """A search select showing labels for stored codes (status, payment state)."""
    return SelectField(label, choices=choices, widget=Select2Widget())


# stored codes picked from a select (status, payment state, object type): "is", one filter.
# FAB gives a text column "starts with" first (`_flt_0_`), an ILIKE no index serves: the
# staff list of submitted requests sorted by number read every request (~4 s at 1M).
CODE_COLUMNS = ("status", "payment_state", "object_type")


# the mirror columns of field values (app.intake.MIRRORED): an export writes the values as
# the field columns instead (a car check has no object type or area)
MIRROR_COLUMNS = ("object_type", "area", "floor", "building_type")


class FieldValueSearch(BaseFilter):
    """The list's text search: the number, the title or any field value contains the text
    (app.request_filters.text_clause: no contact field for an engineer). On a screen it
    searches for the signed-in user; an export binds its user to the value: (text, user)."""

    name = _l("Contains")
    arg_name = "fv"

    def apply(self, query, value):
        if isinstance(value, tuple):
            value, user = value
        else:
            user = g.user
        if isinstance(value, (list, tuple)):
            value = next((v for v in value if v), "")
        found = text_clause(value, user)
        return query if found is None else query.filter(found)


class ClientNameSearch(BaseFilter):
    """The request's end client's name contains the text (app.request_filters.client_clause)."""

    name = _l("Contains")
    arg_name = "cn"

    def apply(self, query, value):
        if isinstance(value, tuple):  # an export binds its user: (text, user)
            value = value[0]
        if isinstance(value, (list, tuple)):
            value = next((v for v in value if v), "")
        text = search_text(value)
        return query.filter(client_clause(text)) if text else query


def desk_link(number: str) -> str:
    """The desk's page of a request number: the route built once a request (a list page
    links every row; url_for was ~3 % of a staff list page), the number quoted into it."""
    prefix = g.get("replan_desk_number_url")
    if prefix is None:
        prefix = g.replan_desk_number_url = url_for("DeskView.by_number", number="0")[:-1]
    return prefix + quote(str(number), safe="")


class RequestFilterConverter(KeptFilterConverter):
    """The client's name is no column of the request: its one filter, given here so FAB
    does not log “Filter type not supported for column” at every start."""

    def convert(self, col_name):
        if col_name == CLIENT_SEARCH:
            return [ClientNameSearch(col_name, self.datamodel)]
        return super().convert(col_name)


class RequestInterface(ReplanInterface):
    """Requests with the text search as one more search column (FAB has no hook for a
    search over a JSON column: the filter joins the column's filters here)."""

    filter_converter_class = RequestFilterConverter

    def get_filters(self, search_columns=None, search_filters=None):
        filters = super().get_filters(search_columns, search_filters)
        kinds = [(FIELD_SEARCH, FieldValueSearch), (CLIENT_SEARCH, ClientNameSearch),
                 *((column, FilterEqual) for column in CODE_COLUMNS)]
        for column, kind in kinds:
            searched = [kind(column, self)]
            filters._all_filters[column] = searched
            if search_columns and column in search_columns:  # a dict of this instance
                filters._search_filters[column] = searched
        return filters


class RequestStaffView(KeysetListMixin, ReadOnlyView):
    """All requests the current staff member may see; the number opens the desk page.
    Pages by keyset (views.keyset) at any depth; sorts only by columns with an index that
    gives their order: number (unique), (status, id), (object_address, id), (created_at, id)
    (migration 0023_staff_keyset); the object type and payment state are filters instead."""

    datamodel = RequestInterface(Request, eager=("manager", "engineer", "company"))
    route_base = "/requests"
    base_filters = [["id", RequestScopeFilter, lambda: None]]
    base_order = ("id", "desc")
    list_columns = ["number", "status", "object_address", "object_type", "manager",
                    "engineer", "payment_state", "created_at"]
    order_columns = ["number", "status", "object_address", "created_at"]
    # filtered by one of these and left unsorted: newest first by that date (views.keyset;
    # ix_request_created_cover, ix_request_submitted_cover)
    dated_orders = ("created_at", "submitted_at")
    show_columns = ["number", "status", "company", "object_address", "object_type", "area",
                    "floor", "building_type", "urgency", "description", "wanted_date",
                    "manager", "engineer", "total_kopecks", "paid_kopecks", "payment_state",
                    "created_at", "submitted_at", "status_changed_at"]
    narrow_filters = (FieldValueSearch, ClientNameSearch)  # views.keyset: one text scan
    candidate_orders = ("object_address",)  # its index carries the search text (0037)
    search_columns = [FIELD_SEARCH, "number", "status", "company", CLIENT_SEARCH, "end_client",
                      "object_address", "object_type", "manager", "engineer", "payment_state",
                      "created_at", "submitted_at"]
    search_form_query_rel_fields = {
        "company": _scoped(Request.company_id, partner_side=True),
        "end_client": _scoped(Request.end_client_id, partner_side=True),
        "manager": _scoped(Request.manager_id), "engineer": _scoped(Request.engineer_id)}
    search_form_extra_fields = {
        "status": _select(_l("Status"), [(s.value, LazyString(staff_label, s)) for s in Status
                                         if s != Status.DRAFT]),
        "payment_state": _select(_l("Payment"), list(PAYMENT_LABELS.items())),
        FIELD_SEARCH: StringField(_l("Text in the request")),
        CLIENT_SEARCH: StringField(_l("Client"))}
    formatters_columns = {"status": staff_status, "number": lambda number: Markup(
        f'<a href="{escape(desk_link(number))}"><strong>{escape(number)}</strong></a>')}
    label_columns = {
        "number": _l("Number"), "status": _l("Status"), "company": _l("Partner"),
        "object_address": _l("Request data"), "object_type": _l("Object type"),
        "area": _l("Area, m²"), "floor": _l("Floor"), "building_type": _l("Building type"),
        "urgency": _l("Urgency"), "description": _l("Description"),
        "wanted_date": _l("Wanted date"), "manager": _l("Manager"),
        "engineer": _l("Engineer"), "total_kopecks": _l("Amount"),
        "paid_kopecks": _l("Paid"), "payment_state": _l("Payment"),
        "created_at": _l("Created"), "submitted_at": _l("Submitted"),
        "status_changed_at": _l("Status changed"), "end_client": _l("Client"),
        FIELD_SEARCH: _l("Text in the request"), CLIENT_SEARCH: _l("Client"),
    }

    def list_columns_for(self, user) -> list[str]:
        """The partner and the amount beside the request for those who read partner words
        and money (the director's "All requests" had neither); engineers see neither."""
        columns = list(self.list_columns)
        if not object_type_choices():  # a bureau without object types: no column of dashes
            columns.remove("object_type")
        if partner_side_allowed(user):
            columns.insert(columns.index("object_address"), "company")
        if role_names(user) & MONEY_ROLES:
            columns.insert(columns.index("payment_state"), "total_kopecks")
        return columns

    def search_columns_for(self, user) -> list[str]:
        """The filters this user may use: no partner-side ones for engineers."""
        allowed = partner_side_allowed(user)
        typed = bool(object_type_choices())
        return [c for c in self.search_columns if (allowed or c not in PARTNER_SIDE_COLUMNS)
                and (typed or c != "object_type")]

    def filter_params(self, args) -> list:
        allowed = set(self.search_columns_for(g.user))
        return [found for found in super().filter_params(args) if found[0] in allowed]

    def _list(self, **kwargs):
        """Filters outside the user's search columns are dropped before FAB reads them."""
        allowed = set(self.search_columns_for(g.user))
        kept = [(key, value) for key, value in request.args.items(multi=True)
                if not (match := _FILTER_ARG.fullmatch(key)) or match[1] in allowed]
        request.args = ImmutableMultiDict(kept)
        return super()._list(**kwargs)

    def _joined_filters(self, filters: list, user):
        """An export's filters: the text search runs for the export's user too."""
        joined = super()._joined_filters(filters, user)
        joined.values = [(value, user) if isinstance(flt, FieldValueSearch) else value
                         for flt, value in zip(joined.filters, joined.values)]
        return joined

    def export_table(self, filters: list, order, user):
        """The list's columns without the mirrored object columns, then one typed column
        per field of the services of the exported requests (reports.fields), streamed;
        contact fields only for users who read partner words (never an engineer)."""
        title, columns, _rows = super().export_table(filters, order, user)
        joined = self._joined_filters(filters, user)
        ids = self.datamodel.apply_all(self.datamodel.session.query(Request.id), joined)
        fields = export_fields(ids.order_by(None), with_contacts=sees_contacts(user))
        query = self.export_query(self.datamodel.session.query(Request), joined, order) \
            .options(*[selectinload(getattr(Request, name)) for name in self.datamodel.eager])
        listed = [c for c in self.list_columns_for(user) if c not in self.export_skipped]
        kept = [(name, column) for name, column in zip(listed, columns)
                if name not in MIRROR_COLUMNS]
        shown = [(name, column.kind, readable(self.datamodel, name)) for name, column in kept]

        def rows():
            for item in query.yield_per(1000):
                yield tuple(export_value(getattr(item, name, None), kind, show)
                            for name, kind, show in shown) + field_cells(fields,
                                                                         item.field_values)
        return title, [column for _name, column in kept] + field_columns(fields), rows()

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["search"] = self.search_widget(
            route_base=self.route_base, form=form,
            include_cols=[c for c in self.search_columns_for(g.user)
                          if c not in LINK_ONLY_COLUMNS],
            exclude_cols=exclude_cols or [], filters=self._filters)
        return widgets


class StatusChangeView(ReadOnlyView):
    """Status history of visible requests."""

    datamodel = ReplanInterface(StatusChange, eager=("request", "actor"))
    route_base = "/status-history"
    base_filters = [["id", RelatedRequestScopeFilter, lambda: None]]
    base_order = ("id", "desc")
    list_columns = ["created_at", "request", "action", "from_status", "to_status", "actor",
                    "comment"]
    order_columns = ["created_at"]  # the indexed one (issue 14: 7M rows at 1M requests)
    show_columns = list_columns
    search_columns = ["action", "from_status", "to_status", "created_at"]
    label_columns = {
        "created_at": _l("When"), "request": _l("Request"), "action": _l("Action"),
        "from_status": _l("From"), "to_status": _l("To"), "actor": _l("Who"),
        "comment": _l("Comment"),
    }
