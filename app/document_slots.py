"""Document checklist at intake: which documents the chosen services ask for, what a request
holds of them, which file may go into which slot, and the submit guard.

A service's slots (models.document_slots) with the same key are one slot of the request:
it takes the kinds every asking service accepts (all they accept if they share none), at
least the largest minimum and at most the smallest maximum (never below that minimum).
Files go into a slot through app.attachments.attach_files (one upload path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.errors import InvalidInput, NotFound, Refused
from app.extensions import db
from app.input_guard import bounded_int
from app.shared_cache import CATALOGUE, cached, plain_row
from app.storage import (DOCX, DWG, HEIC, JPEG, OLE_OFFICE, PDF, PNG, PPTX, WEBP, XLSX,
                         UploadError, discard)
from app.translations import reads_english
from app.uow import after_commit
from models.document_slots import (SLOT_DRAWING, SLOT_IMAGE, SLOT_KEY_PATTERN, SLOT_KIND_SHORT,
                                   SLOT_KINDS, SLOT_MAX_FILES, SLOT_OFFICE, SLOT_PDF,
                                   DocumentSlot)
from models.requests import ATTACH_INPUT, Attachment, Request

# each slot kind and the sniffed content types (app.storage.sniff) it takes
KIND_TYPES = {SLOT_PDF: {PDF}, SLOT_IMAGE: {JPEG, PNG, WEBP, HEIC},
              SLOT_OFFICE: {OLE_OFFICE, DOCX, XLSX, PPTX}, SLOT_DRAWING: {DWG}}
# what the browser's file picker offers for each kind (the server checks the content)
KIND_ACCEPT = {SLOT_PDF: ".pdf,application/pdf", SLOT_IMAGE: ".jpg,.jpeg,.png,.webp,.heic,image/*",
               SLOT_OFFICE: ".doc,.docx,.xls,.xlsx,.pptx", SLOT_DRAWING: ".dwg"}
_KEY = re.compile(SLOT_KEY_PATTERN)


class MissingDocuments(Refused):
    """Submission refused: required document slots are not filled yet."""


@dataclass
class Slot:
    """One document of a request's checklist: the merged slots of its services with one key."""

    key: str
    title: str
    hint: str
    accepted: tuple[str, ...]
    min_files: int
    max_files: int
    sort_order: int
    kb_article: SlotExample | None = None
    service_ids: list[int] = field(default_factory=list)
    is_personal: bool = False  # its files are hidden from engineers (personal data)

    @property
    def required(self) -> bool:
        return self.min_files > 0

    @property
    def content_types(self) -> set[str]:
        return set().union(*(KIND_TYPES[k] for k in self.accepted))

    @property
    def kinds_label(self) -> str:
        """The accepted kinds as people read them: "PDF, photo"."""
        return ", ".join(str(SLOT_KIND_SHORT[k]) for k in self.accepted)

    @property
    def accept(self) -> str:
        """The file picker's accept attribute."""
        return ",".join(KIND_ACCEPT[k] for k in self.accepted)


@dataclass
class SlotState:
    """A slot with the files a request holds in it."""

    slot: Slot
    files: list[Attachment]

    @property
    def missing(self) -> int:
        return max(0, self.slot.min_files - len(self.files))

    @property
    def satisfied(self) -> bool:
        return self.missing == 0

    @property
    def room(self) -> int:
        """How many more files the slot takes."""
        return max(0, self.slot.max_files - len(self.files))

    @property
    def count_text(self) -> str:
        """"1 of 2" while a required slot is short, else "2 attached" (never "2 of 1")."""
        held = len(self.files)
        if self.slot.required and held < self.slot.min_files:
            return _("%(held)s of %(needed)s", held=held, needed=self.slot.min_files)
        return _("%(held)s attached", held=held)

    @property
    def facts_text(self) -> str:
        """What the slot takes: "PDF, photo · up to 3 files"."""
        more = _("up to %(max)s files", max=self.slot.max_files) \
            if self.slot.max_files > 1 else ""
        return " · ".join(part for part in (self.slot.kinds_label, more) if part)


