"""Issue 12 under attack (attack12): texts that would make the server work for minutes,
patterns that backtrack for ever, and other inputs of the new admin forms and the request
form that must be refused quickly with a message, never hang or 500."""

import time

import pytest

from app.texts import EMAIL_PLACEHOLDERS, TemplateRefused, check_template, render_or_default

COSTLY_TEXTS = [
    '{% for a in "x"*100000 %}{% for b in "x"*100000 %}{% endfor %}{% endfor %}',
    "{% for a in '" + "x" * 6000 + "' %}{% for b in '" + "x" * 6000 + "' %}"
    "{% for c in '" + "x" * 6000 + "' %}{% endfor %}{% endfor %}{% endfor %}",
    '{{ "%0999999999d" % 1 }}',
    '{{ "x"|center(1000000000) }}',
    "{{ 9**9**9**9 }}",
    '{{ "{:>999999999}".format(1) }}',
    '{{ number|replace("", "' + "y" * 19000 + '") }}',
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    '{{ "%s"|format(1) }}',
    "{{ number[0] }}",
]


@pytest.mark.parametrize("text", COSTLY_TEXTS)
def test_a_text_that_would_loop_or_grow_is_refused_at_save_and_not_run_at_send(app, text):
    started = time.process_time()
    with pytest.raises(TemplateRefused, match="not available|недоступ"):
        check_template(text, EMAIL_PLACEHOLDERS)
    values = {name: "v" for name in EMAIL_PLACEHOLDERS}
    assert render_or_default(text, "DEFAULT {{ number }}", values) == "DEFAULT v"
    assert time.process_time() - started < 5  # it used to hang (or fill memory) instead


def test_plain_texts_with_conditions_and_safe_filters_still_render(app):
    assert check_template("Заявка {{ number }}: {{ status|upper }}"
                          "{% if amount %}, к оплате {{ amount }}{% endif %}",
                          EMAIL_PLACEHOLDERS) == "Заявка [number]: [STATUS], к оплате [amount]"
    assert check_template('{{ number ~ " " ~ company|default("—")|truncate(30) }}',
                          EMAIL_PLACEHOLDERS) == "[number] [company]"


# --- patterns that backtrack ------------------------------------------------------------

EVIL_PATTERNS = [r"(a+)+$", r"(a|aa)+$", r"(\w+\s?)+$", r"\d*\d*\d*\d*\d*\d*x", r"(.*a){20}"]


@pytest.fixture
def car_service(app):
    from app.extensions import db
    from models.catalog import Service

    row = Service(code="car", name="Проверка авто")
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("pattern", EVIL_PATTERNS)
def test_the_field_editor_refuses_a_backtracking_pattern(app, car_service, pattern):
    from app.extensions import db
    from app.permissions import ADMIN
    from models.service_fields import ServiceField
    from tests.factories import as_user, make_user
    from tests.views.test_service_fields_admin import add

    admin = as_user(app, make_user(ADMIN))
    html = add(admin, car_service, key="vin", field_type="pattern", options="", pattern=pattern)
    assert "минуты" in html or "minutes to check" in html
    assert db.session.query(ServiceField).count() == 0


@pytest.mark.parametrize("pattern", [r"[A-HJ-NPR-Z0-9]{17}", r"(\d{3}-)+\d",
                                     r"\+?\d{1,3}[ -]?\(?\d{3}\)?[ -]?\d{3}-?\d{2}-?\d{2}",
                                     r"\d{2}:\d{2}:\d{6,7}:\d+", r"(?:[A-Z]{2}-)?\d+"])
def test_ordinary_patterns_are_not_taken_for_risky(app, pattern):
    from app.service_fields import pattern_risk

    assert pattern_risk(pattern) is None


