"""Every admin change is audited with old → new values, through the real back-office forms.

Each generated admin form (services, price rules, KB categories and articles, partner
companies) and the settings page is posted as the admin with its CSRF token; the audit row
must hold exactly the changed fields, a save that changes nothing writes no row, and the audit
list shows the change as people read it.
"""

import io
import re

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage

from app.catalogue import replace_kb_template
from app.extensions import db
from app.settings import get_setting
from app.uow import unit_of_work
from models.audit import AuditEvent
from models.catalog import PriceRule
from models.knowledge import KbArticle, KbCategory
from tests.factories import Staff, as_user, make_partner, make_service, make_user
from views.audit_log import ACTIONS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _events(action=None):
    """The audit rows written since the admin signed in (its login row left out)."""
    query = db.session.query(AuditEvent).filter(AuditEvent.action != "login") \
        .order_by(AuditEvent.id)
    if action:
        query = query.filter_by(action=action)
    return query.all()


@pytest.fixture
def admin_user(app):
    return make_user("Admin", username="boss")


@pytest.fixture
def admin(app, admin_user):
    return as_user(app, admin_user)


SERVICE_FORM = {"code": "bti", "name": "Выписка БТИ", "name_en": "", "description": "",
                "base_price_kopecks": "1 500", "price_per_m2_kopecks": "0",
                "estimated_hours": "1", "is_active": "y", "sort_order": "9"}


def test_a_service_price_change_is_audited_old_to_new(app, admin, admin_user):
    service = make_service(code="bti", base_rub=1500, per_m2_rub=0)
    service.name, service.sort_order, service.estimated_hours = "Выписка БТИ", 9, 1
    db.session.commit()
    url = f"/services/edit/{service.id}"
    admin.post(url, data={**SERVICE_FORM, "csrf_token": _token(admin, url)})
    assert _events() == [], "a save that changes nothing writes no audit row"
    admin.post(url, data={**SERVICE_FORM, "csrf_token": _token(admin, url),
                          "base_price_kopecks": "1 200", "is_active": ""})
    event = _events("record_updated")[0]
    assert (event.actor_id, event.object_type, event.object_id) == \
        (admin_user.id, "Service", service.id)
    assert event.details == {"base_price_kopecks": [150000, 120000], "is_active": [True, False]}
    page = admin.get(f"/audit/show/{event.id}").get_data(as_text=True)
    assert "Базовая цена, ₽: 1\u00a0500,00\u00a0₽ → 1\u00a0200,00\u00a0₽" in page
    assert "Активна: Да → Нет" in page or "Активно: Да → Нет" in page or \
        re.search(r"Актив\w*: Да → Нет", page)
    assert f"Услуга #{service.id}" in page and str(ACTIONS["record_updated"]) in page
    assert admin_user.get_full_name() in page and '"base_price_kopecks"' not in page


def test_a_new_service_is_audited_with_its_values(app, admin):
    admin.post("/services/add", data={**SERVICE_FORM, "csrf_token": _token(admin,
                                                                         "/services/add")})
    event = _events("record_created")[0]
    assert event.object_type == "Service" and event.object_id is not None
    assert event.details["base_price_kopecks"] == [None, 150000]
    assert event.details["code"] == [None, "bti"]


def test_a_price_rule_change_is_audited(app, admin):
    rule = PriceRule(kind="urgency", key="fast", label="Срочно", coefficient=1.5,
                     is_active=True)
    db.session.add(rule)
    db.session.commit()
    url = f"/price-rules/edit/{rule.id}"
    form = {"kind": "urgency", "key": "fast", "label": "Срочно", "label_en": "",
            "coefficient": "1,5", "surcharge_kopecks": "0", "is_active": "y"}
    admin.post(url, data={**form, "csrf_token": _token(admin, url)})
    assert _events() == []
    admin.post(url, data={**form, "csrf_token": _token(admin, url), "coefficient": "1,25",
                          "surcharge_kopecks": "300"})
    (event,) = _events()
    assert (event.action, event.object_type) == ("record_updated", "PriceRule")
    assert event.details == {"coefficient": ["1.5", "1.25"], "surcharge_kopecks": [0, 30000]}
    page = admin.get(f"/audit/show/{event.id}").get_data(as_text=True)
    assert "Коэффициент: 1,5 → 1,25" in page  # decimals as Russian writes them
    assert "Надбавка, ₽: 0,00\u00a0₽ → 300,00\u00a0₽" in page


