"""API tokens (issue 13, item 2): created once, stored hashed, authenticate /api/v1/me only
by the Bearer header, end with blocks and new passwords, limited per token."""

from datetime import timedelta

import pytest
from flask import g

from app import api_tokens
from app.accounts import block_user, set_password
from app.errors import RateLimited
from app.api_tokens import (authenticate, create_token, digest, require_scope,
                            revoke_token)
from app.errors import InvalidInput, NotFound, Refused
from app.extensions import db
from app.partners import update_company
from models.api_tokens import ApiToken
from models.base import utcnow
from tests.factories import PASSWORD, login, make_partner, make_user

PROBLEM = "application/problem+json"


def new_token(user, scope="read", days=30, name="CRM"):
    row, secret = create_token(user, name, scope, days)
    db.session.commit()
    return row, secret


def me(client, secret=None, **headers):
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return client.get("/api/v1/me", headers=headers)


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].endswith(("unauthorized", "refused", "rate-limited", str(status)))
    assert "Set-Cookie" not in response.headers
    return body


def test_create_shows_the_secret_once_and_stores_only_its_hash(app):
    user = make_partner()
    row, secret = new_token(user, "write", 90)
    assert secret.startswith(f"rpl_{row.prefix}_") and len(secret) > 50
    stored = db.session.get(ApiToken, row.id)
    assert stored.token_hash == digest(secret) and len(stored.token_hash) == 64
    columns = [getattr(stored, c.name) for c in ApiToken.__table__.columns]
    assert secret not in [str(v) for v in columns]
    assert not any(str(v).endswith(secret[-20:]) for v in columns if v is not None)
    assert stored.scope == "write" and stored.revoked_at is None
    assert timedelta(days=89) < stored.expires_at - stored.created_at <= timedelta(days=90)


@pytest.mark.parametrize("name,scope,days", [
    ("", "read", 30), ("x" * 101, "read", 30), ("a\x00b", "read", 30), ("CRM", "admin", 30),
    ("CRM", "read", 7), ("CRM", "read", "ever"), ("CRM", "read", 10**30), ("CRM", ["read"], 30),
])
def test_bad_token_input_is_refused_and_stores_nothing(app, name, scope, days):
    user = make_user("Manager")
    with pytest.raises(InvalidInput):
        create_token(user, name, scope, days)
    db.session.rollback()
    assert db.session.query(ApiToken).count() == 0


def test_the_token_authenticates_api_me(app, client):
    user = make_partner()
    _, secret = new_token(user)
    response = me(client, secret)
    assert response.status_code == 200
    body = response.get_json()
    company = user.profile.partner_company
    assert body["id"] == user.id and body["company"] == {"id": company.id, "name": company.name}
    assert body["roles"] == ["Partner"] and body["scope"] == "read" and body["role"]
    assert "Set-Cookie" not in response.headers


def test_staff_token_has_no_company(app, client):
    _, secret = new_token(make_user("Engineer"))
    assert me(client, secret).get_json()["company"] is None


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer rpl_nonsense", "Basic dXNlcjpwYXNz", "Bearer x\x00y",
    "Bearer " + "rpl_" + "a" * 500,
])
def test_missing_or_wrong_token_is_a_401_problem(app, client, header):
    new_token(make_partner())
    headers = {} if header is None else {"Authorization": header}
    body = assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert body["type"].endswith("unauthorized")


def test_expired_and_revoked_tokens_are_401(app, client):
    user = make_partner()
    expired, expired_secret = new_token(user, name="old")
    expired.expires_at = utcnow() - timedelta(seconds=1)
    revoked, revoked_secret = new_token(user, name="gone")
    revoke_token(user, revoked.id)
    db.session.commit()
    assert "expired" in assert_problem(
        me(client, expired_secret, **{"Accept-Language": "en"}), 401)["detail"]
    assert "revoked" in assert_problem(
        me(client, revoked_secret, **{"Accept-Language": "en"}), 401)["detail"]


