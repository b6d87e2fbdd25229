"""The back-office search panel in a browser: the filter rows Flask-AppBuilder's script
builds (the active ones on load, each added by "Add filter") have named controls
(app/static/js/replan.js), and the panel is open while the list is filtered."""

from __future__ import annotations

from app.extensions import db
from tests.browser.pages import sign_in
from tests.factories import make_user


def names(page) -> list[tuple[str, str | None]]:
    return page.eval_on_selector_all(
        "table.filters tr select, table.filters tr input:not([type=hidden]), "
        "table.filters tr a.remove-filter",
        "els => els.map(e => [e.tagName + '.' + e.className, e.getAttribute('aria-label')])")


def test_filter_rows_are_named_on_load_and_when_added(app, server_url, browser):
    admin = make_user("Admin")
    db.session.commit()
    page = browser.new_page()
    sign_in(page, server_url, admin.username)
    page.goto(f"{server_url}/lang/ru")
    page.goto(f"{server_url}/requests/list/?_flt_0_status=submitted")
    assert page.is_visible("table.filters")  # open: the list is filtered
    found = names(page)
    assert ["A.btn remove-filter", "Убрать фильтр: Статус"] in found, found
    assert sum(1 for _tag, label in found if label == "Статус — условие") == 1, found
    assert sum(1 for _tag, label in found if label == "Статус — значение") == 1, found
    page.goto(f"{server_url}/lang/en")
    page.goto(f"{server_url}/requests/list/")
    assert not page.is_visible("table.filters tr")  # closed: nothing filters the list
    page.click("a.accordion-toggle")
    page.click("button.dropdown-toggle:has-text('Add Filter')")
    page.click("a.filter:has-text('Payment')")
    found = names(page)
    assert ["A.btn remove-filter", "Remove the filter: Payment"] in found, found
    labels = {label for _tag, label in found}
    assert {"Payment — condition", "Payment — value"} <= labels, found
    assert all(label for _tag, label in found), found
    page.close()
