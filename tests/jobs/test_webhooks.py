"""Webhooks (issue 13, item 3): deliveries written with the change (outbox), signed as
docs/webhooks.md says (its snippet is run here against a real receiver on loopback), retried
after an outage with the same webhook-id, scoped to what the endpoint's owner may see, refused
for private targets (SSRF), disabled after a day of failures with an e-mail to the owner."""

from __future__ import annotations

import json
import socket
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from app.errors import Conflict, InvalidInput, NotFound, Refused
from app.extensions import db
from app.messages import add_note, post_partner_message, post_staff_message
from app.payments import mark_payment
from app.permissions import ADMIN, ENGINEER
from app.uow import unit_of_work
from app.webhooks import (EVENTS, PAYMENT_RECORDED, REQUEST_MESSAGE_CREATED,
                          REQUEST_STATUS_CHANGED, REQUEST_SUBMITTED, TargetRefused, backoff,
                          check_target, create_endpoint, delete_endpoint, deliveries_of,
                          endpoints_of, get_endpoint_or_404, redeliver, send_delivery,
                          send_test, sign, sweep_webhooks)
from app.workflow import transition
from models.base import utcnow
from models.outbox import OutboxMessage
from models.request_status import Status
from models.webhooks import WebhookDelivery, WebhookEndpoint
from tests.factories import Staff, make_partner, make_request, make_user
from tests.jobs.servers import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


def documented_verify():
    """The verification function exactly as docs/webhooks.md prints it."""
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    code = text.split("<!-- verification-snippet -->", 1)[1].split("```python\n", 1)[1]
    code = code.split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify"]


class Receiver:
    """A real HTTP server on loopback: records every POST, answers the queued codes (then 200)."""

    def __init__(self):
        self.codes: list[int] = []
        self.received: list[dict] = []
        self.server = None
        self.port = 0

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code = receiver.codes.pop(0) if receiver.codes else 200
                receiver.received.append({
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body, "code": code, "path": self.path})
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"boom " * 200 if code >= 500 else b"ok")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        serve_in_thread(self.server)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/replan?x=1"

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.received]


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def allow_private(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)


def add_endpoint(user, url, events=tuple(EVENTS)):
    with unit_of_work():
        endpoint, secret = create_endpoint(user, url, list(events), "CRM")
    return endpoint, secret


def submit(req, user):
    with unit_of_work():
        transition(req, "submit", user)


def rows(**filters) -> list[WebhookDelivery]:
    db.session.expire_all()
    return db.session.query(WebhookDelivery).filter_by(**filters) \
        .order_by(WebhookDelivery.id).all()


def test_a_submitted_request_is_posted_signed_as_documented(app, receiver, allow_private, jobs):
    owner = make_partner()
    endpoint, secret = add_endpoint(owner, receiver.url)
    assert secret.startswith("whsec_") and len(secret) > 40
    req = make_request(owner)
    submit(req, owner)
    jobs.run()

    verify = documented_verify()
    assert [e["type"] for e in receiver.events()] == [REQUEST_STATUS_CHANGED, REQUEST_SUBMITTED]
    for post in receiver.received:
        assert post["path"] == "/hooks/replan?x=1"
        assert post["headers"]["content-type"] == "application/json"
        assert post["headers"]["webhook-id"].startswith("msg_")
        assert post["headers"]["webhook-signature"].startswith("v1,")
        assert verify(secret, post["headers"], post["body"]) is True
        assert verify(secret, post["headers"], post["body"] + b" ") is False  # body changed
        assert verify("whsec_" + "A" * 44, post["headers"], post["body"]) is False
        old = dict(post["headers"], **{"webhook-timestamp": "1000000000"})
        assert verify(secret, old, post["body"]) is False  # a replayed old request
    moved, submitted = receiver.events()
    assert moved["data"]["from_status"] == "draft" and moved["data"]["to_status"] == "accepted"
    data = submitted["data"]["request"]
    assert data["number"] == req.number and data["status"] == "accepted"
    assert data["url"].endswith(f"/cabinet/requests/{req.id}")
    assert "internal_status" not in data and "company" not in data
    assert {d.status for d in rows()} == {"sent"}
    sent = rows(event_type=REQUEST_SUBMITTED)[0]
    assert sent.response_code == 200 and sent.attempts == 1 and sent.latency_ms is not None
    assert sent.webhook_id == receiver.received[1]["headers"]["webhook-id"]
    assert db.session.get(WebhookEndpoint, endpoint.id).last_success_at is not None