def test_problem_language_follows_accept_language_then_the_owner(app, client):
    user = make_partner(locale="en")
    row, secret = new_token(user)
    revoke_token(user, row.id)
    db.session.commit()
    assert me(client, secret).get_json()["title"] == "Not authenticated"  # the owner's
    ru = me(client, secret, **{"Accept-Language": "ru-RU,ru;q=0.9"})
    assert ru.headers["Content-Language"] == "ru"
    en = me(client, "rpl_unknown", **{"Accept-Language": "en"})
    assert en.get_json()["title"] == "Not authenticated"


def test_blocking_the_user_revokes_tokens(app, client):
    user = make_partner()
    row, secret = new_token(user)
    block_user(user)
    db.session.commit()
    assert db.session.get(ApiToken, row.id).revoked_reason == "user_blocked"
    assert_problem(me(client, secret), 401)


def test_an_inactive_user_is_refused_even_with_an_unrevoked_token(app, client):
    user = make_user("Manager")
    _, secret = new_token(user)
    user.active = False
    db.session.commit()
    assert_problem(me(client, secret), 401)


def test_blocking_the_company_revokes_its_users_tokens(app, client):
    admin = make_user("Admin")
    owner = make_partner()
    member = make_partner(owner.profile.partner_company, owner=False)
    other = make_partner()
    _, owner_secret = new_token(owner)
    _, member_secret = new_token(member)
    _, other_secret = new_token(other)
    company = owner.profile.partner_company
    company.is_blocked = True
    update_company(admin, company)
    db.session.commit()
    for secret in (owner_secret, member_secret):
        assert_problem(me(client, secret), 401)
    assert me(client, other_secret).status_code == 200
    assert {t.revoked_reason for t in db.session.query(ApiToken).filter(
        ApiToken.user_id.in_([owner.id, member.id]))} == {"company_blocked"}


def test_a_blocked_company_without_revocation_still_gets_401(app, client):
    user = make_partner()
    _, secret = new_token(user)
    user.profile.partner_company.is_blocked = True  # set directly: the check itself refuses
    db.session.commit()
    assert_problem(me(client, secret), 401)


def test_a_new_password_revokes_tokens(app, client):
    user = make_user("Manager")
    row, secret = new_token(user)
    set_password(user, "quiet-harbour-lantern")
    db.session.commit()
    assert db.session.get(ApiToken, row.id).revoked_reason == "password_changed"
    assert_problem(me(client, secret), 401)


def test_changing_own_password_in_the_cabinet_revokes_tokens(app):
    user = make_partner()
    _, secret = new_token(user)
    client = app.test_client()
    login(client, user.username)
    from tests.factories import post

    response = post(client, "/cabinet/password", {
        "current_password": PASSWORD, "new_password": "quiet-harbour-lantern",
        "confirm": "quiet-harbour-lantern"})
    assert response.status_code == 302
    assert_problem(me(app.test_client(), secret), 401)


def test_one_user_cannot_revoke_anothers_token(app):
    mine, theirs = make_partner(), make_partner()
    row, _ = new_token(theirs)
    with pytest.raises(NotFound):
        revoke_token(mine, row.id)
    db.session.rollback()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    with pytest.raises(NotFound):
        revoke_token(mine, "1")


def test_read_scope_cannot_write(app):
    user = make_user("Manager")
    read, _ = new_token(user, "read")
    write, _ = new_token(user, "write", name="sync")
    with pytest.raises(Refused):
        require_scope(read, "write")
    require_scope(read, "read")
    require_scope(write, "write")
    require_scope(write, "read")


def test_rate_limit_answers_429_with_retry_after(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT_READ="3 per minute")
    with limited.app_context():
        user = make_partner()
        _, secret = new_token(user)
        _, other = new_token(user, name="second")
    client = limited.test_client()
    answers = [me(client, secret) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    # the client can pace itself before it is refused (IETF RateLimit header fields)
    assert [(a.headers["RateLimit-Limit"], a.headers["RateLimit-Remaining"])
            for a in answers] == [("3", "2"), ("3", "1"), ("3", "0")]
    assert all(1 <= int(a.headers["RateLimit-Reset"]) <= 60 for a in answers)
    refused = me(client, secret)
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert me(client, other).status_code == 200  # per token


def test_rate_limit_error_carries_seconds(app, make_app):
    assert RateLimited("x", 7).retry_after == 7


def test_last_used_is_recorded_at_most_once_a_minute(app, client):
    user = make_partner()
    row, secret = new_token(user)
    writes = []
    original = api_tokens._touch

    def counting(token, now, ip):
        before = token.last_used_at
        original(token, now, ip)
        if token.last_used_at != before:
            writes.append(ip)

    api_tokens._touch = counting
    try:
        for _ in range(5):
            assert me(client, secret, **{}).status_code == 200
    finally:
        api_tokens._touch = original
    assert writes == ["127.0.0.1"]
    db.session.expire_all()
    stored = db.session.get(ApiToken, row.id)
    assert stored.last_used_ip == "127.0.0.1" and stored.last_used_at is not None
    stored.last_used_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"},
               environ_base={"REMOTE_ADDR": "10.1.2.3"})
    db.session.expire_all()
    stored = db.session.get(ApiToken, row.id)
    assert stored.last_used_ip == "10.1.2.3" and utcnow() - stored.last_used_at < timedelta(
        seconds=30)


