"""Invoices, acts and proposals add up: lines − discount = total, VAT per the setting, words.

The PDFs are read back as text (tests/pdftext.py); every figure is checked in kopecks.
"""

import random
import re
from datetime import date
from decimal import Decimal

import pytest

from app.errors import InvalidInput
from app.extensions import db
from app.intake import reprice
from app.quotes import save_quote
from app.settings import DEFAULTS, VAT_MODES, get_setting, save_settings, set_setting
from app.uow import unit_of_work
from models.request_status import Status
from reports.documents import Line, document_totals
from tests.factories import (as_user, login, make_company, make_partner, make_request,
                             make_service, make_user)
from tests.pdftext import pdf_text



def _priced(staff, discount: str, prices_rub=(30000, 4000), status=Status.DELIVERED):
    """A partner's request whose lines cost `prices_rub` with a company discount."""
    company = make_company(discount=discount)
    partner = make_partner(company, username=f"p{random.random():.8f}"[2:])
    req = make_request(partner, status, staff)
    services = [make_service(f"s{n}-{rub}", base_rub=rub, per_m2_rub=0)
                for n, rub in enumerate(prices_rub)]
    reprice(req, [s.id for s in services], [], company)
    db.session.commit()
    return partner, req


def _pdf(app, partner, req, document: str) -> str:
    client = app.test_client()
    login(client, partner.username)
    response = client.get(f"/cabinet/requests/{req.id}/pdf/{document}")
    assert response.mimetype == "application/pdf", response.get_data(as_text=True)[:300]
    return " ".join(pdf_text(response.data).split())  # one line: cells may wrap


def _kopecks(text: str) -> int:
    """'32 300,00' → 3230000."""
    return int(text.replace(" ", "").replace(",", ""))


MONEY = r"(\d{1,3}(?: \d{3})*,\d{2}) ₽"


def test_lines_discount_total_and_no_vat_by_default(app, staff):
    partner, req = _priced(staff, "5")
    assert req.total_kopecks == 3230000 and get_setting("vat_mode") == "none"
    for document in ("invoice", "act"):
        text = _pdf(app, partner, req, document)
        assert "30 000,00 ₽" in text and "4 000,00 ₽" in text
        assert "Итого без скидки: 34 000,00 ₽" in text
        assert "Скидка 5 %: −1 700,00 ₽" in text
        assert "Итого: 32 300,00 ₽" in text
        assert "Без НДС (УСН)" in text and "В том числе НДС" not in text
        assert "на сумму 32 300,00 ₽" in text
        assert "Тридцать две тысячи триста рублей" in text


@pytest.mark.parametrize("mode, words, vat, to_pay, in_words", [
    ("included20", "В том числе НДС 20 %: 5 383,33 ₽", 538333, "32 300,00",
     "Тридцать две тысячи триста рублей"),
    ("on_top20", "НДС 20 %: 6 460,00 ₽", 646000, "38 760,00",
     "Тридцать восемь тысяч семьсот шестьдесят рублей"),
])
def test_vat_modes_print_their_words_and_figures(app, staff, mode, words, vat, to_pay,
                                                 in_words):
    set_setting("vat_mode", mode)
    db.session.commit()
    partner, req = _priced(staff, "5")
    for document in ("invoice", "act"):
        text = _pdf(app, partner, req, document)
        assert "Скидка 5 %: −1 700,00 ₽" in text and "Итого: 32 300,00 ₽" in text
        assert words in text and "Без НДС" not in text
        assert f"на сумму {to_pay} ₽" in text and in_words in text
        if mode == "on_top20":
            assert f"Всего к оплате: {to_pay} ₽" in text
        else:
            assert "Всего к оплате" not in text
    totals = document_totals([Line("a", 3000000), Line("b", 400000)], 3230000, 5,
                             vat_mode=mode)
    assert totals.vat == vat and totals.to_pay == _kopecks(to_pay)