def test_the_signature_is_standard_webhooks_hmac():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    # the example of the Standard Webhooks specification
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_outage_is_retried_with_the_same_webhook_id_and_nothing_is_lost(
        app, receiver, allow_private, jobs):
    owner = make_partner()
    add_endpoint(owner, receiver.url, [REQUEST_SUBMITTED])
    first, second = make_request(owner), make_request(owner)
    receiver.codes = [500]
    submit(first, owner)
    jobs.run()
    failed = rows()[0]
    assert (failed.status, failed.attempts, failed.response_code) == ("failed", 1, 500)
    assert failed.last_error.startswith("HTTP 500: boom") and len(failed.last_error) <= 500
    assert utcnow() + timedelta(seconds=20) < failed.next_attempt_at
    receiver.stop()  # the receiver is down: connection refused
    submit(second, owner)
    jobs.run()
    down = rows()[1]
    assert down.status == "failed" and down.response_code is None
    assert "Connection" in down.last_error or "refused" in down.last_error
    assert sweep_webhooks() == 0  # nothing due yet (backoff)

    receiver.start()  # back on the same port
    for row in rows():
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sweep_webhooks() == 2
    jobs.run()
    assert {row.status for row in rows()} == {"sent"}
    ids = [post["headers"]["webhook-id"] for post in receiver.received]
    delivered = [post["headers"]["webhook-id"] for post in receiver.received
                 if post["code"] == 200]
    assert sorted(delivered) == sorted(row.webhook_id for row in rows())  # each once, none lost
    assert ids.count(rows()[0].webhook_id) == 2  # 500, then 200: the same id
    assert sorted(e["data"]["request"]["number"] for e in receiver.events()[1:]) == \
        sorted([first.number, second.number])
    assert sweep_webhooks() == 0


def test_backoff_grows_and_retries_end_after_a_day():
    waits = [backoff(n) for n in range(1, 12)]
    assert waits[0] == timedelta(seconds=30) and waits == sorted(waits)
    assert waits[-1] == timedelta(hours=8)
    assert timedelta(hours=20) < sum(waits[:9], timedelta()) < timedelta(hours=32)


def test_a_rolled_back_change_writes_no_delivery(app, receiver, allow_private, jobs):
    owner = make_partner()
    add_endpoint(owner, receiver.url)
    req = make_request(owner)
    with pytest.raises(RuntimeError), unit_of_work():
        transition(req, "submit", owner)
        raise RuntimeError("the change fails after the delivery was written")
    jobs.run()
    assert db.session.query(WebhookDelivery).count() == 0
    assert receiver.received == []
    db.session.expire_all()
    assert req.status == Status.DRAFT


def test_the_delivery_is_in_the_changes_transaction(app, receiver, allow_private):
    owner = make_partner()
    add_endpoint(owner, receiver.url, [REQUEST_SUBMITTED])
    req = make_request(owner)
    transition(req, "submit", owner)
    db.session.flush()
    pending = db.session.query(WebhookDelivery).one()  # written before any commit
    assert pending.status == "pending" and json.loads(pending.payload)["type"] == \
        REQUEST_SUBMITTED
    db.session.rollback()
    assert db.session.query(WebhookDelivery).count() == 0


