"""One login for everyone; each role lands in its place; anonymous goes to login."""

import re

import pytest
from flask_appbuilder.security.sqla.models import Role

from app.demo import DEMO_PASSWORD, DEMO_USERS
from app.extensions import appbuilder, db
from app.permissions import ROLE_PERMISSIONS, sync_roles
from models.audit import AuditEvent
from models.request_status import Status
from tests.factories import (Staff, as_user, form_token, login, make_partner, make_request,
                             make_user)

PUBLIC_PATHS = {"/login/", "/lang/<locale>", "/static/<filename>",
                "/static/appbuilder/<filename>", "/logout/", "/back",
                # public by design: application form, password reset, public KB articles
                "/cabinet/apply", "/cabinet/apply/done", "/cabinet/password-reset",
                "/cabinet/password-reset/<token>", "/cabinet/kb", "/cabinet/kb/<slug>",
                "/cabinet/kb/<slug>/template",
                # the REST API's description and its docs page (tests/api/test_openapi.py)
                "/api/v1/openapi.json", "/api/v1/docs"}


def test_each_demo_user_lands_in_the_right_place(app, client, demo):
    for username, role, *_ in DEMO_USERS:
        with app.test_client() as c:
            response = login(c, username, DEMO_PASSWORD)
            assert response.status_code == 302, username
            page = c.get("/", follow_redirects=True)
            assert page.status_code == 200
            if role == "Partner":
                assert page.request.path == "/cabinet/", username
                assert "Черновик" in page.get_data(as_text=True)
            else:
                assert page.request.path == "/", username
                assert "Бэк-офис" in page.get_data(as_text=True)
    assert db.session.query(AuditEvent).filter_by(action="login").count() == len(DEMO_USERS)


def test_wrong_password_is_refused_with_a_message(app, client):
    make_user("Manager", username="mgr")
    response = login(client, "mgr", "nope", follow=True)
    assert response.request.path == "/login/"
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    assert client.get("/requests/list/").status_code == 302


def test_login_form_requires_csrf(app, client):
    make_user("Manager", username="mgr")
    response = client.post("/login/", data={"username": "mgr", "password": "secret-pass-1"})
    assert client.get("/", follow_redirects=True).request.path == "/login/"
    assert response.status_code in (200, 302, 400)


def _anonymous_paths(app):
    for rule in app.url_map.iter_rules():
        bare = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule.rule)
        if "GET" not in rule.methods or bare in PUBLIC_PATHS:
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        yield rule.rule, path


def test_anonymous_is_sent_to_login_from_every_page(app, client):
    checked = 0
    for rule, path in _anonymous_paths(app):
        response = client.get(path)
        if rule.startswith("/api/"):
            assert response.status_code in (401, 403, 404), rule
            continue
        assert response.status_code == 302, (rule, response.status_code)
        final = client.get(path, follow_redirects=True)
        assert final.request.path == "/login/", rule
        checked += 1
    assert checked >= 8


def test_blocked_user_cannot_log_in_and_loses_session(app, client):
    user = make_user("Manager", username="mgr")
    assert login(client, "mgr").status_code == 302
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/", follow_redirects=True).request.path == "/login/"
    assert "Неверный" in login(client, "mgr", follow=True).get_data(as_text=True)


def test_blocked_company_ends_partner_session(app, client):
    partner = make_partner(username="p1")
    login(client, "p1")
    assert client.get("/cabinet/").status_code == 200
    partner.profile.partner_company.is_blocked = True
    db.session.commit()
    response = client.get("/cabinet/", follow_redirects=True)
    assert response.request.path == "/login/"
    assert "приостановлен" in response.get_data(as_text=True)


def test_language_switch_to_english_and_back(app, client):
    assert "Вход" in client.get("/login/").get_data(as_text=True)
    client.get("/lang/en")
    assert "Sign in" in client.get("/login/").get_data(as_text=True)
    client.get("/lang/ru")
    assert "Вход" in client.get("/login/").get_data(as_text=True)


def test_language_switch_stays_on_the_page_it_was_clicked_on(app):
    """The RU / EN link carries its page: the partner's new-request form and a desk card come
    back in English (they went to the start page); a `next` elsewhere is not followed."""
    staff = Staff()
    partner = make_partner()
    req = make_request(partner, Status.SUBMITTED, staff)
    for user, path, english in ((partner, "/cabinet/requests/new?quote=", "New request"),
                                (staff.supermanager, f"/desk/{req.id}", req.number)):
        client = as_user(app, user)
        page = client.get(path).get_data(as_text=True)
        link = re.search(r'href="(/lang/en\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
        back = client.get(link)
        assert back.status_code == 302 and back.location == path
        assert english in client.get(back.location).get_data(as_text=True)
        assert 'lang="en"' in client.get(back.location).get_data(as_text=True)
        client.get("/lang/ru")
    client = as_user(app, partner)
    for elsewhere in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "desk",
                      "/cabinet/\r\nSet-Cookie: evil=1"):
        response = client.get("/lang/en", query_string={"next": elsewhere})
        assert response.status_code == 302 and "evil" not in response.location
        assert response.location != elsewhere
    # a NUL byte in the address is refused before any view (app.input_guard)
    assert client.get("/lang/en", query_string={"next": "/cabinet/\x00"}).status_code == 400


