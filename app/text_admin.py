"""The admin edits the words: status labels, e-mails per event, PDF texts (use cases).

Each editable text is an Item (kind, key): its title, its default in a language, whether it
has a subject, whether it is HTML (PDF texts) and its placeholders. save_text checks the text
with the sample values first (app.texts.check_template) and stores nothing when it fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access import require_role
from app.audit import record
from app.branding import brand
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.money import money
from app.notifications import EVENTS, KINDS, PARTNER_EVENTS
from app.permissions import ADMIN
from app.settings import get_setting
from app.status_labels import (LOCALES, default_partner_label, default_staff_label,
                               forget_overrides, partner_label, staff_label)
from app.texts import (EMAIL_PLACEHOLDERS, PDF_DOCUMENTS, PDF_PARTS, PDF_PLACEHOLDERS,
                       SUBJECT_LIMIT, TemplateRefused, check_template, default_email,
                       default_pdf_text)
from app.timefmt import format_day, local_today
from app.translations import locale_name
from app.ui_texts import checked_ui_text, default_text, msgids
from app.ui_texts import fills as ui_fills
from app.web_security import external_url
from models.request_status import PARTNER_GROUPS, Status
from models.requests import Request
from models.texts import (KIND_EMAIL, KIND_PARTNER_LABEL, KIND_PDF, KIND_STAFF_LABEL, KIND_UI,
                          TextOverride)

LABEL_LIMIT = 60
# what each e-mail is about, as the editor names it (an event missing here shows its key)
EVENT_TITLES = {
    "request_submitted": _l("New request (to supermanagers)"),
    "application_filed": _l("New partner application (to administrators)"),
    "assigned": _l("Request assigned (to the manager)"),
    "partner_message": _l("Message from the partner (to the manager)"),
    "staff_message": _l("Message from the bureau (to the partner)"),
    "partner_answer": _l("Partner answered a data request (to the manager)"),
    "review_submitted": _l("Work submitted for review (to the manager)"),
    "returned": _l("Returned for rework (to the engineer)"),
    "visit_booked": _l("Visit booked (to the engineer)"),
    "visit_cancelled": _l("Visit cancelled (to the engineer)"),
    "payment_marked": _l("Payment recorded (to the manager)"),
    "payment_voided": _l("Payment voided (to the manager)"),
    "sla_breach": _l("Request overdue (to the manager and supermanagers)"),
    "staff_status": _l("Request cancelled or closed (to the manager)"),
    "data_requested": _l("Data needed (to the partner)"),
    "partner_status": _l("Status changed (to the partner)"),
    "member_request_moved": _l("Team member's request moved (to company owners)"),
    "filed_on_behalf": _l("Request filed for the partner (to the partner)"),
    "approval_needed": _l("Approval step waiting (to its approvers)"),
    "approval_rejected": _l("Approval step rejected (to the manager)"),
    "approvals_done": _l("Every approval step passed (to the manager)"),
}


@dataclass(frozen=True)
class Item:
    kind: str
    key: str

    @property
    def has_subject(self) -> bool:
        return self.kind == KIND_EMAIL

    @property
    def is_label(self) -> bool:
        return self.kind in (KIND_STAFF_LABEL, KIND_PARTNER_LABEL)

    @property
    def is_interface(self) -> bool:
        """Any text of the interface (app.ui_texts): plain text, the msgid's placeholders."""
        return self.kind == KIND_UI

    @property
    def msgid(self) -> str:
        """The interface text's original ("" when a new version no longer has it)."""
        return msgids().get(self.key, "")

    @property
    def fills(self) -> list[str]:
        """An interface text's placeholders as written in it (app.ui_texts.fills)."""
        return ui_fills(self.msgid)

    @property
    def html(self) -> bool:
        return self.kind == KIND_PDF

    @property
    def placeholders(self) -> dict:
        return {KIND_EMAIL: EMAIL_PLACEHOLDERS, KIND_PDF: PDF_PLACEHOLDERS}.get(self.kind, {})

    def title(self) -> str:
        if self.is_interface:  # as the reader's language ships it (the msgid in English)
            return default_text(self.msgid, locale_name())
        if self.kind == KIND_STAFF_LABEL:
            return default_staff_label(self.key)
        if self.kind == KIND_PARTNER_LABEL:
            return default_partner_label(self.key)
        if self.kind == KIND_EMAIL:
            title = EVENT_TITLES.get(self.key)
            return str(title) if title else f"{KINDS[EVENTS[self.key].kind].label}: {self.key}"
        document, part = self.key.split(".")
        return f"{PDF_DOCUMENTS[document]} · {PDF_PARTS[part]}"

    def default(self, locale: str) -> tuple[str | None, str]:
        """(subject, body) of the code in `locale`."""
        if self.is_interface:
            return None, default_text(self.msgid, locale)
        with force_locale(locale):
            if self.kind == KIND_STAFF_LABEL:
                return None, default_staff_label(self.key)
            if self.kind == KIND_PARTNER_LABEL:
                return None, default_partner_label(self.key)
        if self.kind == KIND_EMAIL:
            return default_email(locale)
        return None, default_pdf_text(*self.key.split("."), locale)


