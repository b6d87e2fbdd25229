"""Back-office request screens with row-level access."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.templating import staff_status
from models.requests import Request, StatusChange
from views.base import ReadOnlyView, ReplanInterface
from views.filters import RelatedRequestScopeFilter, RequestScopeFilter


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
    search_columns = ["number", "status", "object_address", "object_type", "payment_state",
                      "created_at"]
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
        "status_changed_at": _l("Status changed"),
    }


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
