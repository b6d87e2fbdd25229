"""A request's files, conversation and history as one reader may see them, and adding files.

One answer for every surface (the cabinet, the desk, REST API v1): which files a reader may
list and download, which messages they read, which history entries and labels. Partners see
their own input files, the files staff sent them in the thread and the released document
package; staff see every file of a request in their scope except the thread's files, which
engineers never see (app.visibility: they never read partner words).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.access import get_request_or_404
from app.attachments import attach_files, real_files
from app.deliverables import STAFF_UPLOADS, upload_staff_files
from app.document_slots import personal_slot_keys
from app.drafts import editable_draft
from app.errors import InvalidInput, NotFound, Refused
from app.extensions import db
from app.permissions import is_partner
from app.request_records import RequestRecords
from app.request_rules import RELEASED_STATUSES, rules_for
from app.status_labels import partner_label, staff_label
from app.thread import ThreadEntry, is_thread_file, thread_of
from app.visibility import is_partner_facing, reads_partner_words, visible_history
from models.request_status import ACTION_LABELS, PARTNER_GROUP_OF, Status
from models.requests import (ATTACH_DELIVERABLE, ATTACH_INPUT, ATTACH_MESSAGE, Attachment,
                             Message, Request, StatusChange)


def partner_files(req: Request, records: RequestRecords | None = None) \
        -> tuple[list[Attachment], list[Attachment]]:
    """Own input files, and deliverables once the package is released (`records`: the
    request's rows a page already loaded, app.request_records)."""
    files = records.files if records is not None else \
        db.session.query(Attachment).filter_by(request_id=req.id).order_by(Attachment.id).all()
    inputs = [f for f in files if f.kind == ATTACH_INPUT]
    released = [f for f in files if f.kind == ATTACH_DELIVERABLE
                and req.status in RELEASED_STATUSES and f.is_released]
    return inputs, released


def partner_timeline(req: Request, records: RequestRecords | None = None) -> list[StatusChange]:
    """History as the partner sees it: only changes of the partner-facing label."""
    changes = records.history if records is not None else \
        db.session.query(StatusChange).filter_by(request_id=req.id) \
        .order_by(StatusChange.id).all()
    shown, last_group = [], None
    for change in changes:
        group = PARTNER_GROUP_OF[Status(change.to_status)]
        if group != last_group:
            shown.append(change)
            last_group = group
    return shown


def partner_may_download(req: Request, attachment: Attachment) -> bool:
    """The cabinet's rule: own inputs, files staff sent in the thread, released package."""
    inputs, released = partner_files(req)
    return attachment in inputs or attachment in released or is_thread_file(attachment)


def staff_may_download(user, attachment: Attachment) -> bool:
    """The desk's rule: any file of a visible request; the thread's files and the files of a
    personal-data document (a passport scan: app.document_slots) not for engineers."""
    if reads_partner_words(user):
        return True
    return attachment.kind != ATTACH_MESSAGE and attachment.slot_key not in personal_slot_keys()


def visible_files(user, req: Request) -> list[Attachment]:
    """The files of a request `user` may see (the caller loaded it through app.access)."""
    files = db.session.query(Attachment).filter_by(request_id=req.id) \
        .options(selectinload(Attachment.uploaded_by), selectinload(Attachment.message)) \
        .order_by(Attachment.id).all()
    if is_partner(user):
        inputs, released = partner_files(req)
        shown = {f.id for f in inputs + released}
        return [f for f in files if f.id in shown or is_thread_file(f)]
    return [f for f in files if staff_may_download(user, f)]


def get_file_or_404(user, attachment_id) -> Attachment:
    """A file `user` may download; anything else (another's, hidden, unknown) is 404."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound()
    req = get_request_or_404(user, attachment.request_id)
    allowed = partner_may_download(req, attachment) if is_partner(user) \
        else staff_may_download(user, attachment)
    if not allowed:
        raise NotFound()
    return attachment


def uploader_role(attachment: Attachment) -> str:
    """"partner" or "staff": who uploaded a file, without naming them."""
    return "partner" if is_partner(attachment.uploaded_by) else "staff"


def add_request_files(user, req: Request, files, kind: str | None = None,
                      slot: str | None = None) -> list[Attachment]:
    """Files added outside a form: a partner's input files (into a document slot when `slot`
    names one) while the request is a draft, the engineer's work or the manager's next
    package version while app.request_rules allows. All stored or none (caller commits)."""
    files = real_files(files)
    if is_partner(user):
        draft = editable_draft(user, req.id)  # submitted requests: files go with a message
        if kind not in (None, "", ATTACH_INPUT):
            raise InvalidInput(_("Partners add input files only."))
        _require_files(files)
        if slot:
            return attach_files(draft, [], user, ATTACH_INPUT, slot_files={slot: files})
        return attach_files(draft, files, user, ATTACH_INPUT)
    if kind not in STAFF_UPLOADS:
        raise InvalidInput(_("Choose the kind of files: %(kinds)s.",
                             kinds=", ".join(STAFF_UPLOADS)))
    rules = rules_for(user, req)
    if kind not in rules.uploads:
        raise Refused(_("Files of this kind cannot be added to the request now."))
    if slot:
        raise InvalidInput(_("Document slots take partner input files only."))
    _require_files(files)
    return upload_staff_files(req, kind, files, user, rules.kinds)


def _require_files(files) -> None:
    if not files:
        raise InvalidInput(_("Attach at least one file."))


@dataclass(frozen=True)
class ConversationEntry:
    """One message a reader sees: a thread message or an internal staff note."""

    id: int | None
    created_at: datetime
    kind: str  # message, data_request, answer (app.thread) or note
    internal: bool
    author_role: str  # partner, staff or system
    author_name: str
    body: str
    files: list[Attachment]


NOTE = "note"


def _author_role(user) -> str:
    if user is None:
        return "system"
    return "partner" if is_partner(user) else "staff"


def conversation(user, req: Request) -> list[ConversationEntry]:
    """What `user` reads of the request's messages, oldest first: the partner thread for
    partners; the thread and internal notes for staff, who see them on the desk; notes only
    for engineers (never partner words)."""
    entries: list[ConversationEntry] = []
    if reads_partner_words(user):
        thread = thread_of(req)
        ids = {e.author_id for e in thread if e.author_id}
        authors = {u.id: u for u in db.session.query(User).filter(User.id.in_(ids))} \
            if ids else {}
        entries += [_thread_entry(e, authors.get(e.author_id)) for e in thread]
    if not is_partner(user):
        notes = db.session.query(Message).filter_by(request_id=req.id, is_internal=True) \
            .options(selectinload(Message.author)).order_by(Message.id).all()
        entries += [ConversationEntry(n.id, n.created_at, NOTE, True, _author_role(n.author),
                                      n.author.get_full_name() if n.author else "", n.body,
                                      []) for n in notes]
    return sorted(entries, key=lambda e: (e.created_at, e.id or 0))


def _thread_entry(entry: ThreadEntry, author) -> ConversationEntry:
    return ConversationEntry(entry.message_id, entry.created_at, entry.kind,
                             False, _author_role(author), entry.author_name, entry.body,
                             list(entry.files))


@dataclass(frozen=True)
class HistoryItem:
    """One status-history entry in the reader's words."""

    created_at: datetime
    action: str | None
    action_label: str | None
    from_status: str | None
    to_status: str
    status_label: str
    actor_name: str | None
    comment: str | None


def history_for(user, req: Request, records: RequestRecords | None = None) -> list[HistoryItem]:
    """The history the reader's page shows: the partner's timeline (changes of the label the
    partner reads, with the partner-facing comments: the partner's own words on a move and the
    comments addressed to the partner, app.visibility) or the desk's history (partner-facing
    words hidden from engineers), labels in the current language (app.status_labels)."""
    if is_partner(user):
        return [HistoryItem(c.created_at, None, None, None, PARTNER_GROUP_OF[
            Status(c.to_status)], partner_label(c.to_status), None,
            c.comment if is_partner_facing(c) else None)
            for c in partner_timeline(req, records)]
    return [HistoryItem(h.created_at, h.action, _action_label(h.action), h.from_status,
                        h.to_status, staff_label(h.to_status), h.actor_name, h.comment)
            for h in visible_history(req, user)]


def _action_label(action: str) -> str | None:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else None
