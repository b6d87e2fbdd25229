"""The admin's settings page checks the bureau's requisites (they print on invoices, acts and
proposals): a wrong INN, KPP, BIK or account is refused under its field in the user's language,
everything typed stays on the page, and nothing is stored."""

import html

import pytest

from app.errors import InvalidInput
from app.extensions import db
from app.settings import DEFAULTS, get_setting, save_settings
from tests.factories import as_user, make_user, settings_fields

TINKOFF = {"bureau-inn": "7710140679", "bureau-kpp": "771301001", "bureau-bik": "044525974",
           "bureau-account": "40702810210000123456",
           "bureau-corr_account": "30101810145250000974"}


def _page(client, fields: dict) -> str:
    return html.unescape(client.post("/settings/", data=fields).get_data(as_text=True))


@pytest.mark.parametrize("field, typed, message", [
    ("bureau-bik", "abc", "БИК состоит из 9 цифр."),
    ("bureau-inn", "7707083894", "ИНН некорректен: проверьте цифры."),
    ("bureau-inn", "12345", "ИНН состоит из 10 цифр (организация) или 12 цифр "
                            "(индивидуальный предприниматель)."),
    ("bureau-kpp", "x", "КПП состоит из 9 знаков: 4 цифры, 2 цифры или заглавные латинские "
                        "буквы, 3 цифры."),
    ("bureau-account", "1", "Расчётный счёт состоит из 20 цифр."),
    ("bureau-account", "40702810938000000002",
     "Расчётный счёт не соответствует БИК: проверьте цифры счёта и БИК."),
    ("bureau-corr_account", "30101810400000000226",
     "Корреспондентский счёт не соответствует БИК: проверьте цифры счёта и БИК."),
], ids=["bik-letters", "inn-checksum", "inn-length", "kpp", "account-length", "account-key",
        "corr-account-key"])
def test_a_wrong_requisite_is_refused_under_its_field_and_nothing_is_stored(
        app, field, typed, message):
    admin = as_user(app, make_user("Admin"))
    fields = {**settings_fields(admin), field: typed, "bureau-name": "ООО «Новое имя»",
              "upload_max_mb": "7"}
    page = _page(admin, fields)
    error = f'id="{field}-error" role="alert">{message}</p>'
    assert error in page
    assert "Проверьте выделенные поля: ничего не сохранено." in page
    assert f'value="{typed}"' in page and 'value="ООО «Новое имя»"' in page  # kept
    db.session.expire_all()
    assert get_setting("bureau") == DEFAULTS["bureau"]
    assert get_setting("upload_max_mb") == 20


def test_the_account_is_checked_against_the_bik_typed_with_it(app):
    """Another bank's BIK with the old account: the account is what no longer matches."""
    admin = as_user(app, make_user("Admin"))
    fields = {**settings_fields(admin), "bureau-bik": "044525974"}
    page = _page(admin, fields)
    assert 'id="bureau-account-error"' in page and 'id="bureau-corr_account-error"' in page
    assert 'id="bureau-bik-error"' not in page
    assert get_setting("bureau")["bik"] == "044525225"


def test_the_message_is_in_english_for_an_english_admin(app):
    admin = as_user(app, make_user("Admin", locale="en"))
    page = _page(admin, {**settings_fields(admin), "bureau-bik": "abc",
                         "bureau-account": "1"})
    assert "The BIK has 9 digits." in page and "The account has 20 digits." in page
    assert get_setting("bureau")["bik"] == "044525225"


def test_valid_requisites_of_another_bank_are_stored_without_spaces(app):
    admin = as_user(app, make_user("Admin"))
    typed = {**TINKOFF, "bureau-account": "4070 2810 2100 0012 3456",
             "bureau-inn": " 7710140679 ", "bureau-kpp": "7713ab001"}  # letters made capital
    response = admin.post("/settings/", data={**settings_fields(admin), **typed})
    assert response.status_code == 302
    db.session.expire_all()
    bureau = get_setting("bureau")
    assert {f"bureau-{key}": bureau[key] for key in ("inn", "kpp", "bik", "account",
                                                     "corr_account")} == {
        **TINKOFF, "bureau-kpp": "7713AB001"}


def test_the_use_case_refuses_wrong_requisites_itself(app):
    admin = make_user("Admin")
    values = {key: get_setting(key) for key in DEFAULTS}
    values["bureau"] = {**values["bureau"], "bik": "abc", "kpp": "x"}
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        save_settings(admin, values)
    assert "БИК состоит из 9 цифр." in str(refused.value)
    assert "КПП состоит из 9 знаков" in str(refused.value)
    db.session.rollback()
    assert get_setting("bureau") == DEFAULTS["bureau"]


def test_an_entrepreneur_has_no_kpp_a_company_has_one(app):
    """A bureau run by an individual entrepreneur (12-digit INN) saves without a KPP (the
    page required one); a company (10-digit INN) is told to fill it in, nothing stored."""
    admin = as_user(app, make_user("Admin"))
    company = _page(admin, {**settings_fields(admin), **TINKOFF, "bureau-kpp": ""})
    assert "У организации (ИНН из 10 цифр) есть КПП: заполните его." in company
    assert get_setting("bureau")["inn"] == DEFAULTS["bureau"]["inn"]
    entrepreneur = {**TINKOFF, "bureau-inn": "500100732259", "bureau-kpp": ""}
    response = admin.post("/settings/", data={**settings_fields(admin), **entrepreneur})
    assert response.status_code == 302
    db.session.expire_all()
    assert (get_setting("bureau")["inn"], get_setting("bureau")["kpp"]) == ("500100732259", "")
