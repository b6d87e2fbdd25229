"""REST API v1 requests, services and quotes (issue 13 item 1): the cabinet's and the desk's
use cases behind tokens — scopes per role, drafts with per-service fields, versions, moves,
engineers without contacts, strict input, cursor pages that neither skip nor repeat."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.api_tokens import create_token
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR
from app.timefmt import format_day, local_today
from models.base import utcnow
from models.partners import EndClient
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Quote
from models.request_status import Status
from models.requests import Request, StatusChange
from models.service_fields import ServiceField
from models.signatures import Signature
from tests.factories import Staff, add_work, make_partner, make_request, make_service, make_user
from tests.unit.test_signature_codes import require_codes

PROBLEM = "application/problem+json"
FIELDS = {"address": "Москва, Тверская 1, кв. 5", "object_type": "apartment", "area": 54.5,
          "owner_phone": "+7 900 123-45-67"}


def token(user, scope="write"):
    _row, secret = create_token(user, "CRM", scope, 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    return body["detail"]


@pytest.fixture
def service(app):
    """The redevelopment service (object fields) with an owner's phone marked contact data;
    an apartment object type, normal and urgent urgency."""
    db.session.add_all([
        PriceRule(kind=RULE_OBJECT_TYPE, key="apartment", label="Квартира",
                  label_en="Apartment"),
        PriceRule(kind=RULE_URGENCY, key="normal", label="Обычная", label_en="Normal"),
        PriceRule(kind=RULE_URGENCY, key="urgent", label="Срочно", label_en="Urgent",
                  coefficient=2)])
    db.session.flush()
    svc = make_service()
    db.session.add(ServiceField(service_id=svc.id, key="owner_phone", label="Телефон владельца",
                                label_en="Owner's phone", field_type="phone", is_contact=True,
                                sort_order=60))
    db.session.commit()
    return svc


def new_draft(client, headers, service, **body):
    body = {"services": [service.id], "fields": dict(FIELDS)} | body
    return client.post("/api/v1/requests", json=body, headers=headers)


# --- authentication and scope ----------------------------------------------------------------

ENDPOINTS = [("get", "/api/v1/requests"), ("post", "/api/v1/requests"),
             ("get", "/api/v1/requests/1"), ("patch", "/api/v1/requests/1"),
             ("post", "/api/v1/requests/1/submit"), ("post", "/api/v1/requests/1/cancel"),
             ("post", "/api/v1/requests/1/close"), ("post", "/api/v1/requests/1/repeat"),
             ("post", "/api/v1/requests/1/moves"), ("get", "/api/v1/services"),
             ("post", "/api/v1/quote"), ("post", "/api/v1/quotes"), ("get", "/api/v1/quotes"),
             ("get", "/api/v1/quotes/1")]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_anonymous_gets_401(client, method, path):
    response = getattr(client, method)(path, json={})
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method,path", [e for e in ENDPOINTS if e[0] != "get"
                                         and e[1] != "/api/v1/quote"])
def test_a_read_token_may_not_write(app, client, service, method, path):
    user = make_partner()
    req = make_request(user)
    response = getattr(client, method)(path.replace("/1", f"/{req.id}"), json={
        "services": [service.id], "fields": FIELDS, "version": req.version,
        "action": "accept"}, headers=token(user, "read"))
    problem(response, 403)
    assert db.session.query(Request).count() == 1
    assert db.session.get(Request, req.id).status == Status.DRAFT


# --- drafts ------------------------------------------------------------------------------------

def test_a_partner_creates_a_draft_with_fields(app, client, service):
    user = make_partner()
    response = new_draft(client, token(user), service, description="Снести стену")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    req = db.session.get(Request, body["id"])
    assert response.headers["Location"].endswith(f"/api/v1/requests/{req.id}")
    assert body["cabinet_url"] == f"{app.config['BASE_URL']}/cabinet/requests/{req.id}"
    assert req.author_id == user.id and req.status == Status.DRAFT
    assert req.field_values["area"] == "54.5" and req.field_values["owner_phone"]
    assert req.object_address == FIELDS["address"] and req.description == "Снести стену"
    assert body["status"] == "draft" and body["version"] == req.version
    assert body["total_kopecks"] == req.total_kopecks > 0
    assert body["total"] == f"{req.total_kopecks // 100}.{req.total_kopecks % 100:02d}"
    assert body["created_at"].endswith("Z") and "submit" in body["allowed_actions"]
    assert body["company"]["id"] == user.profile.partner_company_id


def test_a_member_files_and_submits_with_own_clients_only(app, client, service):
    owner = make_partner()
    member = make_partner(owner.profile.partner_company, owner=False)
    headers = token(member)
    created = new_draft(client, headers, service, new_client_name="Иван Петров",
                        new_client_phone="+7 900 000-00-01")
    assert created.status_code == 201, created.get_data(as_text=True)
    req = db.session.get(Request, created.get_json()["id"])
    assert req.author_id == member.id and req.end_client.name == "Иван Петров"
    assert created.get_json()["end_client"]["name"] == "Иван Петров"
    stranger = make_partner()
    foreign = EndClient(company_id=stranger.profile.partner_company_id, name="Чужой",
                        created_by_id=stranger.id)
    colleague = make_partner(owner.profile.partner_company, owner=False)
    colleagues = EndClient(company_id=owner.profile.partner_company_id, name="Клиент коллеги",
                           created_by_id=colleague.id)
    db.session.add_all([foreign, colleagues])
    db.session.commit()
    for client_id in (foreign.id, colleagues.id, 999999):
        problem(new_draft(client, headers, service, end_client_id=client_id), 422)
    same = new_draft(client, headers, service, end_client_id=req.end_client_id)
    assert same.status_code == 201
    submitted = client.post(f"/api/v1/requests/{req.id}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "accepted"


def test_staff_cannot_create_drafts(app, client, service, staff):
    problem(new_draft(client, token(staff.manager), service), 403)
    assert db.session.query(Request).count() == 0


BAD_BODIES = [
    ("not json", b"{services: 1", 422), ("array", b"[1, 2]", 422),
    ("unknown key", b'{"services": [1], "status": "ready"}', 422),
    ("services text", b'{"services": "1"}', 422),
    ("services none", b'{"services": []}', 422),
    ("huge id", b'{"services": [99999999999999999999]}', 422),
    ("bool id", b'{"services": [true]}', 422),
    ("long description", b'{"services": [1], "description": "' + b"x" * 5001 + b'"}', 422),
    ("NaN", b'{"services": [1], "fields": {"area": NaN}}', 422),
    ("many digits", b'{"services": [1], "fields": {"area": 1' + b"0" * 5000 + b'}}', 422),
    ("nested", b'{"services": [1], "fields": {"area": ' + b"[" * 5000 + b"]" * 5000 + b'}}',
     422),
    ("NUL", b'{"services": [1], "description": "a\\u0000b"}', 400),
    ("bad phone", b'{"services": [1], "new_client_phone": "call me"}', 422),
    ("bad date", b'{"services": [1], "wanted_date": "2026-02-30"}', 422),
]


@pytest.mark.parametrize("name,raw,status", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_input_is_a_problem_and_stores_nothing(app, client, service, name, raw, status):
    user = make_partner()
    raw = raw.replace(b"[1]", f"[{service.id}]".encode())
    response = client.post("/api/v1/requests", data=raw, headers=token(user) | {
        "Content-Type": "application/json", "Accept-Language": "en"})
    problem(response, status)
    assert db.session.query(Request).count() == 0


@pytest.mark.parametrize("fields,expected", [
    ({"area": "много"}, "area"), ({"object_type": "castle"}, "object_type"),
    ({"address": None}, "address"), ({"colour": "red"}, "colour"),
    ({"area": 10**9}, "area"), ({"area": {"a": 1}}, "area"),
])
def test_field_values_are_checked_as_the_form_checks_them(app, client, service, fields,
                                                          expected):
    user = make_partner()
    response = new_draft(client, token(user) | {"Accept-Language": "en"}, service,
                         fields=dict(FIELDS) | fields)
    assert expected in problem(response, 422)
    assert db.session.query(Request).count() == 0


def test_refusals_speak_the_requested_language(app, client, service):
    user = make_partner()
    russian = new_draft(client, token(user), service, fields={"colour": "red"})
    assert "Неизвестное поле" in problem(russian, 422) or "colour" in problem(russian, 422)
    english = new_draft(client, token(user) | {"Accept-Language": "en"}, service,
                        fields={"colour": "red"})
    assert problem(english, 422) == "Unknown field: “colour”."


def test_patch_changes_a_draft_at_its_version_only(app, client, service):
    user = make_partner()
    headers = token(user)
    created = new_draft(client, headers, service).get_json()
    url = f"/api/v1/requests/{created['id']}"
    stale = client.patch(url, json={"fields": {"area": 70}}, headers=headers | {
        "If-Match": f'"{created["version"] + 5}"'})
    problem(stale, 409)
    problem(client.patch(url, json={"fields": {"area": 70}}, headers=headers), 422)
    changed = client.patch(url, json={"fields": {"area": 70}, "version": created["version"]},
                           headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["fields"]["area"] == "70" and body["fields"]["address"] == FIELDS["address"]
    assert body["version"] > created["version"]
    assert changed.headers["ETag"] == f'"{body["version"]}"'
    again = client.patch(url, json={"description": "x"}, headers=headers | {
        "If-Match": f'"{created["version"]}"'})  # the version read before the change
    problem(again, 409)
    assert db.session.get(Request, created["id"]).description is None


def test_the_etag_of_a_compressed_answer_is_taken_back_as_if_match(app, client, service):
    """Over gzip or brotli the ETag reads "1:gzip" / "1:br" (Flask-Compress marks the
    encoding); sent back as the docs say, it was refused (422) on every write."""
    user = make_partner()
    headers = token(user)
    created = new_draft(client, headers, service).get_json()
    url = f"/api/v1/requests/{created['id']}"
    etag = client.get(url, headers=headers | {"Accept-Encoding": "gzip"}).headers["ETag"]
    assert etag == f'"{created["version"]}:gzip"'
    changed = client.patch(url, json={"description": "Снос"}, headers=headers | {
        "If-Match": etag})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    stale = client.patch(url, json={"description": "x"},
                         headers=headers | {"If-Match": etag, "Accept-Language": "en"})
    assert problem(stale, 409) == (  # the same old ETag again: changed meanwhile (not "reload
        "The request was changed by someone else meanwhile: read it again and send the "
        'version you read (If-Match or "version").')  # the page", said to a program)
    english = headers | {"Accept-Language": "en"}
    assert "send the version you read" in problem(client.patch(
        url, json={"description": "x"}, headers=english | {"If-Match": "*"}), 422)
    version = changed.get_json()["version"]
    assert "different versions" in problem(client.patch(url, json={
        "description": "x", "version": version - 1}, headers=english | {
        "If-Match": f'"{version}"'}), 422)
    assert db.session.get(Request, created["id"]).description == "Снос"


def test_one_save_is_one_version(app, client, service):
    """A change that reprices the draft is written once: the version a client keeps goes up
    by one a save (pricing read the catalogue with the changed draft flushed early: +2)."""
    user = make_partner()
    headers = token(user)
    created = new_draft(client, headers, service).get_json()
    url, version = f"/api/v1/requests/{created['id']}", created["version"]
    for body in ({"fields": {"area": 70}}, {"description": "Снос"}, {"urgency": "urgent"}):
        changed = client.patch(url, json=body | {"version": version}, headers=headers)
        assert changed.get_json()["version"] == version + 1, body
        version += 1
    assert db.session.get(Request, created["id"]).version == version


def test_a_wanted_date_in_the_past_is_refused_as_the_cabinet_refuses_it(app, client, service):
    user = make_partner()
    headers = token(user)
    today = local_today()
    english = new_draft(client, headers | {"Accept-Language": "en"}, service,
                        wanted_date="2020-01-01")
    assert problem(english, 422) == ("The wanted date cannot be in the past: choose today "
                                     f"({format_day(today)}) or a later day.")
    russian = new_draft(client, headers, service, wanted_date="2020-01-01")
    assert "Желаемая дата не может быть в прошлом" in problem(russian, 422)
    assert db.session.query(Request).count() == 0
    created = new_draft(client, headers, service, wanted_date=today.isoformat())
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["wanted_date"] == today.isoformat()
    url = f"/api/v1/requests/{created.get_json()['id']}"
    moved = client.patch(url, json={"wanted_date": "2020-01-02",
                                    "version": created.get_json()["version"]}, headers=headers)
    problem(moved, 422)
    assert db.session.get(Request, created.get_json()["id"]).wanted_date == today


def test_a_draft_keeps_its_passed_wanted_date_through_other_changes(app, client, service):
    user = make_partner()
    req = make_request(user, wanted_date=date(2020, 1, 1))  # saved long ago
    changed = client.patch(f"/api/v1/requests/{req.id}", json={
        "description": "Снос перегородки", "version": req.version}, headers=token(user))
    assert changed.status_code == 200, changed.get_data(as_text=True)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.wanted_date, req.description) == (date(2020, 1, 1), "Снос перегородки")


def test_a_draft_whose_wanted_date_passed_is_not_submitted(app, client, service):
    """A draft may wait with its passed date, but it goes to the bureau only with a date
    still ahead: the submit says which day passed and nothing moves."""
    user = make_partner()
    req = make_request(user, wanted_date=date(2020, 1, 1))
    refused = client.post(f"/api/v1/requests/{req.id}/submit", headers=token(user) | {
        "Accept-Language": "en"})
    assert problem(refused, 422) == (
        f"The wanted date {format_day(date(2020, 1, 1))} has passed: choose today "
        f"({format_day(local_today())}) or a later day in the draft, then submit it.")
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.DRAFT


def test_a_submit_keeps_its_comment_and_a_second_submit_says_it_went(app, client, service):
    """The submit's "comment" was answered 200 and dropped; now it is the history's comment
    of the move. Sent again (a retry after a timeout) the answer says it was submitted."""
    user = make_partner()
    headers = token(user) | {"Accept-Language": "en"}
    created = new_draft(client, headers, service).get_json()
    url = f"/api/v1/requests/{created['id']}"
    sent = client.post(f"{url}/submit", json={"comment": "Пожалуйста, побыстрее 🙏"},
                       headers=headers)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    change = db.session.query(StatusChange).filter_by(request_id=created["id"],
                                                      action="submit").one()
    assert change.comment == "Пожалуйста, побыстрее 🙏"
    again = client.post(f"{url}/submit", headers=headers)
    assert problem(again, 403) == (f"Request {created['number']} is already submitted: "
                                   "there is no draft to send.")
    problem(client.post(f"{url}/submit", json={"version": created["version"]},
                        headers=headers), 409)  # the version read before: changed meanwhile


def test_a_client_phone_without_a_name_is_refused_as_the_prefill_refuses_it(app, client,
                                                                             service):
    user = make_partner()
    refused = new_draft(client, token(user) | {"Accept-Language": "en"}, service,
                        new_client_phone="+7 900 555-44-33")
    assert problem(refused, 422) == "Give the end client's name with the phone."
    assert db.session.query(Request).count() == 0


def test_a_list_for_a_one_value_field_is_refused(app, client, service):
    """["a"] for the address was stored as the text "['a']"."""
    user = make_partner()
    refused = new_draft(client, token(user) | {"Accept-Language": "en"}, service,
                        fields=FIELDS | {"address": ["Москва"]})
    assert problem(refused, 422) == "“address” takes one value, not a list."
    assert db.session.query(Request).count() == 0


def test_a_filter_value_over_the_references_length_is_refused(app, client, service):
    user = make_partner()
    long = client.get("/api/v1/requests", query_string={"q": "я" * 101},
                      headers=token(user) | {"Accept-Language": "en"})
    assert problem(long, 422) == "“q” is at most 100 characters."
    assert client.get("/api/v1/requests", query_string={"q": "я" * 100},
                      headers=token(user)).status_code == 200


def test_a_wrong_type_names_the_key_and_the_type(app, client, service):
    user = make_partner()
    english = token(user) | {"Accept-Language": "en"}
    assert problem(client.post("/api/v1/requests", json={"services": ["1"]}, headers=english),
                   422) == "“services[]” must be of type integer."  # an item of the list
    assert problem(client.post("/api/v1/requests", json={"services": 1}, headers=english),
                   422) == "“services” must be of type array."
    russian = token(user) | {"Accept-Language": "ru"}  # the type in the reader's words
    assert problem(client.post("/api/v1/requests", json={"quote_id": "1"}, headers=russian),
                   422) == "«quote_id» должно иметь тип целое число (integer)."


def test_a_refused_move_names_the_status_as_the_partner_reads_it(app, client, service):
    """A partner's refused close named the staff's status ("Assigned"), which partners never
    read; now the cabinet's group ("Processing")."""
    req = make_request(make_partner(), Status.ASSIGNED, Staff())
    refused = client.post(f"/api/v1/requests/{req.id}/close", json={},
                          headers=token(req.author) | {"Accept-Language": "en"})
    assert problem(refused, 403) == "“Close request” is not possible while the request is " \
                                    "“Processing”."


