"""Back-office request screens with row-level access."""

import re

from flask import g, request, url_for
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import SelectField

from app.request_filters import partner_side_allowed
from app.request_rules import PAYMENT_LABELS
from app.templating import staff_status
from app.status_labels import staff_label
from models.request_status import Status
from models.requests import Request, StatusChange
from views.base import ReadOnlyView, ReplanInterface
from views.filters import (RelatedRequestScopeFilter, RequestScopeFilter,
                           choices_on_visible_requests)

# search columns that name the partner side: engineers get neither the filter nor its choices
PARTNER_SIDE_COLUMNS = ("company", "end_client")
_FILTER_ARG = re.compile(r"_flt_\d_(.*)")


def _scoped(column, partner_side: bool = False) -> list:
    return [["id", choices_on_visible_requests(column, partner_side), None]]


def _select(label, choices) -> SelectField:
    """A search select showing labels for stored codes (status, payment state)."""
    return SelectField(label, choices=choices, widget=Select2Widget())


class RequestStaffView(ReadOnlyView):
    """All requests the current staff member may see; the number opens the desk page."""

    datamodel = ReplanInterface(Request, eager=("manager", "engineer"))
    route_base = "/requests"
    base_filters = [["id", RequestScopeFilter, lambda: None]]
    base_order = ("id", "desc")
    list_columns = ["number", "status", "object_address", "object_type", "manager",
                    "engineer", "payment_state", "created_at"]
    show_columns = ["number", "status", "company", "object_address", "object_type", "area",
                    "floor", "building_type", "urgency", "description", "wanted_date",
                    "manager", "engineer", "total_kopecks", "paid_kopecks", "payment_state",
                    "created_at", "submitted_at", "status_changed_at"]
    search_columns = ["number", "status", "company", "end_client", "object_address",
                      "object_type", "manager", "engineer", "payment_state", "created_at",
                      "submitted_at"]
    search_form_query_rel_fields = {
        "company": _scoped(Request.company_id, partner_side=True),
        "end_client": _scoped(Request.end_client_id, partner_side=True),
        "manager": _scoped(Request.manager_id), "engineer": _scoped(Request.engineer_id)}
    search_form_extra_fields = {
        "status": _select(_l("Status"), [(s.value, LazyString(staff_label, s)) for s in Status
                                         if s != Status.DRAFT]),
        "payment_state": _select(_l("Payment"), list(PAYMENT_LABELS.items()))}
    formatters_columns = {"status": staff_status, "number": lambda number: Markup(
        '<a href="{}"><strong>{}</strong></a>').format(
            url_for("DeskView.by_number", number=number), number)}
    label_columns = {
        "number": _l("Number"), "status": _l("Status"), "company": _l("Partner"),
        "object_address": _l("Address"), "object_type": _l("Object type"),
        "area": _l("Area, m²"), "floor": _l("Floor"), "building_type": _l("Building type"),
        "urgency": _l("Urgency"), "description": _l("Description"),
        "wanted_date": _l("Wanted date"), "manager": _l("Manager"),
        "engineer": _l("Engineer"), "total_kopecks": _l("Total, kopecks"),
        "paid_kopecks": _l("Paid, kopecks"), "payment_state": _l("Payment"),
        "created_at": _l("Created"), "submitted_at": _l("Submitted"),
        "status_changed_at": _l("Status changed"), "end_client": _l("Client"),
    }

    def search_columns_for(self, user) -> list[str]:
        """The filters this user may use: no partner-side ones for engineers."""
        allowed = partner_side_allowed(user)
        return [c for c in self.search_columns if allowed or c not in PARTNER_SIDE_COLUMNS]

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

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["search"] = self.search_widget(
            route_base=self.route_base, form=form, include_cols=self.search_columns_for(g.user),
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
    show_columns = list_columns
    search_columns = ["action", "from_status", "to_status", "created_at"]
    label_columns = {
        "created_at": _l("When"), "request": _l("Request"), "action": _l("Action"),
        "from_status": _l("From"), "to_status": _l("To"), "actor": _l("Who"),
        "comment": _l("Comment"),
    }
