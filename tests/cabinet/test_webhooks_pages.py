"""The "Webhooks" pages: the partner company owner's in the cabinet, the admin's in the back
office; the secret shown once, the delivery log, test event, redeliver, enable, delete; every
other user refused (403/404, anonymous to the login page)."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.permissions import ADMIN, ENGINEER, MANAGER
from app.uow import unit_of_work
from app.webhooks import REQUEST_SUBMITTED, create_endpoint, send_test
from models.webhooks import WebhookDelivery, WebhookEndpoint
from tests.factories import as_user, make_partner, make_user, post
from tests.jobs.test_webhooks import Receiver, documented_verify


@pytest.fixture
def receiver(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    server = Receiver()
    server.start()
    yield server
    server.stop()


def html(response) -> str:
    return response.get_data(as_text=True)


def endpoint_of(user, url):
    with unit_of_work():
        endpoint, _secret = create_endpoint(user, url, [REQUEST_SUBMITTED])
    return endpoint


def test_owner_adds_an_endpoint_and_sees_the_secret_once(app, receiver, jobs):
    owner = make_partner()
    client = as_user(app, owner)
    page = client.get("/cabinet/webhooks")
    assert page.status_code == 200
    text = html(page)
    assert 'href="/cabinet/webhooks"' in text  # the menu entry
    assert 'type="checkbox"' in text and "request.status_changed" in text
    assert "def verify(secret" in text  # the documented verification method

    created = post(client, "/cabinet/webhooks", {
        "url": receiver.url, "description": "CRM", "events": [REQUEST_SUBMITTED,
                                                             "payment.recorded"]})
    assert created.status_code == 200
    secret = re.search(r'data-testid="webhook-secret"', html(created)) and \
        re.search(r'value="(whsec_[^"]+)"', html(created)).group(1)
    endpoint = db.session.query(WebhookEndpoint).one()
    assert endpoint.secret == secret and endpoint.events == [REQUEST_SUBMITTED,
                                                             "payment.recorded"]
    assert endpoint.company_id == owner.profile.partner_company_id
    listing = html(client.get("/cabinet/webhooks"))
    assert receiver.url.replace("&", "&amp;") in listing and secret not in listing
    detail = html(client.get(f"/cabinet/webhooks/{endpoint.id}"))
    assert secret not in detail and 'data-confirm=' in detail

    # send test event → delivered, logged with code and latency; redeliver keeps the id
    assert post(client, f"/cabinet/webhooks/{endpoint.id}/test").status_code == 302
    jobs.run()
    delivery = db.session.query(WebhookDelivery).one()
    assert delivery.status == "sent"
    assert documented_verify()(secret, receiver.received[0]["headers"],
                               receiver.received[0]["body"])
    log = html(client.get(f"/cabinet/webhooks/{endpoint.id}"))
    assert delivery.webhook_id in log and ">200<" in log and "webhook.test" in log
    assert post(client, f"/cabinet/webhooks/deliveries/{delivery.id}/redeliver") \
        .status_code == 302
    jobs.run()
    assert [p["headers"]["webhook-id"] for p in receiver.received] == [delivery.webhook_id] * 2

    assert post(client, f"/cabinet/webhooks/{endpoint.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).deleted_at is not None
    assert client.get(f"/cabinet/webhooks/{endpoint.id}").status_code == 404
    assert "webhook-none" in html(client.get("/cabinet/webhooks"))


@pytest.mark.parametrize("data,message", [
    ({"url": "http://10.0.0.1/hook", "events": [REQUEST_SUBMITTED]}, "private"),
    ({"url": "ftp://example.com/", "events": [REQUEST_SUBMITTED]}, "http"),
    ({"url": "http://127.0.0.1:9/hook"}, "event"),
    ({"url": "", "events": [REQUEST_SUBMITTED]}, ""),
])
def test_bad_input_shows_the_form_again_and_stores_nothing(app, monkeypatch, data, message):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", "10." not in data["url"])
    client = as_user(app, make_partner(locale="en"))
    answer = post(client, "/cabinet/webhooks", data)
    assert answer.status_code == 200
    assert 'role="alert"' in html(answer) and message in html(answer)
    assert "webhook-secret" not in html(answer)
    assert db.session.query(WebhookEndpoint).count() == 0


def test_everyone_else_is_refused(app, receiver):
    owner, other_owner = make_partner(), make_partner()
    member = make_partner(company=owner.profile.partner_company, owner=False)
    endpoint = endpoint_of(owner, receiver.url)
    with unit_of_work():
        send_test(owner, endpoint.id)
    delivery = db.session.query(WebhookDelivery).one()
    urls = ["/cabinet/webhooks", f"/cabinet/webhooks/{endpoint.id}"]
    posts = [f"/cabinet/webhooks/{endpoint.id}/test", f"/cabinet/webhooks/{endpoint.id}/delete",
             f"/cabinet/webhooks/{endpoint.id}/enable",
             f"/cabinet/webhooks/deliveries/{delivery.id}/redeliver"]
    for user in (member, make_user(ENGINEER), make_user(MANAGER), make_user(ADMIN)):
        client = as_user(app, user)
        for url in urls:
            assert client.get(url).status_code == 403, (user.username, url)
        for url in posts:
            assert post(client, url).status_code == 403
    member_home = html(as_user(app, member).get("/cabinet/", follow_redirects=True))
    assert 'href="/cabinet/webhooks"' not in member_home
    anonymous = app.test_client()
    for url in urls:
        answer = anonymous.get(url)
        assert answer.status_code == 302 and "/login/" in answer.headers["Location"]
    stranger = as_user(app, other_owner)
    assert stranger.get(f"/cabinet/webhooks/{endpoint.id}").status_code == 404
    assert receiver.url not in html(stranger.get("/cabinet/webhooks"))
    for url in posts:
        post(stranger, url)
    db.session.expire_all()
    row = db.session.get(WebhookEndpoint, endpoint.id)
    assert row.deleted_at is None and row.active
    assert db.session.query(WebhookDelivery).count() == 1  # no test event, no redelivery


def test_the_admin_manages_all_request_endpoints_in_the_back_office(app, receiver, jobs):
    admin = make_user(ADMIN, locale="en")
    partner_endpoint = endpoint_of(make_partner(), receiver.url)
    client = as_user(app, admin)
    page = client.get("/webhooks/")
    assert page.status_code == 200 and "Webhooks" in html(page)
    assert receiver.url.replace("&", "&amp;") not in html(page)  # the partner's is not here
    created = post(client, "/webhooks/", {"url": receiver.url + "&all=1",
                                          "events": [REQUEST_SUBMITTED]})
    assert created.status_code == 200 and "data-testid=\"webhook-secret\"" in html(created)
    endpoint = db.session.query(WebhookEndpoint).filter(
        WebhookEndpoint.company_id.is_(None)).one()
    assert client.get(f"/webhooks/{partner_endpoint.id}").status_code == 404
    assert post(client, f"/webhooks/{endpoint.id}/test").status_code == 302
    jobs.run()
    log = html(client.get(f"/webhooks/{endpoint.id}"))
    assert "webhook.test" in log and ">200<" in log
    assert post(client, f"/webhooks/{endpoint.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).deleted_at is not None
    for user in (make_partner(), make_user(MANAGER)):
        answer = as_user(app, user).get("/webhooks/")
        assert answer.status_code in (302, 403)
        assert "webhook-secret" not in html(answer)


def test_the_pages_are_in_russian_for_a_russian_owner(app, receiver):
    owner = make_partner(locale="ru")
    endpoint_of(owner, receiver.url)
    page = html(as_user(app, owner).get("/cabinet/webhooks"))
    assert "Вебхуки" in page or "Webhooks" in page
