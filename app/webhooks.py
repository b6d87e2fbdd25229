"""Signed webhooks (Standard Webhooks): endpoints, the delivery outbox, and the sender.

A partner company's owner registers endpoints for the company's requests; the admin registers
endpoints for every request. Use cases that change a request call the `emit_*` functions
inside their transaction (through app.notifications, app.messages, app.payments): one
WebhookDelivery row per matching endpoint is written with the change, or not at all. After
the commit a job sends each row (app.jobs); failures are retried with exponential backoff for
RETRY_FOR (24 h) by the periodic sweep, then given up; an endpoint whose every attempt over
that window failed is disabled and its owner gets an e-mail (app.mail outbox).

Payloads never carry what the endpoint's owner may not see: a partner endpoint hears only of
its company's requests, with the partner-facing status, and only messages the partner sees.

Every request is signed: webhook-id (stable for the event), webhook-timestamp (seconds) and
webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>" keyed with the secret's
base64 part ("whsec_<base64>"). See docs/webhooks.md.

Targets are checked against SSRF at registration and again before every attempt (the
address connected to is the one checked: no DNS rebinding); redirects are never followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, or_, update

from app import jobs
from app.access import is_company_owner, require_company_owner
from app.audit import record
from app.errors import Conflict, InvalidInput, NotFound, Refused
from app.extensions import db
from app.mail import queue_mail
from app.permissions import ADMIN, role_names
from app.uow import after_commit, commit
from app.web_security import external_url
from models.base import utcnow
from models.partners import PARTNER_OWNER, UserProfile
from models.request_status import PARTNER_GROUP_OF, Action, Status
from models.webhooks import (DELIVERY_FAILED, DELIVERY_GIVEN_UP, DELIVERY_PENDING,
                             DELIVERY_SENT, WebhookDelivery, WebhookEndpoint)

log = logging.getLogger(__name__)

REQUEST_SUBMITTED = "request.submitted"
REQUEST_STATUS_CHANGED = "request.status_changed"
REQUEST_MESSAGE_CREATED = "request.message_created"
REQUEST_DELIVERED = "request.delivered"
PAYMENT_RECORDED = "payment.recorded"
TEST_EVENT = "webhook.test"
EVENTS = {
    REQUEST_SUBMITTED: _l("A request is submitted"),
    REQUEST_STATUS_CHANGED: _l("A request's status changes"),
    REQUEST_MESSAGE_CREATED: _l("A new message in a request's thread"),
    REQUEST_DELIVERED: _l("A request's documents are delivered"),
    PAYMENT_RECORDED: _l("A payment is recorded"),
}
STATUS_LABELS = {
    DELIVERY_PENDING: _l("waiting to be sent"), DELIVERY_SENT: _l("delivered (2xx)"),
    DELIVERY_FAILED: _l("failed, will retry"), DELIVERY_GIVEN_UP: _l("given up"),
}

# after the 1st, 2nd, ... failed attempt (seconds); then the last one, until RETRY_FOR ends
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600)
RETRY_FOR = timedelta(hours=24)
DISABLE_AFTER_FAILURES = 5  # and no success over a given-up delivery's 24 hours
STUCK_AFTER = timedelta(minutes=2)  # an attempt claimed this long ago died with its worker
BODY_KEPT = 300  # characters of a failed answer's body kept in last_error
URL_MAX = 500
ENDPOINTS_MAX = 10  # per company (or for the admin's all-requests endpoints)
LOG_PAGE = 50
ENQUEUE_BATCH = 500
USER_AGENT = "Replan-Webhooks/1.0"


class TargetRefused(InvalidInput):
    """The URL points where Replan does not send (private, loopback, link-local …)."""


# ---------------------------------------------------------------- signing (Standard Webhooks)

def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: "v1," + base64 HMAC-SHA256 of "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers_for(delivery: WebhookDelivery, secret: str, timestamp: int) -> dict[str, str]:
    body = delivery.payload.encode()
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
            "webhook-id": delivery.webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, delivery.webhook_id, timestamp, body)}


# ---------------------------------------------------------------- SSRF: where we send

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: Python 3.11 calls it global


def _refused_address(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    elif isinstance(address, ipaddress.IPv6Address) and address in NAT64:
        address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # the IPv4 it reaches
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified
            or not address.is_global)


def check_target(url: str) -> list[str]:
    """The addresses `url`'s host resolves to, all of them allowed; TargetRefused (with the
    reason) for a bad URL, a host that does not resolve, or any private, loopback,
    link-local, multicast or reserved address unless WEBHOOKS_ALLOW_PRIVATE is on."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("Enter a full http:// or https:// address."))
    if parts.username or parts.password:
        raise TargetRefused(_("The address must not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused(_("The address has an invalid port.")) from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise TargetRefused(_("The host %(host)s cannot be resolved.",
                              host=parts.hostname)) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise TargetRefused(_("The host %(host)s cannot be resolved.", host=parts.hostname))
    if not current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"):
        for text in addresses:
            if _refused_address(ipaddress.ip_address(text.split("%")[0])):
                raise TargetRefused(_(
                    "Webhooks are not sent to private, loopback, link-local or reserved "
                    "addresses (%(host)s is %(address)s).", host=parts.hostname,
                    address=text))
    if parts.scheme == "http" and not current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"):
        # signed, but readable on the way: the request's title, client and totals
        raise TargetRefused(_("Use an https:// address: over http the events (addresses, "
                              "amounts) travel readable by anyone on the way."))
    return addresses


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header keeps the URL's host name."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, the certificate verified for the URL's host name."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_once(url: str, headers: dict, body: bytes, timeout: float) -> tuple[int, str]:
    """POST `body` to `url` once (checked again now, redirects not followed): the status
    code and the start of the answer's body."""
    address = check_target(url)[0]
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    connection = (_PinnedHTTPS if https else _PinnedHTTP)(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(BODY_KEPT * 4).decode("utf-8", "replace")[:BODY_KEPT]
        return response.status, excerpt
    finally:
        connection.close()


# ---------------------------------------------------------------- who manages which endpoint

def is_admin(user) -> bool:
    return ADMIN in role_names(user)


def _owner_company_id(user) -> int | None:
    """None for the admin (all requests); the owned company's id for a partner owner;
    Refused for anyone else."""
    if user is None or not getattr(user, "is_authenticated", True):
        raise Refused(_("Only the company owner may do this."))
    if is_admin(user):
        return None
    return require_company_owner(user).id


def _scope(user):
    company_id = _owner_company_id(user)
    query = db.session.query(WebhookEndpoint).filter(WebhookEndpoint.deleted_at.is_(None))
    if company_id is None:
        return query.filter(WebhookEndpoint.company_id.is_(None))
    return query.filter(WebhookEndpoint.company_id == company_id)


def endpoints_of(user) -> list[WebhookEndpoint]:
    """The endpoints `user` manages (Refused for anyone who manages none), newest first."""
    return _scope(user).order_by(WebhookEndpoint.id.desc()).all()


def get_endpoint_or_404(user, endpoint_id) -> WebhookEndpoint:
    endpoint = _scope(user).filter(WebhookEndpoint.id == endpoint_id).one_or_none()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."))
    return endpoint


def deliveries_of(user, endpoint_id, limit: int = LOG_PAGE) -> list[WebhookDelivery]:
    endpoint = get_endpoint_or_404(user, endpoint_id)
    return db.session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id) \
        .order_by(WebhookDelivery.id.desc()).limit(limit).all()


