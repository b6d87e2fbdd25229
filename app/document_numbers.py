"""Invoice and act numbers: sequential per kind and calendar year, issued once, never reused.

The first time a request's invoice is issued it gets the next number of the year for that
kind and today's date; an act is issued by the delivery itself (app.workflow), so it is
dated the day the work was handed over. Every later download prints the same number and
date.
Concurrent issuers are kept apart by the unique constraints of DocumentNumber: the loser of
a race retries with the next number (works the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit import record
from app.errors import Conflict
from app.extensions import db
from app.timefmt import local_today
from models.finance import DOCUMENT_KINDS, DocumentNumber

ATTEMPTS = 10  # numbers taken by concurrent issuers before giving up (a Conflict)


def issued_number(request_id: int, kind: str) -> DocumentNumber | None:
    """The number the request's `kind` document already has, if any."""
    return db.session.scalars(select(DocumentNumber).filter_by(
        kind=kind, request_id=request_id)).first()


def issue_document_number(req, kind: str, actor=None,
                          today: date | None = None) -> DocumentNumber:
    """The number and date of the request's invoice or act: the one issued before, else the
    next of the year, stored and audited (the caller commits)."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"no numbers for {kind!r}")
    for _attempt in range(ATTEMPTS):
        found = issued_number(req.id, kind)
        if found is not None:
            return found
        issued_on = today or local_today()  # the bureau's day, not the server's
        row = DocumentNumber(kind=kind, year=issued_on.year, seq=_next_seq(kind, issued_on.year),
                             request_id=req.id, request_number=req.number, issued_on=issued_on)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue  # someone took this number, or issued this document, first: look again
        record("document_issued", actor, req, kind=kind, number=row.seq,
               date=issued_on.isoformat())
        return row
    raise Conflict()


def _next_seq(kind: str, year: int) -> int:
    """One more than the highest number of the year (rows are never deleted, so a number
    once issued is never issued again)."""
    last = db.session.scalar(select(func.max(DocumentNumber.seq)).where(
        DocumentNumber.kind == kind, DocumentNumber.year == year))
    return (last or 0) + 1
