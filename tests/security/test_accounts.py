"""Accounts under attack (findings 5, 6, 7, 9 and 13 of issue 8): e-mail extraction, Host
header links, brute force and the JWT API, weak passwords and unguarded changes, reset tokens."""

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from flask_appbuilder.security.sqla.models import Role, User

from app.auth_tokens import issue_token
from app.extensions import db
from app.mail import REMOVED_BODY
from config import TestConfig
from models.base import utcnow
from models.outbox import OutboxMessage
from models.partners import PartnerApplication
from models.security import AuthToken
from tests.factories import (PASSWORD, as_user, config_with_env, csrf_token, login, make_partner,
                             make_user, post, valid_inn)

BASE = "https://replan.example"
NEW_PASSWORD = "quiet-harbour-lantern"
APPLICATION = {"company_name": "ООО «Дом»", "contact_name": "Ирина Соколова",
               "phone": "+7 900 111-22-33", "city": "Москва", "comment": "", "consent": "y"}


@pytest.fixture(autouse=True)
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE)


def english(client):
    client.get("/lang/en")
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def link_in(mail) -> str:
    return re.search(r"https?://\S+", mail.get_body(("plain",)).get_content()).group(0)


def ask_reset(client, email, **kwargs):
    return post(client, "/cabinet/password-reset", {"email": email}, **kwargs)


def apply(client, email, n):
    return post(client, "/cabinet/apply", {**APPLICATION, "email": email, "inn": valid_inn(n)})


def reset_link(app, mailbox, jobs, user) -> str:
    ask_reset(app.test_client(), user.email)
    jobs.run()
    return link_in(mailbox.to(user.email)[-1])


# -- finding 5: no e-mail extraction through the application and reset forms ---------------

def answer(response) -> tuple:
    return response.status_code, response.headers.get("Location"), text(response)


def test_wildcard_addresses_reach_nobody_and_change_no_answer(app, client, mailbox, jobs):
    user = make_user("Manager", username="ad")  # not an admin: admins hear of applications
    wildcards = ("ad%@test.example", "%@test.example", "a_@test.example", "AD%@TEST.EXAMPLE")
    resets = {answer(ask_reset(client, a)) for a in (*wildcards, "nobody@test.example")}
    applications = {answer(apply(client, a, n))
                    for n, a in enumerate((*wildcards, "nobody@test.example"), start=800)}
    jobs.run()
    assert len(resets) == 1 and len(applications) == 1
    assert mailbox.to(user.email) == [] and db.session.query(AuthToken).count() == 0
    # each wildcard was filed as a plain address; only the upper-case repeat is set aside,
    # as a duplicate of its own first application, never matched against the admin
    assert db.session.query(PartnerApplication).filter_by(status="pending").count() == 4


def test_reset_answer_is_identical_for_known_and_unknown_addresses(app, mailbox, jobs):
    make_partner(username="anna")
    known, unknown = english(app.test_client()), english(app.test_client())
    assert answer(ask_reset(known, "ANNA@Test.Example")) == \
        answer(ask_reset(unknown, "nobody@test.example"))
    for client in (known, unknown):
        assert "If the e-mail is registered, a reset link is on its way." in \
            text(client.get("/login/"))
    jobs.run()
    (mail,) = mailbox.messages  # exact match, ignoring case
    assert mail["To"] == "anna@test.example"
    assert urlsplit(link_in(mail)).path.startswith("/cabinet/password-reset/")


def test_application_answer_is_identical_and_the_owner_is_told_by_mail(app, mailbox, jobs):
    owner = make_partner(username="irina")
    known = apply(app.test_client(), "Irina@Test.Example", 810)
    unknown = apply(app.test_client(), "new@test.example", 811)
    assert answer(known) == answer(unknown)
    jobs.run()
    statuses = dict(db.session.query(PartnerApplication.email, PartnerApplication.status))
    assert statuses == {"irina@test.example": "rejected", "new@test.example": "pending"}
    (notice,) = mailbox.to(owner.email)
    assert "/cabinet/password-reset" in notice.get_body(("plain",)).get_content()
    assert mailbox.to("new@test.example") == []


# -- finding 6: links in e-mails come from BASE_URL, never from the Host header ------------

def test_reset_link_ignores_the_host_header(app, mailbox, jobs):
    user = make_partner(username="anna")
    evil = app.test_client()
    page = evil.get("/cabinet/password-reset", base_url="http://evil.example")
    evil.post("/cabinet/password-reset", base_url="http://evil.example",
              headers={"X-Forwarded-Host": "evil.example"},
              data={"email": user.email, "csrf_token": csrf_token(text(page))})
    jobs.run()
    (mail,) = mailbox.to(user.email)
    body = mail.get_body(("plain",)).get_content()
    assert link_in(mail).startswith(f"{BASE}/cabinet/password-reset/")
    assert "evil.example" not in body