def test_submit_cancel_and_the_submitted_request_is_no_longer_editable(app, client, service):
    user = make_partner()
    headers = token(user)
    created = new_draft(client, headers, service).get_json()
    url = f"/api/v1/requests/{created['id']}"
    submitted = client.post(f"{url}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["status"] == "accepted"  # the cabinet's group, not "submitted"
    assert "engineer" not in submitted.get_json()
    assert "cancel" in submitted.get_json()["allowed_actions"]
    problem(client.patch(url, json={"description": "x", "version": 99}, headers=headers), 403)
    problem(client.post(f"{url}/submit", headers=headers), 403)
    cancelled = client.post(f"{url}/cancel", json={"comment": "Передумали"}, headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"
    assert db.session.get(Request, created["id"]).status == Status.CANCELLED


def test_the_partner_closes_delivered_work(app, client, staff):
    user = make_partner()
    req = make_request(user, Status.DELIVERED, staff)
    response = client.post(f"/api/v1/requests/{req.id}/close", json={"version": req.version},
                           headers=token(user))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert db.session.get(Request, req.id).status == Status.CLOSED
    problem(client.post(f"/api/v1/requests/{req.id}/cancel", headers=token(user)), 403)


def test_repeat_makes_a_new_draft(app, client, staff):
    user = make_partner()
    source = make_request(user, Status.SUBMITTED, staff)
    response = client.post(f"/api/v1/requests/{source.id}/repeat", headers=token(user))
    assert response.status_code == 201
    copy = db.session.get(Request, response.get_json()["id"])
    assert copy.id != source.id and copy.status == Status.DRAFT
    assert copy.object_address == source.object_address
    assert response.get_json()["cabinet_url"].endswith(f"/cabinet/requests/{copy.id}")


# --- who sees what -----------------------------------------------------------------------------

def test_owner_sees_the_company_member_only_own_and_others_nothing(app, client, service, staff):
    owner = make_partner()
    member = make_partner(owner.profile.partner_company, owner=False)
    stranger = make_partner()
    own = make_request(owner)
    members = make_request(member)
    for user, visible, hidden in ((owner, {own.id, members.id}, set()),
                                  (member, {members.id}, {own.id}),
                                  (stranger, set(), {own.id, members.id})):
        headers = token(user)
        listed = {item["id"] for item in client.get("/api/v1/requests",
                                                    headers=headers).get_json()["items"]}
        assert listed == visible, user.username
        for request_id in hidden:
            problem(client.get(f"/api/v1/requests/{request_id}", headers=headers), 404)
            problem(client.patch(f"/api/v1/requests/{request_id}", json={"version": 1},
                                 headers=headers), 404)
            problem(client.post(f"/api/v1/requests/{request_id}/submit", headers=headers), 404)
            problem(client.post(f"/api/v1/requests/{request_id}/repeat", headers=headers), 404)
    # drafts are the partner's alone
    for user in (staff.manager, staff.supermanager, make_user(ADMIN)):
        problem(client.get(f"/api/v1/requests/{own.id}", headers=token(user)), 404)


def _contact_request(user, staff, status):
    req = make_request(user, status, staff)
    req.field_values = dict(req.field_values or {}) | {"owner_phone": "+7 900 555-00-11"}
    db.session.commit()
    return req


def test_staff_see_their_row_scopes(app, client, service, staff):
    user = make_partner()
    mine = make_request(user, Status.SCHEDULED, staff)
    other_manager = make_user("Manager")
    unassigned = make_request(user, Status.SUBMITTED, staff)
    expectations = {staff.manager: {mine.id}, staff.engineer: {mine.id},
                    other_manager: set(), staff.supermanager: {mine.id, unassigned.id},
                    make_user(ADMIN): {mine.id, unassigned.id},
                    make_user(DIRECTOR): {mine.id, unassigned.id}}
    for viewer, expected in expectations.items():
        headers = token(viewer, "read")
        items = client.get("/api/v1/requests", headers=headers).get_json()["items"]
        assert {item["id"] for item in items} == expected, viewer.username
        for request_id in {mine.id, unassigned.id} - expected:
            problem(client.get(f"/api/v1/requests/{request_id}", headers=headers), 404)


def test_the_engineer_never_gets_contacts(app, client, service, staff):
    user = make_partner()
    req = _contact_request(user, staff, Status.SCHEDULED)
    req.end_client_id = None
    headers = token(staff.engineer)
    detail = client.get(f"/api/v1/requests/{req.id}", headers=headers)
    listed = client.get("/api/v1/requests", headers=headers)
    for body in (detail.get_json(), listed.get_json()["items"][0]):
        assert "owner_phone" not in body["fields"] and "area" in body["fields"]
        for key in ("company", "author", "end_client", "cancel_reason", "cabinet_url"):
            assert key not in body
    assert "555-00-11" not in detail.get_data(as_text=True) + listed.get_data(as_text=True)
    # nor finds a request by a contact value
    found = client.get("/api/v1/requests?q=555-00-11", headers=headers).get_json()
    assert found["items"] == []
    manager = client.get(f"/api/v1/requests/{req.id}", headers=token(staff.manager)).get_json()
    assert manager["fields"]["owner_phone"] and manager["company"]["name"]
    found = client.get("/api/v1/requests?q=555-00-11", headers=token(staff.manager)).get_json()
    assert [item["id"] for item in found["items"]] == [req.id]


def test_partners_read_the_cabinets_status_groups(app, client, staff):
    user = make_partner()
    req = make_request(user, Status.IN_PROGRESS, staff)
    body = client.get(f"/api/v1/requests/{req.id}", headers=token(user)).get_json()
    assert (body["status"], body["partner_status"]) == ("in_work", "in_work")
    assert "in_progress" not in str(body) and "engineer" not in body
    listed = client.get("/api/v1/requests?status=in_work", headers=token(user)).get_json()
    assert [item["status"] for item in listed["items"]] == ["in_work"]
    staff_body = client.get(f"/api/v1/requests/{req.id}", headers=token(staff.manager))
    assert staff_body.get_json()["status"] == "in_progress"
    assert staff_body.get_json()["engineer"]["id"] == staff.engineer.id


def test_staff_make_the_moves_their_role_may(app, client, service, staff):
    user = make_partner()
    req = make_request(user, Status.SCHEDULED, staff)
    url = f"/api/v1/requests/{req.id}/moves"
    assert client.get(f"/api/v1/requests/{req.id}",
                      headers=token(staff.engineer)).get_json()["allowed_actions"] == ["start"]
    problem(client.post(url, json={"action": "start"}, headers=token(staff.manager)), 403)
    problem(client.post(url, json={"action": "start"}, headers=token(user)), 403)
    problem(client.post(url, json={"action": "schedule"}, headers=token(staff.manager)), 422)
    problem(client.post(url, json={"action": "fly"}, headers=token(staff.engineer)), 422)
    problem(client.post(url, json={"action": "start", "version": req.version - 1},
                        headers=token(staff.engineer)), 409)
    moved = client.post(url, json={"action": "start"}, headers=token(staff.engineer))
    assert moved.status_code == 200 and moved.get_json()["status"] == "in_progress"
    waiting = client.get(f"/api/v1/requests/{req.id}", headers={
        **token(staff.engineer), "Accept-Language": "en"}).get_json()["waiting_actions"]
    assert waiting == {"submit_review": "Upload the work files before submitting them for "
                                        "review."}
    no_work = problem(client.post(url, json={"action": "submit_review"},
                                  headers=token(staff.engineer)), 403)  # a refused move
    assert "Загрузите файлы работы" in no_work
    add_work(db.session.get(Request, req.id), staff.engineer)
    db.session.commit()
    client.post(url, json={"action": "submit_review"}, headers=token(staff.engineer))
    problem(client.post(url, json={"action": "return"}, headers=token(staff.manager)), 403)
    accepted = client.post(url, json={"action": "accept"}, headers=token(staff.manager))
    assert accepted.get_json()["status"] == "ready"
    assert db.session.get(Request, req.id).status == Status.READY
    problem(client.post(url, json={"action": "deliver"}, headers=token(staff.manager)), 422)


def test_a_manager_cancel_needs_a_comment(app, client, staff):
    user = make_partner()
    req = make_request(user, Status.ASSIGNED, staff)
    url = f"/api/v1/requests/{req.id}/moves"
    problem(client.post(url, json={"action": "cancel"}, headers=token(staff.manager)), 403)
    done = client.post(url, json={"action": "cancel", "comment": "Дубль"},
                       headers=token(staff.manager))
    assert done.get_json()["status"] == "cancelled"
    problem(client.post(f"/api/v1/requests/{req.id}/cancel", headers=token(staff.manager)),
            403)  # the partner's move route is the partner's


# --- the list ----------------------------------------------------------------------------------

def test_cursor_pages_neither_skip_nor_repeat(app, client, service):
    user = make_partner()
    rows = [make_request(user) for _ in range(7)]
    same = utcnow() - timedelta(hours=1)
    for row in rows[2:5]:  # three share one creation time: the id breaks the tie
        row.created_at = same
    db.session.commit()
    headers = token(user)
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/requests?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).get_json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        if pages == 2:  # a request created meanwhile is on no later page
            make_request(user)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    assert seen == [r.id for r in expected] and pages == 4


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "cursor=%%%",
                                   "cursor=WzEsMl0", "status=nonsense", "from=2026-13-01",
                                   "service=abc", "sort=id", "manager=1"])
