"""The API's edges found by an attack run on PostgreSQL: text no database stores (a lone
surrogate from a JSON "\\udcff", a NUL in a body not labelled JSON) is a 400 before any
use case (they were 500s); a body sent as a form is no JSON (a move went through with its
version unread); If-Match is honoured by the partner's and staff's moves (it was ignored); a
quote code is sent only when the admin asks for one; a large JSON body is 413 everywhere."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from models.request_status import Status
from models.requests import Request
from models.signatures import ConfirmationCode
from tests.api import test_api_requests as api_requests
from tests.api.test_api_requests import FIELDS, problem, token
from tests.factories import Staff, make_partner, make_request
from tests.unit.test_signature_codes import require_codes

service = api_requests.service  # the fixture: the redevelopment service and its rules
BAD_TEXT = ['"\\udcff"', '"a\\ud800b"', '"a\\u0000b"']


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_text_no_database_stores_is_refused_at_the_edge(app, client, service, text,
                                                         content_type):
    user = make_partner()
    body = json.dumps({"services": [service.id], "fields": FIELDS})[:-1] + \
        f', "description": {text}}}'
    headers = token(user) | ({"Content-Type": content_type} if content_type else {})
    response = client.post("/api/v1/requests", data=body.encode(), headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert db.session.query(Request).count() == 0
    req = make_request(user)
    db.session.commit()
    moved = client.patch(f"/api/v1/requests/{req.id}", headers=headers, data=json.dumps(
        {"version": req.version})[:-1].encode() + f', "description": {text}}}'.encode())
    assert moved.status_code == 400
    db.session.expire_all()
    assert db.session.get(Request, req.id).description is None


@pytest.mark.parametrize("language, detail", [
    ("en", "The request contains a forbidden character (NUL or an unpaired surrogate)."),
    ("ru", "В запросе есть запрещённый символ (NUL или непарный суррогат)."),
])
def test_the_400_speaks_the_asked_language(app, client, service, language, detail):
    """The edge's 400 was worded before the API knew its reader: Russian for every client."""
    user = make_partner()
    req = make_request(user)
    db.session.commit()
    response = client.post(f"/api/v1/requests/{req.id}/messages", headers=token(user) | {
        "Accept-Language": language}, data=b'{"body": "nul\\u0000byte"}',
        content_type="application/json")
    assert problem(response, 400).startswith(detail)


def test_a_move_sent_as_a_form_is_no_json(app, client, service):
    user = make_partner()
    req = make_request(user)
    db.session.commit()
    response = client.post(f"/api/v1/requests/{req.id}/submit", headers=token(user),
                           data={"version": "999", "zzz": "1"})
    problem(response, 422)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.DRAFT


def test_if_match_is_honoured_by_the_moves(app, client, service):
    user = make_partner()
    draft = make_request(user)
    db.session.commit()
    headers = token(user)
    problem(client.post(f"/api/v1/requests/{draft.id}/submit",
                        headers=headers | {"If-Match": '"0"'}), 409)
    db.session.expire_all()
    assert db.session.get(Request, draft.id).status == Status.DRAFT
    done = client.post(f"/api/v1/requests/{draft.id}/submit",
                       headers=headers | {"If-Match": f'"{draft.version}"'})
    assert done.status_code == 200, done.get_data(as_text=True)
    staff = Staff()
    submitted = make_request(make_partner(), Status.SUBMITTED, staff)
    db.session.commit()
    stale = client.post(f"/api/v1/requests/{submitted.id}/cancel",
                        headers=token(submitted.author) | {"If-Match": '"0"'}, json={})
    problem(stale, 409)
    db.session.expire_all()
    assert db.session.get(Request, submitted.id).status == Status.SUBMITTED
    any_version = client.post(f"/api/v1/requests/{submitted.id}/cancel",
                              headers=token(submitted.author) | {"If-Match": "*"}, json={})
    assert any_version.status_code == 200, any_version.get_data(as_text=True)


def test_a_quote_code_is_sent_only_when_asked_for(app, client, service):
    user = make_partner()
    body = {"services": [service.id], "fields": {"area": 50}}
    detail = problem(client.post("/api/v1/quotes/confirmation-code", json=body,
                                 headers=token(user)), 422)
    assert detail == "Для этого действия код подтверждения не нужен."
    assert db.session.query(ConfirmationCode).count() == 0
    require_codes(quote=True)
    asked = client.post("/api/v1/quotes/confirmation-code", json=body, headers=token(user))
    assert asked.status_code == 201 and db.session.query(ConfirmationCode).count() == 1