@pytest.mark.parametrize("pattern", EVIL_PATTERNS)
def test_a_stored_backtracking_pattern_refuses_the_value_quickly(app, pattern):
    """A pattern saved before the editor checked it: the form refuses the value at once
    instead of hanging the web worker (a 17-character VIN typed at it took 5 s, 30 for ever)."""
    from werkzeug.datastructures import MultiDict

    from app.service_fields import FormField, parse

    item = FormField(key="vin", label="VIN", field_type="pattern", pattern=pattern,
                     pattern_message="VIN — 17 знаков")
    started = time.process_time()
    for typed in ("a" * 30 + "!", "1" * 99 + "y", "XTA21703080123456"):
        values, errors = parse([item], MultiDict({"vin": typed}))
        assert values == {} and errors == {"vin": "VIN — 17 знаков"}
    assert time.process_time() - started < 2


def test_a_pattern_checked_value_is_at_most_100_characters(app):
    from werkzeug.datastructures import MultiDict

    from app.service_fields import FormField, parse

    item = FormField(key="code", label="Код", field_type="pattern", pattern="[0-9]+")
    assert parse([item], MultiDict({"code": "1" * 100})) == ({"code": "1" * 100}, {})
    values, errors = parse([item], MultiDict({"code": "1" * 101}))
    assert values == {} and "100" in errors["code"]


# --- field editor: bounds and conditions -------------------------------------------------

@pytest.mark.parametrize("changes, english, russian", [
    ({"field_type": "integer", "options": "", "min_value": "NaN"}, "must be numbers",
     "должны быть числами"),
    ({"field_type": "decimal", "options": "", "max_value": "nan"}, "must be numbers",
     "должны быть числами"),
    ({"field_type": "text", "options": "", "max_value": "999999999999"}, "at most 500",
     "не длиннее 500"),
    ({"field_type": "pattern", "options": "", "pattern": "[0-9]+", "max_value": "101"},
     "at most 100", "не длиннее 100"),
])
def test_the_field_editor_refuses_bounds_the_form_cannot_use(app, car_service, changes,
                                                             english, russian):
    from app.extensions import db
    from app.permissions import ADMIN
    from models.service_fields import ServiceField
    from tests.factories import as_user, make_user
    from tests.views.test_service_fields_admin import add

    admin = as_user(app, make_user(ADMIN))
    html = add(admin, car_service, **changes)
    assert english in html or russian in html
    assert db.session.query(ServiceField).count() == 0


@pytest.mark.parametrize("kind, typed, value", [("integer", "5", 5), ("decimal", "1,5", "1.5"),
                                                ("text", "abc", "abc")])
def test_a_stored_nan_bound_is_ignored_not_a_server_error(app, car_service, kind, typed,
                                                          value):
    """NaN saved as a bound before the editor refused it (PostgreSQL's NUMERIC keeps it):
    the form used to answer 500 to every request of the service."""
    from decimal import Decimal

    from werkzeug.datastructures import MultiDict

    from app.extensions import db
    from app.service_fields import fields_for, parse
    from models.service_fields import ServiceField

    db.session.add(ServiceField(service_id=car_service.id, key="x", label="X",
                                field_type=kind, min_value=Decimal("NaN")))
    db.session.flush()
    assert parse(fields_for([car_service.id]), MultiDict({"x": typed})) == ({"x": value}, {})


def test_a_loop_of_conditions_is_refused(app, car_service):
    from app.extensions import db
    from app.permissions import ADMIN
    from models.service_fields import ServiceField
    from tests.factories import as_user, make_user
    from tests.views.test_service_fields_admin import _token, add, field_form

    admin = as_user(app, make_user(ADMIN))
    add(admin, car_service, key="a", field_type="text", options="")
    add(admin, car_service, key="b", field_type="text", options="", show_if_key="a",
        show_if_value="1")
    add(admin, car_service, key="c", field_type="text", options="", show_if_key="b",
        show_if_value="1")
    assert db.session.query(ServiceField).count() == 3
    first = db.session.query(ServiceField).filter_by(key="a").one()
    url = f"/service-fields/edit/{first.id}"
    data = field_form(car_service, key="a", field_type="text", options="", show_if_key="c",
                      show_if_value="1")
    html = admin.post(url, data={**data, "csrf_token": _token(admin, url)},
                      follow_redirects=True).get_data(as_text=True)
    assert "never be shown" in html or "никогда не будут показаны" in html
    db.session.expire_all()
    assert db.session.get(ServiceField, first.id).show_if_key is None


