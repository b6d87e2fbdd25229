"""Per-service request form fields (issue 12): the one module that merges, validates and shows
them. A request's values are typed in Request.field_values: {key: str | int | "decimal as
string" | "YYYY-MM-DD" | list | bool}.

`fields_for(service_ids)` → the chosen services' fields merged by key, ordered by group;
`parse(fields, formdata)` → (values, errors); `display_value(field, value)` → text as people
read it; `visible_values(request, viewer_is_engineer)` → [(group, label, text)].
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from re import _parser  # the stdlib's own parser of patterns (pattern_risk)

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _

from app.extensions import db
from app.money import format_roubles, money
from app.shared_cache import CATALOGUE, cached, plain_row
from app.timefmt import format_day
from app.translations import in_language, reads_english
from app.visibility import reads_partner_words
from models.catalog import Service
from models.service_fields import (FIELD_BOOLEAN, FIELD_DATE, FIELD_DECIMAL, FIELD_EMAIL,
                                   FIELD_INTEGER, FIELD_MONEY, FIELD_MULTISELECT,
                                   FIELD_PATTERN, FIELD_PHONE,
                                   FIELD_SELECT, FIELD_TEXT, FIELD_TEXTAREA, NUMBER_TYPES,
                                   ServiceField)

# the request form's old input names, still accepted (bookmarked forms, the API's clients)
FORM_ALIASES = {"address": "object_address"}
INT_LIMIT = 2_147_483_647  # an INTEGER column's range (PostgreSQL)
DECIMAL_RE = re.compile(r"[+-]?\d{1,15}(\.\d{1,6})?")
INTEGER_RE = re.compile(r"[+-]?\d{1,12}")
# a number as typed, any length: one that is only too long is told its range, not "a number"
PLAIN_NUMBER_RE = re.compile(r"[+-]?\d+(\.\d+)?")
PHONE_RE = re.compile(r"\+?[\d\s()\-]{7,20}")
EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
TEXT_LIMITS = {FIELD_TEXTAREA: 5000, FIELD_EMAIL: 254}
TEXT_LIMIT = 500
PATTERN_TEXT_LIMIT = 100  # a pattern-checked value (VIN 17, a cadastral number ~20)
TRUE_WORDS = ("y", "yes", "on", "1", "true")


@dataclass(frozen=True)
class FormField:
    """A field as the form shows it: one key, merged over the services that ask it."""

    key: str
    label: str
    field_type: str
    label_en: str | None = None
    required: bool = False
    help_text: str | None = None
    help_text_en: str | None = None
    group_name: str | None = None
    group_name_en: str | None = None
    sort_order: int = 0
    options: tuple = ()
    pattern: str | None = None
    pattern_message: str | None = None
    pattern_message_en: str | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    show_if_key: str | None = None
    show_if_value: str | None = None
    is_contact: bool = False
    service_ids: tuple = field(default=(), compare=False)
    # the form over several services: each service's own wording of this key where they
    # differ (FormFields of one wording each, in catalogue order; app.service_fields
    # offered_fields); the browser shows the first ticked one's (js/service_fields.js)
    variants: tuple = field(default=(), compare=False)

    @property
    def title(self) -> str:
        """The label in the current language."""
        return in_language(self.label, self.label_en)

    def variant_texts(self) -> list[dict]:
        """The variants for the browser, in the current language: the services (ids, space
        separated), the title, the help and whether those services require the field."""
        return [{"services": " ".join(str(i) for i in v.service_ids), "title": v.title,
                 "help": v.help or "", "required": v.required, "group": v.group or ""}
                for v in self.variants]

    @property
    def help(self) -> str:
        return in_language(self.help_text, self.help_text_en) or ""

    @property
    def group(self) -> str:
        return in_language(self.group_name, self.group_name_en) or ""

    def choices(self) -> list[tuple[str, str]]:
        """(value, label in the current language) of a select's options."""
        return [(str(o.get("value")), in_language(o.get("label"), o.get("label_en")) or
                 str(o.get("value"))) for o in self.options if isinstance(o, dict)]


