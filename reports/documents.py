"""Document contexts: which PDF exists when, and what each audience may see in it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.errors import NotFound
from app.request_rules import DOCUMENTS
from app.settings import get_setting
from app.visibility import PARTNER_ADDRESSED, reads_partner_words, visible_history
from models.request_status import PARTNER_GROUP_OF, PARTNER_GROUPS, STAFF_LABELS, Status
from models.requests import Request
from reports.pdf import render_pdf


class DocumentUnavailable(NotFound, ValueError):
    pass


@dataclass
class Line:
    title: str
    kopecks: int


@dataclass
class HistoryRow:
    created_at: object
    label: str
    comment: str | None


def proposal_pdf(quote) -> bytes:
    lines = [Line(item["title"], item["kopecks"]) for item in quote.breakdown]
    return render_pdf("proposal.html", quote=quote, lines=lines,
                      bureau=get_setting("bureau"))


def request_pdf(req: Request, document: str, for_partner: bool, user=None) -> bytes:
    """Invoice, act or request card for a partner, or for the staff member `user`.

    Partners get partner labels and no internal notes; staff see what app.visibility allows
    (an engineer's card has no end client and no partner-facing comments).
    """
    # which document exists when is app.request_rules.DOCUMENTS: the pages ask it too
    if document not in DOCUMENTS:
        raise DocumentUnavailable(_("Unknown document."))
    if not DOCUMENTS[document](req):
        raise DocumentUnavailable(_("This document is not available in the current status."))
    lines = [Line(line.title, line.price_kopecks) for line in req.lines]
    full = for_partner or reads_partner_words(user)  # no user: an internal caller (CLI)
    history = _partner_history(req) if for_partner else [
        HistoryRow(h.created_at, _label(h.to_status, False), h.comment)
        for h in visible_history(req, user)]
    return render_pdf(f"{document}.html", req=req, lines=lines, bureau=get_setting("bureau"),
                      history=history, show_client=full,
                      status_label=_label(req.status, for_partner))


def _label(status: str, for_partner: bool) -> str:
    if for_partner:
        return str(PARTNER_GROUPS[PARTNER_GROUP_OF[Status(status)]][0])
    return str(STAFF_LABELS[Status(status)])


def _partner_history(req: Request) -> list[HistoryRow]:
    """Changes of the partner's coarser label, with the comments addressed to the partner."""
    rows, last = [], None
    for change in sorted(req.history, key=lambda c: c.id):
        label = _label(change.to_status, True)
        if label == last:
            continue
        comment = change.comment if change.to_status in PARTNER_ADDRESSED else None
        rows.append(HistoryRow(change.created_at, label, comment))
        last = label
    return rows