def test_a_sign_in_refuses_a_next_with_a_line_break_or_a_backslash(app):
    """`next` on the sign-in page: a line break (it would end the Location header: a 500)
    and "/\\host" (browsers go to that host) are not followed, signing in or signed in."""
    user = make_user("Manager")
    for target in ("/desk/\r\nSet-Cookie: evil=1", "/\\evil.example/"):
        client = app.test_client()
        with client.session_transaction() as session:
            session["csrf_token"] = "t" * 40
        answer = client.post("/login/", query_string={"next": target}, data={
            "username": user.username, "password": "secret-pass-1",
            "csrf_token": form_token(client)})
        assert answer.status_code == 302 and "evil" not in answer.location
        again = client.get("/login/", query_string={"next": target})  # signed in now
        assert again.status_code == 302 and "evil" not in again.location
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "t" * 40
    answer = client.post("/login/", query_string={"next": "/desk/"}, data={
        "username": user.username, "password": "secret-pass-1", "csrf_token": form_token(client)})
    assert answer.location == "/desk/"  # a page of this site is still followed


def test_user_locale_applies_at_login(app, client):
    make_partner(username="pen", locale="en")
    login(client, "pen")
    assert "Data needed" in client.get("/cabinet/").get_data(as_text=True)


def test_staff_cannot_open_the_cabinet_and_partners_not_the_back_office(app, client):
    make_user("Manager", username="mgr")
    login(client, "mgr")
    assert client.get("/cabinet/").status_code == 403
    with app.test_client() as other:
        make_partner(username="p1")
        login(other, "p1")
        assert other.get("/cabinet/").status_code == 200
        assert other.get("/requests/list/").status_code in (302, 403)
        assert other.get("/status-history/list/").status_code in (302, 403)


def test_first_login_forces_password_change(app, client):
    make_partner(username="fresh", must_change_password=True)
    login(client, "fresh")
    response = client.get("/cabinet/")
    assert response.status_code == 302 and "/cabinet/password" in response.headers["Location"]


def test_sync_roles_is_idempotent_and_follows_the_matrix(app):
    def snapshot():
        return {r.name: sorted((p.permission.name, p.view_menu.name) for p in r.permissions)
                for r in db.session.query(Role).all()}

    first = snapshot()
    sync_roles(appbuilder)
    assert snapshot() == first
    assert set(ROLE_PERMISSIONS) <= set(first)
    director = dict.fromkeys(v for p, v in first["Director"] if p != "menu_access")
    assert ("can_delete", "RequestStaffView") not in first["Director"]
    assert "RequestStaffView" in director
    assert first["Partner"] == [] and first["Public"] == []


@pytest.mark.parametrize("role, sees", [("Admin", 3), ("Director", 3), ("Supermanager", 3),
                                        ("Manager", 1), ("Engineer", 1)])
def test_back_office_request_list_is_row_scoped(app, client, role, sees):
    staff = Staff()
    partner = make_partner()
    mine = make_request(partner, Status.SCHEDULED, staff)
    other_staff = Staff()
    theirs = make_request(partner, Status.SCHEDULED, other_staff)
    make_request(partner, Status.SUBMITTED, staff)
    make_request(partner, Status.DRAFT)  # drafts are the partner's own
    user = {"Manager": staff.manager, "Engineer": staff.engineer}.get(role) or \
        make_user(role, username=f"u_{role.lower()}")
    login(client, user.username)
    html = client.get("/requests/list/").get_data(as_text=True)
    shown = set(re.findall(r"\d{4}-\d{5}", html))
    assert len(shown) == sees, shown
    if role in ("Manager", "Engineer"):
        assert mine.number in shown and theirs.number not in shown
        assert client.get(f"/requests/show/{theirs.id}").status_code == 404
        assert client.get(f"/requests/show/{mine.id}").status_code == 200


def test_login_and_public_forms_are_rate_limited(app, make_app):
    """The limiter is built at start-up, so it is checked in an app of its own."""
    limited = make_app(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
    client = limited.test_client()
    login = [client.post("/login/", data={"username": "nobody", "password": "x"}).status_code
             for _ in range(21)]
    reset = [client.post("/cabinet/password-reset", data={"email": "a@b.example"}).status_code
             for _ in range(11)]
    assert [login[0], login[19], login[20], reset[9], reset[10]] == [302, 302, 429, 302, 429]


def test_a_sign_in_without_next_goes_home_and_logs_no_invalid_redirect(app):
    """No `next`: the start page, without FAB's "invalid redirect" warning (it was logged
    on every plain sign-in); a foreign `next` is still refused and logged."""
    import logging

    seen = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())
    fab_log = logging.getLogger("flask_appbuilder.utils.base")  # its own handler: whatever
    fab_log.addHandler(handler)  # other tests did to the logging set-up (alembic's
    # fileConfig disables the loggers that exist when a migration test runs)
    level, disabled = fab_log.level, fab_log.disabled
    fab_log.level, fab_log.disabled = logging.WARNING, False
    try:
        user = make_user("Manager")
        answer = login(app.test_client(), user.username)
        assert answer.status_code == 302 and answer.location.endswith("/")
        assert not [m for m in seen if "Invalid redirect" in m], seen
        client = app.test_client()
        with client.session_transaction() as session:
            session["csrf_token"] = "t" * 40
        answer = client.post("/login/?next=https://evil.example/", data={
            "username": user.username, "password": "secret-pass-1",
            "csrf_token": form_token(client)})
        assert answer.status_code == 302 and "evil.example" not in answer.location
        assert [m for m in seen if "Invalid redirect" in m], seen
    finally:
        fab_log.removeHandler(handler)
        fab_log.level, fab_log.disabled = level, disabled