def form_field(row: ServiceField, service_ids=()) -> FormField:
    """The form's view of one ServiceField row."""
    return FormField(
        key=row.key, label=row.label, label_en=row.label_en, field_type=row.field_type,
        required=bool(row.required), help_text=row.help_text, help_text_en=row.help_text_en,
        group_name=row.group_name, group_name_en=row.group_name_en,
        sort_order=row.sort_order or 0, options=tuple(row.options or ()), pattern=row.pattern,
        pattern_message=row.pattern_message, pattern_message_en=row.pattern_message_en,
        min_value=_finite(row.min_value), max_value=_finite(row.max_value),
        show_if_key=row.show_if_key or None, show_if_value=row.show_if_value,
        is_contact=bool(row.is_contact),
        service_ids=tuple(service_ids) or (row.service_id,))


def _finite(value):
    """A stored bound, or None if it is not a number (NaN saved before the editor refused
    it): a NaN comparison raises, which broke the whole form."""
    return value if value is None or Decimal(value).is_finite() else None


def fields_for(service_ids, include_inactive: bool = False) -> list[FormField]:
    """The services' fields merged by key (the first service's definition in catalogue order;
    required if any requires it; contact data if any marks it), ordered group by group."""
    ids = {int(i) for i in service_ids or () if i}
    if not ids:
        return []
    return merge([row for row in catalogue_fields() if row.service_id in ids
                  and (include_inactive or row.is_active)])


def offered_fields(offered_ids, chosen_ids=()) -> list[FormField]:
    """The fields of every offered service for a form that shows those of the ticked ones:
    merged by key with the chosen services' wording first (a draft's own services, a refused
    form's ticks), each carrying `variants` where services word a key differently ("Flat
    address" for one, "Property address" for another), so that ticking another service shows
    its wording, not the first service's of the catalogue."""
    offered = {int(i) for i in offered_ids or () if i}
    chosen = {int(i) for i in chosen_ids or () if i} & offered
    rows = [row for row in catalogue_fields() if row.service_id in offered and row.is_active]
    position = {id(row): index for index, row in enumerate(rows)}  # catalogue order
    rows.sort(key=lambda row: row.service_id not in chosen)  # stable: catalogue order kept
    wordings: dict[str, dict[tuple, list]] = {}
    for row in rows:
        wording = (row.label, row.label_en, row.help_text, row.help_text_en, row.group_name,
                   row.group_name_en)
        wordings.setdefault(row.key, {}).setdefault(wording, []).append(row)
    fields = []
    for item in merge(rows):
        kinds = wordings.get(item.key, {})
        if len(kinds) > 1:
            item = replace(item, variants=tuple(
                replace(form_field(same[0], [r.service_id for r in same]),
                        required=any(r.required for r in same))
                for same in sorted(kinds.values(), key=lambda same: min(
                    position[id(r)] for r in same))))  # as the server merges a choice
        fields.append(item)
    return fields


def catalogue_fields() -> list:
    """Every service's fields in catalogue order, as plain copies of the rows: read once per
    process while the shared cache's `catalogue` stamp holds (app.shared_cache; each request
    page and form needs them)."""
    return cached(CATALOGUE, "service-fields", _read_catalogue_fields)


def _read_catalogue_fields() -> list:
    rows = db.session.query(ServiceField).join(Service).order_by(
        Service.sort_order, Service.id, ServiceField.sort_order, ServiceField.id).all()
    return [plain_row(row) for row in rows]


def merge(rows) -> list[FormField]:
    """ServiceField rows (in catalogue order) as one field per key, grouped and ordered."""
    first, services = {}, {}
    for row in rows:
        services.setdefault(row.key, []).append(row.service_id)
        if row.key not in first:
            first[row.key] = row
    merged = []
    for key, row in first.items():
        same = [r for r in rows if r.key == key]
        base = form_field(row, dict.fromkeys(services[key]))
        merged.append(replace(base, required=any(r.required for r in same),
                               is_contact=any(r.is_contact for r in same)))
    return _grouped_order(merged)


