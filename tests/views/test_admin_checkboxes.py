"""Admin forms: an unticked checkbox is a value (False), never "this field is required"."""

import re
from decimal import Decimal

from app.extensions import db
from models.catalog import PriceRule, Service
from models.knowledge import KbArticle, KbCategory
from models.partners import PartnerCompany
from tests.factories import as_user, make_partner, make_service, make_user


def _form(client, url: str) -> tuple[str, str]:
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return page, token


def _checkboxes(page: str) -> list[str]:
    return re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)


def test_a_blocked_company_is_unblocked_by_unticking(app):
    company = make_partner(username="p").profile.partner_company
    company.is_blocked = True
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    url = f"/companies/edit/{company.id}"
    page, token = _form(admin, url)
    assert _checkboxes(page) and not any("required" in box for box in _checkboxes(page))
    response = admin.post(url, data={"csrf_token": token, "name": company.name,
                                     "city": "Тверь", "phone": "", "email": "",
                                     "discount_percent": "5"}, follow_redirects=True)
    assert "Обязательное поле" not in response.get_data(as_text=True)
    db.session.expire_all()
    company = db.session.get(PartnerCompany, company.id)
    assert (company.is_blocked, float(company.discount_percent), company.city) == \
        (False, 5.0, "Тверь")


def test_a_service_is_switched_off_by_unticking(app):
    service = make_service(code="bti")
    admin = as_user(app, make_user("Admin"))
    url = f"/services/edit/{service.id}"
    page, token = _form(admin, url)
    assert not any("required" in box for box in _checkboxes(page))
    admin.post(url, data={"csrf_token": token, "code": "bti", "name": service.name,
                          "base_price_kopecks": "150000", "price_per_m2_kopecks": "0",
                          "estimated_hours": "1", "sort_order": "9"})
    db.session.expire_all()
    assert db.session.get(Service, service.id).is_active is False


def test_a_price_rule_is_switched_off_by_unticking(app):
    rule = PriceRule(kind="urgency", key="fast", label="Срочно", coefficient=1.5,
                     is_active=True)
    db.session.add(rule)
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    url = f"/price-rules/edit/{rule.id}"
    _page, token = _form(admin, url)
    admin.post(url, data={"csrf_token": token, "kind": "urgency", "key": "fast",
                          "label": "Срочно", "label_en": "", "coefficient": "1.5",
                          "surcharge_kopecks": "0"})
    db.session.expire_all()
    assert db.session.get(PriceRule, rule.id).is_active is False


def test_a_partner_only_article_can_be_written(app):
    category = KbCategory(name="Разное", slug="misc")
    db.session.add(category)
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    _page, token = _form(admin, "/kb-articles/add")
    admin.post("/kb-articles/add", data={
        "csrf_token": token, "title": "Только партнёрам", "slug": "partners-only",
        "category": str(category.id), "kind": "article", "body_md": "Текст",
        "is_published": "y"})
    article = db.session.query(KbArticle).filter_by(slug="partners-only").one()
    assert (article.is_public, article.staff_only, article.is_published) == \
        (False, False, True)


def test_service_prices_are_typed_and_shown_in_roubles(app):
    admin = as_user(app, make_user("Admin"))
    page, token = _form(admin, "/services/add")
    assert "Базовая цена, ₽" in page and "копе" not in page
    fields = {"csrf_token": token, "code": "bti", "name": "Выписка БТИ",
              "price_per_m2_kopecks": "0", "estimated_hours": "1", "is_active": "y",
              "sort_order": "9"}
    refused = admin.post("/services/add", data={**fields, "base_price_kopecks": "-0,25"},
                         follow_redirects=True).get_data(as_text=True)
    assert "не может быть отрицательной" in refused
    assert db.session.query(Service).filter_by(code="bti").count() == 0
    admin.post("/services/add", data={**fields, "base_price_kopecks": "1 500,50"})
    service = db.session.query(Service).filter_by(code="bti").one()
    assert (service.base_price_kopecks, service.price_per_m2_kopecks) == (150_050, 0)
    edit, _token = _form(admin, f"/services/edit/{service.id}")
    assert 'value="1 500,50"' in edit
    admin.get("/lang/en")  # an English reader writes kopecks after a point (and it is read back)
    edit, token = _form(admin, f"/services/edit/{service.id}")
    assert 'value="1 500.50"' in edit
    admin.get("/lang/ru")
    listing = admin.get("/services/list/").get_data(as_text=True)
    assert "1\u00a0500,50\u00a0₽" in listing


