"""Partner drafts: create, edit, delete, repeat and submit (use cases; the caller commits).

Each function loads through app.access (a request outside the user's scope is 404), checks,
changes, audits and returns; the route wraps it in app.uow.unit_of_work().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.access import (can_use_end_client, get_request_or_404, require_partner,
                        visible_quotes)
from app.attachments import attach_files
from app.audit import record
from app.document_slots import remove_input_files
from app.errors import Conflict, InvalidInput, Refused
from app.extensions import db
from app.input_guard import bounded_int
from app.intake import (DRAFT_FIELDS, MIRRORED, OWN_COLUMNS, create_draft, legacy_values,
                        reprice, store_values)
from app.pricing import distinct
from app.storage import discard
from app.timefmt import format_day, local_today
from app.uow import after_commit
from app.workflow import transition
from models.catalog import Quote
from models.notifications import Notification
from models.partners import EndClient
from models.request_status import Action, Status
from models.requests import ATTACH_INPUT, Attachment, Request

OWN_FIELDS = tuple(name for name in DRAFT_FIELDS if name != "end_client_id")


@dataclass
class DraftInput:
    """What a partner may set on a draft: never status, company, manager or price."""

    fields: dict = field(default_factory=dict)  # urgency, description, wanted_date
    services: list = field(default_factory=list)
    options: list = field(default_factory=list)
    end_client_id: int | None = None  # an existing client of the company, or
    new_client_name: str = ""  # a new one (the same name and phone is reused)
    new_client_phone: str = ""
    # the services' form values as app.service_fields.parse typed them; None: the object
    # columns in `fields` (object_address, area, …: callers before issue 12) give them
    values: dict | None = None


class DraftError(InvalidInput):
    """Refused draft input; str() is for the user, `field` names the form field to show it
    under."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def check_wanted_date(day, kept: date | None = None) -> None:
    """The wanted date is today or later in the bureau's zone; `kept`: the date the draft
    has already (a draft saved earlier keeps it as it is, even once it has passed)."""
    if isinstance(day, datetime):
        day = day.date()
    if isinstance(day, date) and day != kept and day < local_today():
        raise DraftError(_("The wanted date cannot be in the past: choose today "
                           "(%(today)s) or a later day.", today=format_day(local_today())),
                         field="wanted_date")


def end_client_id(user, company, draft: DraftInput) -> int | None:
    """The chosen client (one `user` may pick: app.access.end_client_scope), or the one with
    the typed name and phone (added once)."""
    if draft.end_client_id:
        if not can_use_end_client(user, draft.end_client_id, company.id):
            raise DraftError(_("Unknown end client: %(id)s.", id=draft.end_client_id),
                             field="end_client_id")
        return draft.end_client_id
    name = (draft.new_client_name or "").strip()
    phone = (draft.new_client_phone or "").strip() or None
    if not name:
        if phone:  # a phone alone was dropped without a word (the prefill refused it)
            raise DraftError(_("Give the end client's name with the phone."),
                             field="new_client_name")
        return None
    existing = db.session.query(EndClient).filter_by(company_id=company.id, name=name,
                                                     phone=phone).first()
    if existing is not None:
        return existing.id
    client = EndClient(company_id=company.id, created_by_id=user.id, name=name, phone=phone)
    db.session.add(client)
    db.session.flush()
    return client.id


def _values(user, company, draft: DraftInput) -> dict:
    values = {name: draft.fields.get(name) for name in OWN_COLUMNS if name in draft.fields}
    values["end_client_id"] = end_client_id(user, company, draft)
    return values


def _field_values(draft: DraftInput, current: dict | None = None) -> dict:
    """The draft's field values: as parsed, else from the old object columns, else kept."""
    if draft.values is not None:
        return dict(draft.values)
    if current is not None and not set(MIRRORED.values()) & set(draft.fields):
        return dict(current)
    return legacy_values(draft.fields)


def create_request_draft(user, draft: DraftInput, files=(), quote_id=None,
                         filed_by=None, slot_files: dict | None = None) -> Request:
    """A new draft of the user's company (from a saved quote if given), with its files.

    `filed_by`: the staff member filing it on the user's behalf (app.on_behalf checks who
    may); the draft is the user's all the same, and files and new clients are the filer's."""
    company = require_partner(user)
    quote = _quote_of(user, quote_id)
    check_wanted_date(draft.fields.get("wanted_date"))
    actor = filed_by or user
    req = create_draft(user, company, draft.services, draft.options, quote=quote,
                       filed_by=filed_by, field_values=_field_values(draft),
                       **_values(actor, company, draft))
    attach_files(req, files, actor, ATTACH_INPUT, slot_files=slot_files)
    if filed_by is None:
        record("request_created", user, req)
    else:
        record("request_filed_on_behalf", filed_by, req, author=user.username,
               company=company.name)
    return req


