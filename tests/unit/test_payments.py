"""Payments called directly: a void keeps the row, recomputes the state from valid payments
only, is audited and told to the manager; refusals change nothing; the migration goes up and
down again."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, inspect, text

from app.errors import Conflict, InvalidInput, NotFound, Refused
from app.extensions import db
from app.payments import mark_payment, void_payment
from app.periodic import send_director_digest
from app.templating import money
from app.uow import unit_of_work
from models.audit import AuditEvent
from models.finance import Payment
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.request_status import Status
from models.requests import Request
from tests.factories import make_partner, make_request, make_user
from tests.unit.test_migrations import _fresh_database_url, flask




def pay(req, kopecks, admin, document="п/п 1"):
    with unit_of_work():
        return mark_payment(req, kopecks, date(2026, 11, 20), document, admin).id


def reload(req_id):
    db.session.expire_all()
    return db.session.get(Request, req_id)


def test_void_recomputes_paid_then_partial_then_unpaid(ready, admin):
    half = ready.total_kopecks // 2
    first = pay(ready, half, admin, "п/п 1")
    second = pay(ready, ready.total_kopecks - half, admin, "п/п 2")
    req = reload(ready.id)
    assert (req.payment_state, req.paid_kopecks) == ("paid", req.total_kopecks)
    with unit_of_work():
        void_payment(admin, second, "ошибочная сумма")
    req = reload(ready.id)
    assert (req.payment_state, req.paid_kopecks) == ("partial", half)
    with unit_of_work():
        void_payment(admin, first, "не наш платёж")
    req = reload(ready.id)
    assert (req.payment_state, req.paid_kopecks) == ("unpaid", 0)
    rows = db.session.query(Payment).filter_by(request_id=req.id).order_by(Payment.id).all()
    assert [(p.void_reason, p.voided_by_id) for p in rows] == [
        ("не наш платёж", admin.id), ("ошибочная сумма", admin.id)]
    assert all(p.voided_at is not None for p in rows)
    # the whole amount may be paid again once the wrong payments are voided
    pay(req, req.total_kopecks, admin, "п/п 3")
    assert reload(req.id).payment_state == "paid"


def test_void_is_audited_and_the_manager_is_told(ready, admin, staff):
    payment = pay(ready, 100_00, admin)
    with unit_of_work():
        void_payment(admin, payment, "дубль")
    event = db.session.query(AuditEvent).filter_by(action="payment_void").one()
    assert event.actor_id == admin.id and event.object_id == ready.id
    assert event.details["amount_kopecks"] == 100_00 and event.details["reason"] == "дубль"
    marked, voided = db.session.query(Notification).filter_by(
        user_id=staff.manager.id, kind="payment").order_by(Notification.id).all()
    assert ready.number in marked.text and "дубль" not in marked.text  # the payment, then
    assert ready.number in voided.text and "дубль" in voided.text  # its void


def test_a_reason_is_required(ready, admin):
    """Each blank reason on one payment; fails listing each reason not refused, or voiding."""
    payment = pay(ready, 100_00, admin)
    wrong = []
    for reason in ("", "   ", None):
        try:
            with unit_of_work():
                void_payment(admin, payment, reason)
            wrong.append((reason, "not refused"))
        except InvalidInput:
            pass
        db.session.expire_all()
        if db.session.get(Payment, payment).voided_at is not None:
            wrong.append((reason, "voided"))
        if reload(ready.id).paid_kopecks != 100_00:
            wrong.append((reason, "paid changed"))
    assert wrong == []


def test_second_void_is_a_conflict_and_changes_nothing(ready, admin):
    payment = pay(ready, 100_00, admin)
    with unit_of_work():
        void_payment(admin, payment, "первый")
    with pytest.raises(Conflict), unit_of_work():
        void_payment(make_user("Admin"), payment, "второй")
    row = db.session.get(Payment, payment)
    db.session.refresh(row)
    assert (row.void_reason, row.voided_by_id) == ("первый", admin.id)
    assert db.session.query(AuditEvent).filter_by(action="payment_void").count() == 1


def test_only_the_admin_voids_and_an_unknown_payment_is_not_found(ready, admin, staff):
    payment = pay(ready, 100_00, admin)
    for user in (staff.manager, staff.supermanager, staff.engineer, make_user("Director"),
                 ready.author):
        with pytest.raises(Refused), unit_of_work():
            void_payment(user, payment, "нельзя")
    with pytest.raises(NotFound), unit_of_work():
        void_payment(admin, 999_999, "нет такого")
    assert db.session.get(Payment, payment).voided_at is None
    assert reload(ready.id).payment_state == "partial"


def test_director_digest_counts_valid_payments_only(app, ready, admin):
    director = make_user("Director", username="dir")
    wrong = pay(ready, 300_00, admin, "п/п 1")
    pay(ready, 200_00, admin, "п/п 2")
    with unit_of_work():
        void_payment(admin, wrong, "ошибка")
    assert send_director_digest(date(2026, 11, 20)) == 1
    body = db.session.query(OutboxMessage).filter_by(recipient=director.email).one().body
    with app.test_request_context():
        assert money(200_00) in body and money(500_00) not in body


def test_migration_adds_and_drops_the_void_columns_keeping_payments(make_app):
    url, cleanup = _fresh_database_url()
    engine = create_engine(url)
    fresh = make_app(SQLALCHEMY_DATABASE_URI=url)
    try:
        assert flask(fresh, "db", "upgrade", "22ae653da0a6").exit_code == 0
        columns = {c["name"] for c in inspect(engine).get_columns("payment")}
        assert "voided_at" not in columns
        done = flask(fresh, "db", "upgrade", "0005_payment_voids")
        assert done.exit_code == 0, done.output
        engine.dispose()
        columns = {c["name"] for c in inspect(engine).get_columns("payment")}
        assert {"voided_at", "voided_by_id", "void_reason"} <= columns
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                == "0005_payment_voids"
        down = flask(fresh, "db", "downgrade", "22ae653da0a6")
        assert down.exit_code == 0, down.output
        engine.dispose()
        columns = {c["name"] for c in inspect(engine).get_columns("payment")}
        assert not columns & {"voided_at", "voided_by_id", "void_reason"}
        again = flask(fresh, "db", "upgrade")
        assert again.exit_code == 0, again.output
        engine.dispose()
        assert "void_reason" in {c["name"] for c in inspect(engine).get_columns("payment")}
    finally:
        engine.dispose()
        cleanup()


def test_with_vat_on_top_the_partner_owes_the_vat_too(app, staff):
    from app.payments import amount_due
    from app.settings import set_setting

    set_setting("vat_mode", "on_top20")
    req = make_request(make_partner(username="vat"), Status.READY, staff)
    req.total_kopecks, req.paid_kopecks = 3_230_000, 0
    db.session.commit()
    admin = make_user("Admin", username="vatadmin")
    assert amount_due(req) == 3_876_000  # 32 300 + 20 % = 38 760
    with unit_of_work():
        mark_payment(req, 3_230_000, date.today(), "п/п 1", admin)
    assert (req.payment_state, amount_due(req)) == ("partial", 646_000)
    with pytest.raises(InvalidInput) as error, unit_of_work():
        mark_payment(req, 646_001, date.today(), "п/п 2", admin)
    assert "6\u00a0460,00" in str(error.value)
    with unit_of_work():
        mark_payment(req, 646_000, date.today(), "п/п 2", admin)
    assert (req.payment_state, amount_due(req)) == ("paid", 0)