def test_bad_list_parameters_are_422(app, client, query):
    problem(client.get(f"/api/v1/requests?{query}", headers=token(make_partner())), 422)


def test_the_cabinet_filters_apply(app, client, service, staff):
    user = make_partner()
    draft = make_request(user, object_address="Питер, Невский 10")
    sent = make_request(user, Status.SUBMITTED, staff)
    headers = token(user)

    def ids(query):
        return [i["id"] for i in client.get(f"/api/v1/requests?{query}",
                                            headers=headers).get_json()["items"]]

    assert ids("status=draft") == [draft.id]
    assert ids("status=accepted") == [sent.id]
    assert ids("q=Невский") == [draft.id]
    assert ids(f"service={service.id}") == [sent.id, draft.id]
    assert ids("from=2000-01-01&to=2000-01-02") == []
    staff_ids = [i["id"] for i in client.get("/api/v1/requests?status=submitted", headers=token(
        staff.supermanager)).get_json()["items"]]
    assert staff_ids == [sent.id]


# --- catalogue and quotes ----------------------------------------------------------------------

def test_services_name_the_documents_a_file_slot_takes(app, client, service):
    """A file's `slot` is a document's key, which appeared nowhere in the API."""
    from tests.document_slot_data import make_slot

    make_slot(service, "egrn", "Выписка ЕГРН", ("pdf", "image"), 1, 3)
    body = client.get("/api/v1/services", headers=token(make_partner(), "read")).get_json()
    (item,) = [s for s in body["items"] if s["id"] == service.id]
    assert item["documents"] == [{"key": "egrn", "title": "Выписка ЕГРН", "required": True,
                                  "min_files": 1, "max_files": 3,
                                  "accepted": ["pdf", "image"]}]


