"""Idempotency-Key on the API's creating POSTs (issue 13): the same key and body replays the
first answer, another body is 422, a key in use is 409 (also for the loser of a race through
the unique constraint), failures free the key, keys are per token and kept 24 hours."""

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from app import api_idempotency, api_requests
from app.api_tokens import create_token
from app.extensions import db
from models.api_idempotency import ApiIdempotencyKey
from models.base import utcnow
from models.catalog import Quote
from models.requests import Request
from models.service_fields import ServiceField
from tests.factories import make_partner, make_request, make_service

PROBLEM = "application/problem+json"


def token(user, scope="write"):
    row, secret = create_token(user, "CRM", scope, 30)
    db.session.commit()
    return row, {"Authorization": f"Bearer {secret}"}


def draft_body(service, address="Москва, Тверская 1"):
    return {"services": [service.id], "fields": {"address": address, "area": 40}}


@pytest.fixture
def service(app):
    svc = make_service()
    db.session.commit()
    return svc


@pytest.fixture
def optional_object_type(app, service):
    """The test catalogue has no object types: the select field is made optional."""
    db.session.query(ServiceField).filter_by(key="object_type").update({"required": False})
    db.session.commit()


def post(client, headers, body, key="key-1", path="/api/v1/requests"):
    return client.post(path, json=body, headers=headers | {"Idempotency-Key": key})


def test_the_same_key_and_body_replays_the_first_answer(app, client, service,
                                                        optional_object_type):
    user = make_partner()
    _row, headers = token(user)
    first = post(client, headers, draft_body(service))
    assert first.status_code == 201, first.get_data(as_text=True)
    assert "Idempotent-Replayed" not in first.headers
    again = post(client, headers, draft_body(service))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.query(Request).count() == 1
    stored = db.session.query(ApiIdempotencyKey).one()
    assert (stored.method, stored.path, stored.status_code) == ("POST", "/api/v1/requests", 201)
    assert len(stored.body_sha256) == 64


def test_another_body_with_the_key_is_refused(app, client, service, optional_object_type):
    user = make_partner()
    _row, headers = token(user)
    assert post(client, headers, draft_body(service)).status_code == 201
    other = post(client, headers | {"Accept-Language": "en"}, draft_body(service, "Питер"))
    assert other.status_code == 422 and other.mimetype == PROBLEM
    assert "Idempotency-Key" in other.get_json()["detail"]
    other_path = client.post(f"/api/v1/requests/{db.session.query(Request).one().id}/repeat",
                             headers=headers | {"Idempotency-Key": "key-1"})
    assert other_path.status_code == 422
    assert db.session.query(Request).count() == 1


def test_no_key_creates_each_time_and_keys_are_per_token(app, client, service,
                                                         optional_object_type):
    user = make_partner()
    _row, headers = token(user)
    _row2, headers2 = token(user)
    client.post("/api/v1/requests", json=draft_body(service), headers=headers)
    client.post("/api/v1/requests", json=draft_body(service), headers=headers)
    post(client, headers, draft_body(service))
    assert post(client, headers2, draft_body(service)).headers.get("Idempotent-Replayed") is None
    assert db.session.query(Request).count() == 4


def test_a_key_in_use_is_409(app, client, service, optional_object_type):
    user = make_partner()
    row, headers = token(user)
    body = draft_body(service)
    raw = client.application.json.dumps(body).encode()
    db.session.add(ApiIdempotencyKey(token_id=row.id, key="busy", method="POST",
                                     path="/api/v1/requests",
                                     body_sha256=hashlib.sha256(json.dumps(  # as keyed
                                         body, sort_keys=True, ensure_ascii=False,
                                         separators=(",", ":")).encode()).hexdigest()))
    db.session.commit()
    response = client.post("/api/v1/requests", data=raw, headers=headers | {
        "Idempotency-Key": "busy", "Content-Type": "application/json"})
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert db.session.query(Request).count() == 0


def test_the_loser_of_a_race_gets_409(app, client, service, optional_object_type,
                                      monkeypatch):
    """Both requests found no row; the second insert hits the unique constraint."""
    user = make_partner()
    row, headers = token(user)
    assert post(client, headers, draft_body(service), key="race").status_code == 201
    monkeypatch.setattr(api_idempotency, "_row", lambda key: None)
    response = post(client, headers, draft_body(service), key="race")
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert db.session.query(Request).count() == 1
    assert db.session.query(ApiIdempotencyKey).count() == 1


