"""Web hardening: signing keys, session generations, logout by POST, headers, CSP, proxies,
error pages (findings 2, 6, 8, 11, 18 of issue 8)."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.sessions import SESSION_KEY, end_all_sessions
from models.request_status import Status
from tests.factories import Staff, as_user, csrf_token, make_partner, make_request, make_user

COOKIE = "session"
SKIP_IN_CRAWL = ("logout", "delete", "/lang/", "download", "export", ".xlsx", ".pdf", ".zip",
                 "/static/", "toggle", "repeat", "/read", "template")


def signed_cookie(secret_key: str, user_id: int, generation: int = 0) -> str:
    """A session cookie for `user_id` signed with `secret_key` (what a forger would send)."""
    forge = Flask("forge")
    forge.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forge)
    return serializer.dumps({"_user_id": str(user_id), "_fresh": True, SESSION_KEY: generation})


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def signed_in(client, url: str) -> bool:
    return client.get(url).status_code == 200


# -- finding 2: never sign with a known key ------------------------------------------------

def test_a_cookie_forged_with_the_old_public_key_is_refused(app):
    admin = make_user("Admin")
    forger = app.test_client()
    forger.set_cookie(COOKIE, signed_cookie("dev-only-not-secret", admin.id))
    page = forger.get("/users/list/")
    assert page.status_code == 302 and "/login/" in page.headers["Location"]
    # the same cookie signed with the app's own key opens the page: the forge itself is right
    insider = app.test_client()
    insider.set_cookie(COOKIE, signed_cookie(app.secret_key, admin.id))
    assert signed_in(insider, "/users/list/")
    assert app.secret_key != "dev-only-not-secret"


# -- finding 8: sessions end on logout and on end_all_sessions -----------------------------

def test_a_copied_cookie_stops_working_after_logout(app):
    partner = make_partner()
    client = as_user(app, partner)
    thief = copy_of(app, client)
    assert signed_in(thief, "/cabinet/")
    token = csrf_token(client.get("/cabinet/").get_data(as_text=True))
    assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
    assert not signed_in(client, "/cabinet/")
    page = thief.get("/cabinet/")
    assert page.status_code == 302 and "/login/" in page.headers["Location"]


@pytest.mark.parametrize("role", ["Admin", "Partner"])
def test_end_all_sessions_ends_every_copy_and_a_new_login_works(app, role):
    user = make_partner() if role == "Partner" else make_user(role)
    url = "/cabinet/" if role == "Partner" else "/users/list/"
    first, second = as_user(app, user), as_user(app, user)
    thief = copy_of(app, first)
    end_all_sessions(user.id)
    db.session.commit()
    assert [signed_in(c, url) for c in (first, second, thief)] == [False, False, False]
    assert signed_in(as_user(app, user), url)


def test_a_session_without_a_generation_stamp_is_ended(app):
    """A remember-me restore or an old cookie carries no generation: it is logged out."""
    admin = make_user("Admin")
    client = app.test_client()
    forge = Flask("forge")
    forge.secret_key = app.secret_key
    cookie = SecureCookieSessionInterface().get_signing_serializer(forge).dumps(
        {"_user_id": str(admin.id), "_fresh": True})
    client.set_cookie(COOKIE, cookie)
    assert not signed_in(client, "/users/list/")


def test_get_logout_changes_nothing_and_post_needs_the_csrf_token(app):
    admin = make_user("Admin")
    client = as_user(app, admin)
    page = client.get("/logout/")
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert signed_in(client, "/users/list/")
    refused = client.post("/logout/")
    assert refused.status_code == 400
    assert "Выйти" not in refused.get_data(as_text=True)  # our error page, not a logout
    assert signed_in(client, "/users/list/")


@pytest.mark.parametrize("role, url", [("Admin", "/users/list/"), ("Partner", "/cabinet/")])
def test_every_logout_control_is_a_post_form_with_a_token(app, role, url):
    user = make_partner() if role == "Partner" else make_user(role)
    html = as_user(app, user).get(url).get_data(as_text=True)
    assert not re.search(r'<a [^>]*href="/logout/', html)
    form = re.search(r'<form[^>]*method="post"[^>]*action="/logout/"[^>]*>(.*?)</form>', html,
                     re.S)
    assert form and 'name="csrf_token"' in form.group(1)


def test_session_cookie_flags(app, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    client = app.test_client()
    page = client.get("/login/")
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- finding 11: security headers and a strict CSP ----------------------------------------

def csp_nonce_of(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "object-src 'none'", "base-uri 'self'",
                 "frame-ancestors 'none'", "form-action 'self'"):
        assert rule in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1).split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    return re.search(r"'nonce-([^']+)'", csp).group(1)


@pytest.mark.parametrize("who, url", [(None, "/login/"), (None, "/cabinet/apply"),
                                      ("Partner", "/cabinet/"), ("Admin", "/requests/list/"),
                                      ("Admin", "/nowhere"), ("Director", "/dashboard/")])
def test_security_headers_on_every_kind_of_page(app, who, url):
    client = app.test_client() if who is None else as_user(
        app, make_partner() if who == "Partner" else make_user(who))
    first, second = client.get(url), client.get(url)
    assert csp_nonce_of(first) != csp_nonce_of(second)
    for response in (first, second):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in response.headers  # not in development


def test_hsts_only_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert "max-age=31536000" in app.test_client().get("/login/").headers[
        "Strict-Transport-Security"]


def check_page_scripts(html: str, nonce: str, url: str) -> list[str]:
    """Every inline script carries this response's nonce; no inline handlers or js: URLs."""
    problems = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue
        if f'nonce="{nonce}"' not in attrs and body.strip():
            problems.append(f"{url}: inline script without the nonce: {body.strip()[:60]}")
    for handler in re.findall(r"<[^>]+\s(on[a-z]+)\s*=", html, re.I):
        problems.append(f"{url}: inline handler {handler}")
    if re.search(r"href\s*=\s*[\"']\s*javascript:", html, re.I):
        problems.append(f"{url}: javascript: URL")
    return problems


