"""Test data builders: companies, users of every role, requests in any status."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import itertools
import os
import re
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

import config
from app.accounts import create_user
from app.attachments import attach_files
from app.extensions import db
from app.deliverables import upload_package
from app.form_nonce import issue_nonce
from app.service_field_presets import add_object_fields
from app.sessions import SESSION_KEY, current_generation
from app.intake import create_draft
from app.payments import mark_payment
from app.pricing import amount_payable
from app.timefmt import local_today
from app.permissions import ENGINEER, MANAGER, PARTNER, SUPERMANAGER
from app.workflow import assign_manager, transition
from models.catalog import Service
from models.partners import PARTNER_MEMBER, PARTNER_OWNER, PartnerCompany
from models.request_status import Status
from models.requests import ATTACH_WORK

KEYS = ("REPLAN_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "REPLAN_BASE_URL",
        "REPLAN_PROXY_COUNT", "REPLAN_SECRET_KEY_FILE", "REPLAN_RATE_LIMIT")
PASSWORD = "secret-pass-1"
_seq = itertools.count(1)  # numbers in generated logins, names and INNs


def sequence_position() -> int:
    """The number the next make_company / make_user takes (nothing is used up)."""
    global _seq
    position = next(_seq)
    _seq = itertools.count(position)
    return position


def advance_sequence(position: int) -> None:
    """Go on from `position` at least: a world built by another test process (a shared
    snapshot) used the numbers below it for its logins and INNs."""
    global _seq
    _seq = itertools.count(max(next(_seq), position))


# a valid 10-digit INN for any 9-digit prefix
_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def valid_inn(n: int) -> str:
    body = f"{770000000 + n:09d}"
    check = sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11 % 10
    return body + str(check)


def make_company(name: str | None = None, discount: str = "0") -> PartnerCompany:
    n = next(_seq)
    company = PartnerCompany(name=name or f"Company {n}", inn=valid_inn(n),
                             discount_percent=Decimal(discount))
    db.session.add(company)
    db.session.flush()
    return company


def make_user(role: str, company=None, partner_role: str | None = None, username=None,
              locale: str = "ru", **kwargs):
    n = next(_seq)
    username = username or f"{role.lower()}{n}"
    user = create_user(username, f"{username}@test.example", role, f"User{n}", [role],
                       PASSWORD, company=company, partner_role=partner_role, locale=locale,
                       **kwargs)
    db.session.commit()
    return user


def make_partner(company=None, owner: bool = True, **kwargs):
    company = company or make_company()
    return make_user(PARTNER, company, PARTNER_OWNER if owner else PARTNER_MEMBER, **kwargs)


def make_service(code: str = "svc", base_rub: int = 10000, per_m2_rub: int = 100,
                 hours: int = 4) -> Service:
    service = db.session.query(Service).filter_by(code=code).one_or_none()
    if service is None:
        service = Service(code=code, name=f"Service {code}", base_price_kopecks=base_rub * 100,
                          price_per_m2_kopecks=per_m2_rub * 100, estimated_hours=hours)
        db.session.add(service)
        db.session.flush()
        add_object_fields(service)  # the redevelopment form: address, area, … (issue 12)
        service.rate_field_key = "area" if per_m2_rub else None  # priced per m²
    return service


class Staff:
    """One user of each staff role, created on demand."""

    def __init__(self):
        self.supermanager = make_user(SUPERMANAGER)
        self.manager = make_user(MANAGER)
        self.engineer = make_user(ENGINEER)


PATH = {  # action that leads into each status, in walking order
    Status.SUBMITTED: "submit", Status.ASSIGNED: "assign", Status.SCHEDULED: "schedule",
    Status.IN_PROGRESS: "start", Status.ON_REVIEW: "submit_review", Status.READY: "accept",
    Status.DELIVERED: "deliver", Status.CLOSED: "close",
}
ORDER = list(PATH)


def make_request(author, status: Status = Status.DRAFT, staff: Staff | None = None,
                 **fields):
    """A request of `author` walked through the workflow up to `status`."""
    service = make_service()
    defaults = dict(object_address="Moscow, Tverskaya 1", object_type="apartment",
                    area=Decimal("50"), urgency="normal")
    defaults.update(fields)
    req = create_draft(author, author.profile.partner_company, [service.id], **defaults)
    db.session.commit()
    if status == Status.DRAFT:
        return req
    if status in (Status.NEEDS_INFO, Status.REWORK, Status.CANCELLED):
        before = {Status.NEEDS_INFO: Status.ASSIGNED, Status.REWORK: Status.ON_REVIEW,
                  Status.CANCELLED: Status.SUBMITTED}[status]
        walk(req, before, author, staff)
        action = {Status.NEEDS_INFO: "ask_info", Status.REWORK: "return",
                  Status.CANCELLED: "cancel"}[status]
        actor = author if status == Status.CANCELLED else staff.manager
        transition(req, action, actor, "because")
        db.session.commit()
        return req
    walk(req, status, author, staff)
    return req


def walk(req, target: Status, author, staff: Staff | None) -> None:
    for status in ORDER:
        if req.status == target:
            break
        action = PATH[status]
        if action == "submit":
            transition(req, "submit", author)
        elif action == "assign":
            assign_manager(req, staff.manager, staff.supermanager)
        elif action == "schedule":
            transition(req, "schedule", staff.manager, engineer=staff.engineer)
        elif action == "submit_review":
            add_work(req, staff.engineer)
            transition(req, action, staff.engineer)
        elif action == "start":
            transition(req, action, staff.engineer)
        elif action == "deliver":
            mark_payment(req, amount_payable(req.total_kopecks), local_today(), "PP-1",
                         staff.supermanager)  # VAT on top included when the bureau adds it
            add_package(req, staff.manager)
            transition(req, "deliver", staff.manager)
        else:
            transition(req, action, staff.manager if action != "close" else author)
        db.session.flush()
    db.session.commit()


MINI_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def everyone_but_the_admin(staff: Staff) -> tuple:
    """A user of each role an admin-only page must refuse: staff of each other role, the
    director and a partner."""
    return (staff.manager, staff.supermanager, staff.engineer, make_user("Director"),
            make_partner())


def add_work(req, engineer, name: str = "Обмеры.pdf"):
    """Upload one work file of the engineer (a review needs the work: app.workflow)."""
    return attach_files(req, [FileStorage(io.BytesIO(MINI_PDF), filename=name)], engineer,
                        ATTACH_WORK)


def add_package(req, actor, name: str = "Проект.pdf"):
    """Upload a one-file document package (a new version)."""
    return upload_package(req, [FileStorage(io.BytesIO(MINI_PDF), filename=name)], actor)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html) \
        or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def form_token(client) -> str:
    """The session's CSRF token, signed as Flask-WTF signs it for a page; from a page that
    always has a form when the session holds none yet (rendering a page costs ~10 ms)."""
    with client.session_transaction() as session:
        raw = session.get("csrf_token")
    if raw:
        application = client.application
        secret = application.config.get("WTF_CSRF_SECRET_KEY") or application.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)
    return csrf_token(client.get("/cabinet/apply", follow_redirects=True).get_data(as_text=True))


def post(client, url: str, data: dict | None = None, follow: bool = False, **kwargs):
    """POST a form with the session's CSRF token and a fresh one-time form token, as a
    browser does from a freshly rendered page (app.form_nonce)."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", form_token(client))
    payload.setdefault("form_nonce", issue_nonce())
    return client.post(url, data=payload, follow_redirects=follow, **kwargs)


