"""Replan's base for generated back-office screens: bounded counts, eager loads, capped pages."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit
from decimal import Decimal

from flask import abort, flash, g, redirect, request, url_for
from wtforms.fields.core import UnboundField
from wtforms import DecimalField, StringField
from wtforms.validators import DataRequired, InputRequired, StopValidation
from flask_appbuilder import ModelView, expose
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import (get_filter_args, get_order_args, get_page_args,
                                        get_page_size_args)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql import sqltypes

from app.exports import export_response
from app.extensions import db
from app.form_fields import DecimalCommaField
from app.list_filters import BooleanFilterConverter, yes_no_selects
from app.security import safe_next
from app.request_rules import payment_label
from app.timefmt import format_day, format_moment, format_wall, is_wall_clock
from app.templating import (building_label, decimal_text, money, object_type_label,
                            staff_status, urgency_label)
from models.catalog import RULE_KIND_LABELS
from models.knowledge import ARTICLE_KIND_LABELS
from models.partners import APPLICATION_STATUS_LABELS
from models.request_status import ACTION_LABELS
from models.requests import ATTACHMENT_KIND_LABELS
from models.schedule import ENTRY_KIND_LABELS
from reports.excel import Column
from views.audited import AuditedEdits, AuditedInterface
from views.filters import UserScopeFilter
from views.search_widget import KeptChoicesSearchWidget

MAX_PAGE_SIZE = 100
COUNT_LIMIT = 10_000


class KeptFilterConverter(SQLAFilterConverter):
    """FAB's converter; a column's filters (stateless: a column name and the model's
    interface) made once per interface and handed out as new lists. FAB's Filters turns every
    column of the model into filters each time it is built, three times a list request (the
    joined and the inner filters too, which never read them): ~2 ms of a list page. A yes/no
    column's filters compare a boolean (BooleanEqual)."""

    conversion_table = BooleanFilterConverter.conversion_table

    def convert(self, col_name):
        kept = self.datamodel.__dict__.setdefault("_replan_column_filters", {})
        if col_name not in kept:
            kept[col_name] = super().convert(col_name)  # None: no filter for that type
        found = kept[col_name]
        return list(found) if found is not None else None