def test_services_list_fields_in_the_token_users_language(app, client, service):
    user = make_partner(locale="en")
    body = client.get("/api/v1/services", headers=token(user, "read")).get_json()
    entry = next(s for s in body["items"] if s["id"] == service.id)
    by_key = {f["key"]: f for f in entry["fields"]}
    assert by_key["area"]["label"] == "Area, m²" and by_key["area"]["required"] is True
    assert by_key["owner_phone"]["is_contact"] is True and "area" in entry["priced_fields"]
    russian = client.get("/api/v1/services", headers=token(user, "read") | {
        "Accept-Language": "ru"}).get_json()
    entry = next(s for s in russian["items"] if s["id"] == service.id)
    assert {f["key"]: f for f in entry["fields"]}["area"]["label"] == "Площадь, м²"


def test_quote_prices_without_saving_and_quotes_saves(app, client, service):
    user = make_partner()
    body = {"services": [service.id], "fields": {"area": 50, "object_type": "apartment"}}
    priced = client.post("/api/v1/quote", json=body, headers=token(user, "read"))
    assert priced.status_code == 200, priced.get_data(as_text=True)
    assert priced.get_json()["total_kopecks"] == 10000_00 + 50 * 100_00
    assert priced.get_json()["total"] == "15000.00"
    assert db.session.query(Quote).count() == 0
    problem(client.post("/api/v1/quotes", json=body, headers=token(user, "read")), 403)
    saved = client.post("/api/v1/quotes", json=body, headers=token(user))
    assert saved.status_code == 201 and db.session.query(Quote).count() == 1
    quote_id = saved.get_json()["id"]
    draft = client.post("/api/v1/requests", json={"quote_id": quote_id, "fields": {
        "address": "Москва, Арбат 1", "object_type": "apartment"}}, headers=token(user))
    assert draft.status_code == 201, draft.get_data(as_text=True)
    assert draft.get_json()["total_kopecks"] == priced.get_json()["total_kopecks"]
    other = make_partner()  # another company's quote is named like one that does not exist
    assert problem(client.post("/api/v1/requests", json={"quote_id": quote_id}, headers=token(
        other) | {"Accept-Language": "en"}), 422) == f"Unknown quote: {quote_id}."
    assert problem(client.post("/api/v1/requests", json={"quote_id": 987654}, headers=token(
        user) | {"Accept-Language": "en"}), 422) == "Unknown quote: 987654."
    problem(client.post("/api/v1/quote", json={"services": [service.id],
                                               "fields": {"area": -1}},
                        headers=token(user)), 422)


