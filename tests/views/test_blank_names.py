"""A name of spaces is no name: FAB's generated forms took "   " as a service's name, a
price rule's label, an article's title, a field's label (partners were offered a blank
checkbox); every generated text is stored trimmed."""

import re

import pytest

from app.extensions import db
from models.catalog import PriceRule, Service
from models.knowledge import KbCategory
from tests.factories import as_user, csrf_token, make_user


def _save(client, url: str, data: dict):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


@pytest.mark.parametrize("url, data, model", [
    ("/services/add", {"code": "qa20", "name": "   ", "base_price_kopecks": "1000",
                       "is_active": "y"}, Service),
    ("/price-rules/add", {"kind": "option", "key": "qa_opt", "label": "   ",
                          "coefficient": "1", "surcharge_kopecks": "100", "is_active": "y"},
     PriceRule),
    ("/kb-categories/add", {"name": "   ", "slug": "qa", "sort_order": "1"}, KbCategory),
])
def test_a_name_of_spaces_is_refused_and_nothing_saved(app, url, data, model):
    admin = as_user(app, make_user("Admin"))
    before = db.session.query(model).count()
    page = _save(admin, url, data)
    assert page.status_code == 200, page.status_code  # the form again, not a redirect
    assert re.search(r"Обязательное поле|This field is required",
                     page.get_data(as_text=True))
    assert db.session.query(model).count() == before


def test_a_generated_text_is_stored_trimmed(app):
    admin = as_user(app, make_user("Admin"))
    _save(admin, "/kb-categories/add", {"name": "  Договоры  ", "slug": " dogovory ",
                                        "sort_order": "1"})
    assert db.session.query(KbCategory).one().name == "Договоры"


def test_a_price_rule_key_is_one_word_no_other_rule_of_its_kind_has(app):
    """Two "qa_opt" options were saved and the calculator showed both (the last one
    priced); "qa 11" was a key."""
    admin = as_user(app, make_user("Admin"))
    rule = {"kind": "option", "key": "qa_opt", "label": "QA опция", "coefficient": "1",
            "surcharge_kopecks": "100", "is_active": "y"}
    _save(admin, "/price-rules/add", rule)
    assert db.session.query(PriceRule).filter_by(key="qa_opt").count() == 1
    for key, said in (("QA_OPT", "с ключом «QA_OPT» уже есть"), ("qa 11", "без пробелов")):
        page = _save(admin, "/price-rules/add", {**rule, "key": key})
        assert said in page.get_data(as_text=True), key
    assert db.session.query(PriceRule).count() == 1
    _save(admin, "/price-rules/add", {**rule, "kind": "urgency", "key": "qa_opt"})
    assert db.session.query(PriceRule).count() == 2  # another kind may use the key


def test_each_back_office_tab_says_which_page_it_is(app, staff):
    """Every back-office tab read "Replan"."""
    admin = as_user(app, make_user("Admin"))
    titles = {url: re.search(r"<title>(.*?)</title>", admin.get(url).get_data(as_text=True),
                             re.S).group(1).strip()
              for url in ("/desk/", "/services/list/", "/services/add", "/settings/")}
    assert titles == {"/desk/": "Мои заявки · Replan", "/services/list/": "Услуги · Replan",
                      "/services/add": "Новая запись: Услуга · Replan",
                      "/settings/": "Настройки · Replan"}


def test_numbers_in_back_office_lists_read_as_people_write_them(app):
    """Russian lists printed a coefficient "1.300" and a maximum "300.00"."""
    from app.demo import load_catalog
    load_catalog()
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    page = admin.get("/price-rules/list/").get_data(as_text=True)
    assert ">1,3<" in page and "1.300" not in page
    admin.get("/lang/en")
    assert ">1.3<" in admin.get("/price-rules/list/").get_data(as_text=True)


def test_contacts_in_the_back_office_are_checked_like_the_partner_application(app):
    """"not-an-email" and a phone "abc" were saved for a company, a user and a profile."""
    from models.partners import PartnerCompany, UserProfile
    from tests.factories import make_company
    company = make_company()
    admin = as_user(app, make_user("Admin"))
    page = _save(admin, f"/companies/edit/{company.id}", {
        "name": company.name, "city": "Москва", "phone": "abc", "email": "not-an-email",
        "discount_percent": "5"}).get_data(as_text=True)
    assert "Введите номер телефона" in page and "Введите правильный адрес" in page
    db.session.expire_all()
    assert (db.session.get(PartnerCompany, company.id).email or "") != "not-an-email"
    staff = make_user("Manager")
    page = _save(as_user(app, staff), "/my-profile/", {"phone": "abc", "locale": "ru"})
    assert "Введите номер телефона" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(UserProfile, staff.id).phone != "abc"


def test_settings_and_articles_refuse_what_contradicts_itself(app):
    """20 MB a file and 1 MB for all files together was saved; an article both public and
    for staff only was saved, listed as public, and a 404 for visitors."""
    from app.settings import get_setting
    from models.knowledge import KbArticle
    from tests.factories import post, settings_fields
    admin = as_user(app, make_user("Admin"))
    page = post(admin, "/settings/", {**settings_fields(admin), "upload_max_mb": "20",
                                      "upload_max_total_mb": "1"}).get_data(as_text=True)
    assert "Не меньше предела одного файла (20 МБ)." in page
    assert get_setting("upload_max_total_mb") == 50
    _save(admin, "/kb-categories/add", {"name": "Документы", "slug": "docs", "sort_order": "1"})
    category = db.session.query(KbCategory).one()
    page = _save(admin, "/kb-articles/add", {
        "category": str(category.id), "kind": "article", "title": "Статья", "slug": "qa9",
        "body_md": "Текст", "is_public": "y", "staff_only": "y", "sort_order": "1"})
    assert "либо публичная, либо только для сотрудников" in page.get_data(as_text=True)
    assert db.session.query(KbArticle).count() == 0