def crawl(client, start: str, limit: int = 100) -> tuple[int, list[str]]:
    """Follow same-site links from `start`; check every HTML page's scripts against its CSP."""
    seen, queue, problems, pages = set(), [start], [], 0
    while queue and pages < limit:
        url = queue.pop(0)
        path = urlsplit(url).path  # one visit per page, whatever its sort or paging
        if path in seen or any(part in url for part in SKIP_IN_CRAWL):
            continue
        seen.add(path)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        pages += 1
        html = response.get_data(as_text=True)
        problems += check_page_scripts(html, csp_nonce_of(response), url)
        for href in re.findall(r'href="([^"#]+)"', html):
            target = urljoin(url, href.replace("&amp;", "&"))
            if not urlsplit(target).netloc or urlsplit(target).netloc == "localhost":
                queue.append(urlsplit(target)._replace(scheme="", netloc="").geturl())
    return pages, problems


@pytest.mark.parametrize("role", ["Anonymous", "Partner", "Admin", "Director", "Supermanager",
                                  "Manager", "Engineer"])
def test_no_inline_script_escapes_the_csp_on_any_page(app, role):
    staff = Staff()
    partner = make_partner()
    make_request(partner, Status.IN_PROGRESS, staff)
    make_request(partner)
    users = {"Partner": partner, "Manager": staff.manager, "Engineer": staff.engineer,
             "Supermanager": staff.supermanager}
    if role == "Anonymous":
        client, start = app.test_client(), "/login/"
    else:
        client = as_user(app, users.get(role) or make_user(role))
        start = "/cabinet/" if role == "Partner" else "/"
    pages, problems = crawl(client, start)
    assert problems == []
    assert pages >= (3 if role == "Anonymous" else 8)


