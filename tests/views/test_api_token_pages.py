"""The "API tokens" section of the staff profile and the cabinet profile: each role, anonymous,
someone else's token; the secret appears once, in the answer to the create form."""

import re

import pytest

from app.api_tokens import create_token, digest
from app.extensions import db
from models.api_tokens import ApiToken
from tests.factories import as_user, make_partner, make_user, post

STAFF = ["Admin", "Director", "Supermanager", "Manager", "Engineer"]
STAFF_PAGES = ("/my-profile/", "/my-profile/api-tokens", "/my-profile/api-tokens/{id}/revoke")
CABINET_PAGES = ("/cabinet/profile", "/cabinet/profile/api-tokens",
                 "/cabinet/profile/api-tokens/{id}/revoke")


def people():
    return {role: make_user(role) for role in STAFF} | {
        "owner": make_partner(), "member": make_partner(owner=False)}


def pages_for(who):
    return CABINET_PAGES if who in ("owner", "member") else STAFF_PAGES


def secret_on(html):
    match = re.search(r'data-testid="api-token-secret" value="([^"]+)"', html) or re.search(
        r'value="(rpl_[^"]+)"', html)
    return match.group(1) if match else None


@pytest.mark.parametrize("who", STAFF + ["owner", "member"])
def test_each_role_creates_sees_and_revokes_own_tokens(app, who):
    user = people()[who]
    client = as_user(app, user)
    profile, create, revoke = pages_for(who)
    page = client.get(profile)
    assert page.status_code == 200 and 'data-testid="api-tokens"' in page.get_data(as_text=True)
    created = post(client, create, {"name": "CRM sync", "scope": "write", "days": "30"})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    secret = secret_on(html)
    assert secret and secret.startswith("rpl_")
    assert created.headers["Cache-Control"] == "no-store"
    [row] = db.session.query(ApiToken).filter_by(user_id=user.id).all()
    assert row.token_hash == digest(secret) and row.scope == "write" and row.name == "CRM sync"
    listed = client.get(profile).get_data(as_text=True)
    assert secret not in listed and f"rpl_{row.prefix}_" in listed and "CRM sync" in listed
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).get_json()["id"] == user.id
    assert post(client, revoke.format(id=row.id)).status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_reason == "owner"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401


@pytest.mark.parametrize("who", ["Manager", "owner"])
def test_nobody_revokes_someone_elses_token(app, who):
    users = people()
    other, _ = create_token(users["member" if who == "owner" else "Engineer"], "x", "read", 30)
    db.session.commit()
    client = as_user(app, users[who])
    _, _, revoke = pages_for(who)
    response = post(client, revoke.format(id=other.id), follow=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, other.id).revoked_at is None


@pytest.mark.parametrize("who", ["Manager", "owner"])
@pytest.mark.parametrize("data", [
    {"name": "", "scope": "read", "days": "30"}, {"name": "x" * 101, "scope": "read", "days": "30"},
    {"name": "ok", "scope": "admin", "days": "30"}, {"name": "ok", "scope": "read", "days": "9"},
    {"name": "ok", "scope": "read", "days": str(10**30)},
])
def test_bad_input_is_refused_and_creates_nothing(app, who, data):
    client = as_user(app, people()[who])
    response = post(client, pages_for(who)[1], data)
    assert response.status_code == 302 and "#api-tokens" in response.headers["Location"]
    assert db.session.query(ApiToken).count() == 0


@pytest.mark.parametrize("who", ["Manager", "owner"])
def test_a_nul_byte_is_refused_by_the_input_guard(app, who):
    client = as_user(app, people()[who])
    response = post(client, pages_for(who)[1], {"name": "a\x00b", "scope": "read", "days": "30"})
    assert response.status_code == 400
    assert db.session.query(ApiToken).count() == 0


def test_partners_and_staff_stay_on_their_own_surface(app):
    users = people()
    partner, manager = as_user(app, users["owner"]), as_user(app, users["Manager"])
    data = {"name": "x", "scope": "read", "days": "30"}
    assert post(manager, CABINET_PAGES[1], data).status_code == 403
    assert post(partner, STAFF_PAGES[1], data).status_code == 403
    assert db.session.query(ApiToken).count() == 0


def test_anonymous_is_sent_to_login_and_nothing_changes(app, client):
    token, _ = create_token(make_partner(), "x", "read", 30)
    db.session.commit()
    for pages in (STAFF_PAGES, CABINET_PAGES):
        for url in (pages[0], pages[1], pages[2].format(id=token.id)):
            response = client.get(url) if url == pages[0] else post(client, url, {
                "name": "x", "scope": "read", "days": "30"})
            assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.query(ApiToken).count() == 1
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_the_same_form_posted_twice_creates_one_token(app):
    client = as_user(app, make_partner())
    data = {"name": "x", "scope": "read", "days": "30", "form_nonce": None}
    from app.form_nonce import issue_nonce

    data["form_nonce"] = issue_nonce()
    assert post(client, CABINET_PAGES[1], data).status_code == 200
    assert post(client, CABINET_PAGES[1], data).status_code == 302
    assert db.session.query(ApiToken).count() == 1


def test_english_page(app):
    user = make_user("Manager", locale="en")
    client = as_user(app, user)
    client.get("/lang/en")
    html = client.get("/my-profile/").get_data(as_text=True)
    assert "API tokens" in html and "You have no API tokens." in html
