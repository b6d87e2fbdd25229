"""app.requisites: the Russian requisites' formats and check digits (INN, KPP, BIK, settlement
and correspondent accounts against the BIK, OGRN / OGRNIP), and the demo data holding valid
ones."""

import pytest
from flask_babel import force_locale

from app import demo, requisites
from app.demo_profiles import car_check
from app.requisites import (account_matches_bik, bureau_problems, corr_account_matches_bik,
                            inn_is_valid, ogrn_is_valid)
from app.settings import DEFAULTS

SBER = {"inn": "7707083893", "kpp": "773601001", "bik": "044525225",
        "account": "40702810938000000001", "corr_account": "30101810400000000225"}


@pytest.fixture
def ru(app):
    with app.test_request_context(), force_locale("ru"):
        yield


@pytest.mark.parametrize("inn", ["7707083893", "7736207543", "500100732259", "5003052454"])
def test_valid_inns(inn):
    assert inn_is_valid(inn)


@pytest.mark.parametrize("inn", [
    "7707083894",  # the 10th digit wrong
    "500100732258",  # the 12th digit wrong
    "500100732269",  # the 11th digit wrong
    "770708389", "77070838931", "7707083893000",  # 9, 11, 13 digits
    "77070838AB", "abc", "", None, "٧٧٠٧٠٨٣٨٩٣"])  # letters, nothing, Arabic-Indic digits
def test_invalid_inns(inn):
    assert not inn_is_valid(inn)


def test_inn_messages_say_what_is_wrong(ru):
    assert requisites.inn_problem("7707083893") is None
    assert requisites.inn_problem(" 7707 083 893 ") is None  # typed with spaces
    assert requisites.inn_problem("123") == ("ИНН состоит из 10 цифр (организация) или 12 цифр "
                                             "(индивидуальный предприниматель).")
    assert requisites.inn_problem("7707083894") == "ИНН некорректен: проверьте цифры."


@pytest.mark.parametrize("kpp", ["773601001", "770701001", "7736AB001", "7736 01 001",
                                 "7736ab001"])  # letters typed small: made capital
def test_valid_kpps(ru, kpp):
    assert requisites.kpp_problem(kpp) is None


@pytest.mark.parametrize("kpp", ["x", "77360100", "7736010011", "773601AB1",
                                 "A73601001", "7736ЯБ001"])
def test_invalid_kpps(ru, kpp):
    assert requisites.kpp_problem(kpp) == ("КПП состоит из 9 знаков: 4 цифры, 2 цифры или "
                                           "заглавные латинские буквы, 3 цифры.")


@pytest.mark.parametrize("bik, valid", [("044525225", True), ("044525974", True),
                                        ("abc", False), ("04452522", False),
                                        ("0445252250", False), ("04452522X", False)])
def test_bik(ru, bik, valid):
    assert (requisites.bik_problem(bik) is None) is valid
    if not valid:
        assert requisites.bik_problem(bik) == "БИК состоит из 9 цифр."


@pytest.mark.parametrize("account, bik", [("40702810938000000001", "044525225"),
                                          ("40702810210000123456", "044525974"),
                                          ("40802818500000000001", "044525225")])
def test_settlement_accounts_matching_their_bik(account, bik):
    assert account_matches_bik(account, bik)


def test_settlement_account_problems(ru):
    assert requisites.account_problem("40702810938000000001", "044525225") is None
    assert requisites.account_problem("1", "044525225") == "Расчётный счёт состоит из 20 цифр."
    assert requisites.account_problem("4070281093800000000X", "044525225") == \
        "Расчётный счёт состоит из 20 цифр."
    # one digit changed, or the account of another bank
    assert requisites.account_problem("40702810938000000002", "044525225") == \
        "Расчётный счёт не соответствует БИК: проверьте цифры счёта и БИК."
    assert requisites.account_problem("40702810938000000001", "044525974") == \
        "Расчётный счёт не соответствует БИК: проверьте цифры счёта и БИК."
    # a wrong BIK is the BIK's problem: the account is not blamed for it
    assert requisites.account_problem("40702810938000000001", "abc") is None


