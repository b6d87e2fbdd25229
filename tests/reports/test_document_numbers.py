"""Invoice and act numbers: 1, 2, 3 … per kind and year, kept on re-download, never reused.

The PDFs are read back as text (tests/pdftext.py); the date is frozen through the clock of
app.timefmt (models.base.utcnow as imported there: the bureau's today, app.timefmt.local_today).
"""

import re
from datetime import date, datetime

import pytest

from app import document_numbers, timefmt
from app.document_numbers import issue_document_number, issued_number
from app.extensions import db
from app.uow import unit_of_work
from app.workflow import transition
from models.audit import AuditEvent
from models.finance import DocumentNumber
from models.notifications import Notification
from models.request_status import Status
from tests.factories import as_user, login, make_partner, make_request
from tests.pdftext import pdf_text
from tests.reports.test_documents_arithmetic import _pdf, _priced



@pytest.fixture
def clock(monkeypatch):
    """Set the UTC time the numbering sees: clock(datetime(...))."""
    def set_now(moment: datetime):
        monkeypatch.setattr(timefmt, "utcnow", lambda: moment)
    set_now(datetime(2026, 11, 26, 9, 0))
    return set_now


def _heading(app, partner, req, document: str) -> tuple[int, str]:
    """(number, date) printed in the document's title."""
    text = _pdf(app, partner, req, document)
    word = "Счёт на оплату" if document == "invoice" else "Акт"
    found = re.search(word + r" № (\d+) от (\d\d\.\d\d\.\d{4})", text)
    assert found, text[:400]
    return int(found.group(1)), found.group(2)


def test_invoices_run_1_2_and_a_request_keeps_its_number(app, staff, clock):
    first_partner, first = _priced(staff, "0")
    second_partner, second = _priced(staff, "0")
    assert _heading(app, first_partner, first, "invoice") == (1, "26.11.2026")
    clock(datetime(2026, 11, 28, 12, 0))
    assert _heading(app, second_partner, second, "invoice") == (2, "28.11.2026")
    # downloaded again days later, by the partner or the staff: the same number and date
    clock(datetime(2026, 12, 3, 8, 0))
    assert _heading(app, first_partner, first, "invoice") == (1, "26.11.2026")
    manager = as_user(app, staff.manager)
    text = " ".join(pdf_text(manager.get(f"/desk/{first.id}/pdf/invoice").data).split())
    assert "Счёт на оплату № 1 от 26.11.2026" in text
    assert db.session.query(DocumentNumber).filter_by(kind="invoice").count() == 2
    issued = [e for e in db.session.query(AuditEvent).filter_by(action="document_issued")
              if e.details["kind"] == "invoice"]
    assert sorted((e.object_id, e.details["number"]) for e in issued) == \
        [(first.id, 1), (second.id, 2)]


def test_the_title_no_longer_prints_the_request_number_or_today(app, staff, clock):
    partner, req = _priced(staff, "0")
    text = _pdf(app, partner, req, "invoice")
    assert f"№ {req.number} от" not in text
    assert f"заявка {req.number}" in text  # the basis still names the request


def test_acts_have_their_own_sequence_numbered_and_dated_at_delivery(app, staff, clock):
    """An act is issued with the delivery: numbered in delivery order and dated the day the
    work was handed over, however late it is first downloaded (it was dated that day)."""
    partner, req = _priced(staff, "0")  # delivered on 26.11
    clock(datetime(2026, 11, 27, 9, 0))
    other_partner, other = _priced(staff, "0")  # delivered on 27.11
    clock(datetime(2026, 12, 3, 9, 0))  # first downloaded a week later
    assert _heading(app, other_partner, other, "invoice")[0] == 1
    assert _heading(app, partner, req, "invoice")[0] == 2
    assert _heading(app, other_partner, other, "act") == (2, "27.11.2026")
    assert _heading(app, partner, req, "act") == (1, "26.11.2026")


def test_a_new_year_starts_again_at_1(app, staff, clock):
    clock(datetime(2026, 12, 31, 20, 0))  # 23:00 in Moscow: still 2026
    old_partner, old = _priced(staff, "0")
    assert _heading(app, old_partner, old, "invoice") == (1, "31.12.2026")
    clock(datetime(2026, 12, 31, 21, 30))  # 00:30 on 1 January in Moscow
    partner, req = _priced(staff, "0")
    assert _heading(app, partner, req, "invoice") == (1, "01.01.2027")
    later_partner, later = _priced(staff, "0")
    assert _heading(app, later_partner, later, "invoice") == (2, "01.01.2027")
    assert _heading(app, old_partner, old, "invoice") == (1, "31.12.2026")
    years = db.session.query(DocumentNumber.year, DocumentNumber.seq).filter_by(
        kind="invoice").order_by(DocumentNumber.id).all()
    assert years == [(2026, 1), (2027, 1), (2027, 2)]