# --- contact data after a field's key changed --------------------------------------------

def test_a_renamed_contact_field_is_neither_shown_nor_searchable_for_an_engineer(app):
    """The admin renames the contact field owner_phone → phone after requests exist: the
    values stay under the old key. The engineer's desk does not show them (a value of no
    field may have been contact data) and its search must not find the request by them."""
    from app.extensions import db
    from app.service_fields import visible_values
    from models.request_status import Status
    from models.service_fields import ServiceField
    from tests.factories import Staff, as_user, make_partner
    from tests.field_world import PHONE, VIN, car_request

    staff = Staff()
    mine = car_request(make_partner(), Status.SCHEDULED, staff)
    db.session.query(ServiceField).filter_by(key="owner_phone").update({"key": "phone"})
    db.session.commit()
    assert mine.field_values["owner_phone"] == PHONE
    assert PHONE not in str(visible_values(mine, viewer_is_engineer=True))
    engineer = as_user(app, staff.engineer)
    for url, query in (("/desk/", "q"), ("/requests/list/", "_flt_0_field_values")):
        assert mine.number in engineer.get(url, query_string={query: VIN}).get_data(
            as_text=True)
        assert mine.number not in engineer.get(url, query_string={query: PHONE}).get_data(
            as_text=True), url
    manager = as_user(app, staff.manager)
    assert mine.number in manager.get("/desk/", query_string={"q": PHONE}).get_data(
        as_text=True)


# --- an admin-typed field label as an Excel header ---------------------------------------

def test_a_field_label_heads_its_excel_column_as_inert_text(app, tmp_path):
    """Field labels head the export's columns; a label "=HYPERLINK(…)" was written as a live
    formula and a control character in one made openpyxl refuse the whole export."""
    from openpyxl import load_workbook

    from reports.excel import Column, write_xlsx

    target = tmp_path / "out.xlsx"
    label = '=HYPERLINK("http://evil.example","VIN")\x07'
    with open(target, "wb") as handle:
        write_xlsx(handle, "Заявки", [Column(label), Column("+7")], [("a", "b")])
    sheet = load_workbook(target).active
    assert [cell.value for cell in sheet[1]] == ["'=HYPERLINK(\"http://evil.example\",\"VIN\")",
                                                 "+7"]  # a signed number calls nothing
    assert [cell.data_type for cell in sheet[1]] == ["s", "s"]


def test_a_key_the_price_or_a_condition_uses_cannot_be_renamed(app, car_service):
    """Renaming the rate field's key made every price of the service fail; renaming a key a
    condition names hid the dependent field for ever."""
    from app.extensions import db
    from app.permissions import ADMIN
    from models.service_fields import ServiceField
    from tests.factories import as_user, make_user
    from tests.views.test_service_fields_admin import _token, add, field_form

    admin = as_user(app, make_user(ADMIN))
    add(admin, car_service, key="cars", field_type="integer", options="")
    add(admin, car_service, key="big", field_type="boolean", options="")
    add(admin, car_service, key="why", field_type="text", options="", show_if_key="big",
        show_if_value="yes")
    car_service.rate_field_key = "cars"
    db.session.commit()
    for key, kind, user in (("cars", "integer", "Проверка авто"), ("big", "boolean", "why")):
        row = db.session.query(ServiceField).filter_by(key=key).one()
        url = f"/service-fields/edit/{row.id}"
        data = field_form(car_service, key=f"{key}2", field_type=kind, options="")
        html = admin.post(url, data={**data, "csrf_token": _token(admin, url)},
                          follow_redirects=True).get_data(as_text=True)
        assert user in html and ("is used by" in html or "используется" in html), key
        db.session.expire_all()
        assert db.session.get(ServiceField, row.id).key == key
    why = db.session.query(ServiceField).filter_by(key="why").one()  # nobody uses it
    url = f"/service-fields/edit/{why.id}"
    data = field_form(car_service, key="reason", field_type="text", options="",
                      show_if_key="big", show_if_value="yes")
    admin.post(url, data={**data, "csrf_token": _token(admin, url)})
    db.session.expire_all()
    assert db.session.get(ServiceField, why.id).key == "reason"
