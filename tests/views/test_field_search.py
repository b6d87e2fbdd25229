"""Field values are searchable in the lists (issue 12): the partner's cabinet list, the staff
request list and the desk find a request by a VIN or a phone typed into a field, through one
helper (app.request_filters.text_clause); never another company's request, never by a
contact value for an engineer, and no wildcard or error from odd input."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.request_filters import search_text, text_clause
from models.request_status import Status
from models.requests import Request
from tests.factories import Staff, as_user, make_partner, make_user
from tests.field_world import PHONE, VIN, car_request, flat_request



def build_world() -> dict:
    staff = Staff()
    partner = make_partner()
    other = make_partner()  # another company
    mine = car_request(partner, Status.SCHEDULED, staff)
    twin = car_request(partner, Status.SUBMITTED, staff, vin="XTA21703080999999", mileage=1000,
                       owner_phone="+7 903 000-00-00")
    flat = flat_request(partner, Status.SUBMITTED, staff, object_address="Арбат 10")
    theirs = car_request(other, Status.SUBMITTED, staff, vin="XTA21703080123457",
                         owner_phone=PHONE)
    db.session.commit()
    return {"staff": {who: getattr(staff, who).id
                      for who in ("supermanager", "manager", "engineer")},
            "users": [partner.id, other.id],
            "requests": [r.id for r in (mine, twin, flat, theirs)]}


@pytest.fixture
def world(snapshot):
    """Built once per run (conftest.snapshot): staff, partner, other, mine, twin, flat,
    theirs."""
    ids = snapshot("field-search-world", build_world)
    staff = SimpleNamespace(**{who: db.session.get(User, i) for who, i in ids["staff"].items()})
    partner, other = (db.session.get(User, i) for i in ids["users"])
    mine, twin, flat, theirs = (db.session.get(Request, i) for i in ids["requests"])
    return staff, partner, other, mine, twin, flat, theirs


def cabinet_numbers(client, text: str) -> set[str]:
    page = client.get("/cabinet/requests", query_string={"q": text})
    assert page.status_code == 200
    return numbers_in(page.get_data(as_text=True))


def numbers_in(html: str) -> set[str]:
    return {n for n in NUMBERS if n in html}


NUMBERS: set[str] = set()


def remember(*requests) -> None:
    NUMBERS.clear()
    NUMBERS.update(r.number for r in requests)


def staff_numbers(client, text: str) -> set[str]:
    page = client.get("/requests/list/", query_string={"_flt_0_field_values": text})
    assert page.status_code == 200
    return numbers_in(page.get_data(as_text=True))


def desk_numbers(client, text: str) -> set[str]:
    page = client.get("/desk/", query_string={"q": text})
    assert page.status_code == 200
    return numbers_in(page.get_data(as_text=True))


def test_partner_finds_own_request_by_a_field_value_only(app, world):
    staff, partner, other, mine, twin, flat, theirs = world
    remember(mine, twin, flat, theirs)
    client = as_user(app, partner)
    assert cabinet_numbers(client, VIN) == {mine.number}
    assert cabinet_numbers(client, "vesta") == {mine.number, twin.number}  # any case
    assert cabinet_numbers(client, PHONE) == {mine.number}  # the partner's own contact
    assert cabinet_numbers(client, "Арбат") == {flat.number}  # the title still
    assert cabinet_numbers(client, "car_class") == set()  # keys are not values
    assert cabinet_numbers(as_user(app, other), VIN[:-1]) == {theirs.number}


def test_staff_list_and_desk_find_by_field_value(app, world):
    staff, partner, other, mine, twin, flat, theirs = world
    remember(mine, twin, flat, theirs)
    director = as_user(app, make_user("Director"))
    assert staff_numbers(director, VIN) == {mine.number}
    assert staff_numbers(director, "123456") == {mine.number, theirs.number}  # mileage, VINs
    assert staff_numbers(director, PHONE) == {mine.number, theirs.number}
    manager = as_user(app, staff.manager)  # manages `mine` only
    assert desk_numbers(manager, VIN) == {mine.number}
    assert desk_numbers(manager, PHONE) == {mine.number}
    supermanager = as_user(app, staff.supermanager)  # sees every submitted request
    assert desk_numbers(supermanager, PHONE) == {mine.number, theirs.number}
    assert desk_numbers(supermanager, "lada") == {mine.number, twin.number, theirs.number}


def test_engineer_finds_by_a_value_he_sees_but_never_by_a_contact_value(app, world):
    staff, partner, other, mine, twin, flat, theirs = world
    remember(mine, twin, flat, theirs)
    engineer = as_user(app, staff.engineer)  # his: `mine` (scheduled to him)
    assert staff_numbers(engineer, VIN) == {mine.number}
    assert desk_numbers(engineer, VIN) == {mine.number}
    assert staff_numbers(engineer, PHONE) == set()
    assert desk_numbers(engineer, PHONE) == set()
    assert desk_numbers(engineer, "555-12") == set()


@pytest.mark.parametrize("text", ["%", "_", "%%", "\\", "\\%", "'", "\"", "[", "*",
                                  "x" * 5000, "ё" * 300, "$.vin", "{}", "[]",
                                  "true", "null"])
def test_odd_search_text_finds_nothing_and_never_fails(app, world, text):
    staff, partner, other, mine, twin, flat, theirs = world
    remember(mine, twin, flat, theirs)
    assert cabinet_numbers(as_user(app, partner), text) == set()
    director = as_user(app, make_user("Director"))
    # the list's guard drops backslashes from FAB filters (app.input_guard): no filter left
    assert staff_numbers(director, text) == (NUMBERS if text == "\\" else set())
    assert desk_numbers(as_user(app, staff.manager), text) == set()


def test_nul_in_the_search_is_refused_with_a_message(app, world):
    staff, partner, *_rest = world
    page = as_user(app, partner).get("/cabinet/requests", query_string={"q": "VIN\x00"})
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)
    assert as_user(app, staff.manager).get("/desk/?q=%00").status_code == 400


def test_one_clause_for_both_surfaces(app, world):
    staff, partner, other, mine, *_rest = world
    assert text_clause("   ", partner) is None
    assert search_text(" a\x00b\x07 ") == "ab" and len(search_text("я" * 999)) == 100
    found = db.session.query(Request.id).filter(text_clause(VIN, partner)).all()
    assert found == [(mine.id,)]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_broad_search_sorted_by_address_still_hides_contacts_and_keys(app, world,
                                                                        monkeypatch, direction):
    """Past NARROW_ROWS matches the list sorted by address walks the address index for
    candidates: on PostgreSQL by the stored search text alone, which holds contact values
    and field names too (views.keyset, app.request_filters.search_candidates); each
    candidate is checked with the whole search, so the engineer still never finds a request
    by a contact value and nobody by a field's name."""
    from views.requests import RequestStaffView

    monkeypatch.setattr(RequestStaffView, "NARROW_ROWS", 0)  # one match makes it "broad"
    staff, partner, other, mine, twin, flat, theirs = world
    # the engineer's own two: "777" in the make of one, in the other only its owner's phone;
    # "car_class" in a make, and the name of a field in every car request's stored text
    seen = car_request(partner, Status.SCHEDULED, staff, make="Lada 777 car_class",
                       vin="XTA21703080000001", owner_phone="+7 900 000-00-00")
    hidden = car_request(partner, Status.SCHEDULED, staff, vin="XTA21703080000002",
                         owner_phone="+7 916 777-00-00")
    assert seen.engineer_id == hidden.engineer_id == staff.engineer.id
    remember(mine, twin, flat, theirs, seen, hidden)

    def found(client, text: str) -> set[str]:
        page = client.get("/requests/list/", query_string={
            "_flt_0_field_values": text, "_oc_RequestStaffView": "object_address",
            "_od_RequestStaffView": direction})
        assert page.status_code == 200
        return numbers_in(page.get_data(as_text=True))

    director = as_user(app, make_user("Director"))
    assert found(director, VIN) == {mine.number}
    assert found(director, "777") == {seen.number, hidden.number}
    assert found(director, "car_class") == {seen.number}  # not every car request's key
    engineer = as_user(app, staff.engineer)
    assert found(engineer, VIN) == {mine.number}
    assert found(engineer, "777") == {seen.number}  # never by the owner's phone
    assert found(engineer, "car_class") == {seen.number}


@pytest.mark.parametrize("text", ["%", "_", "\\%", "'", "\"", "x" * 5000, "ё" * 300, "{}",
                                  "Lada \"Vesta\"", "vesta"])
def test_odd_text_through_the_walked_candidates_never_fails(app, world, monkeypatch, text):
    """The broad path sorted by address with odd input: a text JSON escapes (a quote) is no
    prefilter of the stored text, so the whole clause walks instead; nothing fails, and the
    rows are the plain search's."""
    from views.requests import RequestStaffView

    staff, partner, other, mine, twin, flat, theirs = world
    remember(mine, twin, flat, theirs)
    director = as_user(app, make_user("Director"))
    plain = staff_numbers(director, text)
    monkeypatch.setattr(RequestStaffView, "NARROW_ROWS", 0)
    page = director.get("/requests/list/", query_string={
        "_flt_0_field_values": text, "_oc_RequestStaffView": "object_address",
        "_od_RequestStaffView": "asc"})
    assert page.status_code == 200
    assert numbers_in(page.get_data(as_text=True)) == plain
    assert plain == ({mine.number, twin.number, theirs.number} if text == "vesta" else set())