def test_an_option_sent_twice_is_priced_and_kept_once(app, client, service):
    """["courier", "courier"] charged the courier twice on the quote, the draft and its edit."""
    db.session.add(PriceRule(kind=RULE_OPTION, key="courier", label="Курьер",
                             surcharge_kopecks=1_500_00))
    db.session.commit()
    user = make_partner()
    headers = token(user)
    once = 10000_00 + 50 * 100_00 + 1_500_00
    body = {"services": [service.id], "fields": {"area": 50, "object_type": "apartment"},
            "options": ["courier", "courier", "courier"]}
    priced = client.post("/api/v1/quote", json=body, headers=headers).get_json()
    assert priced["total_kopecks"] == once and len(priced["lines"]) == 2
    created = new_draft(client, headers, service, options=["courier", "courier"]).get_json()
    req = db.session.get(Request, created["id"])
    assert (req.options, req.total_kopecks) == (["courier"], created["total_kopecks"])
    assert created["total_kopecks"] == round(10000_00 + 54.5 * 100_00) + 1_500_00  # 54,5 m²
    changed = client.patch(f"/api/v1/requests/{req.id}", json={
        "options": ["courier", "courier"], "fields": {"area": 50},
        "version": created["version"]}, headers=headers).get_json()
    assert changed["total_kopecks"] == once
    db.session.expire_all()
    assert db.session.get(Request, req.id).options == ["courier"]