def _clean_events(events) -> list[str]:
    chosen = [e for e in EVENTS if e in set(events or ())]
    if not chosen or len(chosen) != len(set(events or ())):
        raise InvalidInput(_("Choose at least one event from the list."))
    return chosen


# ---------------------------------------------------------------- use cases (caller commits)

def create_endpoint(user, url: str, events, description: str | None = None):
    """Register an endpoint: (row, secret); the secret is shown to the user once."""
    company_id = _owner_company_id(user)
    url = (url or "").strip()
    if len(url) > URL_MAX:
        raise InvalidInput(_("The address is too long (at most %(n)s characters).", n=URL_MAX))
    check_target(url)
    chosen = _clean_events(events)
    if _scope(user).count() >= ENDPOINTS_MAX:
        raise Conflict(_("At most %(n)s webhook endpoints; delete one first.", n=ENDPOINTS_MAX))
    secret = new_secret()
    endpoint = WebhookEndpoint(company_id=company_id, created_by_id=user.id, url=url,
                               description=(description or "").strip()[:200] or None,
                               events=chosen, secret=secret, active=True, failure_count=0)
    db.session.add(endpoint)
    db.session.flush()
    record("webhook_created", user, endpoint, url=url, events=chosen)
    return endpoint, secret


def delete_endpoint(user, endpoint_id) -> WebhookEndpoint:
    """Delete an endpoint: nothing more is sent to it; waiting deliveries are given up."""
    endpoint = get_endpoint_or_404(user, endpoint_id)
    endpoint.deleted_at = utcnow()
    endpoint.active = False
    db.session.query(WebhookDelivery).filter(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.status.in_((DELIVERY_PENDING, DELIVERY_FAILED))).update(
        {WebhookDelivery.status: DELIVERY_GIVEN_UP, WebhookDelivery.next_attempt_at: None,
         WebhookDelivery.last_error: "endpoint deleted"}, synchronize_session=False)
    record("webhook_deleted", user, endpoint, url=endpoint.url)
    return endpoint