def _text(row: DocumentSlot, name: str) -> str:
    english = getattr(row, f"{name}_en") if reads_english() else None
    return english or getattr(row, name) or ""


def _merge(slot: Slot, row: DocumentSlot) -> None:
    shared = tuple(k for k in slot.accepted if k in (row.accepted or []))
    slot.accepted = shared or tuple(k for k in SLOT_KINDS
                                    if k in slot.accepted or k in (row.accepted or []))
    slot.min_files = max(slot.min_files, row.min_files)
    slot.max_files = max(slot.min_files, min(slot.max_files, row.max_files))
    slot.kb_article = slot.kb_article or row.kb_article
    slot.hint = slot.hint or _text(row, "hint")
    slot.is_personal = slot.is_personal or bool(row.is_personal)
    slot.service_ids.append(row.service_id)


def _merged(rows) -> list[Slot]:
    """Slot rows (in order) merged by key into the checklist's slots."""
    merged: dict[str, Slot] = {}
    for row in rows:
        if row.key in merged:
            _merge(merged[row.key], row)
            continue
        merged[row.key] = Slot(
            key=row.key, title=_text(row, "title"), hint=_text(row, "hint"),
            accepted=tuple(k for k in SLOT_KINDS if k in (row.accepted or [])),
            min_files=row.min_files, max_files=max(row.min_files, row.max_files),
            sort_order=row.sort_order, kb_article=row.kb_article,
            service_ids=[row.service_id], is_personal=bool(row.is_personal))
    return list(merged.values())


@dataclass(frozen=True)
class SlotExample:
    """What a checklist needs of the knowledge-base article a slot links as an example."""

    slug: str
    is_published: bool
    staff_only: bool


def _active_rows(service_ids=None) -> list:
    """The active slots (of the services given, or of all) in checklist order, as plain
    copies of the rows: read once per process while the shared cache's `catalogue` stamp
    holds (app.shared_cache; every request page and form shows the checklist)."""
    rows = cached(CATALOGUE, "document-slots", _read_active_rows)
    return rows if service_ids is None else [r for r in rows if r.service_id in service_ids]


def _read_active_rows() -> list:
    rows = db.session.query(DocumentSlot).filter(DocumentSlot.is_active.is_(True)) \
        .options(joinedload(DocumentSlot.kb_article), joinedload(DocumentSlot.service)) \
        .order_by(DocumentSlot.sort_order, DocumentSlot.id).all()
    return [plain_row(
        row, kb_article=SlotExample(row.kb_article.slug, bool(row.kb_article.is_published),
                               bool(row.kb_article.staff_only)) if row.kb_article else None,
        service_active=row.service is not None and bool(row.service.is_active))
        for row in rows]


def personal_slot_keys() -> frozenset[str]:
    """Keys of the documents some service marks as personal data (switched off ones too: the
    files stay): their files are hidden from engineers (app.request_conversation)."""
    return cached(CATALOGUE, "personal-slot-keys", lambda: frozenset(
        key for (key,) in db.session.query(DocumentSlot.key).filter(
            DocumentSlot.is_personal.is_(True)).distinct()))


def _ids(service_ids) -> set[int]:
    return {i for i in (bounded_int(v) for v in service_ids or ()) if i}


def slots_for(service_ids) -> list[Slot]:
    """The checklist of a set of services: their active slots merged by key, in order."""
    ids = _ids(service_ids)
    return _merged(_active_rows(ids)) if ids else []


@dataclass
class FormSlot:
    """A slot as the request form offers it: shown while one of its services is chosen."""

    state: SlotState
    service_ids: list[int]  # every active service asking for it (the browser shows/hides)
    shown: bool  # one of them is chosen now
    # where the asking services differ (title, hint, count, kinds): each one's own slot with
    # the draft's files, in checklist order; the browser shows the first ticked one's
    variants: list[SlotState] = field(default_factory=list)

    def variant_texts(self) -> dict:
        """The variants for the browser (js/document_slots.js), in the current language: each
        service's own document, and the words and kinds to merge the ticked ones as _merge
        does (the largest minimum, the smallest maximum, the kinds they share)."""
        held = len(self.state.files)
        return {"variants": [{"services": " ".join(str(i) for i in v.slot.service_ids),
                              "title": v.slot.title, "hint": v.slot.hint,
                              "min": v.slot.min_files, "max": v.slot.max_files,
                              "accepted": list(v.slot.accepted)} for v in self.variants],
                "held": held,
                "of": _("%(held)s of %(needed)s", held=held, needed="{needed}"),
                "attached": _("%(held)s attached", held=held),
                "upto": _("up to %(max)s files", max="{max}"),
                "kinds": {k: str(SLOT_KIND_SHORT[k]) for k in SLOT_KINDS},
                "accept": {k: KIND_ACCEPT[k] for k in SLOT_KINDS}}


