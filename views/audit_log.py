"""The audit log as people read it: who by name, what through a label, changes as old → new."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import g
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from app.audit_labels import ACTIONS, action_label, describe_details_with
from app.extensions import appbuilder, db
from app.money import money
from app.permissions import role_label, role_labels
from app.request_rules import DOCUMENT_LABELS
from app.templating import staff_status
from app.timefmt import format_day, format_moment, format_wall
from app.translations import locale_name
from models.approvals import DECISION_LABELS
from models.audit import AuditEvent
from app.status_labels import staff_label
from models.request_status import ACTION_LABELS, Status
from models.requests import ATTACHMENT_KIND_LABELS
from models.schedule import ENTRY_KIND_LABELS
from views.base import CODE_LABELS, MODEL_NAMES, REQUEST_CODES, ReadOnlyView, ReplanInterface
from views.settings import REQUISITES, VAT_CHOICES, SettingsForm

OBJECT_NAMES = {"User": _l("User"), "UserProfile": _l("Profile"), **{
    model: names[0] for model, names in MODEL_NAMES.items()}}
# the detail keys of events written by hand (the generic ones use the view's column labels)
DETAIL_LABELS = {
    "amount_kopecks": _l("Amount"), "document": _l("Payment document"),
    "reason": _l("Reason"), "payment_id": _l("Payment"), "number": _l("Number"),
    "kind": _l("Document"), "date": _l("Date"), "template_name": _l("Template file"),
    "move": _l("Action"), "engineer": _l("Engineer"), "start": _l("Start"),
    "roles": _l("Role"), "email": _l("E-mail"), "active": _l("Active"),
    "from_status": _l("From"), "to_status": _l("To"), "status": _l("Status"),
    "total": _l("Total"), "locale": _l("Language"), "action": _l("Action"),
    "text": _l("Text"), "body": _l("Wording"), "subject": _l("Subject"),
    "service": _l("Service"), "minutes": _l("Minutes"),
    "step": _l("Step"), "decision": _l("Decision"), "comment": _l("Comment"),
    "company": _l("Company"), "author": _l("Author"), "before": _l("Before"),
    "after": _l("After"), "added": _l("Added"), "changed": _l("Changed"),
}
DETAIL_WIDTH = 120  # characters of one value shown in the list


def object_name(model: str) -> str:
    """'Service' → 'Услуга' (an unknown type as stored)."""
    return str(OBJECT_NAMES.get(model, model))


def object_label(ref) -> str:
    """('Service', 3) → 'Услуга #3'; nothing → '—'."""
    model, pk = ref
    if not model:
        return "—"
    name = object_name(model)
    return f"{name} #{pk}" if pk is not None else name


def _column_labels(model: str | None) -> dict:
    """The column labels of the back-office view that edits `model` (merged over all)."""
    labels: dict = {}
    for view in appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        if model and datamodel is not None and datamodel.model_name == model:
            labels = {**(view.label_columns or {}), **labels}
    return labels


def _setting_label(key: str):
    top, _dot, sub = key.partition(".")
    if top == "bureau" and sub:
        return dict(REQUISITES).get(sub, sub)
    if top in ("sla_hours", "sla_minutes") and sub:
        known = sub in {s.value for s in Status}
        return f"SLA: {staff_label(sub) if known else sub}"
    field = getattr(SettingsForm, top, None)
    return field.args[0] if field is not None and getattr(field, "args", None) else key


# detail keys whose values are codes or kopecks, shown through the labels the lists use
VALUE_LABELS = {
    "from_status": staff_status, "to_status": staff_status, "status": staff_status,
    "move": lambda code: str(ACTION_LABELS.get(code, code)),
    "action": lambda code: str(ACTION_LABELS.get(code, code)),
    "roles": lambda roles: role_labels(roles) if isinstance(roles, (list, tuple))
    else role_label(roles),
    "role": role_label,
    "locale": lambda code: str(LANGUAGE_NAMES.get(code, code)),
    "decision": lambda code: str(DECISION_LABELS.get(code, code)),
    "vat_mode": lambda code: str(dict(VAT_CHOICES).get(code, code)),
    **{key: lambda kopecks: money(kopecks) if isinstance(kopecks, int) else kopecks
       for key in ("total", "amount", "paid", "price", "due")},
    **REQUEST_CODES,
}
LANGUAGE_NAMES = {"ru": _l("Russian"), "en": _l("English")}


KIND_LABELS = {**ATTACHMENT_KIND_LABELS, **DOCUMENT_LABELS, **ENTRY_KIND_LABELS}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
DECIMAL = re.compile(r"-?\d+\.\d+")  # how decimals are kept in the details ("1.25")
WALL_KEYS = frozenset({"start", "end", "starts_at", "ends_at"})  # schedule times, as typed


def _person(username: str) -> str:
    """A user named by login in the details (the engineer booked) by his name, once a page."""
    known = g.setdefault("replan_audit_people", {})
    if username not in known:
        user = db.session.query(User).filter_by(username=username).one_or_none()
        known[username] = user.get_full_name() if user is not None else username
    return known[username]


def _when(key: str, text: str) -> str | None:
    """An ISO date or moment in the details as people read it (None: not one)."""
    try:
        if ISO_DAY.fullmatch(text):
            return format_day(date.fromisoformat(text))
        if ISO_MOMENT.fullmatch(text):
            moment = datetime.fromisoformat(text)
            return format_wall(moment) if key in WALL_KEYS else format_moment(moment)
    except ValueError:
        return None
    return None


def _value(key: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str):
        if key == "kind" and value in KIND_LABELS:
            return str(KIND_LABELS[value])
        if key in ("engineer", "manager") and "@" not in value and " " not in value:
            return _person(value)
        shown = _when(key, value)
        if shown is not None:
            return shown
        if DECIMAL.fullmatch(value) and locale_name() == "ru":  # a stored decimal: "1,5"
            return value.replace(".", ",")
    if key.endswith("_kopecks") and isinstance(value, int):
        return money(value)
    if key in VALUE_LABELS and (key == "roles" or not isinstance(value, (list, dict))):
        try:
            return str(VALUE_LABELS[key](value))
        except (TypeError, ValueError, KeyError):
            pass  # an unexpected shape: shown as stored
    text = str(value)
    return text if len(text) <= DETAIL_WIDTH else text[:DETAIL_WIDTH] + "…"


def detail_lines(action: str, model: str | None, details: dict | None) -> list[str]:
    """Each detail as 'Label: old → new' (a change) or 'Label: value'."""
    columns = _column_labels(model)
    lines = []
    for key, value in (details or {}).items():
        if action == "settings_update":
            label = _setting_label(key)
        else:
            label = columns.get(key) or DETAIL_LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2:
            shown = f"{_value(key, value[0])} → {_value(key, value[1])}"
        else:
            shown = _value(key, value)
        lines.append(f"{label}: {shown}")
    return lines


# the director's Excel report of the log (reports.registry) says the same
describe_details_with(detail_lines, object_name)


def _details(change_set) -> Markup:
    return Markup("<br>").join(detail_lines(*change_set))


def _actor_name(user) -> str:
    return user.get_full_name() if user is not None else "—"


# the same words in the Excel export of the log (views.base.readable), as plain text
CODE_LABELS["AuditEvent"] = {
    "action": action_label, "object_ref": object_label, "actor": _actor_name,
    "change_set": lambda change_set: "; ".join(detail_lines(*change_set))}


class AuditEventView(ReadOnlyView):
    """Newest first; filter by action, actor and object type."""

    datamodel = ReplanInterface(AuditEvent, eager=("actor",))
    route_base = "/audit"
    base_order = ("id", "desc")
    list_columns = ["created_at", "actor", "action", "object_ref", "change_set", "ip"]
    order_columns = ["created_at", "action"]  # the indexed ones (issue 14)
    show_columns = list_columns
    search_columns = ["action", "actor", "object_type", "object_id", "created_at"]
    search_form_extra_fields = {
        "action": SelectField(_l("Action"), choices=list(ACTIONS.items())),
        "object_type": SelectField(_l("Object"), choices=[
            (model, name) for model, name in OBJECT_NAMES.items()]),
    }
    formatters_columns = {"action": action_label, "object_ref": object_label,
                          "change_set": _details,
                          "actor": _actor_name}
    label_columns = {"created_at": _l("When"), "actor": _l("Who"), "action": _l("Action"),
                     "object_type": _l("Object type"), "object_id": _l("Object id"),
                     "object_ref": _l("Object"), "ip": _l("IP"), "change_set": _l("Details")}