def enable_endpoint(user, endpoint_id) -> WebhookEndpoint:
    """Switch a disabled endpoint back on (its failure count starts again)."""
    endpoint = get_endpoint_or_404(user, endpoint_id)
    check_target(endpoint.url)
    endpoint.active, endpoint.failure_count = True, 0
    endpoint.disabled_at = endpoint.disabled_reason = None
    record("webhook_enabled", user, endpoint, url=endpoint.url)
    return endpoint


def send_test(user, endpoint_id) -> WebhookDelivery:
    """A "webhook.test" event to one endpoint, sent after the commit."""
    endpoint = get_endpoint_or_404(user, endpoint_id)
    if not endpoint.active:
        raise Conflict(_("The endpoint is disabled: enable it first."))
    now = utcnow()
    return _add_delivery(endpoint, TEST_EVENT, None, now, {
        "endpoint_id": endpoint.id, "message": "Test event from Replan",
        "sent_by": user.get_full_name()})


def redeliver(user, delivery_id) -> WebhookDelivery:
    """Send a delivery again now, with the same webhook-id (receivers deduplicate by it).
    One of an older event than RETRY_FOR gets one attempt."""
    delivery = db.session.get(WebhookDelivery, delivery_id) if str(delivery_id).isdigit() \
        else None
    if delivery is None:
        raise NotFound(_("No such webhook delivery."))
    endpoint = get_endpoint_or_404(user, delivery.endpoint_id)  # 404 outside the scope
    if not endpoint.active:
        raise Conflict(_("The endpoint is disabled: enable it first."))
    delivery.status, delivery.next_attempt_at, delivery.claimed_at = \
        DELIVERY_PENDING, utcnow(), None
    _queue([delivery])
    return delivery


# ---------------------------------------------------------------- events → deliveries

def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat() if isinstance(value, date) else str(value)


def _money(kopecks: int | None) -> str:
    kopecks = int(kopecks or 0)
    sign_ = "-" if kopecks < 0 else ""
    return f"{sign_}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"


def _partner_status(status) -> str | None:
    return PARTNER_GROUP_OF.get(Status(status)) if status else None


def request_data(request, full: bool) -> dict:
    """The request as an endpoint sees it: partner endpoints get the partner-facing status
    and the cabinet link; the admin's also the internal status and the company."""
    data = {"id": request.id, "number": request.number,
            "status": _partner_status(request.status),
            "title": request.object_address,
            "submitted_at": _iso(request.submitted_at),
            "total": _money(request.total_kopecks), "total_kopecks": request.total_kopecks or 0,
            "paid": _money(request.paid_kopecks), "paid_kopecks": request.paid_kopecks or 0}
    if full:
        data["internal_status"] = str(request.status)
        data["company"] = {"id": request.company_id,
                           "name": request.company.name if request.company else None}
        data["url"] = external_url("DeskView.show", pk=request.id)
    else:
        data["url"] = external_url("cabinet.request_detail", request_id=request.id)
    return data


def _endpoints_for(request) -> list[WebhookEndpoint]:
    """Active endpoints that may see the request (the bureau's and its company's)."""
    if request is None or request.status == Status.DRAFT:  # drafts are the partner's alone
        return []
    return db.session.query(WebhookEndpoint).filter(
        WebhookEndpoint.active.is_(True), WebhookEndpoint.deleted_at.is_(None),
        or_(WebhookEndpoint.company_id.is_(None),
            WebhookEndpoint.company_id == request.company_id)).order_by(WebhookEndpoint.id).all()


def _add_delivery(endpoint, event_type: str, request, now, data: dict) -> WebhookDelivery:
    body = {"type": event_type, "timestamp": _iso(now), "data": data}
    delivery = WebhookDelivery(
        endpoint=endpoint, event_type=event_type, webhook_id=new_webhook_id(),
        payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        request_id=getattr(request, "id", None), status=DELIVERY_PENDING, attempts=0,
        next_attempt_at=now, created_at=now)
    db.session.add(delivery)
    _queue([delivery])
    return delivery