def form_checklist(chosen_service_ids, request: Request | None = None) -> list[FormSlot]:
    """Every document any active service asks for, merged over the chosen services that ask
    for it (over all of them while none is chosen), with the files the draft holds."""
    chosen = _ids(chosen_service_ids)
    rows = [r for r in _active_rows() if r.service_active]
    files = slot_files(request) if request is not None else []
    result = []
    for key in dict.fromkeys(r.key for r in rows):
        asking = [r for r in rows if r.key == key]
        picked = [r for r in asking if r.service_id in chosen]
        held = [f for f in files if f.slot_key == key]
        slot = _merged(picked or asking)[0]
        own = [SlotState(_merged([row])[0], held) for row in asking]
        differ = len({(v.slot.title, v.slot.hint, v.slot.min_files, v.slot.max_files,
                       v.slot.accepted) for v in own}) > 1
        result.append(FormSlot(SlotState(slot, held), sorted({r.service_id for r in asking}),
                               bool(picked), own if differ else []))
    return result


def loose_slot_files(request: Request | None, chosen_service_ids) -> list[Attachment]:
    """Files of a draft in slots its chosen services no longer ask for."""
    if request is None:
        return []
    keys = {slot.key for slot in slots_for(chosen_service_ids)}
    return [f for f in slot_files(request) if f.slot_key not in keys]


def posted_slot_files(files) -> dict:
    """{slot key: uploads} from a form's file fields named "slot-<key>"."""
    return {name[len("slot-"):]: files.getlist(name) for name in files
            if name.startswith("slot-")}


def request_service_ids(request: Request) -> list[int]:
    return [line.service_id for line in request.lines if line.service_id]


def slot_files(request: Request) -> list[Attachment]:
    """The request's partner input files that fill a slot (any slot key)."""
    if request.id is None:
        return []
    return db.session.query(Attachment).filter(
        Attachment.request_id == request.id, Attachment.kind == ATTACH_INPUT,
        Attachment.slot_key.is_not(None)).order_by(Attachment.id).all()


def slot_state(request: Request) -> list[SlotState]:
    """Each slot of the request's services with the files it holds (for pages and guards)."""
    slots = slots_for(request_service_ids(request))
    if not slots:
        return []
    files = slot_files(request)
    return [SlotState(slot, [f for f in files if f.slot_key == slot.key]) for slot in slots]


def missing_documents(request: Request) -> list[SlotState]:
    return [state for state in slot_state(request) if not state.satisfied]


def require_documents(request: Request, params: dict | None = None) -> None:
    """MissingDocuments naming each required slot that lacks files; nothing when all filled
    (the workflow's check of the submit move, hence `params`)."""
    missing = missing_documents(request)
    if not missing:
        return
    names = "; ".join(_("“%(title)s” (%(count)s more)", title=s.slot.title, count=s.missing)
                      for s in missing)
    raise MissingDocuments(_("Attach the required documents before submitting: %(names)s.",
                             names=names))


def check_upload(slot: Slot, original_name: str, content_type: str) -> None:
    """UploadError unless a file of this (sniffed) type may fill the slot."""
    if content_type not in slot.content_types:
        raise UploadError(_("“%(name)s” cannot go into “%(slot)s”: it takes %(kinds)s.",
                            name=original_name, slot=slot.title, kinds=slot.kinds_label))


