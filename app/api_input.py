"""JSON input of REST API v1: one strict reader for every area module.

`read_json(spec)` parses the body (a JSON object; floats kept exact as Decimal; NaN/Infinity,
numbers of thousands of digits and deep nesting refused) and checks it against `spec`:
unknown keys, wrong types, integers outside the INTEGER range and too long strings are
InvalidInput (422) with a translated detail naming the key; a body over JSON_MAX bytes is 413.
NUL bytes never get here (app.input_guard refuses them with 400).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import problem_locale
from app.errors import InvalidInput
from app.input_guard import FORM_TYPES, MAX_INT, bounded_int

JSON_MAX = 256 * 1024  # bytes of a JSON body (files go through multipart uploads)
TEXT_MAX = 5000


@dataclass(frozen=True)
class Field:
    """What one key of a JSON object may hold."""

    kind: str  # "str", "int", "bool", "list", "object", "scalar" (str/number/bool), "any"
    required: bool = False
    max_length: int = TEXT_MAX  # characters of a string; items of a list
    minimum: int = -MAX_INT
    maximum: int = MAX_INT
    nullable: bool = False
    items: str | None = None  # the kind of a list's items


# the JSON types by their names in the reference, told in the reader's language
KIND_NAMES = {"str": _l("string"), "int": _l("integer"), "bool": _l("boolean"),
              "list": _l("array"), "object": _l("object"),
              "scalar": _l("string, number or boolean"), "any": _l("value")}


def _too_large() -> RequestEntityTooLarge:
    """413 naming the JSON body's limit (the pages' text speaks of an upload)."""
    return RequestEntityTooLarge(_("The request body is larger than the server accepts: a "
                                   "JSON body has at most %(kib)s KiB.", kib=JSON_MAX // 1024))


NUMBER_DIGITS = 40  # a 5 000-digit number was "not valid JSON" (Python's conversion limit)


class _NumberTooLong(Exception):
    """Not a ValueError: json.loads would report it as invalid JSON."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > NUMBER_DIGITS:
        raise _NumberTooLong
    return int(text)


def _reject_constant(name: str):
    raise ValueError(name)