def emit(event_type: str, request, data_for, endpoints=None) -> list[WebhookDelivery]:
    """Write one delivery per endpoint that hears of the event; `data_for(endpoint, full)`
    gives the event's data for that endpoint, or None to skip it. Part of the caller's
    transaction (outbox): rolled back with it, sent after its commit. `endpoints`: the
    request's endpoints read already (one move emits up to three events)."""
    now, written = utcnow(), []
    if endpoints is None:
        endpoints = _endpoints_for(request)
    for endpoint in endpoints:
        if event_type not in (endpoint.events or ()):
            continue
        full = endpoint.company_id is None
        data = data_for(endpoint, full)
        if data is not None:
            written.append(_add_delivery(endpoint, event_type, request, now, data))
    return written


def emit_status_change(request, change) -> None:
    """request.status_changed for every move (partner endpoints: only when the partner's
    status changes), request.submitted and request.delivered (called by app.notifications)."""
    before, after = _partner_status(change.from_status), _partner_status(change.to_status)

    def moved(endpoint, full):
        if not full and (before == after or change.to_status == Status.DRAFT):
            return None
        data = {"request": request_data(request, full), "from_status": before,
                "to_status": after, "changed_at": _iso(change.created_at or utcnow())}
        if full:
            data.update(from_internal_status=change.from_status,
                        to_internal_status=change.to_status, action=change.action)
        return data

    endpoints = _endpoints_for(request)  # one statement a move, not one an event
    if not endpoints:
        return
    emit(REQUEST_STATUS_CHANGED, request, moved, endpoints)
    if change.action == Action.SUBMIT:
        emit(REQUEST_SUBMITTED, request,
             lambda e, full: {"request": request_data(request, full)}, endpoints)
    if change.to_status == Status.DELIVERED:
        emit(REQUEST_DELIVERED, request,
             lambda e, full: {"request": request_data(request, full)}, endpoints)


def emit_message(message) -> None:
    """request.message_created for a message the partner sees (never an internal note)."""
    if message.is_internal:
        return
    if message.id is None:
        db.session.flush()
    request = message.request
    author = message.author
    partner_side = author is not None and author.profile is not None and \
        author.profile.partner_company_id is not None

    def data(endpoint, full):
        return {"request": request_data(request, full),
                "message": {"id": message.id, "body": message.body,
                            "author": "partner" if partner_side else "staff",
                            "files": len(getattr(message, "attachments", None) or ()),
                            "created_at": _iso(message.created_at or utcnow())}}

    emit(REQUEST_MESSAGE_CREATED, request, data)


def emit_payment(payment) -> None:
    """payment.recorded for a payment marked against a request."""
    if payment.id is None:
        db.session.flush()
    request = payment.request

    def data(endpoint, full):
        return {"request": request_data(request, full),
                "payment": {"id": payment.id, "amount": _money(payment.amount_kopecks),
                            "amount_kopecks": payment.amount_kopecks,
                            "paid_on": _iso(payment.paid_on), "document": payment.document}}

    emit(PAYMENT_RECORDED, request, data)


# ---------------------------------------------------------------- sending (jobs)

def _queue(deliveries: list[WebhookDelivery]) -> None:
    if has_app_context():
        after_commit(_enqueue_committed, deliveries)


def _enqueue_committed(deliveries: list[WebhookDelivery]) -> None:
    ids = [identity[0] for identity in (inspect(row).identity for row in deliveries)
           if identity]
    enqueue_sends(ids)


