"""Checks of a service field as the admin saves it (the back office's field editor): a key the
form can use, options as "value | Русская метка | English label" lines, a pattern that
compiles, bounds in order, a condition on a field of the same service."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

from app.catalogue_names import service_name
from app.errors import InvalidInput
from app.extensions import db
from app.pricing import coefficient_text
from app.service_fields import TRUE_WORDS, pattern_risk, text_limit
from models.catalog import Service
from models.requests import RequestService
from models.service_fields import (CHOICE_TYPES, FIELD_BOOLEAN, FIELD_PATTERN, FIELD_TYPES,
                                   NUMBER_TYPES, ServiceField)

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
# the request form's own inputs (and the old name of the address): a field must not take them
RESERVED_KEYS = frozenset({
    "urgency", "services", "options", "end_client_id", "new_client_name", "new_client_phone",
    "description", "wanted_date", "quote_id", "version", "csrf_token", "files", "member_id",
    "company_id", "save_draft", "submit_now", "remove_file", "form_nonce", "object_address",
    "next", "status"})
MAX_OPTIONS = 200


class OptionsError(ValueError):
    """A line of the options text that cannot be read (the message says which and why)."""


def parse_option_lines(text: str, previous=()) -> list[dict]:
    """Options from lines "value | Русская метка | English label" (labels optional: the
    value is then shown); keys an option had besides these (a pricing "coefficient") are
    kept for the same value."""
    kept = {str(o.get("value")): o for o in previous or () if isinstance(o, dict)}
    options, seen = [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if "\x00" in line:
            raise OptionsError(_("Line %(n)s holds a character that is not allowed.", n=number))
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 4 or not parts[0]:
            raise OptionsError(_("Line %(n)s: write “value | Русская метка | English label”.",
                                 n=number))
        value = parts[0]
        if len(value) > 100 or any(len(p) > 200 for p in parts):
            raise OptionsError(_("Line %(n)s is too long.", n=number))
        if value in seen:
            raise OptionsError(_("Line %(n)s repeats the value “%(value)s”.", n=number,
                                 value=value))
        seen.add(value)
        label = parts[1] if len(parts) > 1 and parts[1] else value
        label_en = parts[2] if len(parts) > 2 and parts[2] else label
        option = {**kept.get(value, {}), "value": value, "label": label,
                  "label_en": label_en}
        option.pop("coefficient", None)  # the price coefficient: the 4th part (app.pricing)
        if len(parts) > 3 and parts[3]:
            try:
                option["coefficient"] = coefficient_text(parts[3])
            except InvalidInput as error:
                raise OptionsError(_("Line %(n)s: %(error)s", n=number, error=str(error))) \
                    from None
        options.append(option)
    if len(options) > MAX_OPTIONS:
        raise OptionsError(_("At most %(n)s options.", n=MAX_OPTIONS))
    return options


def option_lines(options) -> str:
    """The options as the editor shows them, one "value | label | English label" a line
    (" | coefficient" after them when the option has a price coefficient)."""
    return "\n".join(" | ".join(str(o.get(k) or "") for k in (
        ("value", "label", "label_en", "coefficient") if o.get("coefficient") not in
        (None, "") else ("value", "label", "label_en"))) for o in options or ()
        if isinstance(o, dict))


def check_field(field: ServiceField) -> None:
    """InvalidInput (saying what to change) unless the form can use this field."""
    if field.service is not None:  # the form's choice (moved to another service: its id
        # changes only at the flush, so the checks below would read the old service's fields)
        field.service_id = field.service.id
    if field.service_id is None:
        raise InvalidInput(_("Choose the service."))
    with db.session.no_autoflush:  # the row is in the session (by its service) but unchecked
        _check(field)


def _check(field: ServiceField) -> None:
    field.key = (field.key or "").strip()
    if not KEY_RE.fullmatch(field.key):
        raise InvalidInput(_("The key is Latin lower-case letters, digits and “_”, starting "
                             "with a letter (e.g. vin, car_class), at most 40."))
    if field.key in RESERVED_KEYS:
        raise InvalidInput(_("The key “%(key)s” is taken by the request form itself: choose "
                             "another.", key=field.key))
    if field.field_type not in FIELD_TYPES:
        raise InvalidInput(_("Choose the field's type from the list."))
    if field.field_type in CHOICE_TYPES and not field.options:
        raise InvalidInput(_("A choice from a list needs options: one a line."))
    _check_pattern(field)
    _check_bounds(field)
    _check_condition(field)
    _check_unique(field)
    _check_rename(field)


CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def untranslated_parts(field: ServiceField) -> list[str]:
    """What of a field English readers read in Russian: its label, its group, its options
    (by value) whose English label is missing (the Russian one stands in)."""
    parts = []
    if CYRILLIC.search(field.label or "") and not (field.label_en or "").strip():
        parts.append(_("the label"))
    if CYRILLIC.search(field.group_name or "") and not (field.group_name_en or "").strip():
        parts.append(_("the group"))
    options = [str(o.get("value")) for o in field.options or () if isinstance(o, dict)
               and CYRILLIC.search(str(o.get("label_en") or o.get("label") or ""))]
    if options:
        parts.append(_("the options %(values)s", values=", ".join(options[:10])))
    return parts


def _users_of(service_id, key: str, field_id) -> list[str]:
    """What names this field by its key, said as it is used: the service's price rate and
    the service's other fields shown only on its value."""
    service = db.session.get(Service, service_id) if service_id else None
    users = [_("the price of “%(service)s” (its rate field)", service=service_name(service))] \
        if service is not None and service.rate_field_key == key else []
    users += [_("the field “%(key)s” (shown by its value)", key=other)
              for (other,) in db.session.query(ServiceField.key).filter(
                  ServiceField.service_id == service_id, ServiceField.show_if_key == key,
                  ServiceField.is_active.is_(True), ServiceField.id != field_id)]
    return users