def parse_body(optional: bool = False) -> dict:
    """The request body as a JSON object ({} when empty and `optional`). A form-encoded body
    is no JSON (the input guard had read it as a form, leaving the body empty: a move sent
    as a form went through with its version and comment unread)."""
    if request.mimetype in FORM_TYPES and (request.form or request.files):
        raise InvalidInput(_("The body is a form, not JSON: send a JSON object with "
                             "Content-Type: application/json."))
    data = request.get_data(cache=True)
    if len(data) > JSON_MAX:
        raise _too_large()
    if not data.strip() and optional:
        return {}
    try:
        body = json.loads(data, parse_float=Decimal, parse_int=_bounded_int,
                          parse_constant=_reject_constant)
    except _NumberTooLong:
        raise InvalidInput(_("A number in the body has more than %(n)s digits.",
                             n=NUMBER_DIGITS)) from None
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise InvalidInput(_("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise InvalidInput(_("The body must be a JSON object."))
    return body


def json_or_none():
    """The body as JSON like request.get_json(silent=True): None when it is not JSON, also
    when nested deeper than the parser recurses (get_json lets RecursionError through)."""
    if request.is_json and (request.content_length or 0) > JSON_MAX:  # as parse_body
        raise _too_large()
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def check_value(name: str, value, field: Field):
    """`value` if it fits `field`, else InvalidInput naming `name`."""
    if value is None:
        if field.nullable or not field.required:
            return None
        raise InvalidInput(_("“%(name)s” is required.", name=name))
    if not _kind_ok(value, field.kind):
        raise InvalidInput(_("“%(name)s” must be of type %(kind)s.", name=name,
                             kind=KIND_NAMES[field.kind]))
    if isinstance(value, str) and len(value) > field.max_length:
        raise InvalidInput(_("“%(name)s” is too long (at most %(max)s characters).",
                             name=name, max=field.max_length))
    if isinstance(value, int | Decimal) and not isinstance(value, bool) \
            and not field.minimum <= value <= field.maximum:
        raise InvalidInput(_("“%(name)s” must be from %(min)s to %(max)s.", name=name,
                             min=field.minimum, max=field.maximum))
    if isinstance(value, list):
        if len(value) > field.max_length:
            raise InvalidInput(_("“%(name)s” has too many items (at most %(max)s).",
                                 name=name, max=field.max_length))
        if field.items:
            item_field = Field(field.items, required=True)
            for item in value:  # "services[]": an item of the list, not the list
                check_value(f"{name}[]", item, item_field)
    return value


def _kind_ok(value, kind: str) -> bool:
    if kind == "any":
        return True
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "scalar":
        return isinstance(value, str | int | Decimal | bool) and not (
            isinstance(value, Decimal) and not value.is_finite())
    return isinstance(value, {"str": str, "bool": bool, "list": list, "object": dict}[kind])


def read_json(spec: dict[str, Field], optional: bool = False) -> dict:
    """The body's keys checked against `spec` (absent optional keys are left out)."""
    body = parse_body(optional)
    unknown = sorted(set(body) - set(spec))
    if unknown:
        raise InvalidInput(_("Unknown field: “%(name)s”.", name=unknown[0][:100]))
    checked = {}
    for name, field in spec.items():
        if name not in body:
            if field.required:
                raise InvalidInput(_("“%(name)s” is required.", name=name))
            continue
        checked[name] = check_value(name, body[name], field)
    return checked


API_LOCALE = "replan_api_locale"  # set on a view wrapped by in_api_locale


def in_api_locale(view):
    """Run the route in the API's language (Accept-Language, else the token owner's, else
    ru: app.api.problem_locale), so labels and refusals come translated; g.api_locale."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.api_locale = problem_locale()
        with force_locale(g.api_locale):
            return view(*args, **kwargs)

    setattr(wrapper, API_LOCALE, True)
    return wrapper


def money_fields(name: str, kopecks: int | None) -> dict:
    """{"price": "12500.00", "price_kopecks": 1250000}: roubles as a string and kopecks."""
    kopecks = int(kopecks or 0)
    sign = "-" if kopecks < 0 else ""
    whole, cents = divmod(abs(kopecks), 100)
    return {name: f"{sign}{whole}.{cents:02d}", f"{name}_kopecks": kopecks}


def iso(value) -> str | None:
    """A stored UTC datetime as ISO 8601 with Z; a date as YYYY-MM-DD; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def refuse_unknown_params(allowed: set[str]) -> None:
    """A query parameter the operation does not take is refused (docs/api.md), not ignored."""
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise InvalidInput(_("Unknown parameter: “%(name)s”.", name=unknown[0][:100]))


def newest_first_page(query, id_column) -> tuple[list, str | None]:
    """One page of `query` newest first by `id_column` (?limit, ?cursor as the list gave its
    "next_cursor"): the rows and the next page's cursor (None on the last page)."""
    limit = request.args.get("limit")
    size = bounded_int(limit, None, 1, MAX_LIMIT) if limit is not None else DEFAULT_LIMIT
    if size is None:
        raise InvalidInput(_("“limit” must be a whole number from 1 to %(max)s.",
                             max=MAX_LIMIT))
    cursor = request.args.get("cursor")
    if cursor is not None:
        before = bounded_int(cursor)
        if before is None:
            raise InvalidInput(_("The cursor is not valid: pass “next_cursor” as it came."))
        query = query.filter(id_column < before)
    rows = query.order_by(id_column.desc()).limit(size + 1).all()
    more, rows = len(rows) > size, rows[:size]
    return rows, (str(rows[-1].id) if more and rows else None)