def enqueue_sends(delivery_ids: list[int]) -> int:
    """One bounded attempt to enqueue send jobs; on a Redis error the sweep catches up."""
    delivery_ids = list(delivery_ids)[:ENQUEUE_BATCH]
    if not delivery_ids:
        return 0
    try:
        return jobs.enqueue_each(send_delivery, delivery_ids)  # via the module: tests swap it
    except Exception:  # Redis down or hung: the rows stay due for the sweep
        db.session.rollback()
        log.warning("could not enqueue %s webhook deliveries", len(delivery_ids),
                    exc_info=True)
        return 0


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 2 min, 10 min … 8 h."""
    index = min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1
    return timedelta(seconds=BACKOFF_SECONDS[index])


def send_delivery(delivery_id: int) -> str:
    """Attempt one due delivery if this job claims it: "sent", "retry", "given_up" or
    "skipped" (not due, claimed by another job, or its endpoint is off)."""
    now = utcnow()
    claimed = db.session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id,
        WebhookDelivery.status.in_((DELIVERY_PENDING, DELIVERY_FAILED)),
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_at.is_(None),
            WebhookDelivery.claimed_at < now - STUCK_AFTER),
    ).values(claimed_at=now)).rowcount
    db.session.commit()  # the claim, alone (no mail, no job to hand over)
    if not claimed:
        return "skipped"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active or endpoint.deleted_at is not None:
        delivery.claimed_at = None  # waits until the endpoint is enabled again
        db.session.commit()
        return "skipped"
    timestamp = int(time.time())
    started = time.monotonic()
    code, error = None, None
    try:
        code, excerpt = post_once(endpoint.url, headers_for(delivery, endpoint.secret, timestamp),
                                  delivery.payload.encode(),
                                  float(current_app.config.get("WEBHOOKS_TIMEOUT") or 5))
        if not 200 <= code < 300:
            error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400
                                      else "") + (f": {excerpt}" if excerpt.strip() else "")
    except TargetRefused as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    latency = int((time.monotonic() - started) * 1000)
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.claimed_at = now, None
    delivery.response_code, delivery.latency_ms = code, latency
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = DELIVERY_SENT, utcnow(), None
        delivery.next_attempt_at = None
        endpoint.failure_count, endpoint.last_success_at = 0, utcnow()
        db.session.commit()
        return "sent"
    delivery.last_error = error[:500]
    endpoint.failure_count = (endpoint.failure_count or 0) + 1
    retry_at = utcnow() + backoff(delivery.attempts)
    if retry_at <= delivery.created_at + RETRY_FOR:
        delivery.status, delivery.next_attempt_at = DELIVERY_FAILED, retry_at
        db.session.commit()
        log.info("webhook delivery %s failed (attempt %s): %s", delivery.id,
                 delivery.attempts, error)
        return "retry"
    delivery.status, delivery.next_attempt_at = DELIVERY_GIVEN_UP, None
    if endpoint.active and endpoint.failure_count >= DISABLE_AFTER_FAILURES and (
            endpoint.last_success_at is None or endpoint.last_success_at < delivery.created_at):
        _disable(endpoint, delivery)
    commit()  # with the owner's e-mail, handed over after the commit
    log.warning("webhook delivery %s given up after %s attempts: %s", delivery.id,
                delivery.attempts, error)
    return "given_up"


def _disable(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    endpoint.active = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = (f"Every attempt for {RETRY_FOR.total_seconds() // 3600:.0f} h "
                                f"failed; last error: {delivery.last_error}")[:300]
    record("webhook_disabled", None, endpoint, url=endpoint.url,
           reason=endpoint.disabled_reason)
    for user in _owners(endpoint):
        with force_locale((user.profile.locale if user.profile else None) or "ru"):
            page = external_url("cabinet.webhooks") if endpoint.company_id else \
                external_url("WebhooksView.index")
            queue_mail(user.email, _("%(brand)s: webhook endpoint disabled"), _(
                "Hello, %(name)s.\n\n%(brand)s could not deliver events to your webhook endpoint "
                "%(url)s for 24 hours and has disabled it. Last error: %(error)s\n\n"
                "Fix the receiver, then enable the endpoint again and redeliver what it "
                "missed: %(link)s\n", name=user.get_full_name(), url=endpoint.url,
                error=delivery.last_error or "—", link=page), kind="webhook")


def _owners(endpoint: WebhookEndpoint) -> list:
    """Who hears that an endpoint is disabled: the company's active owners, or the admin
    who registered an all-requests endpoint (else every active admin)."""
    if endpoint.company_id is not None:
        return db.session.query(User).join(UserProfile, UserProfile.user_id == User.id).filter(
            UserProfile.partner_company_id == endpoint.company_id,
            UserProfile.partner_role == PARTNER_OWNER, User.active.is_(True),
            User.email.isnot(None)).order_by(User.id).all()
    creator = endpoint.created_by
    if creator is not None and creator.active and creator.email and is_admin(creator):
        return [creator]
    return db.session.query(User).join(User.roles).filter(
        Role.name == ADMIN, User.active.is_(True)).order_by(User.id).all()


def due_delivery_ids(limit: int = ENQUEUE_BATCH) -> list[int]:
    now = utcnow()
    return [row_id for (row_id,) in db.session.query(WebhookDelivery.id).join(
        WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id).filter(
        WebhookDelivery.status.in_((DELIVERY_PENDING, DELIVERY_FAILED)),
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_at.is_(None),
            WebhookDelivery.claimed_at < now - STUCK_AFTER),
        WebhookEndpoint.active.is_(True)).order_by(
        WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)]


def sweep_webhooks() -> int:
    """Periodic: enqueue every due delivery (retries after backoff, rows whose enqueue
    failed, attempts whose worker died)."""
    ids = due_delivery_ids()
    db.session.rollback()
    return enqueue_sends(ids)


def owner_can_manage(user) -> bool:
    """Whether the menu offers "Webhooks" to this user (partner owners; the admin)."""
    return is_admin(user) or is_company_owner(user)
