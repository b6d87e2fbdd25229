"""Bad input stops at the edge: NUL bytes refused, ints bounded, FAB list/action params checked."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.list_filters import boolean_value
from app.storage import request_body_limit

MAX_INT = 2**31 - 1  # PostgreSQL INTEGER
_DIGITS = re.compile(r"[0-9]{1,10}")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_FILTER = re.compile(r"_flt_([0-9])_(.+)")
_SIGNED = re.compile(r"-?[0-9]{1,10}")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,6})?")
_FAB_PARAMS = ("page_", "psize_", "_oc_", "_od_", "_flt_")


def bounded_int(value, default=None, lo: int = 1, hi: int = MAX_INT):
    """`value` as an int within lo..hi, else `default` (for ids, keyset and paging params)."""
    text = str(value).strip() if value is not None else ""
    if not _DIGITS.fullmatch(text):
        return default
    number = int(text)
    return number if lo <= number <= hi else default


def arg_int(name: str, default=None, lo: int = 1, hi: int = MAX_INT):
    """A bounded int from the query string."""
    return bounded_int(request.args.get(name), default, lo, hi)


def form_int(name: str, default=None, lo: int = 1, hi: int = MAX_INT):
    """A bounded int from the posted form."""
    return bounded_int(request.form.get(name), default, lo, hi)


def form_version(value) -> int | None:
    """The row version a form was rendered with: None when absent, 0 (never current) when
    garbled, so the workflow answers with its 'changed by someone else' message."""
    if value is None or str(value) == "":
        return None
    return bounded_int(value, default=0)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` URL parts: ASCII digits written once ("4", never "04" or a full-width
    "４", which named the same request under other addresses); a number above PostgreSQL's
    INTEGER range is a 404 (not matching, it was a 405 where another method shares the
    path)."""

    regex = r"(?:0|[1-9][0-9]*)"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > 10 or int(value) > MAX_INT:
            raise NotFound()
        return super().to_python(value)


def _has_nul(values) -> bool:
    return any("\x00" in (v or "") for v in values)


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


JSON_CHECKED = 1024 * 1024  # a larger JSON body is refused by the route that reads it (413)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _body_json():
    """The body as JSON, whatever its Content-Type says (the API reads a JSON body sent as
    text/plain or with none: its NUL reached PostgreSQL, a 500); None when it is none."""
    if request.is_json:
        return request.get_json(silent=True)
    if request.mimetype in FORM_TYPES or (request.content_length or 0) > JSON_CHECKED:
        return None
    try:
        return json.loads(request.get_data(cache=True))
    except ValueError:  # not JSON (UnicodeDecodeError is one): the route says so
        return None