def login(client, username: str, password: str = PASSWORD, follow: bool = False):
    """Sign in through the login form. The CSRF token is put in the session as the login page
    puts it (Flask-WTF's generate_csrf) instead of rendering the page: ~10 ms a sign-in; the
    page itself is tested in tests/views/test_login_and_access.py."""
    with client.session_transaction() as session:
        session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": form_token(client)},
                       follow_redirects=follow)


def sign_in(client, user) -> None:
    """Leave `client`'s session as a sign-in of `user` (a user or a username) through the form
    leaves it, without the form:
    Flask-Login's keys (login_user), the session generation (app.sessions.stamp_session),
    the profile's language (app.security.on_login) and a CSRF token (the login page's).
    ~1 ms instead of ~20 ms for the POST. The form's other effects (the "login" audit row,
    FAB's last_login and login count, the lockout reset) are not written: tests of signing
    in, or of those rows, use login(). tests/views/test_sign_in_shortcut.py checks that both
    paths leave the same session."""
    if isinstance(user, str):
        user = db.session.query(User).filter_by(username=user).one()
    application = client.application
    with application.test_request_context(environ_base=client.environ_base):
        identifier = application.login_manager._session_identifier_generator()
    profile = getattr(user, "profile", None)
    with client.session_transaction() as session:
        session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        session["_user_id"] = getattr(user, application.login_manager.id_attribute)()
        session["_fresh"] = True
        session["_id"] = identifier
        session[SESSION_KEY] = current_generation(user.id)
        if profile is not None and profile.locale:
            session["locale"] = profile.locale


def as_user(app, user):
    """A test client signed in as `user` (sign_in: the session a sign-in leaves)."""
    client = app.test_client()
    sign_in(client, user)
    return client


@contextlib.contextmanager
def config_with_env(cleared=KEYS, **env):
    """The config module re-read under `env` with the `cleared` variables unset first; the
    real environment and config are restored afterwards."""
    names = set(cleared) | set(env)
    saved = {k: os.environ.get(k) for k in names}
    try:
        for key in names:
            os.environ.pop(key, None)
        os.environ.update(env)
        yield importlib.reload(config)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        importlib.reload(config)


def settings_fields(admin) -> dict:
    """The admin settings form as the page fills it (text and number fields, CSRF token)."""
    page = admin.get("/settings/").get_data(as_text=True)
    fields = dict(re.findall(r'name="([^"]+)"[^>]*type="(?:text|number)" value="([^"]*)"',
                             page))
    fields["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                     page).group(1)
    fields["payment_before_delivery"] = "y"
    return fields


@contextlib.contextmanager
def statements():
    """`with statements() as seen:` the SQL statements the block sends, in order."""
    seen = []

    def listener(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