def test_invoice_due_is_never_negative(app, staff):
    partner, req = _priced(staff, "0", prices_rub=(1000,))
    req.paid_kopecks = 150000  # more than the total: stored before overpayments were refused
    db.session.commit()
    text = _pdf(app, partner, req, "invoice")
    assert "Оплачено: 1 500,00 ₽" in text and "К оплате: 0,00 ₽" in text
    assert "-" not in re.sub(r"\d{4}-\d{5}", "", text.split("К оплате")[1])
    assert document_totals([Line("a", 100)], 100, paid=250).due == 0
    on_top = document_totals([Line("a", 10000)], 10000, paid=10000, vat_mode="on_top20")
    assert (on_top.to_pay, on_top.due) == (12000, 2000)


def test_lines_minus_discount_equal_the_total_for_random_discounts(app, staff):
    rng = random.Random(20261126)
    for _ in range(5):
        discount = f"{rng.randint(0, 3000) / 100:.2f}"
        prices = [rng.randint(500, 90000) for _ in range(rng.randint(1, 3))]
        partner, req = _priced(staff, discount, prices)
        text = _pdf(app, partner, req, "invoice")
        lines = sum(rub * 100 for rub in prices)
        assert all(f"{rub:,}".replace(",", " ") + ",00 ₽" in text for rub in prices)
        total = _kopecks(re.search(r"Итого: " + MONEY, text).group(1))
        assert total == req.total_kopecks
        off = re.search(r"Скидка ([\d,]+) %: −" + MONEY, text)
        if off is None:  # a discount rounding to nothing prints no discount line
            assert total == lines
            continue
        assert off.group(1) == discount.rstrip("0").rstrip(".").replace(".", ",")
        assert _kopecks(re.search(r"Итого без скидки: " + MONEY, text).group(1)) == lines
        assert lines - _kopecks(off.group(2)) == total


def test_discount_changed_after_pricing_prints_the_applied_percent(app, staff):
    partner, req = _priced(staff, "5")
    req.company.discount_percent = Decimal("10")  # changed later: the request keeps its price
    db.session.commit()
    text = _pdf(app, partner, req, "invoice")
    assert "Скидка 5 %: −1 700,00 ₽" in text and "Итого: 32 300,00 ₽" in text


def test_proposal_shows_the_discount_line(app):
    company = make_company(discount="5")
    partner = make_partner(company, username="pq")
    services = [make_service(f"q{rub}", base_rub=rub, per_m2_rub=0) for rub in (30000, 4000)]
    quote = save_quote(partner, [s.id for s in services], {"area": "50"}, "normal")
    db.session.commit()
    client = app.test_client()
    login(client, "pq")
    text = " ".join(pdf_text(client.get(f"/cabinet/quotes/{quote.id}/pdf").data).split())
    assert "Скидка 5 %: −1 700,00 ₽" in text and "Итого: 32 300,00 ₽" in text
    assert "Без НДС (УСН)" in text


