"""The staff bell in a real browser: a partner submits, the supermanager's bell rings, the
list opens the request's desk page and the count goes down."""

import pytest

from app.demo import load_catalog
from app.extensions import db
from app.workflow import transition
from tests.factories import make_partner, make_request, make_user
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser


def test_supermanager_bell_rings_on_a_new_request(app, server_url, browser, shots):
    load_catalog()
    chief = make_user("Supermanager", username="chief")
    partner = make_partner(username="pavel")
    req = make_request(partner)
    transition(req, "submit", partner)
    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    sign_in(page, server_url, chief.username)
    page.goto(f"{server_url}/my-profile/")
    assert page.inner_text("[data-testid=staff-bell-count]").strip() == "1"
    page.click("[data-testid=staff-bell]")
    shots(page, "01-list")
    listing = page.inner_text("[data-testid=notifications]")
    assert f"Новая заявка {req.number}" in listing and "Открыть заявку" in listing
    page.click("[data-testid=notifications] [data-testid=open]")
    page.wait_for_url(f"**/desk/{req.id}")
    shots(page, "02-desk")
    assert page.locator("[data-testid=staff-bell-count]").count() == 0
    context.close()
