"""On a phone a form sent back with an error opens where the error is: the page came back
at the top with the only message ("Это поле обязательно.") a screen below, under the
sticky save buttons, as if nothing had happened; and a calculation's price opened ~1 100 px
below the buttons."""

import pytest

from app.demo import load_catalog
from app.extensions import db
from models.catalog import Service
from models.requests import Request
from tests.browser.pages import sign_in
from tests.factories import make_partner

pytestmark = pytest.mark.browser


def _in_view(page, selector: str) -> bool:
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
                                   return r.top >= 0 && r.bottom <= window.innerHeight; }""",
                         selector)


def test_the_first_error_and_the_price_open_in_view_on_a_phone(app, server_url, browser,
                                                                shots):
    load_catalog()
    make_partner(username="p")
    db.session.commit()
    measure = db.session.query(Service).filter_by(code="measure").one().id
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="ru-RU")
    page = context.new_page()
    sign_in(page, server_url, "p")
    page.goto(f"{server_url}/cabinet/requests/new")
    page.check(f"input[name=services][value='{measure}']")
    page.fill("input[name=area]", "45,5")
    page.click("button[name=save_draft]")  # no address: refused
    page.wait_for_load_state()
    assert page.locator("[data-testid=form-errors]").inner_text() == \
        "Исправьте поля, отмеченные ниже."
    assert page.evaluate("document.activeElement.name") == "address"
    assert _in_view(page, "#address")
    assert page.input_value("input[name=area]") == "45,5"  # kept
    shots(page, "error-in-view-375")
    assert db.session.query(Request).count() == 0
    page.goto(f"{server_url}/cabinet/calculator")
    page.check(f"input[name=services][value='{measure}']")
    page.fill("input[name=area]", "40")
    page.select_option("select[name=object_type]", index=1)
    page.click("button[name=calculate]")
    page.wait_for_load_state()
    assert _in_view(page, "[data-testid=total]")
    shots(page, "price-in-view-375")
    context.close()