def _not_text(value: str) -> bool:
    """A NUL byte, or a lone UTF-16 surrogate (JSON's "\\udcff"): no database stores them."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _not_utf8(raw: bytes) -> bool:
    """Percent-encoded bytes that are no UTF-8 text (%FF, an encoded surrogate %ED%A0%80):
    Werkzeug kept them as the literal "%ED%A0%80", stored in an address and as a new client's
    name, where the API refused the same bytes."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _carries_nul() -> bool:
    """True when the path, query, form fields or JSON strings contain a NUL byte, or JSON
    strings a lone surrogate (both were a 500 on PostgreSQL), or the query or a form's body
    bytes that are no UTF-8. Uploaded file names are not refused: app.storage cleans them
    (NUL, CR/LF, paths)."""
    if _not_utf8(request.query_string):
        return True
    if request.method in ("POST", "PUT", "PATCH") and \
            request.mimetype == "application/x-www-form-urlencoded" and \
            (request.content_length or 0) <= JSON_CHECKED and \
            _not_utf8(request.get_data(cache=True)):  # before the form is parsed: kept
        return True
    parts = [request.path, *request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        parts += [*request.form.keys(), *request.form.values(), *request.files.keys()]
        try:
            if any(_not_text(text) for text in _json_strings(_body_json())):
                return True
        except RecursionError:  # nested thousands deep: the route refuses it (no 500)
            pass
    return _has_nul(parts)


def _view_named(name: str):
    """The registered FAB view of this class name (the first, as FAB registered them), from
    an index kept per app: a scan of the ~100 views ran on every request."""
    views = current_app.appbuilder.baseviews
    kept = current_app.extensions.get("replan_views_by_name")
    if kept is None or kept[0] != len(views):
        kept = (len(views), {view.__class__.__name__: view for view in reversed(views)})
        current_app.extensions["replan_views_by_name"] = kept
    return kept[1].get(name)


def _sortable(view, column: str) -> bool:
    """Only plain columns the view declares sortable (never a related contact column)."""
    allowed = getattr(view, "sortable_columns", None) or getattr(view, "order_columns", None)
    return bool(allowed) and column in allowed and "." not in column \
        and bool(_PLAIN_NAME.fullmatch(column))


def _filter_ok(view, key: str, value: str) -> bool:
    """`_flt_<i>_<col>` only for a searchable column, an index its filters have and a value
    of the column's type (PostgreSQL refuses 'x' for a boolean, 10**30 for an integer)."""
    match = _FILTER.fullmatch(key)
    filters = getattr(getattr(view, "_filters", None), "get_search_filters", dict)()
    if not match or match[2] not in filters or int(match[1]) >= len(filters[match[2]]):
        return False
    return _value_fits(view.datamodel, match[2], value)


def _value_fits(datamodel, column: str, value: str) -> bool:
    """Does `value` parse as the type of `column` (relations by their integer key)?"""
    text = value.strip()
    if datamodel.is_relation(column) or datamodel.is_integer(column):
        return bool(_SIGNED.fullmatch(text)) and abs(int(text)) <= MAX_INT
    if datamodel.is_boolean(column):
        return boolean_value(text) is not None  # the words the list filters take
    if datamodel.is_numeric(column) or datamodel.is_float(column):
        return bool(_DECIMAL.fullmatch(text))
    if datamodel.is_date(column) or datamodel.is_datetime(column):
        return _parses_as_time(text)
    return True


def _parses_as_time(text: str) -> bool:
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(text)
            return True
        except ValueError:
            continue
    return False


def _clean_arg(view, key: str, value: str) -> bool:
    """Keep a query parameter? FAB paging must be numeric, sorting on declared columns."""
    if key.startswith("page_"):
        return bounded_int(value, lo=0) is not None
    if key.startswith("psize_"):
        return bounded_int(value, hi=1000) is not None
    if key.startswith("_oc_"):
        sorted_view = _view_named(key[4:])
        return sorted_view is not None and _sortable(sorted_view, value)
    if key.startswith("_od_"):
        return value in ("asc", "desc")
    if key.startswith("_flt_"):
        return view is not None and _filter_ok(view, key, value)
    return True


def _clean_fab_args() -> None:
    args = request.args
    if not any(k.startswith(_FAB_PARAMS) for k in args):
        return
    view = _view_named((request.endpoint or "").rpartition(".")[0])
    # FAB builds LIKE patterns from filter text without ESCAPE: a backslash before the
    # closing '%' is an error on PostgreSQL ("LIKE pattern must not end with escape")
    kept = [(k, v.replace("\\", "") if k.startswith("_flt_") else v)
            for k, v in args.items(multi=True) if _clean_arg(view, k, v)]
    request.args = ImmutableMultiDict(kept)


def _check_fab_action() -> None:
    """Unknown FAB action names and non-numeric primary keys are 404, not a 500."""
    endpoint = request.endpoint or ""
    view_name, _dot, method = endpoint.rpartition(".")
    view_args = request.view_args or {}
    if "pk" in view_args and isinstance(view_args["pk"], str) \
            and bounded_int(view_args["pk"]) is None:
        abort(404)
    if method == "download" and "filename" in view_args and current_user.is_authenticated \
            and "UPLOAD_FOLDER" not in current_app.config:
        abort(404)  # FAB's file-column download; Replan has no such columns (KeyError: 500)
    definitions = getattr(_view_named(view_name), "definitions", None) \
        if "group_by" in view_args else None
    if definitions is not None and \
            bounded_int(view_args["group_by"], lo=0, hi=len(definitions) - 1) is None:
        abort(404)  # FAB's chart indexes its definitions with int(group_by)
    if method not in ("action", "action_post") or request.method != "POST":
        return  # FAB itself refuses GET actions (redirect) before looking the name up
    view = _view_named(view_name)
    name = view_args.get("name") if method == "action" else request.form.get("action")
    if view is None or name not in getattr(view, "actions", {}):
        abort(404)


def _limit_upload_body() -> None:
    """Multipart bodies far beyond the per-request upload limit are cut off unread (413)."""
    if request.method == "POST" and request.mimetype == "multipart/form-data":
        request.max_content_length = request_body_limit()


def guard_request():
    """Refuse NUL bytes (400) and neutralise malformed list and action parameters."""
    _limit_upload_body()
    if _carries_nul():
        # lazy: the API words it in its own language (Accept-Language, app.api.problem)
        abort(400, description=_l("The request contains a forbidden character (NUL or an "
                                  "unpaired surrogate). Remove it and try again."))
    _clean_fab_args()
    _check_fab_action()


def install_input_guard(app: Flask) -> None:
    """Bounded `<int:>` URL parts and the NUL/params guard before any other hook."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request_funcs.setdefault(None, []).insert(0, guard_request)
