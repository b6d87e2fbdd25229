"""A request's field values (app.service_fields) in the documents and the Excel exports.

The PDFs print them grouped as on the form, labels in the document's language; Excel gets
one typed column per field of the exported requests' services. Contact fields (phones,
e-mails of the end client…) reach only readers of partner words (app.visibility): never an
engineer's card or export.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from app.extensions import db
from app.service_fields import FormField, display_value, fields_for, merge, money_kopecks
from app.templating import building_label, object_type_label
from app.visibility import reads_partner_words
from models.catalog import Service
from models.requests import RequestService
from models.service_fields import (FIELD_BOOLEAN, FIELD_DATE, FIELD_DECIMAL, FIELD_INTEGER,
                                   FIELD_MONEY, FIELD_MULTISELECT, FIELD_SELECT, FIELD_TEXTAREA,
                                   ServiceField)
from reports.excel import Column

# select codes whose words live in the catalogue (price rules, building types) as well: an
# option missing from the field (added to the catalogue later) is still shown as a word
CATALOGUE_LABELS = {"object_type": object_type_label, "building_type": building_label}
KINDS = {FIELD_INTEGER: "int", FIELD_DECIMAL: "number", FIELD_MONEY: "money",
         FIELD_DATE: "date"}
SUMMARY_TYPES = ("text", "pattern", FIELD_SELECT, FIELD_MULTISELECT, FIELD_INTEGER,
                 FIELD_DECIMAL, FIELD_MONEY, FIELD_DATE)
SUMMARY_LIMIT = 6


def sees_contacts(user) -> bool:
    """Whether `user` may get contact fields in a document or export (no user: an internal
    caller such as the CLI)."""
    return user is None or reads_partner_words(user)


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def shown_value(item: FormField, value) -> str:
    """display_value, with catalogue words for codes the field's options do not list."""
    if item.field_type == FIELD_SELECT and item.key in CATALOGUE_LABELS \
            and str(value) not in dict(item.choices()):
        return str(CATALOGUE_LABELS[item.key](value))
    return display_value(item, value)


# --- documents -----------------------------------------------------------------------------

def request_fields(req) -> list[FormField]:
    """The fields of the request's services (inactive ones too: its values were asked)."""
    return fields_for([line.service_id for line in req.lines if line.service_id],
                      include_inactive=True)


def document_groups(fields, values: dict, with_contacts: bool) -> list[tuple[str, list]]:
    """[(group title, [(label, text)])] of the stored values in form order, for a PDF; no
    contact field without `with_contacts`, nor a value whose field no longer exists then."""
    values = dict(values or {})
    result: list[tuple[str, list]] = []
    for item in fields:
        value = values.pop(item.key, None)
        if _empty(value) or (item.is_contact and not with_contacts):
            continue
        row = (item.title, shown_value(item, value))
        if result and result[-1][0] == item.group:
            result[-1][1].append(row)
        else:
            result.append((item.group, [row]))
    left = [(key, str(value)) for key, value in values.items() if not _empty(value)]
    if with_contacts and left:
        result.append(("", left))
    return result


def summary(fields, values: dict, skip=("address",)) -> str:
    """"Label: value; …" of the short, non-contact values that identify the object (the
    invoice's and act's line under the title); never contact data."""
    values = values or {}
    parts = [f"{item.title}: {shown_value(item, values[item.key])}" for item in fields
             if item.key not in skip and not item.is_contact
             and item.field_type in SUMMARY_TYPES and not _empty(values.get(item.key))]
    return "; ".join(parts[:SUMMARY_LIMIT])


# --- Excel ---------------------------------------------------------------------------------

def export_fields(request_ids=None, with_contacts: bool = False,
                  service_ids=None) -> list[FormField]:
    """The fields of the exported requests' services, merged by key in form order, in one
    query: of `service_ids` when the list is filtered by service, else of the services
    found on the requests `request_ids` selects (a subquery of the filtered list)."""
    query = db.session.query(ServiceField).join(Service)
    if service_ids:
        query = query.filter(ServiceField.service_id.in_([int(i) for i in service_ids]))
    elif request_ids is not None:
        query = query.filter(ServiceField.service_id.in_(
            select(RequestService.service_id).where(RequestService.request_id.in_(request_ids))
            .distinct()))
    else:
        return []
    rows = query.order_by(Service.sort_order, Service.id, ServiceField.sort_order,
                          ServiceField.id).all()
    return [item for item in merge(rows) if with_contacts or not item.is_contact]


def field_columns(fields) -> list[Column]:
    """One typed column per field, headed by its label in the export's language."""
    return [Column(item.title, KINDS.get(item.field_type, "text"),
                   40 if item.field_type == FIELD_TEXTAREA else
                   max(12, min(len(item.title) + 3, 30))) for item in fields]


def cell_value(item: FormField, value):
    """A stored value as its Excel cell takes it: numbers as numbers, a date as a date,
    yes/no as a bool (written as the translated word), choices as their labels."""
    if _empty(value):
        return None
    try:
        if item.field_type == FIELD_INTEGER and not isinstance(value, bool):
            return int(value)
        if item.field_type == FIELD_DECIMAL and not isinstance(value, bool):
            return Decimal(str(value))
        if item.field_type == FIELD_MONEY and not isinstance(value, bool):
            return money_kopecks(value)  # the "money" column: kopecks, shown as roubles
        if item.field_type == FIELD_DATE:
            return date.fromisoformat(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)  # stored before a type change: written as it is
    if item.field_type == FIELD_BOOLEAN:
        return value if isinstance(value, bool) else str(value)
    if item.field_type in (FIELD_SELECT, FIELD_MULTISELECT):
        return shown_value(item, value)
    return str(value)


def field_cells(fields, values: dict) -> tuple:
    """The row's cells of the field columns, in their order."""
    values = values or {}
    return tuple(cell_value(item, values.get(item.key)) for item in fields)
