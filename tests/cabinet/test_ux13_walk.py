"""Issue 13 as a new user meets it (helper ux13): the first sign-in's forced password change keeps
a partner's prefill link; the token revoke asks for confirmation."""

from urllib.parse import parse_qs, urlsplit

from tests.factories import PASSWORD, login, make_partner, post

PREFILL = "/cabinet/requests/new?service=svc&f.area=42"


def test_forced_password_change_keeps_the_prefill_link(app, client):
    make_partner(username="fresh", must_change_password=True)
    response = login(client, "fresh")
    response = client.get(PREFILL)
    location = response.headers["Location"]
    assert response.status_code == 302 and urlsplit(location).path == "/cabinet/password"
    assert parse_qs(urlsplit(location).query)["next"] == [PREFILL]
    done = post(client, location, {"current_password": PASSWORD,
                                   "new_password": "my-own-pass-9", "confirm": "my-own-pass-9"})
    assert done.status_code == 302 and done.headers["Location"].endswith(PREFILL)


def test_forced_password_change_ignores_a_foreign_next(app, client):
    make_partner(username="fresh2", must_change_password=True)
    login(client, "fresh2")
    done = post(client, "/cabinet/password?next=https://evil.example/x",
                {"current_password": PASSWORD, "new_password": "my-own-pass-9",
                 "confirm": "my-own-pass-9"})
    assert done.status_code == 302 and "evil.example" not in done.headers["Location"]


def test_forced_password_change_from_home_has_no_next(app, client):
    make_partner(username="fresh3", must_change_password=True)
    login(client, "fresh3")
    location = client.get("/").headers["Location"]
    assert urlsplit(location).path == "/cabinet/password" and "next" not in location
