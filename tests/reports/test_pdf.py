"""PDF documents: Russian text and amounts survive (read with pypdf), fonts embedded."""

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.settings import get_setting, set_setting
from models.request_status import Status
from reports import pdf
from reports.pdf import amount_in_words
from tests.pdftext import embedded_fonts, pdf_text
from tests.factories import Staff, sign_in, make_partner, make_request, make_user, post


def text_of(data: bytes, tmp_path=None) -> str:
    return pdf_text(data)



def test_partner_downloads_a_russian_proposal(app, client, tmp_path):
    from app.demo import load_catalog
    from models.catalog import Quote, Service

    load_catalog()
    db.session.commit()
    make_partner(username="p")
    sign_in(client, "p")
    measure = db.session.query(Service).filter_by(code="measure").one()
    post(client, "/cabinet/calculator", {"services": [str(measure.id)], "area": "40",
                                         "object_type": "apartment", "urgency": "normal",
                                         "save": "1"})
    quote = db.session.query(Quote).one()
    response = client.get(f"/cabinet/quotes/{quote.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f'filename=proposal-{quote.id}.pdf' in response.headers["Content-Disposition"]
    text = text_of(response.data, tmp_path)
    assert "Коммерческое предложение" in text
    assert "Обмерный план помещения" in text
    assert "7 400,00" in text  # 5 000 + 60 × 40
    assert "Семь тысяч четыреста рублей" in text
    assert {"DejaVuSans", "DejaVuSans-Bold"} & embedded_fonts(response.data)
    assert all(name.startswith("DejaVuSans") for name in embedded_fonts(response.data))
    other = app.test_client()
    make_partner(username="q")
    sign_in(other, "q")
    assert other.get(f"/cabinet/quotes/{quote.id}/pdf").status_code == 404


def test_invoice_uses_settings_requisites_and_amount_in_words(app, client, staff, tmp_path):
    bureau = get_setting("bureau")
    bureau["name"] = "ООО «Планировка и Ко»"
    set_setting("bureau", bureau)
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    sign_in(client, "p")
    text = text_of(client.get(f"/cabinet/requests/{req.id}/pdf/invoice").data, tmp_path)
    assert "Счёт на оплату" in text and "ООО «Планировка и Ко»" in text
    assert "044525225" in text and "15 000,00" in text
    assert "Пятнадцать тысяч рублей 00 копеек" in text and "ноль" not in text
    # the lines as an invoice lists works: quantity, unit, price, amount
    assert "Кол-во Ед. Цена Сумма" in " ".join(text.split())
    assert "1 усл. 15 000,00 ₽ 15 000,00 ₽ Итого" in " ".join(text.split())


def test_an_entrepreneurs_invoice_prints_no_kpp_a_companys_does(app, client, staff):
    """An individual entrepreneur (12-digit INN) has no KPP: the invoice prints the INN alone,
    not an empty "КПП" cell; a company's invoice prints both."""
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    sign_in(client, "p")
    company = text_of(client.get(f"/cabinet/requests/{req.id}/pdf/invoice").data)
    assert "КПП " + get_setting("bureau")["kpp"] in company
    bureau = get_setting("bureau")
    bureau.update(inn="500100732259", kpp="")
    set_setting("bureau", bureau)
    db.session.commit()
    later = make_request(partner, Status.ASSIGNED, staff)  # issued after the change
    text = text_of(client.get(f"/cabinet/requests/{later.id}/pdf/invoice").data)
    assert "ИНН 500100732259" in text and "КПП" not in text
    # the invoice issued before keeps the requisites it was issued with
    again = text_of(client.get(f"/cabinet/requests/{req.id}/pdf/invoice").data)
    assert "КПП " in again and "ИНН 500100732259" not in again


def test_act_only_after_delivery_and_card_for_every_role_that_sees_it(app, client, staff,
                                                                     tmp_path):
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff)
    sign_in(client, "p")
    page = client.get(f"/cabinet/requests/{req.id}/pdf/act", follow_redirects=True)
    assert "недоступен" in page.get_data(as_text=True)
    done = make_request(partner, Status.DELIVERED, staff)
    text = text_of(client.get(f"/cabinet/requests/{done.id}/pdf/act").data, tmp_path)
    assert "Акт" in text and "выполненных работ" in text
    card = text_of(client.get(f"/cabinet/requests/{req.id}/pdf/card").data, tmp_path)
    assert req.number in card and "В обработке" in card
    for user, code in [(staff.manager, 200), (make_user("Director"), 200),
                       (Staff().manager, 404)]:
        c = app.test_client()
        sign_in(c, user.username)
        assert c.get(f"/desk/{req.id}/pdf/card").status_code == code
    stranger = app.test_client()
    make_partner(username="s")
    sign_in(stranger, "s")
    assert stranger.get(f"/cabinet/requests/{req.id}/pdf/invoice").status_code == 404


def test_missing_font_is_an_error_not_black_boxes(app, staff, tmp_path, monkeypatch):
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    monkeypatch.setitem(pdf.FONTS, "regular", tmp_path / "nope.ttf")
    from reports.documents import request_pdf

    with app.test_request_context():
        with pytest.raises(pdf.PdfError, match="font missing"):
            request_pdf(req, "invoice", for_partner=True)


@pytest.mark.parametrize("kopecks, locale, words", [
    (1500000, "ru", "Пятнадцать тысяч рублей 00 копеек"),
    (101, "ru", "Один рубль 01 копейка"),
    (2102, "ru", "Двадцать один рубль 02 копейки"),
    (2562450, "en", "Twenty-five thousand, six hundred and twenty-four roubles 50 kopeks"),
])
def test_amounts_in_words_write_kopecks_in_digits(app, kopecks, locale, words):
    with app.test_request_context(), force_locale(locale):
        assert amount_in_words(kopecks) == words


def test_the_partners_card_keeps_the_partners_own_words_as_the_cabinet_does(app, client,
                                                                           staff, tmp_path):
    """The card dropped the partner's answer to a data request (the cabinet showed it)."""
    from app.messages import post_partner_message
    from app.uow import unit_of_work

    partner = make_partner(username="p")
    req = make_request(partner, Status.NEEDS_INFO, staff)
    with unit_of_work():
        post_partner_message(partner, req, "Техпаспорт приложил.")
    sign_in(client, "p")
    card = " ".join(text_of(client.get(f"/cabinet/requests/{req.id}/pdf/card").data,
                            tmp_path).split())
    assert "Техпаспорт приложил." in card and "because" in card  # the manager's ask too