def _quote_of(user, quote_id):
    """The saved quote a draft starts from (None without one); one that is not the user's,
    or no quote at all, is refused as input (the page was a bare 404, the form lost)."""
    if quote_id is None or quote_id == "":
        return None
    number = bounded_int(quote_id)
    quote = visible_quotes(user).filter(Quote.id == number).one_or_none() if number else None
    if quote is None:
        raise DraftError(_("Unknown quote: %(id)s.", id=str(quote_id)[:20]))
    return quote


def editable_draft(user, request_id: int) -> Request:
    """The user's draft; 404 outside their scope, Refused once it is submitted."""
    require_partner(user)
    req = get_request_or_404(user, request_id)
    if req.status != Status.DRAFT:
        raise Refused(_("Only a draft can be edited."))
    return req


def update_draft(user, request_id: int, version, draft: DraftInput, files=(),
                 slot_files: dict | None = None, remove_files=()) -> Request:
    """Apply the form to a draft read at `version`; Conflict if someone saved it since.
    `slot_files`: {document slot key: uploads}; `remove_files`: ids of its input files."""
    req = editable_draft(user, request_id)
    if str(req.version) != str(version):
        raise Conflict()
    check_wanted_date(draft.fields.get("wanted_date"), kept=req.wanted_date)
    try:  # any flush from here on checks the version (queries of pricing flush too)
        _apply(user, req, draft, files, slot_files, remove_files)
    except StaleDataError:  # saved by someone else between our read and our write
        raise Conflict() from None
    record("draft_updated", user, req)
    return req


def _apply(user, req: Request, draft: DraftInput, files, slot_files=None,
           remove_files=()) -> None:
    company = req.company
    for name, value in _values(user, company, draft).items():
        setattr(req, name, value)
    store_values(req, draft.services, _field_values(draft, req.field_values))
    req.options = distinct(draft.options)
    reprice(req, draft.services, req.options, company)
    remove_input_files(req, remove_files)  # first: a replaced file frees its slot
    attach_files(req, files, user, ATTACH_INPUT, slot_files=slot_files)
    db.session.flush()


def delete_draft(user, request_id: int) -> str:
    """Delete a draft with its files (removed from disk only once the deletion commits)."""
    req = editable_draft(user, request_id)
    number = req.number
    for attachment in db.session.query(Attachment).filter_by(request_id=req.id):
        after_commit(discard, attachment.stored_name)
        db.session.delete(attachment)
    # a draft filed on the partner's behalf was announced: those bell items go with it
    db.session.query(Notification).filter_by(request_id=req.id).delete(
        synchronize_session=False)
    db.session.delete(req)
    record("draft_deleted", user, None, number=number)
    return number


def repeat_request(user, request_id: int) -> Request:
    """A new draft with the form values and client data of a visible request."""
    company = require_partner(user)
    source = get_request_or_404(user, request_id)
    fields = {name: getattr(source, name) for name in OWN_COLUMNS if name != "wanted_date"}
    services = [line.service_id for line in source.lines if line.service_id]
    req = create_draft(user, company, services, source.options or [], source=source,
                       field_values=dict(source.field_values or {}) or legacy_values(
                           {column: getattr(source, column) for column in MIRRORED.values()}),
                       **fields)
    record("request_repeated", user, req, source=source.number)
    return req


def submit_draft(user, request_id: int, confirmation_code: str | None = None,
                 comment: str | None = None, expected_version=None) -> Request:
    """Send the user's draft to the bureau (the workflow checks, audits and notifies; a
    one-time code when the admin asks for one: app.signatures); `comment` goes into the
    status history (hidden from engineers: app.visibility), `expected_version` the version
    the caller read."""
    require_partner(user)
    req = get_request_or_404(user, request_id)
    if req.status != Status.DRAFT:
        raise Refused(_("Request %(number)s is already submitted: there is no draft to send.",
                        number=req.number))
    transition(req, Action.SUBMIT, user, comment, expected_version=expected_version,
               confirmation_code=confirmation_code)
    return req