def test_price_rule_surcharge_in_roubles(app):
    admin = as_user(app, make_user("Admin"))
    _page, token = _form(admin, "/price-rules/add")
    admin.post("/price-rules/add", data={
        "csrf_token": token, "kind": "option", "key": "bti", "label": "Выезд БТИ",
        "label_en": "", "coefficient": "1", "surcharge_kopecks": "2 000", "is_active": "y"})
    rule = db.session.query(PriceRule).filter_by(key="bti").one()
    assert rule.surcharge_kopecks == 200_000


def test_discount_and_coefficient_take_a_decimal_comma(app):
    company = make_partner(username="p").profile.partner_company
    rule = PriceRule(kind="urgency", key="fast", label="Срочно", coefficient=1.5)
    db.session.add(rule)
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    _page, token = _form(admin, f"/companies/edit/{company.id}")
    admin.post(f"/companies/edit/{company.id}", data={
        "csrf_token": token, "name": company.name, "city": "", "phone": "", "email": "",
        "discount_percent": "7,5"})
    _page, token = _form(admin, f"/price-rules/edit/{rule.id}")
    admin.post(f"/price-rules/edit/{rule.id}", data={
        "csrf_token": token, "kind": "urgency", "key": "fast", "label": "Срочно",
        "label_en": "", "coefficient": "1,25", "surcharge_kopecks": "0", "is_active": "y"})
    refused = admin.post(f"/companies/edit/{company.id}", data={
        "csrf_token": token, "name": company.name, "city": "", "phone": "", "email": "",
        "discount_percent": "150"}, follow_redirects=True).get_data(as_text=True)
    assert "от 0 до 100" in refused
    db.session.expire_all()
    assert float(db.session.get(PartnerCompany, company.id).discount_percent) == 7.5
    assert float(db.session.get(PriceRule, rule.id).coefficient) == 1.25


def test_a_price_with_a_percent_sign_is_refused_with_the_typed_text_not_a_500(app):
    """The money message repeats what was typed; '50%' once broke the form's error line
    (Jinja's _() %-formats every string)."""
    admin = as_user(app, make_user("Admin"))
    _page, token = _form(admin, "/services/add")
    refused = admin.post("/services/add", data={
        "csrf_token": token, "code": "pct", "name": "Проценты", "base_price_kopecks": "50%_\\",
        "price_per_m2_kopecks": "0", "estimated_hours": "1", "sort_order": "1"})
    assert refused.status_code == 200
    assert "50%_\\" in refused.get_data(as_text=True)
    assert db.session.query(Service).filter_by(code="pct").count() == 0


