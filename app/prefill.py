"""Pre-filled requests from a partner's site (issue 13.4): what a link fills in the cabinet's
new-request form. Nothing here saves a request: the partner checks the form and clicks.

Two kinds of link open /cabinet/requests/new filled in:
- plain query parameters (`service=<code or id>`, `f.<field key>=<value>`, `from=<site>`):
  anyone can write such a link, so only the service's public fields are taken (contact fields
  and the end client never: they would sit in browser histories and server logs);
- `prefill=<token>`: a prefill token the partner's site made through the API
  (POST /api/v1/prefill-tokens), kept here (models.prefill) with contact fields and the end
  client; it works only for users of the company that made it, until it expires.

Values are checked by app.service_fields when the form opens (the services' fields may have
changed since the link was made): a refused value is left out with a note. Use cases never
commit; the caller's unit of work does (app.uow).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from app.access import require_partner
from app.errors import InvalidInput
from app.extensions import db
from app.service_fields import FORM_ALIASES, PHONE_RE, fields_for, parse
from models.base import utcnow
from models.catalog import Service
from models.prefill import PrefillToken
from models.service_fields import FIELD_MULTISELECT

TOKEN_PREFIX = "pf_"
TOKEN_MAX_LENGTH = 80  # pf_ + token_urlsafe(32) is 46 characters
FIELD_PREFIX = "f."  # query parameter of a field: f.<key>
MAX_SERVICES = 5
MAX_VALUES = 100
MAX_DAYS = 30
SOURCE_MAX = 100
CLIENT_NAME_MAX = 200
DESCRIPTION_MAX = 5000
VALUE_MAX = 5000
SITE_RE = re.compile(r"[\w-]{1,63}(\.[\w-]{1,63})+", re.UNICODE)  # a host name as people read it


@dataclass
class Prefill:
    """What a link fills in: services, typed field values, end client, description, the site
    it came from (for the notice), notes on what was left out, or why nothing was filled."""

    services: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    end_client_name: str = ""
    end_client_phone: str = ""
    description: str = ""
    source: str = ""
    notes: list = field(default_factory=list)
    refused: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_service(raw) -> Service | None:
    """An active service by its id (digits) or its code."""
    text = str(raw if raw is not None else "").strip()
    if not text or len(text) > 40 or "\x00" in text or isinstance(raw, bool):
        return None
    query = db.session.query(Service).filter(Service.is_active.is_(True))
    if text.isdigit():
        return query.filter(Service.id == int(text)).first() if len(text) <= 9 else None
    return query.filter(Service.code == text).first()


def _as_formdata(values: dict) -> MultiDict:
    """Stored or posted JSON values as the form would post them (app.service_fields.parse)."""
    data = MultiDict()
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                data.add(key, "y" if item else "")
            elif item is not None:
                data.add(key, str(item))
    return data


def check_values(fields, data: MultiDict) -> tuple[dict, dict]:
    """The typed values of the fields `data` gives, and {key: message} of the refused ones;
    fields not given are neither filled nor reported missing (the partner fills them)."""
    given = {item.key for item in fields if item.key in data
             or FORM_ALIASES.get(item.key) in data}
    values, errors = parse(fields, data)
    return ({key: value for key, value in values.items() if key in given},
            {key: message for key, message in errors.items() if key in given})


def _left_out(fields, errors: dict) -> list[str]:
    labels = {item.key: item.title for item in fields}
    return [_("%(field)s: %(problem)s The value was not filled in.", field=labels[key],
              problem=message) for key, message in errors.items()]


# --- plain query parameters ------------------------------------------------------------------

def is_prefill_query(args) -> bool:
    """Whether the new-request page was opened by a prefill link."""
    return bool(args.get("prefill")) or bool(args.get("service")) \
        or any(key.startswith(FIELD_PREFIX) for key in args)


def from_query(args) -> Prefill:
    """The public fields a plain link gives (`service`, `f.<key>`, `from`); contact fields,
    unknown keys and refused values are left out with a note."""
    result = Prefill(source=site_name(args.get("from")))
    for raw in args.getlist("service")[:MAX_SERVICES]:
        service = find_service(raw)
        if service is None:
            result.notes.append(_("The link names a service that is not offered: %(service)s.",
                                  service=str(raw)[:40]))
        elif service.id not in result.services:
            result.services.append(service.id)
    fields = fields_for(result.services)
    by_key = {item.key: item for item in fields}
    data, contact, unknown = MultiDict(), [], []
    for name, value in list(args.items(multi=True))[:MAX_VALUES * 2]:
        if not name.startswith(FIELD_PREFIX):
            continue
        key = name[len(FIELD_PREFIX):]
        key = next((k for k, alias in FORM_ALIASES.items() if alias == key), key)
        item = by_key.get(key)
        if item is None:
            unknown.append(key[:40])
        elif item.is_contact:
            contact.append(item.title)
        else:
            data.add(key, value[:VALUE_MAX])
    public = [item for item in fields if not item.is_contact]
    result.values, errors = check_values(public, data)
    result.notes += _left_out(public, errors)
    if contact:
        result.notes.append(_("Contact data is not taken from a plain link, only from a "
                              "prefill token: %(fields)s.",
                              fields=", ".join(dict.fromkeys(contact))))
    if unknown:
        result.notes.append(_("The chosen services have no such fields: %(keys)s.",
                              keys=_listed(unknown)))
    return result


def _listed(keys, shown: int = 10) -> str:
    """Up to `shown` distinct keys for a note (a link may name hundreds)."""
    distinct = list(dict.fromkeys(str(key)[:40] for key in keys))
    return ", ".join(distinct[:shown]) + (", …" if len(distinct) > shown else "")


def site_name(raw) -> str:
    """The site a plain link names (`from`): a host name only, else nothing (a link anyone can
    write must not put words of its choosing in the notice)."""
    text = str(raw or "").strip()[:200]
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.lower().removeprefix("www.")
    return text if len(text) <= SOURCE_MAX and SITE_RE.fullmatch(text) else ""


# --- prefill tokens ----------------------------------------------------------------------------

PAYLOAD_KEYS = frozenset({"service", "values", "end_client", "description", "source",
                          "expires_in_days"})

def create_prefill_token(user, payload) -> tuple[PrefillToken, str]:
    """A prefill token of the user's company from the API's JSON body: (the row, the secret to
    put in the link; only its digest is stored). InvalidInput names what is wrong."""
    company = require_partner(user)
    if not isinstance(payload, dict):
        raise InvalidInput(_l("Send a JSON object."))
    unknown = sorted(set(payload) - PAYLOAD_KEYS)
    if unknown:  # a key of another operation ("services", "fields") filled nothing, unsaid
        raise InvalidInput(_l("Unknown field: “%(name)s”; this operation takes %(keys)s.",
                              name=str(unknown[0])[:100], keys=", ".join(sorted(PAYLOAD_KEYS))))
    services = _services_of(payload.get("service"))
    fields = fields_for(services)
    values = _values_of(payload.get("values"), fields)
    name, phone = _end_client_of(payload.get("end_client"))
    days = _days_of(payload.get("expires_in_days"))
    now = utcnow()
    # expired tokens are of no use: each new one clears its company's (one indexed DELETE)
    db.session.query(PrefillToken).filter(PrefillToken.company_id == company.id,
                                          PrefillToken.expires_at <= now) \
        .delete(synchronize_session=False)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = PrefillToken(
        company_id=company.id, created_by_id=user.id, token_hash=digest(secret),
        service_ids=services, field_values=values, end_client_name=name,
        end_client_phone=phone, description=_text_of(payload, "description", DESCRIPTION_MAX),
        source=_text_of(payload, "source", SOURCE_MAX, one_line=True),
        created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    return row, secret


def _services_of(raw) -> list[int]:
    items = raw if isinstance(raw, list) else [raw]
    if raw is None or raw == [] or len(items) > MAX_SERVICES:
        raise InvalidInput(_l("Name the service: its code or id (up to %(n)s services).",
                              n=MAX_SERVICES))
    ids = []
    for item in items:
        service = find_service(item) if isinstance(item, (str, int)) else None
        if service is None:
            raise InvalidInput(_l("No such service is offered: %(service)s.",
                                  service=str(item)[:40]))
        if service.id not in ids:
            ids.append(service.id)
    return ids


def _values_of(raw, fields) -> dict:
    """The given values typed by the services' fields; any unknown key or refused value is
    InvalidInput naming the field."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_VALUES:
        raise InvalidInput(_l("“values” must be an object of field keys and values."))
    by_key = {item.key: item for item in fields}
    for key, value in raw.items():
        if key not in by_key:
            raise InvalidInput(_l("The service has no field “%(key)s”.", key=str(key)[:40]))
        scalars = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int, float, bool)) or v is None for v in scalars):
            raise InvalidInput(_l("“%(key)s”: give a text, a number, true/false or a list "
                                  "of texts.", key=key))
        if any(isinstance(v, str) and len(v) > VALUE_MAX for v in scalars):
            raise InvalidInput(_l("“%(key)s” must be a text of at most %(n)s characters.",
                                  key=key, n=VALUE_MAX))
        if isinstance(value, list) and by_key[key].field_type != FIELD_MULTISELECT:
            raise InvalidInput(_l("“%(key)s” takes one value, not a list.", key=key))
    values, errors = check_values(fields, _as_formdata(raw))
    if errors:
        key, message = next(iter(errors.items()))
        raise InvalidInput(_l("“%(key)s”: %(problem)s", key=key, problem=message))
    return values