@pytest.mark.parametrize("corr, bik", [("30101810400000000225", "044525225"),
                                       ("30101810145250000974", "044525974"),
                                       ("30101810200000000593", "044525593")])
def test_correspondent_accounts_matching_their_bik(corr, bik):
    assert corr_account_matches_bik(corr, bik)


def test_correspondent_account_problems(ru):
    assert requisites.corr_account_problem("30101810400000000225", "044525225") is None
    assert requisites.corr_account_problem("301018104", "044525225") == \
        "Корреспондентский счёт состоит из 20 цифр."
    assert requisites.corr_account_problem("30101810400000000226", "044525225") == \
        "Корреспондентский счёт не соответствует БИК: проверьте цифры счёта и БИК."
    # the settlement account's key is not the correspondent account's
    assert not corr_account_matches_bik("40702810938000000001", "044525225")


@pytest.mark.parametrize("ogrn, valid", [("1027700132195", True), ("304500116000157", True),
                                         ("1027700132196", False), ("304500116000158", False),
                                         ("102770013219", False), ("10277001321950", False),
                                         ("102770013219X", False), ("", False)])
def test_ogrn(ogrn, valid):
    assert ogrn_is_valid(ogrn) is valid


def test_ogrn_messages(ru):
    assert requisites.ogrn_problem("1027700132195") is None
    assert requisites.ogrn_problem("123") == ("ОГРН состоит из 13 цифр (организация) или 15 "
                                              "цифр (ОГРНИП индивидуального предпринимателя).")
    assert requisites.ogrn_problem("1027700132196") == "ОГРН некорректен: проверьте цифры."


def test_bureau_problems_each_field_under_its_key(ru):
    assert bureau_problems(SBER) == {}
    assert bureau_problems({**SBER, "ogrn": "1027700132195"}) == {}
    bad = bureau_problems({"name": "x", "inn": "7707083894", "kpp": "x", "bik": "abc",
                           "account": "1", "corr_account": "30101810400000000225",
                           "ogrn": "1"})
    assert set(bad) == {"inn", "kpp", "bik", "account", "ogrn"}  # corr: BIK unknown
    assert bad["account"] == "Расчётный счёт состоит из 20 цифр."
    wrong_key = bureau_problems({**SBER, "account": "40702810938000000002",
                                 "corr_account": "30101810400000000226"})
    assert set(wrong_key) == {"account", "corr_account"}
    # a bureau that has not filled them in yet: nothing to check
    assert bureau_problems({"inn": "", "kpp": " ", "bik": None}) == {}


def test_messages_in_english(app):
    with app.test_request_context(), force_locale("en"):
        assert requisites.bik_problem("abc") == "The BIK has 9 digits."
        assert bureau_problems({**SBER, "account": "40702810938000000002"}) == {
            "account": "The account does not match the BIK: check the digits of both."}


def test_the_demo_bureaus_hold_valid_requisites(ru):
    assert bureau_problems(DEFAULTS["bureau"]) == {}
    car_bureau = {**DEFAULTS["bureau"], **car_check.PROFILE["settings"]["bureau"]}
    assert bureau_problems(car_bureau) == {}
    inns = [inn for _name, inn, _city, _discount in demo.COMPANIES] + \
        [company["inn"] for company in car_check.PROFILE["companies"]]
    assert [inn for inn in inns if not inn_is_valid(inn)] == []


def test_a_correspondent_account_ends_with_its_banks_number():
    """Sber's correspondent account with Tinkoff's BIK: the key alone (the BIK's 5th and 6th
    digits, the same region) would pass it."""
    assert not corr_account_matches_bik("30101810400000000225", "044525974")