# -- finding 7: brute force, the JWT API, limits always on ---------------------------------

@pytest.fixture
def lockout(app, monkeypatch):
    """Rate limiting on, as outside the tests, with counters of this test only."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.delitem(app.extensions, "replan_login_lockout", raising=False)


def signed_in_after(response) -> bool:
    return response.status_code == 302 and not response.headers["Location"].startswith("/login")


def test_forty_wrong_passwords_then_the_right_one_is_locked_with_a_notice(app, lockout, jobs):
    make_user("Manager", username="mgr")
    client = english(app.test_client())
    assert not any(signed_in_after(login(client, "mgr", f"guess-{n}")) for n in range(40))
    jobs.run()
    notices = db.session.query(OutboxMessage).filter_by(kind="security").all()
    assert [m.recipient for m in notices] == ["mgr@test.example"]  # once, to the owner
    assert f"{BASE}/cabinet/password-reset" in notices[0].body
    page = login(client, "mgr", follow=True)
    minutes = re.search(r"Too many failed attempts for this account\. Try again in (\d+) min\. "
                        r"or reset the password\.", text(page))
    assert page.request.path == "/login/" and minutes and 1 <= int(minutes.group(1)) <= 15
    assert client.get("/requests/list/").status_code == 302
    # the e-mail counts for the same account; other accounts are not affected
    assert not signed_in_after(login(app.test_client(), "mgr@test.example"))
    make_user("Manager", username="other")
    assert signed_in_after(login(app.test_client(), "other"))


def test_unknown_logins_lock_the_same_way_and_a_success_resets_the_count(app, lockout):
    client = english(app.test_client())
    for _ in range(6):
        login(client, "ghost", "guess")
    assert "Too many failed attempts" in text(login(client, "ghost", "guess", follow=True))
    make_user("Manager", username="mgr")
    for _ in range(2):
        for _ in range(4):
            login(app.test_client(), "mgr", "guess")
        assert signed_in_after(login(app.test_client(), "mgr"))
    assert db.session.query(OutboxMessage).filter_by(kind="security").count() == 0


def test_lock_counters_are_shared_through_redis_and_survive_its_outage(app, lockout,
                                                                      monkeypatch):
    """Every worker sees the same counters; with Redis stopped each worker still counts."""
    from tests.jobs.servers import RedisServer, redis_binary

    server = RedisServer(redis_binary())
    server.start()
    try:
        monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", server.url)
        make_user("Manager", username="mgr")
        for _ in range(5):
            login(app.test_client(), "mgr", "guess")
        app.extensions.pop("replan_login_lockout")  # another worker: its own connections
        assert not signed_in_after(login(app.test_client(), "mgr"))
    finally:
        server.stop()
    make_user("Manager", username="other")
    for _ in range(5):
        assert not signed_in_after(login(app.test_client(), "other", "guess"))
    assert not signed_in_after(login(app.test_client(), "other"))


@pytest.mark.parametrize("blocked", [False, True])
def test_fab_jwt_login_and_refresh_are_gone(app, client, blocked):
    partner = make_partner(username="p1")
    partner.profile.partner_company.is_blocked = blocked
    db.session.commit()
    for url in ("/api/v1/security/login", "/api/v1/security/refresh"):
        response = client.post(url, json={"username": "p1", "password": PASSWORD,
                                          "provider": "db", "refresh": True})
        assert response.status_code == 404 and "access_token" not in text(response)
    assert not any(r.rule.startswith("/api/v1/security") for r in app.url_map.iter_rules())


def test_blocked_company_user_cannot_sign_in_at_all(app, client):
    partner = make_partner(username="p1")
    partner.profile.partner_company.is_blocked = True
    db.session.commit()
    assert not signed_in_after(login(client, "p1"))


@pytest.mark.parametrize("proxies, other_ip", [("0", 429), ("1", 302)])
def test_rate_limits_are_on_by_default_and_key_on_the_proxied_client_address(app, make_app,
                                                                             proxies, other_ip):
    """`make run` has no REPLAN_RATE_LIMIT and no Redis: limits on, in memory; behind one
    trusted proxy each client address has its own budget, without one X-Forwarded-For is
    ignored. (The limiter is built at start-up, hence an app of its own.)"""
    with config_with_env(DATABASE_URL=TestConfig.SQLALCHEMY_DATABASE_URI,
                         REPLAN_ENV="development", REPLAN_PROXY_COUNT=proxies) as config:
        limited = make_app(config.Config, WTF_CSRF_ENABLED=False, AUTH_DB_FAKE_PASSWORD_HASH_CHECK=
                           TestConfig.AUTH_DB_FAKE_PASSWORD_HASH_CHECK)
    client = limited.test_client()

    def attempt(ip):
        return client.post("/login/", data={"username": "nobody", "password": "x"},
                           headers={"X-Forwarded-For": ip}).status_code

    assert limited.config["RATELIMIT_ENABLED"] is True
    assert [attempt("203.0.113.1") for _ in range(21)][-2:] == [302, 429]
    assert attempt("203.0.113.2") == other_ip


# -- finding 9: one password policy, current password required, e-mail change confirmed ----

WEAK = ["x", "password", "12345678", "1234567890", "qwertyuiop", "anna-anna-anna"]


def password_of(user_id) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).password


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_by_the_cabinet_forms(app, mailbox, jobs, weak):
    user = make_partner(username="anna", locale="en")
    client = as_user(app, user)
    before = password_of(user.id)
    page = post(client, "/cabinet/password", {"current_password": PASSWORD,
                                              "new_password": weak, "confirm": weak})
    assert page.status_code == 200 and password_of(user.id) == before
    assert re.search(r"at least 10 characters|too common or too easy", text(page))
    link = urlsplit(reset_link(app, mailbox, jobs, user)).path
    page = post(app.test_client(), link, {"new_password": weak, "confirm": weak})
    assert page.status_code == 200 and password_of(user.id) == before


def fab_form(client, url, data):
    token = csrf_token(text(client.get(url)))
    return client.post(url, data={**data, "csrf_token": token})


def test_fab_own_password_form_needs_the_current_password_and_the_policy(app):
    staff = make_user("Manager", username="mgr", locale="en")
    client, other = as_user(app, staff), as_user(app, staff)
    before = password_of(staff.id)
    for data in ({"current_password": PASSWORD, "password": "x", "conf_password": "x"},
                 {"current_password": PASSWORD, "password": "1234567890",
                  "conf_password": "1234567890"},
                 {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
                 {"current_password": "wrong", "password": NEW_PASSWORD,
                  "conf_password": NEW_PASSWORD}):
        assert fab_form(client, "/resetmypassword/form", data).status_code == 200
        assert password_of(staff.id) == before, data
    fab_form(client, "/resetmypassword/form", {"current_password": PASSWORD,
                                               "password": NEW_PASSWORD,
                                               "conf_password": NEW_PASSWORD})
    assert password_of(staff.id) != before
    assert client.get("/requests/list/").status_code == 200  # this session stays
    assert other.get("/requests/list/").status_code == 302  # every other one ends
    assert signed_in_after(login(app.test_client(), "mgr", NEW_PASSWORD))


def test_admin_forms_apply_the_policy_and_end_the_users_sessions(app):
    admin = as_user(app, make_user("Admin", username="boss"))
    staff = make_user("Manager", username="mgr")
    victim_session = as_user(app, staff)
    role = db.session.query(Role).filter_by(name="Manager").one()
    new_user = {"first_name": "Ivan", "last_name": "I", "username": "ivan", "active": "y",
                "email": "Ivan@Test.Example", "roles": str(role.id)}
    fab_form(admin, "/users/add", {**new_user, "password": "12345678",
                                   "conf_password": "12345678"})
    assert db.session.query(User).filter_by(username="ivan").count() == 0
    fab_form(admin, "/users/add", {**new_user, "password": NEW_PASSWORD,
                                   "conf_password": NEW_PASSWORD})
    assert db.session.query(User).filter_by(username="ivan").one().email == "ivan@test.example"
    before = password_of(staff.id)
    url = f"/resetpassword/form?pk={staff.id}"
    form_page = admin.get(url).get_data(as_text=True)  # no more "the app does not check"
    assert "не контролирует" not in form_page and "Не меньше 10 символов" in form_page
    fab_form(admin, url, {"password": "password", "conf_password": "password"})
    assert password_of(staff.id) == before
    fab_form(admin, url, {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert password_of(staff.id) != before
    assert victim_session.get("/requests/list/").status_code == 302


def profile_form(user, email, password=None):
    data = {"first_name": user.first_name, "last_name": user.last_name, "phone": "",
            "email": email, "locale": "en"}
    return data if password is None else {**data, "current_password": password}


def test_email_change_needs_the_password_and_a_link_opened_from_the_new_address(app, mailbox,
                                                                               jobs):
    user = make_partner(username="anna", locale="en")
    client = as_user(app, user)
    for password in (None, "wrong-password"):
        page = post(client, "/cabinet/profile", profile_form(user, "evil@test.example",
                                                             password))
        assert page.status_code == 200 and "current password" in text(page)
    assert db.session.query(AuthToken).count() == 0 and mailbox.messages == []
    post(client, "/cabinet/profile", profile_form(user, "Anna.New@Test.Example", PASSWORD))
    jobs.run()
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "anna@test.example"  # not yet
    (mail,) = mailbox.to("anna.new@test.example")
    link = link_in(mail)
    assert link.startswith(f"{BASE}/cabinet/email-confirm/")
    assert as_user(app, make_partner(username="bob")).get(urlsplit(link).path).status_code == 404
    client.get(urlsplit(link).path)
    jobs.run()
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "anna.new@test.example"
    assert "anna.new@test.example" in mailbox.to("anna@test.example")[0].get_body(
        ("plain",)).get_content()
    client.get(urlsplit(link).path)  # used: nothing changes
    assert db.session.query(AuthToken).filter(AuthToken.used_at.is_(None)).count() == 0


def test_blocking_ends_every_session_team_admin_and_company(app):
    owner = make_partner(username="owner")
    member = make_partner(owner.profile.partner_company, owner=False, username="member")
    staff = make_user("Manager", username="mgr")
    sessions = {u.id: as_user(app, u) for u in (owner, member, staff)}
    post(as_user(app, owner), f"/cabinet/team/{member.id}/toggle", {"comment": ""})
    assert sessions[member.id].get("/cabinet/").status_code == 302
    admin = as_user(app, make_user("Admin", username="boss"))
    role = db.session.query(Role).filter_by(name="Manager").one()
    fab_form(admin, f"/users/edit/{staff.id}", {
        "first_name": "M", "last_name": "M", "username": "mgr", "email": staff.email,
        "roles": str(role.id)})  # "active" unticked
    assert sessions[staff.id].get("/requests/list/").status_code == 302
    company = owner.profile.partner_company
    fab_form(admin, f"/companies/edit/{company.id}", {
        "name": company.name, "city": "", "phone": "", "email": "", "discount_percent": "0",
        "is_blocked": "y"})
    from app.sessions import current_generation

    assert current_generation(owner.id) == 1
    assert sessions[owner.id].get("/cabinet/").status_code == 302


# -- finding 13: reset tokens random, hashed, single use, expiring; bodies erased -----------

def token_of(link: str) -> str:
    return urlsplit(link).path.rsplit("/", 1)[1]


def test_reset_token_is_random_hashed_single_use_and_erased_from_the_outbox(app, mailbox,
                                                                           jobs):
    user = make_partner(username="anna")
    link = reset_link(app, mailbox, jobs, user)
    token = token_of(link)
    password_hash = password_of(user.id)
    assert len(token) >= 43
    assert not any(password_hash[i:i + 6] in token for i in range(len(password_hash) - 5))
    (row,) = db.session.query(AuthToken).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.payload or "")
    (sent,) = db.session.query(OutboxMessage).filter_by(kind="password_reset").all()
    assert sent.sensitive and sent.body == REMOVED_BODY and token not in sent.body
    client = english(app.test_client())
    post(client, urlsplit(link).path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert signed_in_after(login(app.test_client(), "anna", NEW_PASSWORD))
    reused = post(client, urlsplit(link).path, {"new_password": "other-" + NEW_PASSWORD,
                                                "confirm": "other-" + NEW_PASSWORD},
                  follow=True)
    assert "already used" in text(reused)
    assert signed_in_after(login(app.test_client(), "anna", NEW_PASSWORD))


def test_reset_token_expires_and_a_newer_one_or_a_password_change_voids_it(app, mailbox,
                                                                          jobs):
    user = make_partner(username="anna")
    client = english(app.test_client())
    expired = issue_token(user.id, "reset")
    db.session.query(AuthToken).update({"expires_at": utcnow()})
    db.session.commit()
    assert "expired" in text(client.get(f"/cabinet/password-reset/{expired}",
                                        follow_redirects=True))
    first = token_of(reset_link(app, mailbox, jobs, user))
    second = token_of(reset_link(app, mailbox, jobs, user))
    assert "already used" in text(client.get(f"/cabinet/password-reset/{first}",
                                             follow_redirects=True))
    post(as_user(app, user), "/cabinet/password", {"current_password": PASSWORD,
                                                   "new_password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert "already used" in text(client.get(f"/cabinet/password-reset/{second}",
                                             follow_redirects=True))
    assert client.get("/cabinet/password-reset/" + "A" * 43).status_code == 404


def test_one_time_password_mail_is_erased_once_sent(app, mailbox, jobs):
    from app.partners import invite_member

    owner = make_partner(username="owner")
    invite_member(owner.profile.partner_company, owner, "Ivan", "I", "ivan@test.example")
    db.session.commit()
    from app.mail import flush_outbox

    flush_outbox()
    jobs.run()
    (mail,) = mailbox.to("ivan@test.example")
    assert BASE in mail.get_body(("plain",)).get_content()
    (row,) = db.session.query(OutboxMessage).filter_by(kind="credentials").all()
    assert row.sensitive and row.body == REMOVED_BODY


# -- invitations: the one-time password expires ---------------------------------------------

def invited_member(owner, email: str):
    """A colleague invited by the owner, and the one-time password of the invitation mail."""
    from app.partners import invite_member

    member = invite_member(owner.profile.partner_company, owner, "Ivan", "Petrov", email)
    db.session.commit()
    body = db.session.query(OutboxMessage).filter_by(recipient=email).one().body
    return member, re.search(r"(?:One-time password|Одноразовый пароль): (\S+)", body).group(1)


def test_one_time_password_of_an_invitation_expires(app):
    from datetime import datetime, timedelta

    from app.accounts import ONE_TIME_PASSWORD_DAYS

    owner = make_partner(username="owner")
    fresh, fresh_password = invited_member(owner, "fresh@test.example")
    old, old_password = invited_member(owner, "old@test.example")
    old.created_on = datetime.now() - timedelta(days=ONE_TIME_PASSWORD_DAYS, minutes=1)
    db.session.commit()
    client = english(app.test_client())
    page = login(client, old.username, old_password, follow=True)
    assert "The one-time password has expired" in text(page)
    assert client.get("/cabinet/requests").status_code == 302  # not signed in
    assert signed_in_after(login(app.test_client(), fresh.username, fresh_password))


def test_actions_that_mail_on_a_users_word_have_a_budget_per_user(app, lockout, monkeypatch):
    """Invitations, e-mail changes and messages went out as fast as the form was sent (42
    e-mails a minute to addresses of the partner's choosing): each now has a budget."""
    from app.accounts import request_email_change
    from app.errors import RateLimited
    from app.messages import post_partner_message
    from app.uow import unit_of_work
    from models.request_status import Status
    from models.requests import Message
    from tests.factories import Staff, make_request, post

    monkeypatch.setitem(app.config, "ACTION_LIMITS", {
        "team_invite": "2 per hour", "email_change": "1 per hour",
        "partner_message": "2 per 10 minutes"})
    owner = make_partner(username="boss")
    other = make_partner(username="other_boss")
    client = as_user(app, owner)
    for n in range(3):
        page = post(client, "/cabinet/team", {
            "first_name": "Коллега", "last_name": f"Номер{n}",
            "email": f"colleague{n}@example.org"}, follow=True).get_data(as_text=True)
    assert "Слишком много за раз: снова можно будет через" in page
    assert 'value="colleague2@example.org"' in page  # the form keeps what was typed
    emails = {u.email for u in db.session.query(User)}
    assert {"colleague0@example.org", "colleague1@example.org"} <= emails
    assert "colleague2@example.org" not in emails
    assert not db.session.query(OutboxMessage).filter_by(
        recipient="colleague2@example.org").count()
    # per user: another owner still invites
    post(as_user(app, other), "/cabinet/team", {"first_name": "А", "last_name": "Б",
                                                 "email": "fresh@example.org"})
    assert db.session.query(User).filter_by(email="fresh@example.org").count() == 1

    with unit_of_work():
        request_email_change(owner, "new1@example.org")
    with pytest.raises(RateLimited) as refused, unit_of_work():
        request_email_change(owner, "new2@example.org")
    assert 0 < refused.value.retry_after <= 3600
    assert not db.session.query(OutboxMessage).filter_by(recipient="new2@example.org").count()

    req = make_request(owner, Status.ASSIGNED, Staff())
    for n in range(2):
        with unit_of_work():
            post_partner_message(owner, req, f"Сообщение {n}")
    with pytest.raises(RateLimited), unit_of_work():
        post_partner_message(owner, req, "Третье")
    assert db.session.query(Message).filter_by(request_id=req.id).count() == 2