def _check_rename(field: ServiceField) -> None:
    """A key others refer to keeps its name, and stays on the form while they do: the
    service's price rate and other fields' conditions name it (renamed or switched off, the
    price failed on every request of the service and the dependent fields were hidden for
    ever)."""
    if field.id is None:
        return
    old, was_active = db.session.query(ServiceField.key, ServiceField.is_active).filter_by(
        id=field.id).one_or_none() or (None, None)
    if old is None:
        return
    if old != field.key and (users := _users_of(field.service_id, old, field.id)):
        raise InvalidInput(_("The key “%(key)s” is used by: %(users)s. Change those first, "
                             "or keep the key.", key=old, users="; ".join(users)))
    if was_active and not field.is_active and (users := _users_of(field.service_id, old,
                                                                  field.id)):
        raise InvalidInput(_("The field “%(key)s” is needed by %(users)s: change that "
                             "first, then switch it off.", key=old, users="; ".join(users)))


def check_field_delete(field: ServiceField) -> None:
    """A field is deleted only while nothing needs it: not while the service prices by it or
    other fields depend on it, nor once requests of the service were filed (their stored
    values would lose their label, and the form its field): it is switched off instead."""
    if users := _users_of(field.service_id, field.key, field.id):
        raise InvalidInput(_("The field “%(key)s” is needed by %(users)s: change that "
                             "first, then delete it.", key=field.key, users="; ".join(users)))
    filed = db.session.query(RequestService.id).filter(
        RequestService.service_id == field.service_id).first()
    if filed is not None:
        raise InvalidInput(_("Requests of this service keep values of “%(key)s”: switch the "
                             "field off instead (untick “Active”); new requests no longer ask "
                             "for it and the stored values keep their label.", key=field.key))


def _check_pattern(field: ServiceField) -> None:
    if field.field_type != FIELD_PATTERN:
        if (field.pattern or "").strip():  # saved and never applied: the admin believed
            raise InvalidInput(_("A pattern checks only a field of the type “Text checked "
                                 "by a pattern”: choose that type or clear the pattern."))
        return
    if not field.pattern:
        raise InvalidInput(_("A pattern-checked field needs its pattern (a regular "
                             "expression), e.g. [A-HJ-NPR-Z0-9]{17}."))
    try:
        re.compile(field.pattern)
        risk = pattern_risk(field.pattern)
    except (re.error, RecursionError, OverflowError) as error:
        raise InvalidInput(_("The pattern is not a valid regular expression: %(error)s.",
                             error=str(error))) from None
    if risk:
        raise InvalidInput(_("The pattern could take the server minutes to check a value "
                             "(%(risk)s). Write it without nesting, e.g. [A-HJ-NPR-Z0-9]{17}.",
                             risk=risk))


