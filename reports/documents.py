"""Document contexts: which PDF exists when, and what each audience may see in it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.settings import get_setting
from models.request_status import PARTNER_GROUP_OF, PARTNER_GROUPS, STAFF_LABELS, Status
from models.requests import Request
from reports.pdf import render_pdf

AVAILABLE = {
    "invoice": lambda r: r.status not in (Status.DRAFT, Status.CANCELLED) and r.total_kopecks,
    "act": lambda r: r.status in (Status.DELIVERED, Status.CLOSED),
    "card": lambda r: r.status != Status.DRAFT,
}


class DocumentUnavailable(ValueError):
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


def request_pdf(req: Request, document: str, for_partner: bool) -> bytes:
    """Invoice, act or request card; partners get partner labels and no internal notes."""
    if document not in AVAILABLE:
        raise DocumentUnavailable(_("Unknown document."))
    if not AVAILABLE[document](req):
        raise DocumentUnavailable(_("This document is not available in the current status."))
    lines = [Line(line.title, line.price_kopecks) for line in req.lines]
    return render_pdf(f"{document}.html", req=req, lines=lines, bureau=get_setting("bureau"),
                      history=_history(req, for_partner), show_client=True,
                      status_label=_label(req.status, for_partner))


def _label(status: str, for_partner: bool) -> str:
    if for_partner:
        return str(PARTNER_GROUPS[PARTNER_GROUP_OF[Status(status)]][0])
    return str(STAFF_LABELS[Status(status)])


def _history(req: Request, for_partner: bool) -> list[HistoryRow]:
    rows, last = [], None
    for change in sorted(req.history, key=lambda c: c.id):
        label = _label(change.to_status, for_partner)
        if for_partner and label == last:
            continue  # partners see only changes of their coarser label
        comment = change.comment if (not for_partner or change.to_status in (
            Status.NEEDS_INFO, Status.CANCELLED)) else None
        rows.append(HistoryRow(change.created_at, label, comment))
        last = label
    return rows