def test_a_refused_request_frees_the_key(app, client, service, optional_object_type):
    user = make_partner()
    _row, headers = token(user)
    bad = {"services": [service.id], "fields": {"area": "много"}}
    assert post(client, headers, bad, key="k").status_code == 422
    assert db.session.query(ApiIdempotencyKey).count() == 0
    assert post(client, headers, draft_body(service), key="k").status_code == 201


@pytest.mark.parametrize("key", ["", "a b", "я", "x" * 201])
def test_a_malformed_key_is_422(app, client, service, key):
    _row, headers = token(make_partner())
    response = post(client, headers, draft_body(service), key=key)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert db.session.query(Request).count() == 0


def test_keys_older_than_a_day_are_cleaned_up_and_reusable(app, client, service,
                                                           optional_object_type):
    user = make_partner()
    row, headers = token(user)
    assert post(client, headers, draft_body(service), key="old").status_code == 201
    db.session.query(ApiIdempotencyKey).update({"created_at": utcnow() - timedelta(hours=25)})
    db.session.commit()
    again = post(client, headers, draft_body(service, "Питер"), key="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert db.session.query(Request).count() == 2
    assert db.session.query(ApiIdempotencyKey).count() == 1


def test_repeat_and_quotes_are_idempotent_too(app, client, service, optional_object_type):
    user = make_partner()
    _row, headers = token(user)
    source = make_request(user)
    url = f"/api/v1/requests/{source.id}/repeat"
    first = client.post(url, headers=headers | {"Idempotency-Key": "r"})
    second = client.post(url, headers=headers | {"Idempotency-Key": "r"})
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Request).count() == 2
    body = {"services": [service.id], "fields": {"area": 40}}
    post(client, headers, body, key="q", path="/api/v1/quotes")
    replay = post(client, headers, body, key="q", path="/api/v1/quotes")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Quote).count() == 1


def test_a_read_token_with_a_key_is_still_refused(app, client, service):
    _row, headers = token(make_partner(), "read")
    response = post(client, headers, draft_body(service))
    assert response.status_code == 403
    assert db.session.query(ApiIdempotencyKey).count() == 0


def test_two_concurrent_posts_with_one_key_create_once(app, app_url, service,
                                                       optional_object_type, monkeypatch):
    """Two HTTP requests at once with the same key: one creates (201), the other is told the
    key is in use (409) or, if it comes after the first finished, gets the replay."""
    user = make_partner()
    _row, headers = token(user)
    slow = api_requests.create_request_draft

    def slow_create(*args, **kwargs):
        time.sleep(0.5)  # the first request is still running when the second arrives
        return slow(*args, **kwargs)

    monkeypatch.setattr(api_requests, "create_request_draft", slow_create)

    body = draft_body(service)

    def send(_):
        return requests.post(f"{app_url}/api/v1/requests", json=body,
                             headers=headers | {"Idempotency-Key": "together"}, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, range(2)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 409], [201, 201]), [a.text for a in answers]
    if statuses == [201, 201]:
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 1
    db.session.expire_all()
    assert db.session.query(Request).count() == 1
    assert db.session.query(ApiIdempotencyKey).one().status_code == 201


def test_the_same_object_reserialised_is_the_same_body(app, client, service):
    """The body was compared byte for byte: a client library that re-serialised the same
    object on its retry (keys in another order, indented) was told the key was used with
    another request."""
    _row, headers = token(make_partner())
    body = {"services": [service.id], "fields": {"area": 40, "object_type": "apartment"}}
    first = client.post("/api/v1/quotes", data=json.dumps(body), headers=headers | {
        "Idempotency-Key": "q", "Content-Type": "application/json"})
    again = client.post("/api/v1/quotes", data=json.dumps(
        {"fields": {"object_type": "apartment", "area": 40}, "services": [service.id]},
        indent=2), headers=headers | {"Idempotency-Key": "q", "Content-Type": "application/json"})
    assert first.status_code == 201
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    changed = client.post("/api/v1/quotes", json=body | {"urgency": "normal"},
                          headers=headers | {"Idempotency-Key": "q"})
    assert changed.status_code == 422  # another body is still another body


def test_a_body_nested_past_the_parser_with_a_key_is_422_not_500(app, client, service):
    """The key's fingerprint parsed the JSON body first and let RecursionError through."""
    _row, headers = token(make_partner())
    deep = b'{"services": [1], "fields": {"area": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    response = client.post("/api/v1/quotes", data=deep, headers=headers | {
        "Idempotency-Key": "deep", "Content-Type": "application/json"})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert db.session.query(Quote).count() == 0