def items(kind: str) -> list[Item]:
    """Every editable text of a kind, in the order the editor lists them."""
    keys = {KIND_STAFF_LABEL: [s.value for s in Status],
            KIND_PARTNER_LABEL: list(PARTNER_GROUPS),
            KIND_EMAIL: list(EVENTS),
            KIND_PDF: [f"{d}.{p}" for d in PDF_DOCUMENTS for p in PDF_PARTS]}[kind]
    return [Item(kind, key) for key in keys]


def find_item(kind: str, key: str) -> Item:
    item = Item(kind, key)
    if kind == KIND_UI and (key in msgids() or _orphan_stored(key)):
        return item
    if kind not in (KIND_STAFF_LABEL, KIND_PARTNER_LABEL, KIND_EMAIL, KIND_PDF) or \
            item not in items(kind):
        raise NotFound(_("No such text."))
    return item


def _orphan_stored(key: str) -> bool:
    """A wording stored for an interface text a new version no longer has: it can still be
    deleted (reset), not edited."""
    return db.session.query(TextOverride.id).filter_by(kind=KIND_UI, key=key).first() \
        is not None


def stored(item: Item, locale: str) -> TextOverride | None:
    return db.session.query(TextOverride).filter_by(kind=item.kind, key=item.key,
                                                    locale=locale).first()


def text_version(item: Item, locale: str) -> str:
    """What the editor was opened on ("default" or a digest of the stored wording): a save or
    reset sent from a page opened before another change is refused (two tabs, two admins)."""
    row = stored(item, locale)
    if row is None:
        return "default"
    return hashlib.sha1(f"{row.subject or ''}\0{row.body}".encode()).hexdigest()[:20]


def _check_seen(item: Item, locale: str, seen: str | None) -> None:
    if seen and seen != text_version(item, locale):
        raise Conflict(_("This text was changed meanwhile (in another tab or by another "
                         "administrator): nothing was saved. The stored text is shown "
                         "above the form; save again to put yours in its place."))


def current_text(item: Item, locale: str) -> tuple[str | None, str, bool]:
    """(subject, body, overridden) the editor shows."""
    row = stored(item, locale)
    if row is not None:
        return row.subject, row.body, True
    subject, body = item.default(locale)
    return subject, body, False


def _checked_label(body: str) -> str:
    body = (body or "").strip()
    if "\x00" in body or any(ord(ch) < 32 for ch in body):
        raise TemplateRefused(_("A label is one line of text without control characters."))
    if not body or len(body) > LABEL_LIMIT:
        raise TemplateRefused(_("A label has 1 to %(n)s characters.", n=LABEL_LIMIT))
    return body


def check_item(item: Item, locale: str, subject: str | None, body: str) -> dict:
    """Errors per field ({"subject": …, "body": …}); empty when the text can be saved."""
    errors = {}
    if item.is_interface:
        try:
            checked_ui_text(item.msgid, body)
        except TemplateRefused as error:
            errors["body"] = str(error)
        return errors
    values = sample_values(item, locale)
    if item.is_label:
        try:
            _checked_label(body)
        except TemplateRefused as error:
            errors["body"] = str(error)
        return errors
    if item.has_subject:
        try:
            check_template(subject or "", item.placeholders, limit=SUBJECT_LIMIT,
                           values=values)
            if not (subject or "").strip():
                raise TemplateRefused(_("The subject cannot be empty."))
        except TemplateRefused as error:
            errors["subject"] = str(error)
    try:
        check_template(body or "", item.placeholders, html=item.html, values=values)
        if item.has_subject and not (body or "").strip():
            raise TemplateRefused(_("The text cannot be empty."))
    except TemplateRefused as error:
        errors["body"] = str(error)
    return errors