def test_a_number_the_column_cannot_store_is_refused_on_the_form(app):
    """estimated_hours is NUMERIC(6, 1), sort_order an INTEGER: "1e309", 2147483648 or 20
    nines reached the database, which refused the save (PostgreSQL: a DataError the back
    office turned into a generic message, the typed values gone). Now the form says the
    range and keeps what was typed; nothing changes."""
    service = make_service("bti")
    category = KbCategory(name="Документы", slug="docs")
    db.session.add(category)
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    page, token = _form(admin, f"/services/edit/{service.id}")
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    fields.update({"csrf_token": token, "name": "Выписка БТИ (новое имя)", "is_active": "y",
                   "rate_field_key": "area"})
    hours = "Введите значение от -99\u00a0999,9 до 99\u00a0999,9."
    for changes, message in (
            ({"estimated_hours": "1e309"}, hours), ({"estimated_hours": "100000"}, hours),
            ({"sort_order": "2147483648"},
             "Введите значение от -2\u00a0147\u00a0483\u00a0648 до 2\u00a0147\u00a0483\u00a0647.")):
        html = admin.post(f"/services/edit/{service.id}", data={**fields, **changes},
                          follow_redirects=True).get_data(as_text=True)
        assert message in html and "Выписка БТИ (новое имя)" in html, changes
        db.session.expire_all()
        assert db.session.get(Service, service.id).name == "Service bti", changes
    page, token = _form(admin, f"/kb-categories/edit/{category.id}")
    html = admin.post(f"/kb-categories/edit/{category.id}", data={
        "csrf_token": token, "name": "Шаблоны", "slug": "docs", "sort_order": "9" * 20},
        follow_redirects=True).get_data(as_text=True)
    assert "Введите значение от -2\u00a0147\u00a0483\u00a0648" in html and "Шаблоны" in html
    db.session.expire_all()
    assert db.session.get(KbCategory, category.id).name == "Документы"
    html = admin.post(f"/services/edit/{service.id}", data={**fields, "estimated_hours": "-1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Оценка в часах не может быть отрицательной." in html  # the use case's rule
    db.session.expire_all()
    assert db.session.get(Service, service.id).estimated_hours >= 0
    admin.post(f"/services/edit/{service.id}", data={**fields, "estimated_hours": "99 999,9"})
    db.session.expire_all()
    saved = db.session.get(Service, service.id)
    assert (saved.name, saved.estimated_hours) == ("Выписка БТИ (новое имя)", Decimal("99999.9"))


def test_a_category_with_articles_is_not_deleted_an_empty_one_is(app):
    """Deleting a category that still holds articles is refused with the reason (the
    database refused it: a generic error); an empty one goes."""
    full, empty = KbCategory(name="Документы", slug="docs"), KbCategory(name="Пустая", slug="e")
    db.session.add_all([full, empty])
    db.session.flush()
    db.session.add(KbArticle(category=full, slug="a", title="Статья", body_md="Текст"))
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    _page, token = _form(admin, f"/kb-categories/edit/{full.id}")
    html = admin.post(f"/kb-categories/delete/{full.id}", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "В категории есть статьи: перенесите их в другую категорию или удалите." in html
    admin.post(f"/kb-categories/delete/{empty.id}", data={"csrf_token": token})
    db.session.expire_all()
    assert [c.slug for c in db.session.query(KbCategory)] == ["docs"]
    assert db.session.query(KbArticle).count() == 1


def test_a_refused_back_office_form_keeps_what_was_typed(app):
    """A use case's refusal in pre_add (here: a service whose price has no rate field) shows
    the form again with the typed values; FAB redirected to the list with them gone."""
    admin = as_user(app, make_user("Admin"))
    _page, token = _form(admin, "/services/add")
    response = admin.post("/services/add", data={
        "csrf_token": token, "code": "survey", "name": "Обследование фасада",
        "base_price_kopecks": "1 000", "price_per_m2_kopecks": "50", "rate_field_key": "",
        "estimated_hours": "2,5", "is_active": "y", "sort_order": "3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Выберите поле ставки" in html
    assert 'value="Обследование фасада"' in html and 'value="survey"' in html
    assert db.session.query(Service).filter_by(code="survey").count() == 0


def test_save_and_delete_return_to_the_list(app):
    """An edit opened by its address returns to its list after the save (FAB went to the
    start page); a delete returns to the list it was pressed on, filters kept, refused or
    not (FAB's history gave the page before it)."""
    service = make_service("bti")
    full = KbCategory(name="Документы", slug="docs")
    db.session.add(full)
    db.session.flush()
    db.session.add(KbArticle(category=full, slug="a", title="Статья", body_md="Текст"))
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    page, token = _form(admin, f"/services/edit/{service.id}")  # opened by its address
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    saved = admin.post(f"/services/edit/{service.id}", data={
        **fields, "csrf_token": token, "name": "Выписка", "is_active": "y",
        "rate_field_key": "area"})
    assert saved.headers["Location"] == "/services/list/"
    assert "Запись сохранена." in admin.get("/services/list/").get_data(as_text=True)
    admin.get("/services/list/")  # another list in the history before
    listed = "/kb-categories/list/?_flt_0_name=%D0%94%D0%BE%D0%BA"
    admin.get(listed)
    refused = admin.post(f"/kb-categories/delete/{full.id}", data={"csrf_token": token},
                         headers={"Referer": f"http://localhost{listed}"})
    assert refused.headers["Location"] == f"http://localhost{listed}"
    away = admin.post(f"/kb-categories/delete/{full.id}", data={"csrf_token": token},
                      headers={"Referer": "https://elsewhere.example/kb-categories/list/"})
    assert away.headers["Location"] == "/kb-categories/list/"


def test_a_stored_decimal_is_shown_as_the_reader_writes_it(app):
    """The edit form showed "7.50" and "1.500" with a dot in Russian (the form takes a comma);
    now "7,5" in Russian, "7.5" in English, without the column's trailing zeros; a refused
    value stays as typed."""
    company = make_partner(username="p").profile.partner_company
    company.discount_percent = Decimal("7.50")
    rule = PriceRule(kind="urgency", key="fast", label="Срочно", coefficient=Decimal("1.5"))
    db.session.add(rule)
    db.session.commit()
    admin = as_user(app, make_user("Admin"))

    def value(page: str, name: str) -> str:
        return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page).group(1)

    page, token = _form(admin, f"/companies/edit/{company.id}")
    assert value(page, "discount_percent") == "7,5"
    assert value(_form(admin, f"/price-rules/edit/{rule.id}")[0], "coefficient") == "1,5"
    refused = admin.post(f"/companies/edit/{company.id}", data={
        "csrf_token": token, "name": company.name, "city": "", "phone": "", "email": "",
        "discount_percent": "150,25"}).get_data(as_text=True)
    assert value(refused, "discount_percent") == "150,25"
    service = make_service("hours")
    service.estimated_hours = Decimal("7.50")
    db.session.commit()
    assert re.search(r"<td[^>]*>\s*7,5\s*</td>", admin.get("/services/list/").get_data(
        as_text=True))  # the list and the page too, not "7.5"
    assert "7,5" in admin.get(f"/services/show/{service.id}").get_data(as_text=True)
    admin.get("/lang/en")
    assert value(_form(admin, f"/companies/edit/{company.id}")[0], "discount_percent") == "7.5"


def test_a_fixed_price_service_needs_no_rate_and_the_list_names_the_rate_field(app):
    """The rate was required even for a fixed price; the list showed the rate field's key
    ("area"); the name was labelled «Имя»."""
    priced = make_service("per_m2")  # priced by its "area" field (the factory's)
    priced.rate_field_key = "area"
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    page, token = _form(admin, "/services/add")
    assert "Название услуги" in page and "Пусто или 0 — фиксированная цена" in page
    admin.post("/services/add", data={
        "csrf_token": token, "code": "fixed", "name": "Выписка", "base_price_kopecks": "900",
        "price_per_m2_kopecks": "", "estimated_hours": "1", "is_active": "y",
        "sort_order": "9"})
    fixed = db.session.query(Service).filter_by(code="fixed").one()
    assert (fixed.base_price_kopecks, fixed.price_per_m2_kopecks) == (90_000, 0)
    listing = admin.get("/services/list/").get_data(as_text=True)
    rate_cells = re.findall(r"<td[^>]*>\s*(Площадь[^<]*|area)\s*</td>", listing)
    assert rate_cells and "area" not in rate_cells