def test_endpoints_hear_only_what_their_owner_may_see(app, receiver, allow_private, jobs):
    staff = Staff()
    owner_a, owner_b = make_partner(), make_partner()
    admin = make_user(ADMIN)
    a, _ = add_endpoint(owner_a, receiver.url)
    b, _ = add_endpoint(owner_b, receiver.url)
    everything, _ = add_endpoint(admin, receiver.url)
    req = make_request(owner_a, Status.SCHEDULED, staff)  # factories commit plainly
    with unit_of_work():
        transition(req, "start", staff.engineer)  # in_work → in_work for the partner
    with unit_of_work():
        post_staff_message(staff.manager, req, "Пришлите план БТИ")
    with unit_of_work():
        add_note(staff.manager, req, "внутренняя заметка: партнёр тянет")
    with unit_of_work():
        mark_payment(req, 12345, date.today(), "PP-7", staff.supermanager)
    assert rows(endpoint_id=b.id) == []  # another company's request
    mine = {d.event_type: json.loads(d.payload) for d in rows(endpoint_id=a.id)
            if d.event_type != REQUEST_STATUS_CHANGED}
    assert set(mine) >= {REQUEST_MESSAGE_CREATED, PAYMENT_RECORDED}
    moves = [json.loads(d.payload)["data"] for d in rows(endpoint_id=a.id,
                                                         event_type=REQUEST_STATUS_CHANGED)]
    assert all(m["from_status"] != m["to_status"] for m in moves)  # internal moves unheard
    assert all("internal_status" not in m["request"] for m in moves)
    message = mine[REQUEST_MESSAGE_CREATED]["data"]["message"]
    assert message["body"] == "Пришлите план БТИ" and message["author"] == "staff"
    payment = mine[PAYMENT_RECORDED]["data"]["payment"]
    assert payment["amount"] == "123.45" and payment["amount_kopecks"] == 12345
    every = [d for d in rows() if "внутренняя" in d.payload]
    assert every == []  # the internal note reaches no endpoint, not even the admin's
    admin_moves = [json.loads(d.payload)["data"] for d in rows(
        endpoint_id=everything.id, event_type=REQUEST_STATUS_CHANGED)]
    started = [m for m in admin_moves if m["to_internal_status"] == "in_progress"]
    assert len(started) == 1 and started[0]["request"]["company"]["id"] == req.company_id
    assert started[0]["request"]["internal_status"] == "in_progress"
    assert started[0]["request"]["url"].endswith(f"/desk/{req.id}")


def test_a_partners_answer_is_a_message_event(app, receiver, allow_private):
    staff = Staff()
    owner = make_partner()
    endpoint, _ = add_endpoint(owner, receiver.url, [REQUEST_MESSAGE_CREATED])
    req = make_request(owner, Status.NEEDS_INFO, staff)
    asked = rows(endpoint_id=endpoint.id)  # the manager's data request (its own event)
    with unit_of_work():
        assert post_partner_message(owner, req, "Вот план") is True
    sent = [row for row in rows(endpoint_id=endpoint.id) if row not in asked]
    assert len(asked) == 1 and len(sent) == 1
    message = json.loads(sent[0].payload)["data"]["message"]
    assert message["author"] == "partner" and message["body"] == "Вот план"


def test_a_managers_data_request_is_a_message_event_with_its_text(app, receiver,
                                                                 allow_private):
    """The data request is a message of the thread: its text reached the cabinet and the
    API's messages but no request.message_created (only the status change, without text)."""
    staff = Staff()
    owner = make_partner()
    endpoint, _ = add_endpoint(owner, receiver.url, [REQUEST_MESSAGE_CREATED])
    req = make_request(owner, Status.ASSIGNED, staff)
    with unit_of_work():
        transition(req, "ask_info", staff.manager, "Пришлите выписку ЕГРН")
    (sent,) = rows(endpoint_id=endpoint.id)
    message = json.loads(sent.payload)["data"]["message"]
    assert (message["author"], message["body"]) == ("staff", "Пришлите выписку ЕГРН")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://172.16.0.1/",
    "http://192.168.1.10/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
    "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://224.0.0.1/", "http://[fe80::1]/",
    "http://localhost:8080/hook",  # a host name that resolves to loopback
    "http://[64:ff9b::a00:1]/", "http://[64:ff9b::7f00:1]/",  # NAT64 of 10.0.0.1, 127.0.0.1
])
def test_private_targets_are_refused(app, url):
    owner = make_partner()
    assert not app.config["WEBHOOKS_ALLOW_PRIVATE"]
    with pytest.raises(TargetRefused) as refused, unit_of_work():
        create_endpoint(owner, url, [REQUEST_SUBMITTED])
    assert urlsplit(url).hostname in str(refused.value)  # the refusal names the host
    assert db.session.query(WebhookEndpoint).count() == 0


