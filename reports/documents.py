"""Document contexts: which PDF exists when, and what each audience may see in it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date
from flask_babel import gettext as _

from app.catalogue_names import line_title
from app.document_numbers import issue_document_number
from app.errors import NotFound
from app.request_rules import DOCUMENTS, documents_for
from app.pricing import keep_vat_mode, request_vat_mode, vat_figures
from app.service_fields import fields_for
from app.request_conversation import partner_timeline
from app.settings import VAT_MODES, VAT_NONE, get_setting
from app.signatures import act_signature, signature_text
from app.money import money
from app.status_labels import partner_label, staff_label
from app.texts import pdf_texts
from app.timefmt import format_day, local_today
from app.translations import locale_name
from app.visibility import is_partner_facing, reads_partner_words, visible_history
from models.requests import Request
from reports.fields import document_groups, request_fields, sees_contacts, summary
from reports.pdf import amount_in_words, render_pdf


class DocumentUnavailable(NotFound, ValueError):
    pass


@dataclass
class Line:
    title: str
    kopecks: int


@dataclass
class Totals:
    """The arithmetic a document prints: lines − discount = total (+ VAT on top) = to pay.

    Every figure comes from what was stored when the request or quote was priced (the lines and
    the total); nothing is re-priced at print time. The discount is what separates them.
    """

    subtotal: int  # sum of the lines
    discount: int  # subtotal − total (the partner discount applied when priced)
    discount_percent: Decimal | None
    total: int  # after the discount, as stored
    vat_mode: str
    vat: int  # included in `total` or added on top of it, per vat_mode
    to_pay: int  # the final amount: total, or total + VAT when VAT is added on top
    paid: int
    due: int  # never negative



def _round(value: Decimal) -> int:
    """Half-up to whole kopecks."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def document_totals(lines: list[Line], total: int, discount_percent=None, paid: int = 0,
                    vat_mode: str = VAT_NONE) -> Totals:
    """The figures of an invoice, act or proposal from its stored lines and total."""
    if vat_mode not in VAT_MODES:
        raise ValueError(f"unknown VAT mode {vat_mode!r}")
    subtotal = sum(line.kopecks for line in lines)
    discount = subtotal - total
    percent = None
    if discount and subtotal:
        percent = Decimal(str(discount_percent or 0))
        if _round(Decimal(subtotal) * percent / 100) != discount:
            # the company's discount changed since pricing: print the one that was applied
            percent = (Decimal(discount) * 100 / subtotal).quantize(Decimal("0.01"),
                                                                    ROUND_HALF_UP)
    vat, to_pay = vat_figures(total, vat_mode)
    return Totals(subtotal, discount, percent, total, vat_mode, vat, to_pay, paid or 0,
                  max(to_pay - (paid or 0), 0))


def request_lines(req) -> list[Line]:
    """The request's priced lines, each named in the reader's language."""
    return [Line(line_title(line), line.price_kopecks) for line in req.lines]


def request_totals(req, lines: list[Line] | None = None) -> Totals:
    """The request's figures as its documents print them (the desk and cabinet pages show
    the same subtotal, discount and total); `lines`: request_lines(req) when read already."""
    lines = request_lines(req) if lines is None else lines
    return document_totals(lines, req.total_kopecks, req.company.discount_percent,
                           req.paid_kopecks, request_vat_mode(req))


def percent_text(value: Decimal | None) -> str:
    """Decimal('5.00') → '5', Decimal('7.50') → '7,5' in Russian."""
    text = f"{value or 0:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if locale_name("") == "ru" else text


@dataclass
class HistoryRow:
    created_at: object
    label: str
    comment: str | None


def proposal_pdf(quote) -> bytes:
    lines = [Line(line_title(item), item["kopecks"]) for item in quote.breakdown]
    totals = document_totals(lines, quote.total_kopecks, quote.company.discount_percent,
                             vat_mode=get_setting("vat_mode"))
    bureau = get_setting("bureau")
    values = text_values(bureau, totals, number=quote.id, company=quote.company.name,
                         company_inn=quote.company.inn or "")
    # the quote's priced values (a partner's own document: nothing to hide)
    fields = fields_for(quote.service_ids or (), include_inactive=True)
    return render_pdf("proposal.html", quote=quote, lines=lines, totals=totals,
                      percent_text=percent_text, bureau=bureau,
                      object_summary=summary(fields, quote.field_values or {}, skip=()),
                      texts=pdf_texts("proposal", values))