def _grouped_order(fields: list[FormField]) -> list[FormField]:
    """Groups in order of their first field; fields in a group by their sort order."""
    group_rank = {}
    for position, item in enumerate(fields):
        group_rank.setdefault(item.group_name or "", position)
    ranked = sorted(enumerate(fields), key=lambda pair: (
        group_rank[pair[1].group_name or ""], pair[1].sort_order, pair[0]))
    return [item for _position, item in ranked]


def groups(fields) -> list[tuple[str, list[FormField]]]:
    """[(group title in the current language, its fields)] in the fields' order."""
    result: list[tuple[str, list[FormField]]] = []
    for item in fields:
        if result and result[-1][1][0].group_name == item.group_name:
            result[-1][1].append(item)
        else:
            result.append((item.group, [item]))
    return result


# --- parsing -------------------------------------------------------------------------------

class _Bad(Exception):
    """One field's value refused, with the message for the user."""


def parse(fields, formdata) -> tuple[dict, dict]:
    """The typed values of the shown fields and {key: message} for the refused ones.

    A field hidden by its condition (or by a hidden field it depends on) is dropped and not
    required; empty values are not stored (a yes/no field stores False when unticked)."""
    typed, errors = {}, {}
    for item in fields:
        try:
            value = _typed(item, _raw(item, formdata))
        except _Bad as bad:
            errors[item.key] = str(bad)
            continue
        if value is not None:
            typed[item.key] = value
    shown = shown_keys(fields, typed)
    values = {key: value for key, value in typed.items() if key in shown}
    errors = {key: message for key, message in errors.items() if key in shown}
    for item in fields:
        if item.key in shown and item.required and item.key not in errors \
                and _missing(item, values.get(item.key)):
            errors[item.key] = _("This field is required.")
    return values, errors


def _missing(item: FormField, value) -> bool:
    if item.field_type == FIELD_BOOLEAN:
        return value is not True  # a required yes/no (consent) must be ticked
    return value is None or value == [] or value == ""


def _raw(item: FormField, formdata):
    """What was posted for the field: a list for a multiselect, else a string or None."""
    names = [item.key] + ([FORM_ALIASES[item.key]] if item.key in FORM_ALIASES else [])
    for name in names:
        if item.field_type == FIELD_MULTISELECT:
            values = formdata.getlist(name) if hasattr(formdata, "getlist") \
                else formdata.get(name)
            if values:
                return [str(v) for v in (values if isinstance(values, list) else [values])]
        elif formdata.get(name) is not None:
            return str(formdata.get(name))
    return [] if item.field_type == FIELD_MULTISELECT else None


def _typed(item: FormField, raw):
    """The typed value of one raw input (None when empty); _Bad with the message if refused."""
    for text in (raw if isinstance(raw, list) else [raw]):
        if text is not None and "\x00" in text:
            raise _Bad(_("The text contains a character that is not allowed."))
    if item.field_type == FIELD_BOOLEAN:
        return (raw or "").strip().lower() in TRUE_WORDS
    if item.field_type == FIELD_MULTISELECT:
        return _choices(item, raw)
    text = (raw or "").strip()
    if not text:
        return None
    parser = PARSERS.get(item.field_type, _text)
    return parser(item, text)


def _bounds(item: FormField, number, kind_message: str | None = None):
    low, high = item.min_value, item.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            raise _Bad(kind_message or _("Enter a value from %(min)s to %(max)s.",
                                         min=_number(low), max=_number(high)))
        if low is not None:
            raise _Bad(_("Enter a value of at least %(min)s.", min=_number(low)))
        raise _Bad(_("Enter a value of at most %(max)s.", max=_number(high)))
    return number


def _integer(item: FormField, text: str) -> int:
    text = re.sub(r"[\s\u00a0\u202f]", "", text)  # "120 000" as people type it
    if not re.fullmatch(r"[+-]?\d+", text):
        raise _Bad(_("Enter a whole number."))
    number = _bounds(item, Decimal(text))  # the field's range first, whatever the length
    if not INTEGER_RE.fullmatch(text) or abs(number) > INT_LIMIT:
        raise _Bad(_("Enter a value from %(min)s to %(max)s.",
                     min=_number(-INT_LIMIT), max=_number(INT_LIMIT)))
    return int(number)