def test_kb_categories_are_audited_when_added_changed_and_deleted(app, admin):
    admin.post("/kb-categories/add", data={"csrf_token": _token(admin, "/kb-categories/add"),
                                           "name": "Разное", "slug": "misc",
                                           "sort_order": "1"})
    category = db.session.query(KbCategory).filter_by(slug="misc").one()
    url = f"/kb-categories/edit/{category.id}"
    form = {"name": "Разное", "slug": "misc", "sort_order": "1"}
    admin.post(url, data={**form, "csrf_token": _token(admin, url)})
    admin.post(url, data={**form, "csrf_token": _token(admin, url), "name": "Прочее"})
    admin.post(f"/kb-categories/delete/{category.id}",
               data={"csrf_token": _token(admin, url)})
    db.session.expire_all()
    assert db.session.get(KbCategory, category.id) is None
    created, updated, deleted = _events()
    assert [e.action for e in (created, updated, deleted)] == \
        ["record_created", "record_updated", "record_deleted"]
    assert {e.object_id for e in (created, updated, deleted)} == {category.id}
    assert created.details == {"name": [None, "Разное"], "slug": [None, "misc"],
                               "sort_order": [None, 1]}
    assert updated.details == {"name": ["Разное", "Прочее"]}
    assert deleted.details == {"name": ["Прочее", None], "slug": ["misc", None],
                               "sort_order": [1, None]}


def test_an_article_change_names_the_category_and_the_boxes(app, admin):
    misc, templates = KbCategory(name="Разное", slug="misc"), KbCategory(name="Шаблоны",
                                                                          slug="tpl")
    article = KbArticle(title="Как подать заявку", slug="how", kind="article", body_md="Текст",
                        category=misc, is_public=False, staff_only=False, is_published=True)
    db.session.add_all([misc, templates, article])
    db.session.commit()
    url = f"/kb-articles/edit/{article.id}"
    form = {"title": "Как подать заявку", "slug": "how", "category": str(misc.id),
            "kind": "article", "body_md": "Текст", "is_published": "y"}
    admin.post(url, data={**form, "csrf_token": _token(admin, url)})
    assert _events() == []
    admin.post(url, data={**form, "csrf_token": _token(admin, url),
                          "category": str(templates.id), "is_published": "",
                          "is_public": "y"})
    (event,) = _events()
    assert event.details == {"category": ["Разное", "Шаблоны"], "is_public": [False, True],
                             "is_published": [True, False]}
    page = admin.get(f"/audit/show/{event.id}").get_data(as_text=True)
    assert "Категория: Разное → Шаблоны" in page and "Опубликована: Да → Нет" in page \
        or re.search(r"Опубликова\w*: Да → Нет", page)


def test_a_company_change_is_audited_old_to_new(app, admin):
    company = make_partner(username="p").profile.partner_company
    url = f"/companies/edit/{company.id}"
    form = {"name": company.name, "city": company.city or "", "phone": company.phone or "",
            "email": company.email or "", "discount_percent": "0"}
    admin.post(url, data={**form, "csrf_token": _token(admin, url)})
    assert _events() == []
    admin.post(url, data={**form, "csrf_token": _token(admin, url), "discount_percent": "7,5",
                          "is_blocked": "y"})
    (event,) = _events()
    assert (event.action, event.object_type) == ("record_updated", "PartnerCompany")
    assert event.details == {"discount_percent": ["0", "7.5"], "is_blocked": [False, True]}


def test_a_refused_edit_writes_no_audit_row(app, admin):
    service = make_service(code="bti", base_rub=1500, per_m2_rub=0)
    url = f"/services/edit/{service.id}"
    admin.post(url, data={**SERVICE_FORM, "csrf_token": _token(admin, url),
                          "base_price_kopecks": "-5"})
    assert _events() == []