def test_a_session_cookie_alone_does_not_authenticate_the_api(app):
    user = make_partner()
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    assert client.get("/cabinet/").status_code == 200  # the session works for pages
    assert_problem(me(client), 401)
    refused = client.post("/api/v1/me")
    assert_problem(refused, 405)  # a POST with the cookie: no CSRF 400
    assert set(refused.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_authenticate_returns_the_user_and_keeps_the_token(app):
    user = make_partner()
    row, secret = new_token(user)
    assert authenticate(f"Bearer {secret}", "127.0.0.1").id == user.id
    assert g.api_token.id == row.id


def test_unknown_api_paths_are_problems_and_no_fab_api_answers(app, client):
    assert_problem(client.get("/api/v1/nothing"), 404)
    api_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api")]
    assert "/api/v1/me" in {r.rule for r in api_rules}
    # only Replan's API modules (app/api_surface.py: blueprints api_v1*), none of FAB's
    assert all(r.endpoint.startswith("api_v1") for r in api_rules), [
        r.endpoint for r in api_rules if not r.endpoint.startswith("api_v1")]
    assert_problem(client.get("/api/v1/menu/"), 404)


@pytest.mark.parametrize("blocked", [False, True])
def test_fab_jwt_login_gives_no_token_even_to_a_valid_password(app, client, blocked):
    partner = make_partner(username="jwtp")
    partner.profile.partner_company.is_blocked = blocked
    db.session.commit()
    for url in ("/api/v1/security/login", "/api/v1/security/refresh",
                "/api/v1/security/csrf_token/"):
        response = client.post(url, json={"username": "jwtp", "password": PASSWORD,
                                          "provider": "db", "refresh": True})
        assert response.status_code == 404 and "access_token" not in response.get_data(
            as_text=True)


def test_workers_share_the_limit_through_redis_and_count_alone_without_it(make_app, redis_url):
    """Two app instances (two workers): with REDIS_URL one count for both; without Redis
    (inline dev mode) each process counts in memory, as the login lockout does."""
    storage = redis_url or "memory://"
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage,
                    API_RATE_LIMIT_READ="2 per minute")
    first, second = make_app(**settings), make_app(**settings)
    with first.app_context():
        _, secret = new_token(make_partner())
    if redis_url:
        from redis import Redis

        for key in Redis.from_url(redis_url).scan_iter("LIMITS:*replan-api*"):
            Redis.from_url(redis_url).delete(key)
    codes = [me(app.test_client(), secret).status_code for app in (first, second, first)]
    assert codes == ([200, 200, 429] if redis_url else [200, 200, 200])


def test_pricing_is_counted_as_reading_and_answers_vary_by_language(make_app):
    """POST /quote changes nothing (a read token may call it) but drew on the write bucket:
    a partner site's calculator was capped at the write limit."""
    limited = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT_READ="5 per minute",
                       API_RATE_LIMIT_WRITE="2 per minute")
    with limited.app_context():
        user = make_partner()
        _, secret = new_token(user, "read")
    client = limited.test_client()
    answers = [client.post("/api/v1/quote", json={"services": [1]},
                           headers={"Authorization": f"Bearer {secret}"}) for _ in range(3)]
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["5", "5", "5"]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["4", "3", "2"]
    assert all(a.status_code != 429 for a in answers)
    assert "Accept-Language" in answers[0].headers["Vary"]