def save_text(user, kind: str, key: str, locale: str, body: str,
              subject: str | None = None, seen: str | None = None) -> TextOverride:
    """An admin stores their wording of one text (checked first; the caller commits);
    `seen`: the text_version the editor was opened on."""
    require_role(user, ADMIN)
    item = find_item(kind, key)
    if locale not in LOCALES:
        raise InvalidInput(_("Unknown language."))
    if item.is_interface and not item.msgid:  # the interface no longer has it: reset only
        raise NotFound(_("No such text."))
    _check_seen(item, locale, seen)
    errors = check_item(item, locale, subject, body)
    if errors:
        raise InvalidInput(" ".join(errors.values()))
    body = _checked_label(body) if item.is_label else \
        checked_ui_text(item.msgid, body) if item.is_interface else body
    subject = subject.strip() if item.has_subject else None
    row = stored(item, locale)
    before = (row.subject, row.body) if row is not None else item.default(locale)
    if row is None:
        row = TextOverride(kind=kind, key=key, locale=locale, body=body)
        db.session.add(row)
    row.subject, row.body, row.updated_by_id = subject, body, user.id
    db.session.flush()
    changes = {"text": _audit_name(item), "locale": locale,
               "body": [_short(before[1]), _short(body)]}
    if item.has_subject:
        changes["subject"] = [before[0], subject]
    record("text_update", user, row, **changes)
    forget_overrides()
    return row


def reset_text(user, kind: str, key: str, locale: str, seen: str | None = None) -> bool:
    """An admin returns one text to the code's default (the caller commits)."""
    require_role(user, ADMIN)
    item = find_item(kind, key)
    _check_seen(item, locale, seen)
    row = stored(item, locale)
    if row is None:
        return False
    record("text_reset", user, row, text=_audit_name(item), locale=locale,
           body=[_short(row.body), None])
    db.session.delete(row)
    db.session.flush()
    forget_overrides()
    return True


def _audit_name(item: Item) -> str:
    """The text as the audit log names it: kind.key, an interface text by its words."""
    return f"{item.kind}: {_short(item.msgid) or item.key}" if item.is_interface else \
        f"{item.kind}.{item.key}"


def _short(text: str | None) -> str | None:
    return text if text is None or len(text) <= 300 else text[:299] + "…"


def sample_request() -> Request | None:
    """The newest filed request: previews are rendered from it."""
    return db.session.query(Request).filter(Request.status != Status.DRAFT) \
        .order_by(Request.id.desc()).first()


def sample_values(item: Item, locale: str) -> dict[str, str]:
    """Every placeholder of the item's kind filled from a sample request (or made up)."""
    req = sample_request()
    bureau = get_setting("bureau")
    with force_locale(locale):
        number = req.number if req else "2026-00042"
        company = req.company.name if req and req.company else "ООО «Пример»"
        total = money(req.total_kopecks if req else 1_250_000)
        status = Status(req.status) if req else Status.IN_PROGRESS
        values = {
            "number": number, "company": company,
            # links on this installation's address (REPLAN_BASE_URL), as e-mails carry them
            "recipient": "Иван Петров",
            "link": external_url("DeskView.show", pk=req.id if req else 42),
            "preferences_link": external_url("StaffProfileView.edit"),
            "text": _("Request %(number)s is assigned to you.", number=number),
            "subject": _("Request %(number)s is assigned to you", number=number),
            "amount": money(150_000), "when": "27.11.2026 10:00 – 12:00",
            "reason": _("Payment"), "member": "Анна Смирнова", "manager": "Мария Кузнецова",
            "overdue_after": "20 min", "doc_number": "17", "doc_date": "26.11.2026",
            "comment": "Пришлите, пожалуйста, поэтажный план БТИ.",
            "brand": brand(),
            "company_inn": (req.company.inn or "") if req and req.company else "7701234521",
            "address": (req.object_address or "") if req else "г. Москва, ул. Ленина, д. 1",
            "total": total, "total_in_words": total,
            "bureau_name": bureau.get("name", ""), "bureau_inn": bureau.get("inn", ""),
            "bureau_address": bureau.get("address", ""),
            "director": bureau.get("director", ""),
            "today": format_day(local_today(), "dd.MM.yyyy")}
        values["status"] = staff_label(status)
        if item.kind == KIND_EMAIL and item.key in PARTNER_EVENTS:  # as the partner gets it
            values["status"] = partner_label(status)
            values["link"] = external_url("cabinet.request_detail",
                                          request_id=req.id if req else 42)
            values["preferences_link"] = external_url("cabinet.profile")
        if item.kind == KIND_EMAIL and req is not None:
            values.update(_event_sentences(item.key, req, values))
    return {name: values[name] for name in item.placeholders}


def _event_sentences(event: str, req: Request, values: dict) -> dict:
    """The event's own sentence and subject about the sample request (as sent today)."""
    context = {"to_status": req.status, "status": req.status, "minutes": 20,
               "company": values["company"], "amount": values["amount"],
               "reason": values["reason"], "manager": values["manager"]}
    try:
        spec = EVENTS[event]
        return {"text": str(spec.text(req, context)),
                "subject": str(spec.subject(req, context))}
    except Exception:  # noqa: BLE001 — an event needing more context keeps the sample
        return {}