def _settings_form(client) -> dict:
    page = client.get("/settings/").get_data(as_text=True)
    fields = dict(re.findall(r'name="([^"]+)"[^>]*type="(?:text|number)" value="([^"]*)"',
                             page))
    fields["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                     page).group(1)
    fields["vat_mode"] = get_setting("vat_mode")
    if get_setting("payment_before_delivery"):
        fields["payment_before_delivery"] = "y"
    for name in re.findall(r'<select[^>]*name="([^"]+)"', page):
        if name not in fields:
            selected = re.search(r'name="' + re.escape(name) + r'".*?<option selected value='
                                 r'"([^"]*)"', page, re.S)
            fields[name] = selected.group(1) if selected else ""
    return fields


def test_settings_changes_are_audited_old_to_new(app, admin):
    fields = _settings_form(admin)
    admin.post("/settings/", data=fields)
    assert _events("settings_update") == [], "an unchanged save writes no audit row"
    fields = _settings_form(admin)
    fields.update({"bureau-inn": "7701234560", "vat_mode": "on_top20",
                   "auto_close_days": "30"})
    admin.post("/settings/", data=fields)
    (event,) = _events("settings_update")
    assert event.details == {"bureau.inn": ["7707083893", "7701234560"],
                             "vat_mode": ["none", "on_top20"], "auto_close_days": [14, 30]}
    page = admin.get(f"/audit/show/{event.id}").get_data(as_text=True)
    assert "ИНН: 7707083893 → 7701234560" in page
    assert "Без НДС (УСН) → НДС 20 % сверху" in page


def test_a_template_replacement_records_the_old_and_new_file(app, admin_user):
    article = KbArticle(title="Шаблон", slug="tpl", kind="template", body_md="x",
                        category=KbCategory(name="Шаблоны", slug="templates"))
    db.session.add(article)
    db.session.commit()
    for name in ("a.pdf", "b.pdf"):
        with unit_of_work():
            replace_kb_template(admin_user, article.id, FileStorage(io.BytesIO(PDF),
                                                                    filename=name))
    assert [e.details for e in _events("kb_template")] == \
        [{"template_name": [None, "a.pdf"]}, {"template_name": ["a.pdf", "b.pdf"]}]


def test_the_audit_list_filters_by_action_actor_and_object(app, admin, admin_user):
    service = make_service(code="bti", base_rub=1500, per_m2_rub=0)
    other = make_user("Admin", username="second")
    with unit_of_work():
        from app.audit import record

        record("login", other, other)
        record("login", admin_user, admin_user)
    url = f"/services/edit/{service.id}"
    admin.post(url, data={**SERVICE_FORM, "csrf_token": _token(admin, url),
                          "base_price_kopecks": "1 200"})
    login_cell = f"<td>{ACTIONS['login']}</td>"
    listing = admin.get("/audit/list/").get_data(as_text=True)
    assert f"Услуга #{service.id}" in listing and "1\u00a0200,00\u00a0₽" in listing
    assert login_cell in listing and "<td>login</td>" not in listing
    assert 'option value=\\"record_updated\\"' in listing  # the action filter is a choice
    by_action = admin.get("/audit/list/?_flt_0_action=record_updated").get_data(as_text=True)
    assert f"Услуга #{service.id}" in by_action and login_cell not in by_action
    by_actor = admin.get(f"/audit/list/?_flt_0_actor={other.id}").get_data(as_text=True)
    assert other.get_full_name() in by_actor and f"Услуга #{service.id}" not in by_actor
    by_type = admin.get("/audit/list/?_flt_0_object_type=Service").get_data(as_text=True)
    assert f"Услуга #{service.id}" in by_type and login_cell not in by_type
    sheet = load_workbook(io.BytesIO(admin.get("/audit/export?_flt_0_object_type=Service")
                                     .data)).active
    (row,) = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert row[1:4] == (admin_user.get_full_name(), str(ACTIONS["record_updated"]),
                        f"Услуга #{service.id}")
    assert "Базовая цена, ₽: 1\u00a0500,00\u00a0₽ → 1\u00a0200,00\u00a0₽" in row[4]


@pytest.mark.parametrize("role", ["Manager", "Engineer", "Supermanager"])
def test_the_audit_log_is_not_for_other_staff(app, role):
    staff = Staff()
    user = {"Manager": staff.manager, "Engineer": staff.engineer,
            "Supermanager": staff.supermanager}[role]
    assert as_user(app, user).get("/audit/list/").status_code == 403


def test_the_director_reads_the_audit_log_but_changes_nothing(app):
    director = as_user(app, make_user("Director"))
    assert director.get("/audit/list/").status_code == 200
    assert director.get("/services/add").status_code in (302, 403)


def test_the_audit_log_is_read_only_and_closed_to_partners_and_anonymous(app, admin):
    partner = as_user(app, make_partner(username="p2"))
    assert partner.get("/audit/list/").status_code in (302, 403, 404)
    anonymous = app.test_client().get("/audit/list/")
    assert anonymous.status_code == 302 and "login" in anonymous.headers["Location"]
    assert admin.get("/audit/edit/1").status_code in (302, 403, 404, 405)