@pytest.fixture
def code_of(mailbox, jobs):
    """code_of(user): the code in the newest e-mail the loopback SMTP server got for `user`."""
    def read(user) -> str:
        jobs.run()
        messages = mailbox.to(user.email)
        assert messages, "no e-mail delivered"
        return re.search(r"\b(\d{6})\b", mailbox.text(messages[-1])).group(1)
    return read


def test_submit_passes_the_confirmation_code_when_the_admin_asks_for_one(app, client, service,
                                                                        code_of):
    user = make_partner()
    headers = token(user)
    require_codes(submit=True)
    created = new_draft(client, headers, service).get_json()
    url = f"/api/v1/requests/{created['id']}/submit"
    problem(client.post(url, headers=headers), 403)  # no code: nothing submitted
    assert db.session.get(Request, created["id"]).status == Status.DRAFT
    asked = client.post("/api/v1/confirmation-codes", json={
        "purpose": "submit", "request_id": created["id"]}, headers=headers)
    assert asked.status_code in (200, 201, 202), asked.get_data(as_text=True)
    code = code_of(user)
    wrong = "000000" if code != "000000" else "111111"
    problem(client.post(url, json={"confirmation_code": wrong}, headers=headers), 403)
    done = client.post(url, json={"confirmation_code": code}, headers=headers)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert db.session.get(Request, created["id"]).status == Status.SUBMITTED
    assert db.session.query(Signature).filter_by(user_id=user.id).count() == 1