def request_pdf(req: Request, document: str, for_partner: bool, user=None) -> bytes:
    """Invoice, act or request card for a partner, or for the staff member `user`.

    The first invoice or act of a request takes the next number of the year (stored in the
    caller's transaction, which must commit it); later ones print the same number and date.

    Partners get partner labels and no internal notes; staff see what app.visibility allows
    (an engineer's card has no end client and no partner-facing comments).
    """
    # which document exists when, and for whom, is app.request_rules (DOCUMENTS,
    # documents_for): the pages ask it too
    if document not in DOCUMENTS:
        raise DocumentUnavailable(_("Unknown document."))
    if not DOCUMENTS[document](req):
        raise DocumentUnavailable(_("This document is not available in the current status."))
    if user is not None and document not in documents_for(user, req):
        raise DocumentUnavailable(_("This document is not available to you: engineers "
                                    "download the request card."))
    issued = None  # invoices and acts carry their own number and date, the card does not
    if document in ("invoice", "act"):
        issued = issue_document_number(req, document, user)
        keep_vat_mode(req)  # its figures stay those it was issued with
        if issued.issued_with is None:  # its requisites too (rows before 0042: from now)
            issued.issued_with = {"bureau": get_setting("bureau")}
    lines = request_lines(req)
    totals = request_totals(req, lines)
    full = for_partner or reads_partner_words(user)  # no user: an internal caller (CLI)
    # the form's values as the form groups them; contact fields only for readers of
    # partner words (the partner's and the manager's card, never an engineer's download)
    fields = request_fields(req)
    contacts = for_partner or sees_contacts(user)
    history = _partner_history(req) if for_partner else [
        HistoryRow(h.created_at, _label(h.to_status, False), h.comment)
        for h in visible_history(req, user)]
    bureau = issued.issued_with["bureau"] if issued is not None else get_setting("bureau")
    status_label = _label(req.status, for_partner)
    doc_date = issued and format_date(issued.issued_on, "dd.MM.yyyy")
    values = text_values(bureau, totals, number=req.number, status=status_label,
                         company=req.company.name, company_inn=req.company.inn or "",
                         address=req.object_address or "",
                         doc_number=issued.seq if issued else "", doc_date=doc_date or "")
    return render_pdf(f"{document}.html", req=req, lines=lines, totals=totals,
                      percent_text=percent_text, bureau=bureau, history=history,
                      show_client=full, doc_number=issued and issued.seq, doc_date=doc_date,
                      status_label=status_label, texts=pdf_texts(document, values),
                      field_groups=document_groups(fields, req.field_values, contacts),
                      object_summary=summary(fields, req.field_values),
                      signed=_signed_text(req) if document == "act" else None)


def _signed_text(req: Request) -> str | None:
    """The act accepted with a one-time code says so: "Signed with a simple electronic
    signature: name, date time, IP …, SHA-256 …" (app.signatures)."""
    signature = act_signature(req)
    return signature_text(signature) if signature is not None else None


def text_values(bureau: dict, totals: Totals, **values) -> dict:
    """The placeholders of a document's edited texts (app.texts.PDF_PLACEHOLDERS)."""
    return {"bureau_name": bureau.get("name", ""), "bureau_inn": bureau.get("inn", ""),
            "bureau_address": bureau.get("address", ""),
            "director": bureau.get("director", ""), "total": money(totals.to_pay),
            "total_in_words": amount_in_words(totals.to_pay),
            "today": format_day(local_today(), "dd.MM.yyyy"), **values}


def _label(status: str, for_partner: bool) -> str:
    return partner_label(status) if for_partner else staff_label(status)


def _partner_history(req: Request) -> list[HistoryRow]:
    """The partner's timeline as the cabinet shows it (app.request_conversation: changes of
    the partner's label, with the partner-facing comments — the partner's own words on a move
    too, which the card dropped)."""
    return [HistoryRow(change.created_at, _label(change.to_status, True),
                       change.comment if is_partner_facing(change) else None)
            for change in partner_timeline(req)]