@pytest.mark.parametrize("url,events", [
    ("ftp://example.com/x", [REQUEST_SUBMITTED]), ("example.com/hook", [REQUEST_SUBMITTED]),
    ("https://user:pw@example.com/", [REQUEST_SUBMITTED]), ("", [REQUEST_SUBMITTED]),
    ("https://example.com:99999/", [REQUEST_SUBMITTED]),
    ("https://no-such-host.invalid/", [REQUEST_SUBMITTED]),
    ("http://127.0.0.1/" + "x" * 600, [REQUEST_SUBMITTED]),
    ("http://127.0.0.1:9/hook", []), ("http://127.0.0.1:9/hook", ["request.deleted"]),
])
def test_bad_input_is_refused_and_stores_nothing(app, allow_private, url, events):
    owner = make_partner()
    with pytest.raises(InvalidInput), unit_of_work():
        create_endpoint(owner, url, events)
    assert db.session.query(WebhookEndpoint).count() == 0


def test_the_target_is_checked_again_before_each_attempt(app, receiver, monkeypatch, jobs):
    owner = make_partner()
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    add_endpoint(owner, receiver.url, [REQUEST_SUBMITTED])
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)  # as if DNS now said so
    submit(make_request(owner), owner)
    jobs.run()
    row = rows()[0]
    assert row.status == "failed" and row.response_code is None
    assert "(127.0.0.1" in row.last_error  # the refusal names the host and its address
    assert receiver.received == []


