"""Payments on the desk: the admin voids a wrong payment with a reason (kept, struck out,
counted nowhere), everyone else cannot; paid / due on the desk; director figures count
valid payments only."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask_babel import force_locale, gettext

from app.extensions import db
from app.form_nonce import issue_nonce
from app.payments import mark_payment
from app.templating import money
from app.timefmt import local_today
from app.uow import unit_of_work
from models.finance import Payment
from models.requests import Request
from tests.factories import (as_user, csrf_token, form_token, make_user, post)




def pay(req, kopecks, admin, document):
    with unit_of_work():
        return mark_payment(req, kopecks, date(2026, 11, 20), document, admin).id


def state(req_id):
    db.session.expire_all()
    req = db.session.get(Request, req_id)
    return req.payment_state, req.paid_kopecks


def voided(payment_id):
    db.session.expire_all()
    return db.session.get(Payment, payment_id).voided_at is not None


def ru(app, msgid: str, **kwargs) -> str:
    """The Russian text the page shows for `msgid` (whatever the catalogue holds now)."""
    with app.test_request_context(), force_locale("ru"):
        return gettext(msgid, **kwargs)


def void_url(req, payment_id):
    return f"/desk/{req.id}/payment/{payment_id}/void"


def test_admin_voids_payments_state_follows_and_they_stay_listed_struck_out(app, ready,
                                                                           admin):
    half = ready.total_kopecks // 2
    first = pay(ready, half, admin, "п/п 101")
    second = pay(ready, ready.total_kopecks - half, admin, "п/п 102")
    assert state(ready.id)[0] == "paid"
    c = as_user(app, admin)
    page = post(c, void_url(ready, second), {"reason": "сумма набрана с ошибкой"}, follow=True)
    html = page.get_data(as_text=True)
    assert state(ready.id) == ("partial", half)
    voided_item = re.search(r'data-testid="payment-voided">(.*?)</li>', html, re.S).group(1)
    assert "<del>" in voided_item and "п/п 102" in voided_item
    assert "сумма набрана с ошибкой" in voided_item and admin.get_full_name() in voided_item
    post(c, void_url(ready, first), {"reason": "платёж другой заявки"})
    assert state(ready.id) == ("unpaid", 0)
    html = c.get(f"/desk/{ready.id}").get_data(as_text=True)
    assert html.count('data-testid="payment-voided"') == 2
    assert 'data-testid="payment"' not in html  # no valid payment left, nothing to void
    assert db.session.query(Payment).filter_by(request_id=ready.id).count() == 2


def test_reason_is_required_and_a_second_void_changes_nothing(app, ready, admin):
    payment = pay(ready, 100_00, admin, "п/п 7")
    c = as_user(app, admin)
    page = post(c, void_url(ready, payment), {"reason": "  "}, follow=True)
    assert ru(app, "Give the reason for voiding the payment.") in page.get_data(as_text=True)
    assert not voided(payment) and state(ready.id) == ("partial", 100_00)
    post(c, void_url(ready, payment), {"reason": "дубль"})
    assert voided(payment) and state(ready.id) == ("unpaid", 0)
    again = post(as_user(app, make_user("Admin")), void_url(ready, payment),
                 {"reason": "ещё раз"}, follow=True)
    assert ru(app, "This payment is already voided.") in again.get_data(as_text=True)
    row = db.session.get(Payment, payment)
    assert (row.void_reason, row.voided_by_id) == ("дубль", admin.id)


def test_nobody_but_the_admin_can_void(app, ready, admin, staff):
    payment = pay(ready, 100_00, admin, "п/п 8")
    for user in (staff.manager, staff.supermanager, staff.engineer, make_user("Director"),
                 ready.author):
        response = post(as_user(app, user), void_url(ready, payment), {"reason": "хочу"})
        assert response.status_code == 403, user.username
        assert not voided(payment) and state(ready.id) == ("partial", 100_00)
    anonymous = app.test_client()
    token = csrf_token(anonymous.get("/login/").get_data(as_text=True))
    anonymous = anonymous.post(void_url(ready, payment), follow_redirects=True, data={
        "reason": "x", "csrf_token": token, "form_nonce": issue_nonce()})
    assert anonymous.request.path == "/login/"
    assert not voided(payment)


def test_the_csrf_and_the_one_time_form_token_are_needed(app, ready, admin):
    payment = pay(ready, 100_00, admin, "п/п 9")
    c = as_user(app, admin)
    c.post(void_url(ready, payment), data={"reason": "x", "form_nonce": issue_nonce()})
    assert not voided(payment)
    c.post(void_url(ready, payment), data={"reason": "x", "csrf_token": form_token(c)})
    assert not voided(payment)
    nonce = issue_nonce()
    post(c, void_url(ready, payment), {"reason": "x", "form_nonce": nonce})
    assert voided(payment)


def test_paid_and_due_on_the_desk_and_payment_date_defaults_to_today(app, ready, admin,
                                                                     staff):
    pay(ready, 100_00, admin, "п/п 10")
    due = ready.total_kopecks - 100_00
    for user in (admin, staff.manager, make_user("Director")):
        html = as_user(app, user).get(f"/desk/{ready.id}").get_data(as_text=True)
        line = re.search(r'data-testid="paid-due">(.*?)</p>', html, re.S).group(1)
        with app.test_request_context(), force_locale("ru"):
            expected = gettext("Paid %(paid)s of %(total)s, due %(due)s", paid=money(100_00),
                               total=money(ready.total_kopecks), due=money(due))
        assert line == expected
    engineer = as_user(app, staff.engineer).get(f"/desk/{ready.id}").get_data(as_text=True)
    assert 'data-testid="paid-due"' not in engineer
    html = as_user(app, admin).get(f"/desk/{ready.id}").get_data(as_text=True)
    with app.test_request_context():  # the bureau's date (its zone), not the server's
        today = local_today()
    assert re.search(r'name="paid_on"[^>]*value="%s"' % today.isoformat(), html)


def test_payment_list_has_a_voided_column(app, ready, admin):
    first = pay(ready, 100_00, admin, "п/п 11")
    pay(ready, 200_00, admin, "п/п 12")
    c = as_user(app, admin)
    post(c, void_url(ready, first), {"reason": "дубль"})
    html = c.get("/payments/list/").get_data(as_text=True)
    cells = re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", html, re.S)
    assert ru(app, "Voided") in html
    assert cells.count(ru(app, "Yes")) == 1 and cells.count(ru(app, "No")) == 1


def test_director_dashboard_counts_only_valid_payments(app, ready, admin):
    first = pay(ready, 300_00, admin, "п/п 13")
    pay(ready, 200_00, admin, "п/п 14")
    post(as_user(app, admin), void_url(ready, first), {"reason": "ошибка"})
    director = as_user(app, make_user("Director"))
    html = director.get("/dashboard/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    charts = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)'
                                  r'</script>', html, re.S).group(1))
    assert sum(v for _k, v in charts["revenue"]) == pytest.approx(200)
    assert sum(v for _k, v in charts["partners"]) == pytest.approx(200)