def test_a_large_json_body_is_413_on_every_endpoint(app, client, service):
    user = make_partner()
    req = make_request(user, Status.SUBMITTED, Staff())
    db.session.commit()
    big = {"body": "x" * (300 * 1024)}
    assert problem(client.post(f"/api/v1/requests/{req.id}/messages", json=big,
                               headers=token(user)), 413) == (  # a body, not an upload
        "Тело запроса больше, чем принимает сервер: JSON — не больше 256 КиБ.")
    assert problem(client.post("/api/v1/quotes", json=big, headers=token(user) | {
        "Accept-Language": "en"}), 413) == ("The request body is larger than the server "
                                            "accepts: a JSON body has at most 256 KiB.")


FULL_WIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17"
                                        "\uff18\uff19")


@pytest.mark.parametrize("written", ["0{id}", "{wide}", "2147483648", "9" * 30])
def test_an_id_is_written_once_and_in_range(app, client, service, written):
    """/requests/04 and a full-width ４ named request 4 under other addresses; an id above
    INTEGER's range was a 405 for a PATCH (the path did not match). All are 404 now."""
    user = make_partner()
    req = make_request(user)
    db.session.commit()
    part = written.format(id=req.id, wide=str(req.id).translate(FULL_WIDTH))
    headers = token(user)
    assert client.get(f"/api/v1/requests/{req.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/requests/{part}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/requests/{part}", headers=headers,
                        json={"version": 1}).status_code == 404
    assert client.post(f"/api/v1/requests/{part}/messages", headers=headers,
                       json={"body": "x"}).status_code == 404


def test_a_wrong_unread_flag_is_named_as_unread(app, client):
    detail = problem(client.get("/api/v1/notifications?unread=maybe",
                                headers=token(make_partner())), 422)
    assert detail == "«unread» — true или false."


def test_a_message_with_an_unknown_key_is_refused(app, client, service):
    user = make_partner()
    req = make_request(user, Status.SUBMITTED, Staff())
    db.session.commit()
    detail = problem(client.post(f"/api/v1/requests/{req.id}/messages", json={
        "body": "Добрый день", "zzz": 1}, headers=token(user)), 422)
    assert detail == "Неизвестное поле: «zzz»."
    sent = client.post(f"/api/v1/requests/{req.id}/messages", json={"body": "Добрый день"},
                       headers=token(user))
    assert sent.status_code == 201, sent.get_data(as_text=True)


def test_unknown_query_parameters_and_values_are_refused(app, client):
    partner, manager = make_partner(), Staff().manager
    db.session.commit()
    assert problem(client.get("/api/v1/notifications?zzz=1", headers=token(partner)),
                   422) == "Неизвестный параметр: «zzz»."
    assert client.get("/api/v1/notifications?unread=true",
                      headers=token(partner)).status_code == 200
    staff = token(manager)
    assert problem(client.get("/api/v1/requests?date_by=zzz", headers=staff), 422) == \
        "«date_by» — одно из: created, submitted."
    assert problem(client.get("/api/v1/requests?from=2020-1-1", headers=staff), 422) == \
        "«from» должно быть датой в виде ГГГГ-ММ-ДД."
    # a day written right but out of range is named for what it is, not for its format
    assert problem(client.get("/api/v1/requests?to=0001-01-01", headers=staff), 422) == \
        "«to» — день в годах с 1900 по 9998."
    assert client.get("/api/v1/requests?date_by=submitted&from=2020-01-01",
                      headers=staff).status_code == 200


def test_a_very_long_number_and_a_far_day_are_named_for_what_they_are(app, client, service):
    """A 5 000-digit number was "not valid JSON" (it is valid); 9999-12-31 was told to be
    "a date YYYY-MM-DD" (it is one: the range was the problem)."""
    user = make_partner()
    english = token(user) | {"Accept-Language": "en", "Content-Type": "application/json"}
    body = '{"services": [%d], "fields": {"area": %s}}' % (service.id, "1" * 5000)
    assert problem(client.post("/api/v1/quote", data=body, headers=english), 422) == (
        "A number in the body has more than 40 digits.")
    far = client.post("/api/v1/requests", json={"services": [service.id],
                                                "wanted_date": "9999-12-31"},
                      headers=token(user) | {"Accept-Language": "en"})
    assert problem(far, 422) == "“wanted_date” must be a day of the years 1900 to 2200."
