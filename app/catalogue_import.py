"""Import of the service catalogue (services and their request form fields) and of partner
companies from one Excel workbook, with a dry run.

The workbook has up to three sheets: services, fields, companies (a downloadable template
names their columns). Rows are matched by their keys — a service by its code, a field by
(service code, key), a company by its INN — and created or updated. Every row goes through
the same checks as the back office's forms (app.catalogue.check_service,
app.service_field_admin.check_field, app.partners). One error anywhere and nothing is kept:
the whole import runs in a savepoint that is rolled back on a dry run or on any error.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from sqlalchemy.exc import SQLAlchemyError

from app.access import require_role
from app.accounts import email_taken
from app.audit import record
from app.catalogue import check_service
from app.errors import InvalidInput
from app.extensions import db
from app.money import parse_roubles
from app.partners import inn_problem, open_company
from app.permissions import ADMIN
from app.service_fields import EMAIL_RE
from app.service_field_admin import OptionsError, check_field, parse_option_lines
from app.validators import inn_is_valid
from models.catalog import Service
from models.partners import PartnerCompany
from models.service_fields import FIELD_TYPES, ServiceField

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
YES = {"да", "yes", "y", "1", "true", "+", "д"}
NO = {"нет", "no", "n", "0", "false", "-", "н", ""}


@dataclass(frozen=True)
class Column:
    attr: str
    label: object  # lazy translated header
    kind: str = "text"  # text, money, bool, int, decimal, options
    required: bool = False
    limit: int = 200


SHEETS: dict[str, tuple[object, tuple[Column, ...]]] = {
    "services": (_l("Services"), (
        Column("code", _l("Code"), required=True, limit=40),
        Column("name", _l("Service name"), required=True),
        Column("name_en", _l("Service name in English")),
        Column("description", _l("Description"), limit=5000),
        Column("base_price_kopecks", _l("Base price, ₽"), "money"),
        Column("price_per_m2_kopecks", _l("Rate per unit, ₽"), "money"),
        Column("rate_field_key", _l("Rate field (key)"), limit=40),
        Column("estimated_hours", _l("Hours of work"), "decimal"),
        Column("is_active", _l("In use"), "bool"),
        Column("sort_order", _l("Order"), "int"),
    )),
    "fields": (_l("Fields"), (
        Column("service_code", _l("Service code"), required=True, limit=40),
        Column("key", _l("Key"), required=True, limit=40),
        Column("label", _l("Label"), required=True),
        Column("label_en", _l("Label in English")),
        Column("field_type", _l("Type"), required=True, limit=20),
        Column("required", _l("Required"), "bool"),
        Column("group_name", _l("Group"), limit=100),
        Column("group_name_en", _l("Group in English"), limit=100),
        Column("options", _l("Options (value | Метка | Label | coefficient, one a line)"),
               "options", limit=20000),
        Column("pattern", _l("Pattern"), limit=300),
        Column("pattern_message", _l("Pattern message"), limit=300),
        Column("min_value", _l("Minimum"), "decimal"),
        Column("max_value", _l("Maximum"), "decimal"),
        Column("show_if_key", _l("Shown only if field"), limit=40),
        Column("show_if_value", _l("has value"), limit=100),
        Column("is_contact", _l("Contact data"), "bool"),
        Column("help_text", _l("Help text"), limit=500),
        Column("sort_order", _l("Order"), "int"),
        Column("is_active", _l("In use"), "bool"),
    )),
    "companies": (_l("Companies"), (
        Column("name", _l("Company"), required=True),
        Column("inn", _l("INN"), required=True, limit=12),
        Column("city", _l("City"), limit=100),
        Column("phone", _l("Phone"), limit=40),
        Column("email", _l("E-mail")),
        Column("discount_percent", _l("Discount, %"), "decimal"),
        Column("owner_name", _l("Owner's name (a new company's first user)")),
        Column("owner_email", _l("Owner's e-mail")),
    )),
}
ACTION_LABELS = {"create": _l("will be added"), "update": _l("will be changed"),
                 "same": _l("unchanged")}


@dataclass
class RowOutcome:
    sheet: str
    row: int
    name: str
    action: str = "same"
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    applied: bool = False
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)  # sheet, row, message

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


class RowError(Exception):
    """One cell or row that cannot be imported (the message says which and why)."""


def template_workbook() -> bytes:
    """The empty workbook to fill in: the three sheets with their headers and an example."""
    book = Workbook()
    book.remove(book.active)
    examples = {"services": ["car_vin", "Проверка авто по VIN", "VIN check", "", "1 500",
                             "", "", "0,5", "да", "10"],
                "fields": ["car_vin", "vin", "VIN", "VIN", "pattern", "да", "Автомобиль",
                           "Car", "", "[A-HJ-NPR-Z0-9]{17}", "17 знаков VIN", "", "", "", "",
                           "нет", "", "10", "да"],
                "companies": ["ООО «Пример»", "9900000017", "Москва", "+7 900 000-00-00",
                              "office@example.ru", "5", "Иван Петров", "ivan@example.ru"]}
    for key, (title, columns) in SHEETS.items():
        sheet = book.create_sheet(str(title))
        sheet.append([str(column.label) for column in columns])
        sheet.append(examples[key])
        for index in range(len(columns)):
            sheet.column_dimensions[sheet.cell(1, index + 1).column_letter].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_workbook(data: bytes) -> dict[str, list[tuple[int, dict]]]:
    """{sheet key: [(row number, {attr: raw cell})]} of a workbook, or InvalidInput."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is larger than %(mb)s MB.", mb=MAX_BYTES // 2 ** 20))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InvalidInput(_("This is not an Excel workbook (.xlsx): download the template "
                             "and fill it in."))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput(_("The workbook cannot be read: save it again as .xlsx.")) \
            from None
    found = {}
    try:
        for sheet in book.worksheets:
            key = _sheet_key(sheet.title)
            if key is not None:
                found[key] = _sheet_rows(sheet, SHEETS[key][1])
    finally:
        book.close()
    if not found:
        raise InvalidInput(_("No sheet is named %(names)s.", names=", ".join(
            f"“{title}”" for title, _columns in SHEETS.values())))
    return found


