"""Issue 12 point 7: the admin imports services with their form fields and partner companies
from an Excel workbook — a template to download, a dry run that changes nothing, per-row errors,
and nothing half-imported."""

import io
import re
from html import unescape

import pytest
from openpyxl import Workbook, load_workbook

from app.catalogue_import import SHEETS, template_workbook
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from models.audit import AuditEvent
from models.catalog import Service
from models.outbox import OutboxMessage
from models.partners import PartnerCompany
from models.service_fields import ServiceField
from tests.factories import as_user, make_partner, make_user, post, valid_inn

# the columns as the admin fills them in: the headers of the downloaded template (Russian)
SERVICE_COLUMNS = ("code", "name", "name_en", "base_price_kopecks", "price_per_m2_kopecks",
                   "rate_field_key", "estimated_hours", "is_active")
FIELD_COLUMNS = ("service_code", "key", "label", "field_type", "required", "options", "pattern",
                 "min_value", "max_value", "is_contact")
COMPANY_COLUMNS = ("name", "inn", "city", "discount_percent", "owner_name", "owner_email")


def headers(sheet: str, attrs) -> list[str]:
    book = load_workbook(io.BytesIO(template_workbook()))
    titles = [c.value for c in book.worksheets[list(SHEETS).index(sheet)][1]]
    positions = [c.attr for c in SHEETS[sheet][1]]
    return [titles[positions.index(attr)] for attr in attrs]


def workbook(services=(), fields=(), companies=(), english_keys=False) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, attrs, rows in (("services", SERVICE_COLUMNS, services),
                               ("fields", FIELD_COLUMNS, fields),
                               ("companies", COMPANY_COLUMNS, companies)):
        sheet = book.create_sheet(title)
        sheet.append(list(attrs) if english_keys else headers(title, attrs))
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CAR_SERVICE = ("car_vin", "Проверка авто по VIN", "VIN check", "1 500", "200", "cars", "0,5",
               "да")
CAR_FIELDS = [
    ("car_vin", "vin", "VIN", "pattern", "да", None, "[A-HJ-NPR-Z0-9]{17}", None, None, "нет"),
    ("car_vin", "cars", "Автомобилей", "integer", "да", None, None, 1, 50, "нет"),
    ("car_vin", "car_class", "Класс", "select", "да", "mass | Массовый | Mass | 1\n"
     "premium | Премиум | Premium | 1,5", None, None, None, "нет"),
    ("car_vin", "owner_phone", "Телефон владельца", "phone", "нет", None, None, None, None,
     "да"),
]


@pytest.fixture
def admin(app):
    return as_user(app, make_user(ADMIN))


def send(client, data: bytes, mode: str, name="catalogue.xlsx") -> str:
    """The page's text (tags dropped, spaces collapsed) after the upload."""
    html = post(client, "/catalogue-import/", {"mode": mode,
                                               "workbook": (io.BytesIO(data), name)},
                follow=True, content_type="multipart/form-data").get_data(as_text=True)
    body = html.split('id="main"', 1)[-1] if 'id="main"' in html else html
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def test_dry_run_shows_what_would_change_and_changes_nothing(app, admin):
    page = send(admin, workbook([CAR_SERVICE], CAR_FIELDS), "check")
    assert "Проверено: ошибок нет" in page
    assert page.count("будет добавлено") == 5  # the service and its four fields
    assert db.session.query(Service).filter_by(code="car_vin").count() == 0
    assert db.session.query(ServiceField).count() == 0 or not db.session.query(
        ServiceField).join(Service).filter(Service.code == "car_vin").count()


def test_import_creates_the_service_with_typed_fields_and_its_rate(app, admin):
    page = send(admin, workbook([CAR_SERVICE], CAR_FIELDS), "apply")
    assert "Импортировано: добавлено 5, изменено 0" in page
    service = db.session.query(Service).filter_by(code="car_vin").one()
    assert (service.name_en, service.base_price_kopecks, service.price_per_m2_kopecks,
            service.rate_field_key) == ("VIN check", 150000, 20000, "cars")
    fields = {f.key: f for f in db.session.query(ServiceField).filter_by(service_id=service.id)}
    assert fields["vin"].pattern == "[A-HJ-NPR-Z0-9]{17}" and fields["vin"].required
    assert [o["coefficient"] for o in fields["car_class"].options] == ["1", "1.5"]
    assert fields["owner_phone"].is_contact and not fields["cars"].is_contact
    assert (fields["cars"].min_value, fields["cars"].max_value) == (1, 50)
    assert db.session.query(AuditEvent).filter_by(action="catalogue_imported").count() == 1


def test_second_import_updates_by_key_and_lists_the_changed_columns(app, admin):
    send(admin, workbook([CAR_SERVICE], CAR_FIELDS), "apply")
    changed = ("car_vin", "Проверка авто по VIN-коду") + CAR_SERVICE[2:]
    page = send(admin, workbook([changed], CAR_FIELDS), "check")
    assert "car_vin будет изменено Название услуги" in page
    assert page.count("без изменений") == 4
    send(admin, workbook([changed], CAR_FIELDS), "apply")
    assert db.session.query(Service).filter_by(code="car_vin").one().name == \
        "Проверка авто по VIN-коду"


