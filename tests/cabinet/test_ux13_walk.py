"""Issue 13 as a new user meets it (helper ux13): the first sign-in's forced password change keeps
a partner's prefill link; the profile leads to the integration pages; field errors, codes."""

from urllib.parse import parse_qs, urlsplit

import pytest

from app.errors import RateLimited
from app.signatures import request_code
from models.base import utcnow
from models.signatures import PURPOSE_SUBMIT
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


@pytest.mark.parametrize("username, target", [
    ("fresh2", "https://evil.example/x"),  # another site
    # a line break would end the Location header: a 500, not a redirect home
    ("fresh4", "/cabinet/%0d%0aSet-Cookie:%20evil=1")])
def test_forced_password_change_ignores_a_foreign_or_broken_next(app, client, username, target):
    """The new password is kept and the answer is a redirect home."""
    make_partner(username=username, must_change_password=True)
    login(client, username)
    done = post(client, f"/cabinet/password?next={target}",
                {"current_password": PASSWORD, "new_password": "my-own-pass-9",
                 "confirm": "my-own-pass-9"})
    assert done.status_code == 302 and "evil" not in done.headers["Location"]
    assert login(app.test_client(), username, "my-own-pass-9").status_code == 302


def test_forced_password_change_from_home_has_no_next(app, client):
    make_partner(username="fresh3", must_change_password=True)
    login(client, "fresh3")
    location = client.get("/").headers["Location"]
    assert urlsplit(location).path == "/cabinet/password" and "next" not in location


def test_profile_leads_to_the_api_docs_and_the_link_from_site_page(app, client):
    make_partner(username="owner13")
    login(client, "owner13")
    page = client.get("/cabinet/profile").get_data(as_text=True)
    assert 'href="/api/v1/docs"' in page and 'href="/cabinet/link-from-site"' in page
    assert client.get("/cabinet/link-from-site").status_code == 200


def test_api_docs_code_blocks_can_be_scrolled_by_keyboard(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<pre>" not in page and "<table>" not in page and '<pre tabindex="0">' in page


def test_a_field_error_is_an_alert_around_its_list_not_a_list_with_an_alert_role(app, client):
    # axe "listitem": <ul role="alert"> is no longer a list, so its <li> are orphans
    make_partner(username="pw13")
    login(client, "pw13")
    page = post(client, "/cabinet/password", {"current_password": "wrong-one-1",
                                              "new_password": "x", "confirm": "y"})
    text = page.get_data(as_text=True)
    assert 'role="alert"><ul class="errors">' in text
    assert '<ul class="errors" id=' not in text


def test_a_used_code_does_not_hold_back_the_next_action_s_code(app):
    user = make_partner(username="signer13")
    first = request_code(user, PURPOSE_SUBMIT, {"request": 1})
    first.used_at = utcnow()
    second = request_code(user, PURPOSE_SUBMIT, {"request": 2})  # at once: the first one was used
    assert second.id != first.id
    with pytest.raises(RateLimited):  # an unused code still holds a resend back for a minute
        request_code(user, PURPOSE_SUBMIT, {"request": 2})