def _decimal(item: FormField, text: str) -> str:
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    if not PLAIN_NUMBER_RE.fullmatch(cleaned):
        raise _Bad(_("Enter a number, e.g. 12,5."))
    number = _bounds(item, Decimal(cleaned))  # the field's range first, whatever the length
    if not DECIMAL_RE.fullmatch(cleaned):
        whole, _dot, fraction = cleaned.lstrip("+-").partition(".")
        if len(fraction) > 6:
            raise _Bad(_("Enter at most %(places)s digits after the comma.", places=6))
        raise _Bad(_("Enter a number of at most %(digits)s digits before the comma.",
                     digits=15))
    return decimal_text(number)


# an amount as people type it: "185 000,50", "185000.5", "1'000", "185 000 ₽", "185 000 руб."
MONEY_RE = re.compile(r"\d{1,13}([.,]\d{1,2})?")
MONEY_SUFFIX_RE = re.compile(r"(₽|руб\.?|р\.|rub\.?|rur)$", re.IGNORECASE)


def _money(item: FormField, text: str) -> str:
    """Roubles with at most two digits of kopecks, never negative, stored as a decimal
    ("185000.5"): a comma or a point before the kopecks, spaces or apostrophes between
    thousands, a rouble sign or "руб." after it."""
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", MONEY_SUFFIX_RE.sub("", text.strip()).strip())
    if cleaned.startswith("-"):
        raise _Bad(_("The amount must not be negative."))
    if "," in cleaned and "." in cleaned:
        raise _Bad(_("Write kopecks after a comma or a point, not both: 10 000,50."))
    if not PLAIN_NUMBER_RE.fullmatch(cleaned.replace(",", ".")):
        raise _Bad(_("Enter the amount in roubles, e.g. 10 000,50."))
    number = _bounds(item, Decimal(cleaned.replace(",", ".")))
    if not MONEY_RE.fullmatch(cleaned):
        if len(cleaned.replace(",", ".").partition(".")[2]) > 2:
            raise _Bad(_("Enter at most %(places)s digits after the comma.", places=2))
        raise _Bad(_("Enter a number of at most %(digits)s digits before the comma.",
                     digits=13))
    return decimal_text(number)


def money_kopecks(value) -> int:
    """A stored amount ("185000.5") in kopecks (18500050)."""
    return int((Decimal(str(value)) * 100).to_integral_value())


def decimal_text(value) -> str:
    """How a decimal is stored: plain digits, no exponent, no trailing zeros ("50", "12.5")."""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _date(item: FormField, text: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text) or \
        re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", text)
    try:
        if match is None:
            raise ValueError
        parts = [int(p) for p in match.groups()]
        day = date(*parts) if len(match.group(1)) == 4 else date(parts[2], parts[1], parts[0])
    except ValueError:
        raise _Bad(_("Enter a date, e.g. 31.12.2026.")) from None
    if not 1900 <= day.year <= 2200:
        raise _Bad(_("Enter a date, e.g. 31.12.2026."))
    return day.isoformat()


def _select(item: FormField, text: str) -> str:
    if text not in {value for value, _label in item.choices()}:
        raise _Bad(_("Choose a value from the list."))
    return text


def _choices(item: FormField, raw) -> list | None:
    allowed = [value for value, _label in item.choices()]
    chosen = {text.strip() for text in raw or () if text and text.strip()}
    if chosen - set(allowed):
        raise _Bad(_("Choose values from the list."))
    return [value for value in allowed if value in chosen] or None


def text_limit(field_type: str) -> int:
    """The longest value a text-like field may hold (its maximum may only be lower)."""
    return PATTERN_TEXT_LIMIT if field_type == FIELD_PATTERN else \
        TEXT_LIMITS.get(field_type, TEXT_LIMIT)


def _length(item: FormField, text: str) -> str:
    high = text_limit(item.field_type)
    if item.max_value is not None:
        high = min(high, int(item.max_value))
    low = int(item.min_value) if item.min_value is not None else 0
    if not low <= len(text) <= high:
        raise _Bad(_("Enter %(min)s to %(max)s characters.", min=low or 1, max=high))
    return text