def _names(key: str, title) -> set[str]:
    """The ways a sheet or column may be headed: its key, its Russian and English title."""
    names = {key.lower()}
    for locale in ("ru", "en"):
        with force_locale(locale):
            names.add(str(title).strip().lower())
    return names


def _sheet_key(title: str) -> str | None:
    for key, (label, _columns) in SHEETS.items():
        if title.strip().lower() in _names(key, label):
            return key
    return None


def _sheet_rows(sheet, columns) -> list[tuple[int, dict]]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions = {}
    for index, cell in enumerate(header):
        for column in columns:
            if str(cell or "").strip().lower() in _names(column.attr, column.label):
                positions[column.attr] = index
    missing = [str(c.label) for c in columns if c.required and c.attr not in positions]
    if missing:
        raise InvalidInput(_("Sheet “%(sheet)s” lacks the column(s): %(columns)s.",
                             sheet=sheet.title, columns=", ".join(missing)))
    result = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise InvalidInput(_("At most %(n)s rows a sheet.", n=MAX_ROWS))
        cells = {attr: values[i] if i < len(values) else None for attr, i in positions.items()}
        if any(value not in (None, "") for value in cells.values()):
            result.append((number, cells))
    return result


def convert(column: Column, raw):
    """A cell's value as the model stores it, or RowError naming the column."""
    text = "" if raw is None else str(raw).strip()
    if "\x00" in text:
        raise RowError(_("“%(column)s” holds a character that is not allowed.",
                         column=column.label))
    if not text:
        if column.required:
            raise RowError(_("“%(column)s” is required.", column=column.label))
        return None
    if len(text) > column.limit:
        raise RowError(_("“%(column)s” is longer than %(n)s characters.", column=column.label,
                         n=column.limit))
    try:
        return _CONVERTERS[column.kind](raw, text)
    except (InvalidInput, InvalidOperation, ValueError) as error:
        raise RowError(f"{column.label}: {error}") from None


def _money(raw, text):
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        text = f"{Decimal(str(raw)):.2f}"
    return parse_roubles(text, allow_zero=True)


def _bool(raw, text):
    word = text.lower()
    if word in YES or raw is True:
        return True
    if word in NO or raw is False:
        return False
    raise ValueError(_("write “да” or “нет”"))


def _int(raw, text):
    value = int(Decimal(text.replace(",", ".")))
    if abs(value) > 1_000_000:
        raise ValueError(_("too large"))
    return value


def _decimal(raw, text):
    value = Decimal(text.replace(" ", "").replace(",", "."))
    if not value.is_finite() or abs(value) >= 10 ** 9:
        raise ValueError(_("not a number in range"))
    return value


_CONVERTERS = {"text": lambda raw, text: text, "money": _money, "bool": _bool, "int": _int,
               "decimal": _decimal, "options": lambda raw, text: text}


