"""A yes/no filter of a back-office list takes the value as a URL may carry it ("y", "1",
"true", "on" / "n", "0", "false", "off"): FAB made only "y" a boolean and passed the rest as
text, which PostgreSQL refuses to compare with a boolean — `?_flt_0_is_active=1` was a 500 on
every list with a yes/no column (found by an attack run)."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import as_user, make_company, make_user


@pytest.mark.parametrize("value, blocked", [
    ("y", True), ("1", True), ("true", True), ("on", True), ("TRUE", True),
    ("n", False), ("0", False), ("false", False), ("off", False)])
def test_a_yes_no_filter_takes_every_spelling(app, value, blocked):
    make_company("Заблокированная").is_blocked = True
    make_company("Работающая")
    db.session.commit()
    client = as_user(app, make_user("Admin"))
    equal = client.get(f"/companies/list/?_flt_0_is_blocked={value}")
    assert equal.status_code == 200
    page = equal.get_data(as_text=True)
    assert ("Заблокированная" in page, "Работающая" in page) == (blocked, not blocked)
    page = client.get(f"/companies/list/?_flt_1_is_blocked={value}").get_data(as_text=True)
    assert ("Заблокированная" in page, "Работающая" in page) == (not blocked, blocked)


def test_a_value_that_is_no_yes_or_no_filters_nothing(app):
    make_company("Заблокированная").is_blocked = True
    make_company("Работающая")
    db.session.commit()
    client = as_user(app, make_user("Admin"))
    for value in ("maybe", "2", ""):
        page = client.get(f"/companies/list/?_flt_0_is_blocked={value}").get_data(as_text=True)
        assert "Заблокированная" in page and "Работающая" in page, value


@pytest.mark.parametrize("value, inactive_listed", [
    ("true", False), ("1", False), ("y", False), ("false", True), ("0", True), ("n", True)])
def test_the_users_active_filter_takes_every_spelling(app, value, inactive_listed):
    """The users list is FAB's security view (a plain SQLAInterface): its "Active" filter
    took "true" as text (no rows on SQLite, a 500 on PostgreSQL)."""
    admin = make_user("Admin")
    gone = make_user("Engineer")
    gone.active = False
    db.session.commit()
    page = as_user(app, admin).get(f"/users/list/?_flt_0_active={value}").get_data(
        as_text=True)
    assert (gone.username in page, admin.username in page) == (inactive_listed,
                                                               not inactive_listed)


def test_a_yes_no_filter_offers_yes_and_no(app):
    """The filter's value is a Yes/No select (FAB's checkbox could not say "No": unticked,
    the filter was dropped and every row listed)."""
    from flask_babel import force_locale
    from wtforms import SelectField

    from app.extensions import appbuilder

    view = next(v for v in appbuilder.baseviews if v.__class__.__name__ == "PartnerCompanyView")
    with app.test_request_context(), force_locale("ru"):
        field = view.search_form().is_blocked
        assert isinstance(field, SelectField)
        assert [(value, str(label)) for value, label in field.choices] == [("y", "Да"),
                                                                           ("n", "Нет")]


def test_the_users_active_filter_offers_yes_and_no(app):
    from flask_babel import force_locale
    from wtforms import SelectField

    from app.extensions import appbuilder

    with app.test_request_context(), force_locale("ru"):
        field = appbuilder.sm.userdbmodelview  # the class; its registered view below
        view = next(v for v in appbuilder.baseviews if isinstance(v, field))
        assert isinstance(view.search_form().active, SelectField)