def _text(item: FormField, text: str) -> str:
    return _length(item, text)


def _phone(item: FormField, text: str) -> str:
    if not PHONE_RE.fullmatch(text):
        raise _Bad(_("Enter a phone number, e.g. +7 900 123-45-67."))
    return text


def _email(item: FormField, text: str) -> str:
    if not EMAIL_RE.fullmatch(text):
        raise _Bad(_("Enter an e-mail address, e.g. name@example.ru."))
    return _length(item, text)


def _pattern(item: FormField, text: str) -> str:
    own = in_language(item.pattern_message, item.pattern_message_en)
    try:
        text = _length(item, text)
    except _Bad:  # the admin's message says what the value looks like, its length too
        if own:
            raise _Bad(own) from None
        raise
    try:  # refused at save time; an old broken or backtracking one must not hang the form
        matched = None if pattern_risk(item.pattern or ".*") else \
            re.fullmatch(item.pattern or ".*", text)
    except re.error:
        matched = None
    if not matched:
        raise _Bad(own or _("The value does not have the expected format."))
    return text


# Python's re backtracks: (a+)+$ took 5 s on 25 characters (for ever on 100), and six \d* in
# a row 42 s on 100 digits. A pattern may repeat only fixed-width parts inside a repetition
# (no nested quantifier, no alternatives repeated) and have at most three open-ended runs.
MAX_OPEN_RUNS = 3
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def pattern_risk(pattern: str) -> str | None:
    """Why the pattern could make the server backtrack for minutes, or None (re.error if it
    does not compile)."""
    try:
        tree = _parser.parse(pattern)
    except (RecursionError, OverflowError) as error:
        raise re.error(str(error)) from None
    runs = []
    nested = _repeats_nested(tree, runs)
    if nested:
        return nested
    if len(runs) > MAX_OPEN_RUNS:
        return _("more than %(n)s repetitions of variable length", n=MAX_OPEN_RUNS)
    return None


def _repeats_nested(items, runs: list, inside: bool = False) -> str | None:
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            low, high, sub = arg
            if inside and high != low:
                return _("a repetition inside a repetition, like (a+)+")
            if high - low > 10:
                runs.append(arg)
            found = _repeats_nested(sub, runs, inside or high > 1)
        elif name == "BRANCH":
            if inside:
                return _("alternatives inside a repetition, like (a|b)+: write [ab]+")
            found = next(filter(None, (_repeats_nested(b, runs, inside) for b in arg[1])),
                         None)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP", "ASSERT", "ASSERT_NOT"):
            found = _repeats_nested(arg[-1], runs, inside)
        elif name == "GROUPREF_EXISTS":
            found = next(filter(None, (_repeats_nested(b, runs, inside) for b in arg[1:]
                                       if b is not None)), None)
        else:
            found = None
        if found:
            return found
    return None


PARSERS = {FIELD_INTEGER: _integer, FIELD_DECIMAL: _decimal, FIELD_MONEY: _money,
           FIELD_DATE: _date,
           FIELD_SELECT: _select, FIELD_PHONE: _phone, FIELD_EMAIL: _email,
           FIELD_PATTERN: _pattern}


# --- conditions ----------------------------------------------------------------------------

def shown_keys(fields, values: dict) -> set[str]:
    """Keys of the fields shown for these values: a field with a condition is shown when the
    field it names is shown and has the value (a multiselect: includes it; yes/no: "yes")."""
    by_key = {item.key: item for item in fields}
    return {item.key for item in fields if _shown(item, by_key, values, set())}


def _shown(item: FormField, by_key: dict, values: dict, seen: set) -> bool:
    if not item.show_if_key:
        return True
    parent = by_key.get(item.show_if_key)
    if parent is None or item.key in seen:  # unknown field or a loop: hidden
        return False
    if not _shown(parent, by_key, values, seen | {item.key}):
        return False
    return matches(values.get(parent.key), item.show_if_value)