def test_saving_a_quote_takes_the_code_when_the_admin_asks_for_one(app, client, service,
                                                                   code_of):
    user = make_partner()
    headers = token(user)
    require_codes(quote=True)
    body = {"services": [service.id], "fields": {"area": 50}}
    problem(client.post("/api/v1/quotes", json=body, headers=headers), 403)
    asked = client.post("/api/v1/quotes/confirmation-code", json=body, headers=headers)
    assert asked.status_code == 201 and asked.get_json()["purpose"] == "quote"
    problem(client.post("/api/v1/quotes/confirmation-code", json=body,
                        headers=token(make_user("Manager"))), 403)
    problem(client.post("/api/v1/quote", json=body | {"confirmation_code": "1"},
                        headers=headers), 422)  # pricing takes no code
    saved = client.post("/api/v1/quotes", json=body | {"confirmation_code": code_of(user)},
                        headers=headers)
    assert saved.status_code == 201, saved.get_data(as_text=True)
    assert db.session.query(Quote).count() == 1
    assert db.session.query(Signature).filter_by(user_id=user.id).count() == 1


def test_saved_quotes_are_read_back_and_a_repeated_save_answers_the_same_quote(app, client,
                                                                              service):
    """POST /quotes answered 201 for the quote it already had (and no way to read a quote
    back): now 200 with the same id, and GET /quotes, /quotes/{id} in the owner/member
    scope of the cabinet's calculator."""
    owner = make_partner()
    member = make_partner(company=owner.profile.partner_company, owner=False)
    body = {"services": [service.id], "fields": {"area": 50, "object_type": "apartment"}}
    first = client.post("/api/v1/quotes", json=body, headers=token(owner))
    assert first.status_code == 201
    quote_id = first.get_json()["id"]
    assert first.headers["Location"] == f"/api/v1/quotes/{quote_id}"
    again = client.post("/api/v1/quotes", json=body, headers=token(owner))
    assert (again.status_code, again.get_json()["id"]) == (200, quote_id)
    assert db.session.query(Quote).count() == 1
    urgent = client.post("/api/v1/quotes", json=body | {"urgency": "urgent"},
                         headers=token(member))
    assert urgent.status_code == 201
    read = client.get(f"/api/v1/quotes/{quote_id}", headers=token(owner, "read"))
    assert read.status_code == 200
    quote = read.get_json()
    assert (quote["services"], quote["urgency"], quote["total"], quote["total_kopecks"]) == (
        [service.id], "normal", "15000.00", 15000_00)
    assert quote["fields"] == first.get_json()["fields"]  # the priced fields, as saved
    assert sum(line["price_kopecks"] for line in quote["lines"]) == quote["subtotal_kopecks"]
    assert [line["service_id"] for line in quote["lines"]] == [service.id]  # as POST said
    assert quote["subtotal_kopecks"] - quote["discount_kopecks"] == quote["total_kopecks"]
    # the owner sees the company's quotes, newest first, a page at a time; the member his own
    listed = client.get("/api/v1/quotes?limit=1", headers=token(owner, "read")).get_json()
    assert [q["id"] for q in listed["items"]] == [urgent.get_json()["id"]]
    rest = client.get(f"/api/v1/quotes?limit=1&cursor={listed['next_cursor']}",
                      headers=token(owner, "read")).get_json()
    assert ([q["id"] for q in rest["items"]], rest["next_cursor"]) == ([quote_id], None)
    mine = client.get("/api/v1/quotes", headers=token(member, "read")).get_json()
    assert [q["id"] for q in mine["items"]] == [urgent.get_json()["id"]]
    assert problem(client.get(f"/api/v1/quotes/{quote_id}", headers=token(member, "read") | {
        "Accept-Language": "en"}), 404) == f"There is no quote {quote_id} among yours."
    problem(client.get(f"/api/v1/quotes/{quote_id}", headers=token(make_partner(), "read")),
            404)
    staff = make_user("Manager")
    problem(client.get(f"/api/v1/quotes/{quote_id}", headers=token(staff, "read")), 404)
    assert client.get("/api/v1/quotes", headers=token(staff, "read")).get_json()["items"] == []
    assert problem(client.get("/api/v1/quotes?sort=total", headers=token(owner, "read") | {
        "Accept-Language": "en"}), 422) == "Unknown parameter: “sort”."