def test_numbers_are_never_reused_after_a_cancel_or_a_delete(app, staff, clock):
    partner = make_partner(username="pc")
    cancelled = make_request(partner, Status.SUBMITTED, staff)
    deleted_partner = make_partner(username="pd")
    deleted = make_request(deleted_partner, Status.SUBMITTED, staff)
    assert _heading(app, partner, cancelled, "invoice")[0] == 1
    assert _heading(app, deleted_partner, deleted, "invoice")[0] == 2
    with unit_of_work():
        transition(cancelled, "cancel", partner, "не нужно")
    deleted_id = deleted.id
    for change in deleted.history:  # no request is deleted with its history in the app
        db.session.delete(change)
    db.session.query(Notification).filter_by(request_id=deleted.id).delete()
    db.session.delete(deleted)
    db.session.commit()
    kept = db.session.query(DocumentNumber).filter_by(seq=2).one()
    assert (kept.request_id, kept.request_number) == (None, deleted.number)
    next_partner, following = _priced(staff, "0")
    assert _heading(app, next_partner, following, "invoice")[0] == 3
    # the cancelled request's invoice is gone from the cabinet, its number stays taken
    client = app.test_client()
    login(client, "pc")
    page = client.get(f"/cabinet/requests/{cancelled.id}/pdf/invoice")
    assert page.status_code == 302
    assert issued_number(cancelled.id, "invoice").seq == 1
    # SQLite may give the next request the deleted one's id: it still got a number of its own
    reissued = issued_number(deleted_id, "invoice")
    assert reissued is None or (following.id == deleted_id and reissued.seq == 3)


def test_a_lost_race_for_a_number_takes_the_next_one(app, staff, clock, monkeypatch):
    _p1, first = _priced(staff, "0")
    _p2, second = _priced(staff, "0")
    with unit_of_work():
        issue_document_number(first, "invoice", today=date(2026, 11, 26))
    stale = iter([1])  # a concurrent issuer committed number 1 after we read the maximum
    real = document_numbers._next_seq
    monkeypatch.setattr(document_numbers, "_next_seq",
                        lambda kind, year: next(stale, None) or real(kind, year))
    with unit_of_work():
        row = issue_document_number(second, "invoice", today=date(2026, 11, 26))
    assert row.seq == 2
    assert db.session.query(DocumentNumber).filter_by(kind="invoice").count() == 2


def test_a_lost_race_for_the_same_request_returns_the_winners_number(app, staff, clock,
                                                                    monkeypatch):
    _p, req = _priced(staff, "0")
    with unit_of_work():
        winner = issue_document_number(req, "act", today=date(2026, 11, 26))
    misses = iter([None])  # our first look ran before the winner committed
    real = document_numbers.issued_number
    monkeypatch.setattr(document_numbers, "issued_number",
                        lambda rid, kind: next(misses, "look") and real(rid, kind))
    with unit_of_work():
        row = issue_document_number(req, "act", today=date(2026, 11, 27))
    assert (row.id, row.seq, row.issued_on) == (winner.id, 1, date(2026, 11, 26))
    assert db.session.query(DocumentNumber).count() == 1


def test_no_numbers_for_other_documents(app, staff):
    _p, req = _priced(staff, "0")
    with pytest.raises(ValueError):
        issue_document_number(req, "card")


def test_amount_in_words_matches_the_total_to_pay_with_vat_on_top(app, staff, clock):
    from app.settings import set_setting

    set_setting("vat_mode", "on_top20")
    db.session.commit()
    partner, req = _priced(staff, "0", prices_rub=(1000, 234))
    text = _pdf(app, partner, req, "invoice")
    assert "Всего к оплате: 1 480,80 ₽" in text and "на сумму 1 480,80 ₽" in text
    assert "Одна тысяча четыреста восемьдесят рублей 80 копеек" in text


def test_migration_0006_adds_and_drops_the_numbers_table(make_app):
    from sqlalchemy import create_engine, inspect

    from tests.unit.test_migrations import _fresh_database_url, flask

    url, cleanup = _fresh_database_url()
    engine = create_engine(url)
    fresh = make_app(SQLALCHEMY_DATABASE_URI=url)
    try:
        assert flask(fresh, "db", "upgrade", "0005_payment_voids").exit_code == 0
        assert "document_number" not in inspect(engine).get_table_names()
        done = flask(fresh, "db", "upgrade", "0006_document_numbers")
        assert done.exit_code == 0, done.output
        engine.dispose()
        unique = {tuple(c["column_names"])
                  for c in inspect(engine).get_unique_constraints("document_number")}
        assert {("kind", "year", "seq"), ("kind", "request_id")} <= unique
        down = flask(fresh, "db", "downgrade", "0005_payment_voids")
        assert down.exit_code == 0, down.output
        engine.dispose()
        assert "document_number" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        cleanup()


def test_concurrent_issuers_get_distinct_numbers(app, staff):
    """Six requests' invoices issued at once from six sessions: numbers 1-6, each once."""
    import threading

    from models.requests import Request

    ids = [_priced(staff, "0")[1].id for _ in range(6)]
    db.session.commit()
    start, errors = threading.Barrier(len(ids)), []

    def issue(request_id: int) -> None:
        with app.app_context():  # a session (and connection) of its own
            try:
                req = db.session.get(Request, request_id)
                start.wait(timeout=10)
                with unit_of_work():
                    issue_document_number(req, "invoice", today=date(2026, 11, 26))
            except Exception as error:  # reported below, with the others
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(rid,)) for rid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    rows = db.session.query(DocumentNumber.request_id, DocumentNumber.seq).filter_by(
        kind="invoice").all()
    assert sorted(seq for _rid, seq in rows) == [1, 2, 3, 4, 5, 6]
    assert sorted(rid for rid, _seq in rows) == sorted(ids)