# -- finding 6: links from the configured base URL, proxies only when configured -----------

def test_external_url_ignores_the_host_header(app, monkeypatch):
    from app.web_security import external_url

    monkeypatch.setitem(app.config, "BASE_URL", "https://replan.example/office")
    with app.test_request_context("/", headers={"Host": "evil.example",
                                                "X-Forwarded-Host": "evil.example"}):
        link = external_url("cabinet.password_reset", token="abc")
    assert link == "https://replan.example/office/cabinet/password-reset/abc"
    with app.app_context():  # also from a job, without any request
        assert external_url("ReplanAuthDBView.login") == "https://replan.example/office/login/"


@pytest.mark.parametrize("count, expected", [(0, "127.0.0.1 http localhost"),
                                             (1, "203.0.113.9 https replan.example")])
def test_forwarded_headers_are_honoured_only_when_configured(count, expected):
    from flask import request

    from app.web_security import install_proxy_fix

    probe = Flask("probe")
    probe.config["PROXY_COUNT"] = count
    probe.add_url_rule("/", "who", lambda: f"{request.remote_addr} {request.scheme} "
                                           f"{request.host}")
    install_proxy_fix(probe)
    answer = probe.test_client().get("/", headers={
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "replan.example"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.get_data(as_text=True) == expected


def test_the_app_trusts_no_proxy_by_default(app):
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert app.config["PROXY_COUNT"] == 0
    assert not isinstance(app.wsgi_app, ProxyFix)


# -- finding 18: error pages in Russian, even while the database is down --------------------

@pytest.fixture
def database_down(app):
    """Every statement fails as after a PostgreSQL restart."""
    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    yield
    event.remove(engine, "before_cursor_execute", refuse)


@pytest.mark.parametrize("who, url", [("Partner", "/cabinet/requests"),
                                      ("Admin", "/requests/list/"), ("Director", "/dashboard/")])
def test_database_outage_shows_the_russian_503_page(app, who, url, request):
    client = as_user(app, make_partner() if who == "Partner" else make_user(who))
    request.getfixturevalue("database_down")
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 503
    assert 'lang="ru"' in html and "На главную" in html and 'data-testid="error-page"' in html
    assert "Internal Server Error" not in html and "Traceback" not in html
    assert page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("method, url, code, words", [
    ("get", "/nowhere", 404, "Не найдено"), ("put", "/cabinet/apply", 405, "405"),
    ("post", "/cabinet/apply", 400, "400")])
def test_http_errors_use_replan_pages(app, method, url, code, words):
    page = getattr(app.test_client(), method)(url)
    html = page.get_data(as_text=True)
    assert page.status_code == code
    assert words in html and 'data-testid="error-page"' in html and 'lang="ru"' in html


def test_an_unexpected_error_shows_the_russian_500_page(app, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "cabinet.calculator", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    page = as_user(app, make_partner()).get("/cabinet/calculator")
    html = page.get_data(as_text=True)
    assert page.status_code == 500
    assert 'data-testid="error-page"' in html and "На главную" in html and "boom" not in html


def test_no_template_has_an_inline_handler_or_unnonced_script():
    """Every template, including branches the crawl cannot reach (e.g. cancel/deliver forms)."""
    from config import BASE_DIR

    problems = []
    for path in BASE_DIR.glob("*/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        for handler in re.findall(r"(?:\s|%\})(on[a-z]+)\s*=\s*[\"']", source, re.I):
            problems.append(f"{path.relative_to(BASE_DIR)}: inline handler {handler}")
        for attrs in re.findall(r"<script\b([^>]*)>", source, re.I):
            if "src=" not in attrs and "application/json" not in attrs and "nonce" not in attrs:
                problems.append(f"{path.relative_to(BASE_DIR)}: script without a nonce")
    assert problems == []