def test_the_same_services_in_another_order_are_the_same_quote(app, client, service):
    second = make_service("second")
    user = make_partner()
    body = {"services": [service.id, second.id], "fields": {"area": 50,
                                                            "object_type": "apartment"}}
    first = client.post("/api/v1/quotes", json=body, headers=token(user))
    again = client.post("/api/v1/quotes", json=body | {"services": [second.id, service.id]},
                        headers=token(user))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db.session.query(Quote).count() == 1


def test_every_api_route_answers_in_the_readers_language(app, client, service):
    """/confirmation-codes lacked the language decorator: its refusal came in Russian."""
    user = make_partner()
    headers = token(user)
    created = new_draft(client, headers, service).get_json()
    for language, said in (("en", "This action needs no confirmation code."),
                           ("ru", "код подтверждения не нужен")):
        answer = client.post("/api/v1/confirmation-codes", json={
            "purpose": "close", "request_id": created["id"]},
            headers={**headers, "Accept-Language": language})
        assert said.casefold() in problem(answer, 422).casefold(), language
    from app.api_surface import MODULES
    names = {module.bp.name for module in MODULES}
    routes = [endpoint for endpoint in app.view_functions if endpoint.split(".")[0] in names]
    assert len(routes) > 20 and [e for e in routes if not getattr(
        app.view_functions[e], "replan_api_locale", False)] == []


def test_a_key_sent_as_null_is_taken_as_not_sent(app, client, service):
    """"services": null refused the draft as having no service (docs/api.md: null = not
    sent); the client and the description stay as they were."""
    user = make_partner()
    headers = token(user)
    created = new_draft(client, headers, service, description="Снос стены",
                        new_client_name="Иван Петров").get_json()
    url = f"/api/v1/requests/{created['id']}"
    nulls = {key: None for key in ("services", "urgency", "options", "fields", "description",
                                   "end_client_id", "wanted_date", "new_client_name")}
    changed = client.patch(url, json={**nulls, "version": created["version"]}, headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    req = db.session.get(Request, created["id"])
    assert [line.service_id for line in req.lines if line.service_id] == [service.id]
    assert (req.description, req.end_client.name) == ("Снос стены", "Иван Петров")


def test_priced_lines_name_the_service_in_the_readers_language(app, client, service):
    """An English answer priced «Обмерный план помещения» (the lines kept the Russian)."""
    service.name, service.name_en = "Обмерный план", "Measured plan"
    db.session.commit()
    user = make_partner()
    english = token(user) | {"Accept-Language": "en"}
    body = {"services": [service.id], "fields": {"area": 50, "object_type": "apartment"}}
    priced = client.post("/api/v1/quote", json=body, headers=english).get_json()
    assert priced["lines"][0]["title"] == "Measured plan"
    saved = client.post("/api/v1/quotes", json=body, headers=english).get_json()
    assert client.get(f"/api/v1/quotes/{saved['id']}", headers=english).get_json()[
        "lines"][0]["title"] == "Measured plan"
    draft = new_draft(client, english, service).get_json()
    assert draft["services"][0]["title"] == "Measured plan"
    russian = client.get(f"/api/v1/requests/{draft['id']}", headers=token(user) | {
        "Accept-Language": "ru"}).get_json()
    assert russian["services"][0]["title"] == "Обмерный план"


def test_a_requests_figures_reconcile_as_its_invoice_does(app, client, service):
    """"price" 8270.00 and "total" 7856.50 with nothing between (the company's 5 %)."""
    user = make_partner()
    user.profile.partner_company.discount_percent = Decimal("5")
    db.session.commit()
    body = new_draft(client, token(user), service).get_json()
    assert body["subtotal_kopecks"] == sum(s["price_kopecks"] for s in body["services"])
    assert body["subtotal_kopecks"] - body["discount_kopecks"] == body["total_kopecks"]
    assert body["discount_kopecks"] > 0 and body["vat_mode"] == "none"
    assert body["to_pay_kopecks"] == body["total_kopecks"] == body["due_kopecks"]
