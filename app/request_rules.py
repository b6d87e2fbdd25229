"""What a user may do with a request now: the one answer pages show and handlers enforce.

Templates ask `rules_for(user, request)` (buttons, forms, uploads, documents); every POST
handler and use case checks the same answer, so a rule cannot be shown one way and enforced
another. Moves come from the transition table (app.workflow), uploads from app.deliverables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import lazy_gettext as _l

from app.deliverables import STAFF_UPLOADS, can_upload
from app.permissions import ADMIN, role_names
from app.translations import locale_name
from app.visibility import reads_partner_words
from app.workflow import actor_kinds, available_moves, waiting_reasons
from models.request_status import MOVES, OPEN_STATUSES, Action, Actor, Move, Status
from models.requests import PAYMENT_PAID, PAYMENT_PARTIAL, PAYMENT_UNPAID, Request

# the partner and the manager talk while the request is open (not a draft, not finished)
MESSAGING_STATUSES = frozenset(OPEN_STATUSES)
# the document package and the act exist once the request is delivered
RELEASED_STATUSES = (Status.DELIVERED, Status.CLOSED)
# statuses in which the partner's answer is awaited (the dashboard's "needs your action")
WAITING_FOR_PARTNER = tuple(s for m in MOVES if m.action == Action.ANSWER for s in m.sources)

# PDF documents: which exist for a request (the same for partners and staff)
DOCUMENTS = {
    "invoice": lambda r: r.status not in (Status.DRAFT, Status.CANCELLED)
    and bool(r.total_kopecks),
    "act": lambda r: r.status in RELEASED_STATUSES,
    "card": lambda r: r.status != Status.DRAFT,
}
DOCUMENT_LABELS = {"invoice": _l("Invoice (PDF)"), "act": _l("Act (PDF)"),
                   "card": _l("Request card (PDF)")}
# the bureau's documents with the partner company (its name and INN, numbered): for those
# who read partner words only. An engineer downloads the request card (his working data);
# his download of an invoice would also have taken the year's next invoice number.
PARTNER_DOCUMENTS = frozenset({"invoice", "act"})

def awaiting_payment(request: Request) -> bool:
    """Ready, with something to pay, not paid in full: the partner is told so."""
    return request.status == Status.READY and (request.total_kopecks or 0) > 0 \
        and request.payment_state != PAYMENT_PAID


PAYMENT_LABELS = {PAYMENT_UNPAID: _l("not paid"), PAYMENT_PARTIAL: _l("partially paid"),
                  PAYMENT_PAID: _l("paid")}


def available_documents(request: Request) -> tuple[str, ...]:
    """Names of the PDF documents that exist for the request in its current status."""
    return tuple(name for name, exists in DOCUMENTS.items() if exists(request))


def documents_for(user, request: Request) -> tuple[str, ...]:
    """The PDF documents `user` may download for `request` now (reports.documents.request_pdf
    refuses the others)."""
    found = available_documents(request)
    if reads_partner_words(user):
        return found
    return tuple(name for name in found if name not in PARTNER_DOCUMENTS)


_PAYMENT_TEXTS: dict[tuple[str, str], str] = {}


def payment_label(state: str) -> str:
    """A payment state as people read it in the current language, worked out once per
    language (a list shows it on every row: each a translation lookup)."""
    locale = locale_name()
    found = _PAYMENT_TEXTS.get((state, locale))
    if found is None:
        label = PAYMENT_LABELS.get(state)
        if label is None:
            return state
        found = _PAYMENT_TEXTS[(state, locale)] = str(label)
    return found


@dataclass(frozen=True)
class RequestRules:
    """Everything a request page offers to one user, computed from the domain rules."""

    kinds: frozenset[Actor]  # the user's actor kinds on this request
    actions: frozenset[Action]  # every move possible now, buttons and form moves
    moves: tuple[Move, ...]  # the plain move buttons
    can_message: bool  # the partner ↔ manager thread is open to this user
    answering: bool  # the partner's message is the answer to a data request
    can_note: bool  # internal notes (staff working on the request)
    uploads: frozenset[str]  # staff file kinds the user may add now
    documents: tuple[str, ...]
    can_edit_draft: bool
    can_pay: bool
    request: Request = field(repr=False, compare=False)

    @cached_property
    def waiting(self) -> dict:
        """The move buttons the request is not ready for yet → why (shown disabled with the
        reason): asked by the pages only, so a use case checking a rule reads nothing."""
        return waiting_reasons(self.request, self.moves)

    @property
    def can_book(self) -> bool:
        return bool(self.actions & {Action.SCHEDULE, Action.RESCHEDULE})

    @property
    def assign_action(self) -> Action | None:
        """ASSIGN or REASSIGN when the user may hand the request to a manager now."""
        return next((a for a in (Action.ASSIGN, Action.REASSIGN) if a in self.actions), None)

    def may_press(self, action) -> bool:
        """A move button of this page (plain moves only: form moves have their own form)."""
        return any(m.action == action for m in self.moves)


def rules_for(user, request: Request) -> RequestRules:
    """What `user` may do with `request` now."""
    kinds = frozenset(actor_kinds(user, request))
    possible = available_moves(request, user)
    talks = bool(kinds & {Actor.PARTNER, Actor.MANAGER})
    return RequestRules(
        kinds=kinds,
        actions=frozenset(m.action for m in possible),
        moves=tuple(m for m in possible if not m.form),
        can_message=talks and request.status in MESSAGING_STATUSES,
        answering=any(m.action == Action.ANSWER for m in possible),
        can_note=bool(kinds & {Actor.MANAGER, Actor.ENGINEER}),
        uploads=frozenset(k for k in STAFF_UPLOADS if can_upload(request, k, kinds)),
        documents=documents_for(user, request),
        can_edit_draft=Actor.PARTNER in kinds and request.status == Status.DRAFT,
        can_pay=ADMIN in role_names(user),
        request=request,
    )