def matches(value, expected: str | None) -> bool:
    """Whether a typed value satisfies a condition's value (as text)."""
    expected = (expected or "").strip()
    if isinstance(value, bool):
        return value == (expected.lower() in TRUE_WORDS + ("да",))
    if isinstance(value, list):
        return expected in value
    return value is not None and str(value) == expected


# --- display -------------------------------------------------------------------------------

def _number(value) -> str:
    """A number as people read it here: 12,5 in Russian, 12.5 in English; thousands grouped
    from five digits on (a year stays 2019, as Russian typography writes it)."""
    number = Decimal(str(value)).normalize()
    pattern = "#,##0.######" if abs(number) >= 10000 else "0.######"
    return format_decimal(number, format=pattern)


def display_value(item: FormField, value) -> str:
    """A stored value as people read it in the current language ("—" when empty)."""
    if value is None or value == "" or value == []:
        return "—"
    kind = item.field_type
    try:
        if kind == FIELD_BOOLEAN:
            return _("Yes") if value is True else _("No")
        if kind in (FIELD_INTEGER, FIELD_DECIMAL):
            return _number(value)
        if kind == FIELD_MONEY:
            return money(money_kopecks(value))
        if kind == FIELD_DATE:
            return format_day(date.fromisoformat(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)  # stored before a type change: shown as it is
    if kind in (FIELD_SELECT, FIELD_MULTISELECT):
        labels = dict(item.choices())
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    return str(value)


TITLE_TYPES = (FIELD_TEXT, FIELD_PATTERN, FIELD_SELECT, FIELD_MULTISELECT, FIELD_INTEGER,
               FIELD_DECIMAL, FIELD_MONEY, FIELD_DATE)


def title(fields, values: dict) -> str:
    """The request's one-line title: its "address" value, else its first required fields'
    values (never contact data: lists show the title to engineers too), a number with its
    field's label ("Заёмщиков: 2", a bare "2" said nothing). Stored once for every reader:
    written in the bureau's language (the filer's made "120,000" of 120 000 for a Russian
    reader)."""
    if values.get("address") not in (None, ""):
        return str(values["address"])
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "ru"):
        parts = [_title_part(item, values[item.key]) for item in fields
                 if item.required and not item.is_contact and item.field_type in TITLE_TYPES
                 and values.get(item.key) not in (None, "", [])]
    return ", ".join(parts[:3])


def _title_part(item: FormField, value) -> str:
    shown = display_value(item, value)
    return f"{item.title}: {shown}" if item.field_type in NUMBER_TYPES else shown


def form_value(item: FormField, value):
    """A stored value as the form's input shows it again (the editor of a draft)."""
    if value is None:
        return [] if item.field_type == FIELD_MULTISELECT else ""
    if item.field_type == FIELD_DECIMAL:
        return str(value).replace(".", ",") if not reads_english() else str(value)
    if item.field_type == FIELD_MONEY:
        try:
            return format_roubles(money_kopecks(value), english=reads_english())
        except (InvalidOperation, ValueError):
            return str(value)  # stored before a type change: shown as it is
    if item.field_type == FIELD_BOOLEAN:
        return "y" if value is True else ""
    return value if isinstance(value, list) else str(value)


def visible_to(request, user) -> list[tuple[str, str, str]]:
    """visible_values for this reader (engineers: app.visibility's rule)."""
    return visible_values(request, viewer_is_engineer=not reads_partner_words(user))


def visible_values(request, viewer_is_engineer: bool) -> list[tuple[str, str, str]]:
    """[(group, label, text)] of the request's stored values in form order; an engineer gets
    no contact field, nor a value whose field no longer exists (it may have been one)."""
    values = dict(request.field_values or {})
    services = [line.service_id for line in request.lines if line.service_id]
    known = fields_for(services, include_inactive=True)
    shown = [(item.group, item.title, display_value(item, values.pop(item.key)))
             for item in known if item.key in values
             and not (viewer_is_engineer and item.is_contact)]
    if not viewer_is_engineer:
        shown += [("", key, str(value)) for key, value in values.items()
                  if value not in (None, "", [])]
    return shown