def test_one_bad_row_keeps_everything_out_and_names_sheet_row_and_reason(app, admin):
    bad_fields = CAR_FIELDS + [("car_vin", "Bad Key", "x", "text", "нет", None, None, None, None,
                                "нет"),
                               ("nope", "x", "x", "text", "нет", None, None, None, None, "нет"),
                               ("car_vin", "year", "Год", "integer", "да", None, None, 2030,
                                1950, "нет"),
                               ("car_vin", "kind", "Вид", "select", "да", "a | A\na | B", None,
                                None, None, "нет")]
    bad_service = ("bad", "Имя", "", "-5", "", "", "", "может быть")
    bad_flag = ("bad2", "Имя", "", "1 000", "", "", "", "может быть")
    page = send(admin, workbook([CAR_SERVICE, bad_service, bad_flag], bad_fields), "apply")
    assert "Строк с ошибками: 6 — ничего не импортировано." in page
    assert "Поля 6 Ключ — строчные латинские буквы" in page  # the bad key
    assert "Поля 7 Нет услуги с кодом «nope»" in page
    assert "Поля 8 Минимум больше максимума" in page
    assert "Услуги 3 Базовая цена, ₽: Сумма не может быть отрицательной" in page
    assert "повторяет значение" in page  # options
    assert "Услуги 4 Действует: напишите «да» или «нет»" in page
    assert db.session.query(Service).filter_by(code="car_vin").count() == 0
    assert db.session.query(ServiceField).filter_by(key="vin").count() == 0


def test_column_keys_work_as_headers_too(app, admin):
    send(admin, workbook([CAR_SERVICE], CAR_FIELDS, english_keys=True), "apply")
    assert db.session.query(ServiceField).join(Service).filter(
        Service.code == "car_vin").count() == 4


def test_rate_field_must_be_a_number_field_of_the_service(app, admin):
    service = ("svc_x", "Услуга", "", "1 000", "100", "vin", "1", "да")
    page = send(admin, workbook([service], CAR_FIELDS[:1]), "check")
    assert "Услуги 2 Поле ставки должно быть целым или дробным числовым полем этой услуги" \
        in page
    assert db.session.query(Service).filter_by(code="svc_x").count() == 0


def test_companies_new_with_owner_login_and_existing_updated_by_inn(app, admin):
    partner = make_partner()
    existing = partner.profile.partner_company
    rows = [("ООО «Новая»", valid_inn(9001), "Казань", "7,5", "Анна Смирнова",
             "anna@new.example"),
            (existing.name, existing.inn, "Тверь", "3", None, None)]
    send(admin, workbook(companies=rows), "apply")
    new = db.session.query(PartnerCompany).filter_by(inn=valid_inn(9001)).one()
    assert (new.name, new.city, str(new.discount_percent)) == ("ООО «Новая»", "Казань", "7.50")
    db.session.refresh(existing)
    assert (existing.city, str(existing.discount_percent)) == ("Тверь", "3.00")
    mail = db.session.query(OutboxMessage).filter_by(recipient="anna@new.example").one()
    assert mail.kind == "credentials"


def test_company_errors_bad_inn_taken_email_missing_owner(app, admin):
    partner = make_partner()
    rows = [("A", "1234567890", None, None, "X Y", "x@new.example"),
            ("B", valid_inn(9002), None, "150", "X Y", "x2@new.example"),
            ("C", valid_inn(9003), None, None, None, None),
            ("D", valid_inn(9004), None, None, "X Y", partner.email)]
    page = send(admin, workbook(companies=rows), "apply")
    assert "Компании 2 ИНН некорректен: проверьте цифры." in page
    assert "Компании 3 Скидка должна быть от 0 до 100 %." in page
    assert "Компании 4 Для новой компании нужны имя и e-mail владельца" in page
    assert f"Компании 5 Учётная запись с e-mail {partner.email} уже существует" in page
    assert db.session.query(PartnerCompany).count() == 1
    assert db.session.query(OutboxMessage).count() == 0


@pytest.mark.parametrize("data,message", [
    (b"PK\x03\x04 not really a zip", "не книга Excel"),
    (b"%PDF-1.4 a pdf renamed", "не книга Excel"),
    (b"x" * (5 * 1024 * 1024 + 10), "больше 5"),
])
def test_a_file_that_is_not_a_workbook_is_refused(app, admin, data, message):
    page = send(admin, data, "apply")
    assert message in page
    assert db.session.query(Service).count() == 0


def test_a_workbook_without_known_sheets_is_refused(app, admin):
    book = Workbook()
    book.active.title = "Лист1"
    out = io.BytesIO()
    book.save(out)
    page = send(admin, out.getvalue(), "check")
    assert "Ни один лист не называется" in page


def test_template_downloads_with_every_sheet_and_header_and_imports_as_is(app, admin):
    response = admin.get("/catalogue-import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Услуги", "Поля", "Компании"]
    for sheet, (_title, columns) in zip(book.worksheets, SHEETS.values()):
        assert [c.value for c in sheet[1]] == [str(c.label) for c in columns] or \
            len(list(sheet[1])) == len(columns)
    page = send(admin, template_workbook(), "check")
    assert "Проверено: ошибок нет" in page


@pytest.mark.parametrize("role", [DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER])
def test_only_the_admin_imports(app, role):
    client = as_user(app, make_user(role))
    assert client.get("/catalogue-import/").status_code == 403
    assert client.get("/catalogue-import/template.xlsx").status_code == 403
    page = post(client, "/catalogue-import/", {"mode": "apply", "workbook": (
        io.BytesIO(workbook([CAR_SERVICE])), "c.xlsx")}, content_type="multipart/form-data")
    assert page.status_code == 403
    assert db.session.query(Service).filter_by(code="car_vin").count() == 0


@pytest.mark.parametrize("owner", [True, False])
def test_partners_get_403_and_anonymous_the_login(app, client, owner):
    partner = as_user(app, make_partner(owner=owner))
    assert partner.get("/catalogue-import/").status_code == 403
    assert partner.get("/catalogue-import/template.xlsx").status_code == 403
    response = client.get("/catalogue-import/")
    assert response.status_code == 302 and "/login" in response.location