def test_admin_switches_the_vat_mode_and_a_bad_value_is_refused(app):
    admin = as_user(app, make_user("Admin"))
    page = admin.get("/settings/").get_data(as_text=True)
    assert 'name="vat_mode"' in page and "Без НДС (УСН)" in page
    assert "НДС 20 % сверху" in page
    fields = dict(re.findall(r'name="([^"]+)"[^>]*type="(?:text|number)" value="([^"]*)"',
                             page))
    fields["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                     page).group(1)
    fields.update({"vat_mode": "vat_18", "upload_max_mb": "7"})
    bad = admin.post("/settings/", data=fields).get_data(as_text=True)
    assert "ничего не сохранено" in bad
    assert (get_setting("vat_mode"), get_setting("upload_max_mb")) == ("none", 20)
    fields["vat_mode"] = "on_top20"
    admin.post("/settings/", data=fields)
    assert (get_setting("vat_mode"), get_setting("upload_max_mb")) == ("on_top20", 7)
    page = admin.get("/settings/").get_data(as_text=True)
    assert '<option selected value="on_top20">' in page


def test_save_settings_refuses_an_unknown_vat_mode_and_stores_nothing(app):
    admin = make_user("Admin")
    values = {key: get_setting(key) for key in DEFAULTS}
    values.update({"vat_mode": "half", "auto_close_days": 30})
    with pytest.raises(InvalidInput), unit_of_work():
        save_settings(admin, values)
    assert (get_setting("vat_mode"), get_setting("auto_close_days")) == ("none", 14)
    for mode in VAT_MODES:
        values.update({"vat_mode": mode})
        with unit_of_work():
            save_settings(admin, values)
        assert get_setting("vat_mode") == mode



@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_request_pages_show_the_discount_their_documents_print(app, staff, lang):
    """The desk and cabinet pages listed the lines (34 000 ₽) and the total after the 5 %
    discount (32 300 ₽) with nothing between: the subtotal and the discount are shown as
    the invoice prints them, and add up."""
    partner, req = _priced(staff, "5")
    words = {"ru": ("Итого без скидки", "Скидка 5 %"), "en": ("Subtotal", "Discount 5 %")}
    pages = {"desk": (as_user(app, staff.manager), f"/desk/{req.id}"),
             "cabinet": (as_user(app, partner), f"/cabinet/requests/{req.id}")}
    for name, (client, url) in pages.items():
        client.get(f"/lang/{lang}")
        html = client.get(url).get_data(as_text=True)
        plain = re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ").replace("\u202f", " ")
        plain = re.sub(r"\s+", " ", plain)
        subtotal, discount = words[lang]
        assert subtotal in plain and discount in plain, name
        assert "34 000" in plain.split(subtotal, 1)[1][:40] or \
            "34,000" in plain.split(subtotal, 1)[1][:40], name
        assert "−1 700" in plain or "−1,700" in plain, name
        assert "32 300" in plain or "32,300" in plain, name
    # a request without a discount shows no such lines
    plain_partner, plain_req = _priced(staff, "0")
    html = as_user(app, staff.manager).get(f"/desk/{plain_req.id}").get_data(as_text=True)
    assert 'data-testid="discount"' not in html


def test_an_issued_invoice_and_a_payment_keep_the_vat_mode_they_were_made_under(app, staff):
    """The VAT mode changed to "on top" after a paid invoice: the same invoice number asked
    for 1 284,40 ₽ more and the desk showed it due, the request still "paid"."""
    from app.payments import amount_due, mark_payment
    from app.pricing import request_payable
    from models.requests import Request

    partner, req = _priced(staff, "5", status=Status.ASSIGNED)  # 32 300,00 ₽, no VAT
    invoice = _pdf(app, partner, req, "invoice")
    version = db.session.get(Request, req.id).version
    assert "32 300,00 ₽" in invoice and "Без НДС" in invoice
    with unit_of_work():
        mark_payment(req, 32_300_00, date.today(), "PP-1", make_user("Admin"))
    untouched_partner, untouched = _priced(staff, "5", status=Status.ASSIGNED)  # neither
    # invoiced nor paid
    set_setting("vat_mode", "on_top20")
    db.session.commit()
    req = db.session.get(Request, req.id)
    assert req.version == version + 1  # the invoice bumped nothing; the payment once
    again = _pdf(app, partner, req, "invoice")  # the same figures; the payment now shown
    assert again.startswith(invoice.split(" Руководитель")[0])
    assert "Оплачено: 32 300,00 ₽ · К оплате: 0,00 ₽" in again and "НДС 20 %" not in again
    assert (req.payment_state, request_payable(req), amount_due(req)) == ("paid", 32_300_00, 0)
    desk = as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    assert re.search(r"из 32\s300,00\s₽, к оплате 0,00", desk)  # nothing due, as paid
    # a request neither invoiced nor paid follows the new setting
    assert "Всего к оплате: 38 760,00 ₽" in _pdf(app, untouched_partner, untouched, "invoice")
    cabinet = as_user(app, untouched_partner).get(
        f"/cabinet/requests/{untouched.id}").get_data(as_text=True)
    assert re.search(r"НДС 20 %: 6\s460,00\s₽ · <strong>Всего к оплате: 38\s760,00\s₽",
                     cabinet)  # the cabinet says what the invoice asks