def test_check_target_tests_every_address_of_the_host(app, monkeypatch):
    def two_addresses(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    with monkeypatch.context() as patched:  # undone before the fixtures' teardown
        patched.setattr(socket, "getaddrinfo", two_addresses)
        with pytest.raises(TargetRefused):
            check_target("https://mixed.example/hook")


def test_a_day_of_failures_gives_up_and_disables_the_endpoint_with_an_email(
        app, receiver, allow_private, jobs):
    owner = make_partner()
    endpoint, _ = add_endpoint(owner, receiver.url, [REQUEST_SUBMITTED])
    submit(make_request(owner), owner)
    jobs.run()  # delivered: 200
    receiver.codes = [500, 500]
    submit(make_request(owner), owner)
    jobs.run()
    row = rows()[-1]
    assert row.status == "failed"
    row.created_at = utcnow() - timedelta(hours=25)  # the event is a day old
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    endpoint.failure_count = 4
    endpoint.last_success_at = utcnow() - timedelta(hours=26)
    db.session.commit()
    assert send_delivery(row.id) == "given_up"
    db.session.expire_all()
    row, endpoint = db.session.get(WebhookDelivery, row.id), \
        db.session.get(WebhookEndpoint, endpoint.id)
    assert row.status == "given_up" and row.next_attempt_at is None and row.attempts == 2
    assert endpoint.active is False and endpoint.disabled_at is not None
    assert "HTTP 500" in endpoint.disabled_reason
    mail = db.session.query(OutboxMessage).filter_by(recipient=owner.email, kind="webhook").one()
    assert endpoint.url in mail.body
    # in the owner's language, with the bureau's product name (the text named "Replan" and
    # matched no translation: a Russian owner read it in English)
    assert "не смог доставить события" in mail.body and "Replan в течение" in mail.body
    # a disabled endpoint gets no new deliveries, and its waiting ones are not sent
    submit(make_request(owner), owner)
    assert len(rows()) == 2
    with pytest.raises(Conflict), unit_of_work():
        send_test(owner, endpoint.id)


def test_test_event_and_redeliver_keep_the_webhook_id(app, receiver, allow_private, jobs):
    owner = make_partner()
    endpoint, secret = add_endpoint(owner, receiver.url, [REQUEST_SUBMITTED])
    with unit_of_work():
        send_test(owner, endpoint.id)
    jobs.run()
    test = rows()[0]
    assert test.event_type == "webhook.test" and test.status == "sent"
    with unit_of_work():
        redeliver(owner, test.id)
    jobs.run()
    assert [p["headers"]["webhook-id"] for p in receiver.received] == [test.webhook_id] * 2
    assert documented_verify()(secret, receiver.received[1]["headers"],
                               receiver.received[1]["body"])
    assert rows()[0].attempts == 2 and len(rows()) == 1


def test_who_manages_which_endpoint(app, allow_private):
    owner, other_owner = make_partner(), make_partner()
    member = make_partner(company=owner.profile.partner_company, owner=False)
    engineer, admin = make_user(ENGINEER), make_user(ADMIN)
    endpoint, _ = add_endpoint(owner, "http://127.0.0.1:9/hook")
    admins, _ = add_endpoint(admin, "http://127.0.0.1:9/all")
    assert admins.company_id is None and endpoint.company_id == owner.profile.partner_company_id
    for user in (member, engineer, None):
        with pytest.raises(Refused), unit_of_work():
            create_endpoint(user, "http://127.0.0.1:9/x", [REQUEST_SUBMITTED])
        with pytest.raises(Refused):
            endpoints_of(user)
    with unit_of_work():
        send_test(owner, endpoint.id)
    delivery = rows()[0]
    for user, endpoint_id in ((other_owner, endpoint.id), (admin, endpoint.id),
                              (owner, admins.id)):
        with pytest.raises(NotFound):
            get_endpoint_or_404(user, endpoint_id)
        with pytest.raises(NotFound), unit_of_work():
            delete_endpoint(user, endpoint_id)
    for user in (other_owner, admin):
        with pytest.raises(NotFound):
            deliveries_of(user, endpoint.id)
        with pytest.raises(NotFound), unit_of_work():
            redeliver(user, delivery.id)
    assert [e.id for e in endpoints_of(owner)] == [endpoint.id]
    assert [e.id for e in endpoints_of(admin)] == [admins.id]
    with unit_of_work():
        delete_endpoint(owner, endpoint.id)
    assert endpoints_of(owner) == []


def test_a_move_reads_the_endpoints_once_for_all_its_events(app, allow_private):
    """A submit emits two events and a delivery three at most: the request's endpoints are
    read once a move, and each event still reaches only its subscribers."""
    owner = make_partner()
    add_endpoint(owner, "http://127.0.0.1:9/hooks", [REQUEST_SUBMITTED])
    add_endpoint(owner, "http://127.0.0.1:9/all")
    req = make_request(owner)
    reads = []

    def count(conn, cursor, statement, *args):
        if "FROM webhook_endpoint" in statement and "deleted_at IS NULL" in statement:
            reads.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with unit_of_work():
            transition(req, "submit", owner)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 1
    sent = sorted((d.endpoint.url, d.event_type) for d in rows())
    assert sent == [("http://127.0.0.1:9/all", REQUEST_STATUS_CHANGED),
                    ("http://127.0.0.1:9/all", REQUEST_SUBMITTED),
                    ("http://127.0.0.1:9/hooks", REQUEST_SUBMITTED)]


def test_a_public_target_is_https_only(app, monkeypatch):
    """"Адрес https:// вашего сервера", yet http://93.184.215.14/hook was taken and its
    secret shown: signed events would have travelled readable."""
    def public(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    with monkeypatch.context() as patched:
        patched.setattr(socket, "getaddrinfo", public)
        with pytest.raises(TargetRefused, match="https://"):
            check_target("http://crm.example/hook")
        assert check_target("https://crm.example/hook") == ["93.184.215.14"]
