"""Admin-editable settings with defaults (stored as JSON in the setting table)."""

from __future__ import annotations

import copy
from datetime import time

from flask_babel import gettext as _

from app.access import require_role
from app.audit import changes, record
from app.branding import BRAND_REFUSED
from app.errors import InvalidInput
from app.extensions import db
from app.permissions import ADMIN
from app.requisites import BUREAU_CODES, bureau_problems, compact
from app.shared_cache import SETTINGS, cached
from app.timefmt import forget_zone, valid_zone
from models.audit import Setting

# how invoices, acts and proposals state VAT: none (simplified tax system), 20 % included in
# the total, or 20 % added on top of it (reports.documents.document_totals applies it)
VAT_NONE, VAT_INCLUDED_20, VAT_ON_TOP_20 = "none", "included20", "on_top20"
VAT_MODES = (VAT_NONE, VAT_INCLUDED_20, VAT_ON_TOP_20)

DEFAULTS: dict[str, object] = {
    "bureau": {
        "name": "ООО «Реплан»",
        "inn": "7707083893",
        "kpp": "770701001",
        "address": "г. Москва, ул. Примерная, д. 1",
        "bank": "ПАО Сбербанк",
        "bik": "044525225",
        "account": "40702810938000000001",
        "corr_account": "30101810400000000225",
        "director": "Иванов И. И.",
    },
    "payment_before_delivery": True,
    "vat_mode": VAT_NONE,
    "brand_name": "Replan",  # the product's name shown to people (app.branding)
    "time_zone": "Europe/Moscow",  # every moment shown to people is in this zone (app.timefmt)
    "upload_max_mb": 20,
    "upload_max_files": 20,  # files in one submission
    "upload_max_total_mb": 50,  # all files of one submission together
    "auto_close_days": 14,
    # the bureau's working time (wall clock, weekdays 0 = Monday): the default booking window
    # starts and ends in it, busy time and vacations take capacity only inside it
    "working_hours": {"start": "09:00", "end": "18:00", "days": [0, 1, 2, 3, 4]},
    # SLA: minutes a request may stay in a status before its manager is alerted (per
    # service tighter ones: app.sla); migration 0011 converted a stored "sla_hours"
    "sla_minutes": {"submitted": 240, "assigned": 1440, "needs_info": 4320,
                    "scheduled": 4320, "in_progress": 7200, "on_review": 1440,
                    "rework": 4320, "ready": 2880},
    # which partner actions need a one-time code (a simple electronic signature, app.signatures):
    # submit a request, accept the work (close: signing the act), agree to a quote, change the
    # profile e-mail or phone; "sms": send codes by SMS to users with a phone (else e-mail)
    "signatures": {"submit": False, "close": False, "quote": False, "contact": False,
                   "sms": False},
}


def get_setting(key: str):
    """The stored value of a setting, or its default (a copy: the stored ones are shared by
    the process, app.shared_cache)."""
    stored = cached(SETTINGS, None, _stored_settings)
    if key in stored:
        return copy.deepcopy(stored[key])
    return copy.deepcopy(DEFAULTS.get(key))


def _stored_settings() -> dict:
    """Every stored setting (a small table: one statement)."""
    return dict(db.session.query(Setting.key, Setting.value).all())


def set_setting(key: str, value) -> None:
    """Store a setting (committed by the caller)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value


def save_settings(user, values: dict) -> None:
    """An admin stores every setting at once (each key of DEFAULTS; the caller commits)."""
    require_role(user, ADMIN)
    bureau = _bureau_codes(values["bureau"])
    problems = bureau_problems(bureau)  # they print on invoices, acts and proposals
    if problems:
        raise InvalidInput(" ".join(problems.values()))
    values = {**values, "bureau": bureau}
    if values["vat_mode"] not in VAT_MODES:  # checked before anything is stored
        raise InvalidInput(_("Unknown VAT mode."))
    values = {**values, "brand_name": " ".join(str(values.get("brand_name") or "").split())
              or DEFAULTS["brand_name"]}
    if set(values["brand_name"]) & set(BRAND_REFUSED):  # texts are %-formatted with it, and
        # a lazy text is markup to Jinja (Flask-Babel's LazyString.__html__): no tags either
        raise InvalidInput(_("The product name cannot contain a percent sign, “<” or “>”."))
    if not valid_zone(values["time_zone"]):
        raise InvalidInput(_("Unknown time zone %(zone)s: give an IANA name such as "
                             "Europe/Moscow.", zone=values["time_zone"]))
    hours = values["working_hours"]
    if not valid_working_hours(hours):
        raise InvalidInput(_("Working hours: the start must be before the end (HH:MM) and "
                             "at least one working day chosen."))
    values = {**values, "signatures": _signature_flags(values.get("signatures"))}
    before = {key: get_setting(key) for key in DEFAULTS}
    for key in DEFAULTS:
        set_setting(key, values[key])
    changed = changes(_flat(before), _flat({key: values[key] for key in DEFAULTS}))
    if changed:  # old → new of each setting ("bureau.inn"), nothing for an unchanged save
        record("settings_update", user, None, **changed)
    forget_zone()  # what is shown from now on uses the new zone


def _bureau_codes(bureau) -> dict:
    """The bureau's requisites with their codes (INN, KPP, BIK, accounts) kept without the
    spaces they may have been typed with."""
    bureau = dict(bureau) if isinstance(bureau, dict) else {}
    return {key: compact(value) if key in BUREAU_CODES and isinstance(value, str) else value
            for key, value in bureau.items()}


def _signature_flags(value) -> dict:
    """The stored signature flags: every known flag a bool (missing ones off)."""
    value = value if isinstance(value, dict) else {}
    return {flag: bool(value.get(flag)) for flag in DEFAULTS["signatures"]}


def parse_clock(value) -> time | None:
    """"09:30" → 09:30; None for anything else."""
    try:
        hour, minute = str(value).split(":")
        return time(int(hour), int(minute))
    except (TypeError, ValueError):
        return None


def valid_working_hours(value) -> bool:
    """{"start": "09:00", "end": "18:00", "days": [0..6]}: start before end, some days."""
    if not isinstance(value, dict):
        return False
    start, end, days = parse_clock(value.get("start")), parse_clock(value.get("end")), \
        value.get("days")
    return (start is not None and end is not None and start < end
            and isinstance(days, list) and bool(days)
            and all(isinstance(d, int) and 0 <= d <= 6 for d in days))


def working_hours() -> tuple[time, time, frozenset[int]]:
    """The working day's start and end and the working weekdays (0 = Monday); the default
    when the stored value is broken."""
    value = get_setting("working_hours")
    if not valid_working_hours(value):
        value = DEFAULTS["working_hours"]
    return parse_clock(value["start"]), parse_clock(value["end"]), frozenset(value["days"])


def _flat(values: dict) -> dict:
    """{"bureau": {"inn": …}} → {"bureau.inn": …}: a change names the one requisite."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{sub}": item for sub, item in value.items()})
        else:
            flat[key] = value
    return flat