def slot_uploads(request: Request, uploads_by_key: dict) -> list[tuple[Slot, object]]:
    """(slot, upload) pairs for files sent into slots: InvalidInput for a key the request's
    services do not ask for, UploadError when a slot would hold more than it takes."""
    if not uploads_by_key:
        return []
    states = {s.slot.key: s for s in slot_state(request)}
    pairs = []
    for key, uploads in uploads_by_key.items():
        if not uploads:
            continue
        state = states.get(key)
        if state is None:
            raise InvalidInput(_("The chosen services do not ask for this document, so the "
                                 "file was not saved: choose the document again."))
        if len(uploads) > state.room:
            raise UploadError(_("“%(slot)s” takes at most %(max)s file(s); it holds %(held)s.",
                                slot=state.slot.title, max=state.slot.max_files,
                                held=len(state.files)))
        pairs += [(state.slot, upload) for upload in uploads]
    return pairs


def remove_input_files(request: Request, attachment_ids) -> int:
    """Remove partner input files of a draft (the caller checked it is an editable draft);
    the files leave the disk once the removal commits. NotFound for a file not of it."""
    ids = {bounded_int(i) for i in attachment_ids or ()}
    if not ids:
        return 0
    rows = db.session.query(Attachment).filter(Attachment.id.in_(ids - {None})).all()
    foreign = [r for r in rows if r.request_id != request.id or r.kind != ATTACH_INPUT]
    if None in ids or len(rows) != len(ids) or foreign:
        raise NotFound(_("That file is not among the files of this draft."))
    for row in rows:
        after_commit(discard, row.stored_name)
        db.session.delete(row)
    db.session.flush()
    return len(rows)


def check_slot(slot: DocumentSlot) -> None:
    """InvalidInput unless an admin's slot is usable: key, title, kinds, counts."""
    slot.key = (slot.key or "").strip()
    if not _KEY.fullmatch(slot.key):
        raise InvalidInput(_("The key is 1–40 lower-case Latin letters, digits, “-” or “_”, "
                              "e.g. bti_passport."))
    if not (slot.title or "").strip():
        raise InvalidInput(_("Enter the document's title."))
    kinds = [k for k in SLOT_KINDS if k in (slot.accepted or [])]
    if not kinds or len(kinds) != len(set(slot.accepted or [])):
        raise InvalidInput(_("Tick at least one kind of file the document may be."))
    slot.accepted = kinds
    low, high = slot.min_files, slot.max_files
    if low is None or high is None or not 0 <= low <= high or not 1 <= high <= SLOT_MAX_FILES:
        raise InvalidInput(_("Files: at least 0 and at most %(max)s, the minimum not above "
                              "the maximum.", max=SLOT_MAX_FILES))
    with db.session.no_autoflush:  # the admin's form filled `slot`: not written before this
        taken = db.session.query(DocumentSlot.id).filter(
            DocumentSlot.service_id == (slot.service_id or getattr(slot.service, "id", None)),
            DocumentSlot.key == slot.key, DocumentSlot.id != (slot.id or 0)).first()
    if taken:
        raise InvalidInput(_("This service already has a document with the key “%(key)s”.",
                              key=slot.key))
    if slot.id is not None:
        with db.session.no_autoflush:  # the row as stored, not as the form changed it
            stored = db.session.query(DocumentSlot.key, DocumentSlot.is_personal).filter(
                DocumentSlot.id == slot.id).one_or_none()
            if stored is not None and stored.is_personal and stored.key != slot.key:
                check_personal_files_kept(stored.key)


def check_personal_files_kept(key: str) -> None:
    """A personal document's key with files stays: its files are hidden from engineers by
    the key (renamed or deleted, they were shown again). Untick "Personal data" to show
    them on purpose, or switch the document off to stop asking for it."""
    if key in personal_slot_keys() and db.session.query(Attachment.id).filter(
            Attachment.slot_key == key).first() is not None:
        raise InvalidInput(_("Requests hold files of the personal document “%(key)s”: its key "
                             "stays, so that engineers keep not seeing them. Switch the "
                             "document off instead.", key=key))


# what the checklist partials (cabinet and desk templates) ask, installed by app.templating
DOCUMENT_CHECKLIST = {"document_checklist": slot_state, "document_form_checklist": form_checklist,
                      "loose_slot_files": loose_slot_files}