class ReplanInterface(AuditedInterface, SQLAInterface):
    """SQLAInterface that never counts a whole table and loads related columns in bulk;
    every add, edit and delete through it is audited (views.audited)."""

    filter_converter_class = KeptFilterConverter

    def __init__(self, obj, session=None, eager: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.eager = eager

    def eager_options(self) -> list:
        """A many-to-one (a request's manager) joined into the page's own statement, a
        collection loaded by one more statement (selectin: a join would repeat the rows)."""
        options = []
        for name in self.eager:
            attribute = getattr(self.obj, name)
            loader = selectinload if attribute.property.uselist else joinedload
            options.append(loader(attribute))
        return options

    def is_nullable(self, col_name: str) -> bool:
        """A checkbox always has a value (unticked is False), so FAB must not make a NOT NULL
        boolean a required field: it put `required` on the box and refused every untick."""
        if self.is_boolean(col_name):
            return True
        return super().is_nullable(col_name)

    def query_count(self, query, filters=None, select_columns=None) -> int:
        """Exact up to COUNT_LIMIT, then 'COUNT_LIMIT+1' (shown as 'more than')."""
        inner = self._apply_inner_all(query, filters, select_columns=select_columns,
                                      aliases_mapping={})
        # the primary key only: the bounded subquery of every column read each row's whole
        # record (100k requests: 15 ms; the key alone is an index-only scan, 2 ms)
        keys = inner.with_entities(*self.obj.__mapper__.primary_key)
        return keys.limit(COUNT_LIMIT + 1).count()

    def _choice_order(self) -> list:
        """By name (a company, a service), a person by last and first name, then by id."""
        columns = self.obj.__table__.columns
        names = [c for c in ("last_name", "first_name", "name", "title") if c in columns]
        return [*(getattr(self.obj, c) for c in names), *self.obj.__mapper__.primary_key]

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        query = self.session.query(self.obj)
        paged = page is not None or page_size is not None
        # unpaged (the choices of a related-column filter or form field): every row is read
        # anyway, so they are counted, not counted again by the database
        count = self.query_count(query, filters, select_columns) if paged else None
        query = self.apply_all(query, filters, order_column, order_direction, page, page_size,
                               select_columns, outer_default_load)
        if not paged and not order_column:  # a select's choices: in the order people look
            query = query.order_by(*self._choice_order())
        if self.eager:
            query = query.options(*self.eager_options())
        rows = query.all()
        return (count if paged else min(len(rows), COUNT_LIMIT + 1)), rows


REQUEST_CODES = {"status": staff_status, "payment_state": payment_label,
                 "object_type": object_type_label, "urgency": urgency_label,
                 "building_type": building_label}


def _labelled(labels: dict):
    """A formatter showing a code through `labels` (an unknown code as stored)."""
    return lambda code: str(labels.get(code, code))


CODE_LABELS = {  # model -> column -> label of its code
    "Request": REQUEST_CODES, "Quote": REQUEST_CODES,
    "StatusChange": {"from_status": staff_status, "to_status": staff_status,
                     "action": _labelled(ACTION_LABELS)},
    "KbArticle": {"kind": _labelled(ARTICLE_KIND_LABELS)},
    "Attachment": {"kind": _labelled(ATTACHMENT_KIND_LABELS)},
    "ScheduleEntry": {"kind": _labelled(ENTRY_KIND_LABELS)},
    "PartnerApplication": {"status": _labelled(APPLICATION_STATUS_LABELS)},
    "PriceRule": {"kind": _labelled(RULE_KIND_LABELS)},
}


def readable(datamodel, name: str):
    """The formatter that shows column `name` as people read it ("—" when empty)."""
    if name.endswith("_kopecks"):
        show = money
    elif name in CODE_LABELS.get(datamodel.model_name, {}):
        show = CODE_LABELS[datamodel.model_name][name]
    elif "." not in name and datamodel.is_boolean(name):
        def show(value):
            return _("Yes") if value else _("No")
    elif "." not in name and datamodel.is_datetime(name):
        # stored UTC, shown in the bureau's zone; schedule times are wall-clock already
        show = format_wall if is_wall_clock(datamodel.model_name, name) else format_moment
    elif "." not in name and datamodel.is_date(name):
        show = format_day
    elif "." not in name and (datamodel.is_numeric(name) or datamodel.is_float(name)):
        show = decimal_text  # 1,5 in Russian, 1.5 in English, no trailing zeros ("1.000")
    else:
        def show(value):
            return value
    return lambda value: "—" if value is None or value == "" else show(value)


# what each table is called in page titles: (one record, the list)
MODEL_NAMES = {
    "Request": (_l("Request"), _l("Requests")),
    "StatusChange": (_l("Status change"), _l("Status history")),
    "PartnerCompany": (_l("Partner company"), _l("Partner companies")),
    "PartnerApplication": (_l("Partner application"), _l("Partner applications")),
    "EndClient": (_l("End client"), _l("End clients")),
    "Payment": (_l("Payment"), _l("Payments")),
    "Service": (_l("Service"), _l("Services")),
    "PriceRule": (_l("Price rule"), _l("Price rules")),
    "Quote": (_l("Quote"), _l("Quotes")),
    "KbCategory": (_l("Knowledge base category"), _l("Knowledge base categories")),
    "KbArticle": (_l("Article"), _l("Articles")),
    "AuditEvent": (_l("Audit record"), _l("Audit log")),
    "Message": (_l("Message"), _l("Messages")),
    "Attachment": (_l("File"), _l("Files")),
    "ScheduleEntry": (_l("Schedule entry"), _l("Schedule entries")),
    "ApprovalStep": (_l("Approval step"), _l("Approval steps")),
    "DocumentSlot": (_l("Document at intake"), _l("Documents at intake")),
    "ServiceField": (_l("Request form field"), _l("Request form fields")),
}


INTEGER_BOUNDS = (-2_147_483_648, 2_147_483_647)  # an INTEGER column (PostgreSQL)


def column_bounds(datamodel, name: str) -> tuple[Decimal, Decimal] | None:
    """The least and greatest number column `name` stores: INTEGER's range, a NUMERIC(p, s)'s
    p − s digits before the point; None for any other column."""
    kind = getattr(getattr(datamodel.obj, name, None), "type", None)
    if isinstance(kind, sqltypes.Integer) and not isinstance(kind, sqltypes.BigInteger):
        return Decimal(INTEGER_BOUNDS[0]), Decimal(INTEGER_BOUNDS[1])
    if not isinstance(kind, sqltypes.Numeric) or kind.precision is None:
        return None
    precision, scale = kind.precision, kind.scale or 0
    highest = Decimal(10) ** (precision - scale) - Decimal(10) ** -scale
    return -highest, highest


class ColumnRange:
    """A number a column can store (a form's field whose column is NUMERIC(6, 1) took
    "1e309" or 2147483648, and the database refused the save: the typed values gone)."""

    def __init__(self, low: Decimal, high: Decimal):
        self.low, self.high = low, high

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        try:
            number = Decimal(str(value))
            fits = number.is_finite() and self.low <= number <= self.high
        except ArithmeticError:
            fits = False
        if not fits:
            raise StopValidation(_("Enter a value from %(min)s to %(max)s.",
                                   min=decimal_text(self.low), max=decimal_text(self.high)))


class RefusalKeepsInput:
    """ModelView mixin: FAB's add and edit, except that a refusal of pre_add / pre_update
    (a use case's check: "the service already has a field …", "the discount is a percent …")
    shows the form again with what was typed. FAB flashed it and redirected to the list,
    the typed values gone. The refused change is rolled back before the page is drawn (its
    queries would flush it otherwise). Everything else is FAB's code as of 5.3."""

    def _checked(self, form, item, check) -> bool:
        """The form's values on `item`, then pre_add / pre_update (`check`); False, flashed
        and rolled back, when it refuses (FAB's catch: any exception of the check)."""
        try:
            form.populate_obj(item)
            check(item)
        except Exception as error:
            db.session.rollback()
            flash(str(error), "danger")
            return False
        return True

    def _add(self):
        is_valid_form = True
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                if not self._checked(form, item, self.pre_add):
                    is_valid_form = False
                else:
                    try:
                        self.datamodel.add(item)
                        self.post_add(item)
                        flash(self.add_row_message, "success")
                    except Exception as error:
                        flash(str(error))
                    return None
            else:
                is_valid_form = False
        if is_valid_form:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        is_valid_form = True
        pages, page_sizes, orders = get_page_args(), get_page_size_args(), get_order_args()
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk  # FAB's trick to pass its unique validation
            if form.validate():
                self.process_form(form, False)
                if not self._checked(form, item, self.pre_update):
                    is_valid_form = False
                    item = self.datamodel.get(pk, self._base_filters)  # as stored
                else:
                    try:
                        self.datamodel.edit(item)
                        self.post_update(item)
                        flash(self.edit_row_message, "success")
                    except Exception:
                        flash(self.database_error_message, "danger")
                    return None
            else:
                is_valid_form = False
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        widgets = self._get_related_views_widgets(item, filters={}, orders=orders, pages=pages,
                                                  page_sizes=page_sizes, widgets=widgets)
        if is_valid_form:
            self.update_redirect()
        return widgets


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def required_text(field) -> None:
    """A generated text field is stored trimmed, and a required one holds more than spaces:
    FAB's InputRequired took "   " as a service's name, a price rule's label, an article's
    title, and partners were offered a blank checkbox."""
    if not isinstance(field, UnboundField) or field.field_class is not StringField \
            or len(field.args) > 1:  # FAB's generated text field, its validators by name
        return
    field.kwargs["filters"] = [*field.kwargs.get("filters", ()), _strip]
    field.kwargs["validators"] = [
        DataRequired(message=v.message) if isinstance(v, InputRequired) else v
        for v in field.kwargs.get("validators", ())]


class ReplanModelView(AuditedEdits, RefusalKeepsInput, ModelView):
    """Explicit columns everywhere; page size from the URL is capped; lists export to Excel;
    edits, additions and deletions audited with old → new values (views.audited)."""

    def _init_properties(self):
        """Every shown value as people read it, unless the view says otherwise: money in
        roubles, Да/Нет, dates in the user's format, codes through their labels, "—" for
        nothing (FAB printed 23477825, True, None, `apartment`)."""
        super()._init_properties()
        declared = dict(self.formatters_columns or {})
        columns = set(self.list_columns or []) | set(self.show_columns or [])
        self.formatters_columns = {**{name: readable(self.datamodel, name)
                                      for name in columns}, **declared}

    def _init_titles(self):
        """Titles in the user's language ("Услуги", "Услуга", "Изменение: Услуга"), never
        FAB's "List Service" / "Show Service" built from the class name."""
        one, many = MODEL_NAMES.get(self.datamodel.model_name,
                                    (self.datamodel.model_name,) * 2)
        self.list_title = self.list_title or many
        self.show_title = self.show_title or one
        self.add_title = self.add_title or _l("New record: %(name)s", name=one)
        self.edit_title = self.edit_title or _l("Editing: %(name)s", name=one)
        super()._init_titles()

    def _init_forms(self):
        """A related field that may stay empty offers "—", not FAB's bare "__None"; a number
        column's generated field holds what the column can store (ColumnRange) and takes a
        decimal comma ("1,5": FAB's DecimalField said "Неверное десятичное число")."""
        declared = dict(self.validators_columns or {})
        for name in {*(self.add_columns or []), *(self.edit_columns or [])}:
            bounds = column_bounds(self.datamodel, name)
            if bounds is not None:
                declared[name] = [*declared.get(name, []), ColumnRange(*bounds)]
        self.validators_columns = declared
        super()._init_forms()
        yes_no_selects(self.search_form)
        for form in (self.add_form, self.edit_form):
            for field in vars(form).values():
                if isinstance(field, UnboundField) and field.field_class is DecimalField:
                    field.field_class = DecimalCommaField  # "1,5" as typed in Russian
                if isinstance(field, UnboundField) and field.kwargs.get("allow_blank") \
                        and not field.kwargs.get("blank_text"):
                    field.kwargs["blank_text"] = "—"
                required_text(field)

    def get_redirect(self):
        """Where a save or a delete returns: FAB's page history, else this view's list (with
        no history, e.g. an edit page opened by its address, FAB went to the start page)."""
        url = super().get_redirect()
        return self._list_url() if url == self.appbuilder.get_url_for_index else url

    def post_delete_redirect(self):
        """Back to the list the delete was pressed on (its filters kept): FAB's history took
        the page before it (another list, or the start page), refused or not."""
        came_from = request.referrer or ""
        if safe_next(came_from) and urlsplit(came_from).path.startswith(
                f"{self.route_base}/list"):
            return redirect(came_from)
        return redirect(self._list_url())

    def _list_url(self) -> str:
        return url_for(f"{self.endpoint}.list")

    # FAB's "Added Row" / "Changed Row" / "Deleted Row" read "Изменено строк" in Russian
    add_row_message = _l("The record is added.")
    edit_row_message = _l("The record is saved.")
    delete_row_message = _l("The record is deleted.")
    page_size = 25
    search_form_query_rel_fields: dict = {}
    search_widget = KeptChoicesSearchWidget  # related selects rendered once, kept
    list_template = "replan_list.html"
    export_skipped: tuple[str, ...] = ()  # list columns left out of Excel (buttons)

    @property
    def sortable_columns(self) -> list[str]:
        """Columns a user may sort by: the declared order columns, never a related one
        (no ordering rows by a partner's contact through `end_client.phone`)."""
        return [c for c in (self.order_columns or []) if "." not in c]

    def list_order(self) -> tuple[str, str]:
        """The requested sort if it is on a sortable column, else the view's default."""
        column, direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if column in self.sortable_columns and direction in ("asc", "desc"):
            return column, direction
        return self.base_order or ("", "")

    @expose("/export")
    @has_access
    def export(self):
        """The list as on screen (filters and sort), inline or as a background job."""
        # the arguments as checked by app.input_guard, saved as explicit parameters
        params = {"view": self.__class__.__name__, "filters": self.filter_params(request.args),
                  "order": list(self.list_order())}
        file_name = f"{self.route_base.strip('/') or 'list'}.xlsx"
        return export_response(g.user, "list", params, file_name, "ReportsView.task")

    def filter_params(self, args) -> list:
        """FAB's `_flt_<index>_<column>` arguments as [column, index, values], searchable
        columns only (as FAB's own list does)."""
        searchable = self._filters.get_search_filters()
        found = []
        for name in sorted(set(args)):
            match = re.fullmatch(r"_flt_(\d)_(.*)", name)
            if match and match.group(2) in searchable:
                found.append([match.group(2), int(match.group(1)), args.getlist(name)])
        return found

    def _joined_filters(self, filters: list, user):
        """Search filters from explicit parameters, and the base filters with every user
        scope bound to `user`: nothing is read from the request or the signed-in user."""
        joined = self.datamodel.get_filters(self.search_columns)
        for column, index, values in filters:
            joined.add_filter_index(column, int(index), values)
        base = self._base_filters
        joined.filters = joined.filters + list(base.filters)
        joined.values = joined.values + [user if isinstance(flt, UserScopeFilter) else value
                                         for flt, value in zip(base.filters, base.values)]
        return joined

    def export_count(self, filters: list, user) -> int:
        """Rows the export would hold, bounded like the list's count."""
        return self.datamodel.query_count(self.datamodel.session.query(self.datamodel.obj),
                                          self._joined_filters(filters, user))

    def export_query(self, query, joined, order):
        """`query` with the list's filters and its order as on the screen: a sortable
        column, or the date a filtered list chose to read newest first by
        (views.keyset.KeysetListMixin.list_order), else the default (FAB breaks ties by
        the key in the same direction, as the screen's pages do)."""
        order_column, order_direction = order or ("", "")
        known = set(self.sortable_columns) | set(getattr(self, "dated_orders", ()))
        if order_column not in known or order_direction not in ("asc", "desc"):
            order_column, order_direction = self.base_order or ("", "")
        return self.datamodel.apply_all(query, joined, order_column, order_direction)

    def list_columns_for(self, user) -> list[str]:
        """The list's columns for this user (the screen and its export alike)."""
        return list(self.list_columns)

    def export_table(self, filters: list, order, user):
        """(title, typed columns, streamed rows) for explicit filters, sort and user."""
        query = self.export_query(self.datamodel.session.query(self.datamodel.obj),
                                  self._joined_filters(filters, user), order)
        if getattr(self.datamodel, "eager", ()):
            query = query.options(*[selectinload(getattr(self.datamodel.obj, name))
                                    for name in self.datamodel.eager])
        listed = [c for c in self.list_columns_for(user) if c not in self.export_skipped]
        columns = [_export_column(self.datamodel, c, self.label_columns.get(c, c))
                   for c in listed]
        # the generated formatters (labels, Да/Нет, names), not a view's own markup: those
        # build links, and a background export has no request to build them in
        shown = [(c, column.kind, readable(self.datamodel, c))
                 for c, column in zip(listed, columns)]

        def rows():
            for item in query.yield_per(1000):
                yield tuple(_export_value(getattr(item, c, None), kind, show)
                            for c, kind, show in shown)
        return self.list_title or self.__class__.__name__, columns, rows()

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        page_size = min(int(page_size or self.page_size), MAX_PAGE_SIZE)
        # FAB sorts by any column named in the URL (an unindexed one sorts the whole set,
        # a dotted one joins a partner's contacts): only the view's sortable columns
        order_column, order_direction = self.list_order()
        return super()._get_list_widget(filters, actions, order_column, order_direction,
                                        page, page_size, widgets, **kwargs)


class ReadOnlyView(ReplanModelView):
    base_permissions = ["can_list", "can_show", "can_export"]


def _column_kind(model, name: str) -> str:
    """Excel cell type of a list column: money by name, the rest by the SQL type."""
    if name.endswith("_kopecks"):
        return "money"
    sql_type = getattr(getattr(model, name, None), "type", None)
    for kind, types in (("datetime", sqltypes.DateTime), ("date", sqltypes.Date),
                        ("int", sqltypes.Integer), ("number", sqltypes.Numeric)):
        if isinstance(sql_type, types):
            return kind
    return "text"


def _export_column(datamodel, name: str, header) -> Column:
    """A list column in Excel: its type (a schedule time is wall-clock) and a fitting width."""
    kind = _column_kind(datamodel.obj, name)
    if kind == "datetime" and is_wall_clock(datamodel.model_name, name):
        kind = "wall_datetime"
    width = {"datetime": 17, "wall_datetime": 17, "date": 12, "money": 16, "int": 10,
             "number": 12}.get(kind, 24)
    return Column(header, kind, max(width, min(len(str(header)) + 3, 40)))


def _export_value(value, kind: str, show):
    """Typed values stay typed (the writer formats them); any other value is written as the
    list shows it: labels for codes, Да/Нет, a user's name, plain text for markup."""
    if value is None or value == "":
        return None
    if kind != "text" or show is None:
        return _plain(value)
    shown = show(value)
    if isinstance(shown, Markup):
        return shown.striptags()
    return None if shown in ("—", "") else str(shown)


def _plain(value):
    if value is None or isinstance(value, (str, int, float, Decimal, date, datetime)):
        return value
    return str(value)