def _check_bounds(field: ServiceField) -> None:
    low, high = field.min_value, field.max_value
    if any(v is not None and not Decimal(v).is_finite() for v in (low, high)):
        # PostgreSQL's NUMERIC stores NaN, and a NaN bound broke every form showing the field
        raise InvalidInput(_("The minimum and maximum must be numbers."))
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise InvalidInput(_("The minimum is above the maximum."))
    if field.field_type not in NUMBER_TYPES and any(
            v is not None and (Decimal(v) < 0 or Decimal(v) != int(v)) for v in (low, high)):
        raise InvalidInput(_("For a text the minimum and maximum are lengths: whole numbers "
                             "from 0."))
    limit = text_limit(field.field_type)
    if field.field_type not in NUMBER_TYPES and high is not None and Decimal(high) > limit:
        raise InvalidInput(_("This kind of text is at most %(n)s characters long.", n=limit))


def _check_condition(field: ServiceField) -> None:
    field.show_if_key = (field.show_if_key or "").strip() or None
    if field.show_if_key is None:
        field.show_if_value = None
        return
    if field.show_if_key == field.key:
        raise InvalidInput(_("A field cannot depend on itself."))
    if not (field.show_if_value or "").strip():
        raise InvalidInput(_("Say which value of “%(key)s” shows this field.",
                             key=field.show_if_key))
    conditions = dict(db.session.query(ServiceField.key, ServiceField.show_if_key).filter(
        ServiceField.service_id == field.service_id, ServiceField.id != (field.id or 0)))
    if field.show_if_key not in conditions:
        raise InvalidInput(_("The service has no field “%(key)s” to depend on.",
                             key=field.show_if_key))
    _check_condition_value(field)
    conditions[field.key] = field.show_if_key
    key, seen = field.show_if_key, {field.key}
    while key is not None:  # a loop of conditions would hide its fields for ever
        if key in seen:
            raise InvalidInput(_("“%(key)s” depends (through other fields) on this field: "
                                 "the fields would never be shown.", key=field.show_if_key))
        seen.add(key)
        key = conditions.get(key)


YES_NO = TRUE_WORDS + ("да", "no", "n", "off", "0", "false", "нет")


def _check_condition_value(field: ServiceField) -> None:
    """The value a field waits for is one its field can have: an option of a choice, yes or
    no for a yes/no ("tinkoff" for a bank list without it was saved: the field could never
    be shown)."""
    field.show_if_value = field.show_if_value.strip()
    parent = db.session.query(ServiceField).filter_by(service_id=field.service_id,
                                                      key=field.show_if_key).first()
    if parent is None:
        return
    if parent.field_type in CHOICE_TYPES:
        values = [str(option.get("value")) for option in parent.options or ()
                  if isinstance(option, dict)]
        if field.show_if_value not in values:
            raise InvalidInput(_("“%(value)s” is not an option of “%(key)s”: choose one of "
                                 "%(values)s.", value=field.show_if_value[:40],
                                 key=field.show_if_key, values=", ".join(values)))
    elif parent.field_type == FIELD_BOOLEAN and field.show_if_value.lower() not in YES_NO:
        raise InvalidInput(_("“%(key)s” is a yes/no field: the value is “yes” or “no”.",
                             key=field.show_if_key))


def _check_unique(field: ServiceField) -> None:
    query = db.session.query(ServiceField.id).filter_by(service_id=field.service_id,
                                                        key=field.key)
    if field.id is not None:
        query = query.filter(ServiceField.id != field.id)
    if query.first() is not None:
        raise InvalidInput(_("The service already has a field “%(key)s”.", key=field.key))