def import_catalogue(user, data: bytes, apply: bool) -> ImportReport:
    """Read the workbook and check every row; keep the changes only if `apply` and no row
    failed (the caller commits). The report lists what each row does and every error."""
    require_role(user, ADMIN)
    sheets = read_workbook(data)
    report = ImportReport()
    savepoint = db.session.begin_nested()
    try:
        services = _import_rows(report, sheets.get("services", ()), "services", _service_row)
        _import_rows(report, sheets.get("fields", ()), "fields", _field_row)
        _check_rates(report, services)
        _import_rows(report, sheets.get("companies", ()), "companies", _company_row)
    except BaseException:
        savepoint.rollback()
        raise
    if report.errors or not apply:
        savepoint.rollback()
        db.session.expire_all()
        return report
    savepoint.commit()
    report.applied = True
    record("catalogue_imported", user, None, added=report.count("create"),
           changed=report.count("update"))
    return report


def _import_rows(report, rows, sheet, handler) -> dict:
    done = {}
    for number, cells in rows:
        try:
            with db.session.begin_nested():
                values = {c.attr: convert(c, cells.get(c.attr)) for c in SHEETS[sheet][1]
                          if c.attr in cells}
                outcome, obj = handler(values, number)
                db.session.flush()
        except (RowError, InvalidInput) as error:
            report.errors.append((sheet, number, str(error)))
        except SQLAlchemyError:
            report.errors.append((sheet, number, _("The row conflicts with another row "
                                                   "(a repeated key?).")))
        else:
            report.rows.append(outcome)
            done[number] = obj
    return done


def _apply(obj, values: dict, outcome: RowOutcome) -> None:
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            if outcome.action == "same":
                outcome.action = "update"
            outcome.changes.append(attr)
            setattr(obj, attr, value)


def _service_row(values: dict, number: int):
    service = db.session.query(Service).filter_by(code=values["code"]).one_or_none()
    outcome = RowOutcome("services", number, values["code"])
    if service is None:
        service = Service(code=values["code"], base_price_kopecks=0, price_per_m2_kopecks=0,
                          estimated_hours=0, is_active=True, sort_order=0)
        db.session.add(service)
        outcome.action = "create"
    rate_key = values.pop("rate_field_key", None)
    _apply(service, {k: v for k, v in values.items() if v is not None or k in ("name_en",
                                                                            "description")},
           outcome)
    service.rate_field_key = rate_key  # checked once the fields are in (_check_rates)
    return outcome, service


def _field_row(values: dict, number: int):
    code = values.pop("service_code")
    service = db.session.query(Service).filter_by(code=code).one_or_none()
    if service is None:
        raise RowError(_("No service has the code “%(code)s” (add it on the services sheet).",
                         code=code))
    if values["field_type"] not in FIELD_TYPES:
        raise RowError(_("Type must be one of: %(types)s.", types=", ".join(FIELD_TYPES)))
    row = db.session.query(ServiceField).filter_by(service_id=service.id,
                                                   key=values["key"]).one_or_none()
    outcome = RowOutcome("fields", number, f"{code}.{values['key']}")
    if row is None:
        row = ServiceField(service_id=service.id, key=values["key"], required=False,
                           is_contact=False, is_active=True, sort_order=0, options=[])
        db.session.add(row)
        outcome.action = "create"
    options = values.pop("options", None)
    try:
        values["options"] = parse_option_lines(options, row.options) if options else []
    except OptionsError as error:
        raise RowError(str(error)) from None
    _apply(row, {k: v for k, v in values.items() if v is not None}, outcome)
    check_field(row)
    return outcome, row


def _check_rates(report, services: dict) -> None:
    for number, service in services.items():
        try:
            db.session.flush()
            check_service(service)
        except InvalidInput as error:
            report.errors.append(("services", number, str(error)))


def _company_row(values: dict, number: int):
    inn = str(values["inn"]).strip()
    if not inn_is_valid(inn):
        raise RowError(_("This INN is not valid: check the digits."))
    discount = values.get("discount_percent")
    if discount is not None and not 0 <= discount <= 100:
        raise RowError(_("The discount must be between 0 and 100 %."))
    owner_name, owner_email = values.pop("owner_name", None), values.pop("owner_email", None)
    company = db.session.query(PartnerCompany).filter_by(inn=inn).one_or_none()
    outcome = RowOutcome("companies", number, values["name"])
    values["inn"] = inn
    if company is not None:
        _apply(company, {k: v for k, v in values.items() if v is not None}, outcome)
        return outcome, company
    if not (owner_name and owner_email):
        raise RowError(_("A new company needs its owner's name and e-mail (they get the "
                         "login)."))
    if inn_problem(inn):
        raise RowError(inn_problem(inn))
    if not EMAIL_RE.fullmatch(owner_email):
        raise RowError(_("“%(email)s” is not an e-mail address.", email=owner_email))
    if email_taken(owner_email):
        raise RowError(_("An account with e-mail %(email)s already exists.",
                         email=owner_email))
    company = PartnerCompany(**{k: v for k, v in values.items() if v is not None})
    open_company(company, owner_name, owner_email, values.get("phone"))
    outcome.action = "create"
    return outcome, company
