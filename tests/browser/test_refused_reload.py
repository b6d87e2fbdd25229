"""A desk form refused in the browser: the page keeps what was typed, the address bar shows
the request's page (not the POST's address), and a reload opens that page as stored — it
sent the spent form again and said "Эта форма уже отправлена" though nothing was saved
(found by the exploratory session)."""

import pytest

from app.extensions import db
from models.finance import Payment
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser


def test_reloading_a_refused_payment_opens_the_request_page(app, server_url, browser, ready,
                                                            admin):
    db.session.commit()
    page = browser.new_page(viewport={"width": 375, "height": 800})
    sign_in(page, server_url, admin.username)
    page.goto(f"{server_url}/desk/{ready.id}")
    form = page.locator(f'form[action="/desk/{ready.id}/payment"]')
    form.locator('input[name="amount"]').fill(str(ready.total_kopecks * 2 // 100))
    form.locator('input[name="document"]').fill("п/п 777")
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    assert "Платёж больше долга" in page.content()
    assert page.evaluate("location.pathname") == f"/desk/{ready.id}"
    assert form.locator('input[name="document"]').input_value() == "п/п 777"
    # on a phone the message is repeated just above the refused form, which is in view
    copy = page.locator(f'.refusal-copy + form[action="/desk/{ready.id}/payment"]')
    assert copy.count() == 1
    assert "Платёж больше долга" in page.locator(".refusal-copy").inner_text()
    top = page.evaluate("document.querySelector('.refusal-copy').getBoundingClientRect().top")
    assert 0 <= top < 800
    page.reload()
    text = page.content()
    assert "уже отправлена" not in text and "Платёж больше долга" not in text
    assert page.locator(".refusal-copy").count() == 0
    assert form.locator('input[name="document"]').input_value() == ""  # the page as stored
    assert db.session.query(Payment).filter_by(request_id=ready.id).count() == 0
    page.close()
