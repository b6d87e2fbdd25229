"""A long word never widens a page: a link pasted into a message, an address typed without
spaces on site, a file name of many words joined by "_" made the partner's request list
849 px, the request page 982-1 009 px wide on a 375 px phone, and the desk 1 396 px on a
1 280 px screen (every card cut off at the right, the values out of sight)."""

import pytest

from app.messages import post_partner_message
from app.extensions import db
from models.request_status import Status
from tests.browser.pages import sign_in
from tests.factories import make_partner, make_request

pytestmark = pytest.mark.browser

LINK = ("Ссылка на фото: https://disk.yandex.ru/d/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_"
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789")
ADDRESS = "г.Москва,ул.Краснопролетарская,д.16,стр.2,кв.123,подъезд4,этаж5,домофон123К4567"


def _width(page, url: str) -> int:
    page.goto(url)
    page.wait_for_load_state()
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_long_link_or_address_wraps_on_a_phone_and_on_the_desk(app, server_url, browser,
                                                                   staff, shots):
    partner = make_partner(username="p")
    req = make_request(partner, Status.ASSIGNED, staff, object_address=ADDRESS)
    post_partner_message(partner, req, LINK)
    db.session.commit()
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="ru-RU")
    page = phone.new_page()
    sign_in(page, server_url, "p")
    assert _width(page, f"{server_url}/cabinet/requests") == 375
    # targets a thumb hits: the language and sign-out links were 22 × 23 px
    heights = page.eval_on_selector_all(".topbar .tools a, .topbar .tools button, a.number",
                                        "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 40, heights
    shots(page, "long-address-list-375")
    assert _width(page, f"{server_url}/cabinet/requests/{req.id}") == 375
    assert page.locator(".msg", has_text="disk.yandex.ru").is_visible()
    shots(page, "long-link-request-375")
    phone.close()
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = desk.new_page()
    sign_in(page, server_url, staff.manager.username)
    assert _width(page, f"{server_url}/desk/{req.id}") == 1280
    shots(page, "long-link-desk-1280")
    desk.close()