def _end_client_of(raw) -> tuple[str | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or set(raw) - {"name", "phone"}:
        raise InvalidInput(_l("“end_client” must be an object with “name” and “phone”."))
    name = _text_of(raw, "name", CLIENT_NAME_MAX, one_line=True)
    phone = _text_of(raw, "phone", 40, one_line=True)
    if phone and not PHONE_RE.fullmatch(phone):
        raise InvalidInput(_l("Enter a phone number, e.g. +7 900 123-45-67."))
    if phone and not name:
        raise InvalidInput(_l("Give the end client's name with the phone."))
    return name, phone


def _text_of(payload: dict, key: str, limit: int, one_line: bool = False) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise InvalidInput(_l("“%(key)s” must be a text of at most %(n)s characters.",
                              key=key, n=limit))
    value = " ".join(value.split()) if one_line else value.strip()
    return value or None


def _days_of(raw) -> int:
    if raw is None:
        return int(current_app.config.get("PREFILL_TOKEN_DAYS") or 7)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_DAYS:
        raise InvalidInput(_l("“expires_in_days” must be a whole number from 1 to %(n)s.",
                              n=MAX_DAYS))
    return raw


def from_token(user, secret) -> Prefill:
    """What the prefill token fills in for `user`, or Prefill.refused saying why nothing:
    an unknown or altered token, another company's, an expired one."""
    company = require_partner(user)
    text = str(secret or "")
    row = None
    if text.startswith(TOKEN_PREFIX) and len(text) <= TOKEN_MAX_LENGTH:
        row = db.session.query(PrefillToken).filter_by(token_hash=digest(text)).one_or_none()
    if row is None:
        return Prefill(refused=_("This prefill link is not valid: nothing was filled in. Ask "
                                 "the site for a new link or fill in the form yourself."))
    if row.company_id != company.id:
        return Prefill(refused=_("This prefill link was made by another company for its own "
                                 "users: nothing was filled in."))
    if row.expires_at <= utcnow():
        return Prefill(refused=_("This prefill link has expired: nothing was filled in. Ask "
                                 "the site for a new link."))
    return _token_prefill(row, company)


def _token_prefill(row: PrefillToken, company) -> Prefill:
    result = Prefill(source=row.source or company.name, description=row.description or "")
    for service_id in row.service_ids or ():
        service = find_service(service_id)
        if service is None:
            result.notes.append(_("A service of the link is no longer offered."))
        else:
            result.services.append(service.id)
    fields = fields_for(result.services)
    known = {item.key for item in fields}
    stored = dict(row.field_values or {})
    result.values, errors = check_values(fields, _as_formdata(
        {key: value for key, value in stored.items() if key in known}))
    result.notes += _left_out(fields, errors)
    gone = [key for key in stored if key not in known]
    if gone:
        result.notes.append(_("The chosen services have no such fields: %(keys)s.",
                              keys=_listed(gone)))
    result.end_client_name = row.end_client_name or ""
    phone = row.end_client_phone or ""
    if phone and not PHONE_RE.fullmatch(phone):
        result.notes.append(_("The end client's phone was not filled in: it is not a phone "
                              "number."))
        phone = ""
    result.end_client_phone = phone
    return result
