"""/healthz and /readyz: cheap, anonymous, no cookie, not rate-limited; 503 naming what failed."""

import json

import pytest

from tests.factories import as_user, make_partner, make_user
from tests.jobs.servers import HungServer, RedisServer, free_port, redis_binary


def body(response) -> dict:
    return json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_200_anonymously_without_a_session_cookie(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert body(response)["status"] == "ok"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readiness_names_each_check(app):
    expected = {"database": "ok", **({"redis": "ok"} if app.config.get("REDIS_URL") else {})}
    assert body(app.test_client().get("/readyz"))["checks"] == expected


def test_without_redis_only_the_database_is_checked(make_app):
    no_redis = make_app(REDIS_URL=None)
    assert body(no_redis.test_client().get("/readyz"))["checks"] == {"database": "ok"}


@pytest.mark.parametrize("role", ["Admin", "Director", "Supermanager", "Manager", "Engineer",
                                  "owner", "member"])
def test_a_signed_in_user_gets_the_same_answer_and_keeps_the_session(app, role):
    owner = make_partner()
    user = {"owner": owner, "member": make_partner(company=owner.profile.partner_company,
                                                   owner=False)}.get(role) or make_user(role)
    client = as_user(app, user)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    home = "/cabinet/" if role in ("owner", "member") else "/"
    assert client.get(home).status_code == 200  # still signed in


def test_probes_are_not_rate_limited(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="2 per minute",
                       PUBLIC_FORM_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    codes = {client.get(path).status_code for path in ("/healthz", "/readyz") * 20}
    assert codes == {200}


def test_probes_are_not_in_the_menu(app):
    admin = make_user("Admin", username="boss")
    page = as_user(app, admin).get("/", follow_redirects=True).get_data(as_text=True)
    assert "/logout" in page  # the signed-in page with the whole menu
    assert "/healthz" not in page and "/readyz" not in page


def test_head_and_post(app):
    client = app.test_client()
    assert client.head("/healthz").status_code == 200
    assert client.post("/readyz").status_code == 405


def test_dead_database_gives_503_naming_it(make_app, tmp_path):
    dead = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.sqlite",
                    REDIS_URL=None)
    client = dead.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert body(response) == {"status": "unavailable", "failed": ["database"],
                              "checks": {"database": "unavailable"}}
    assert client.get("/healthz").status_code == 200  # the process is alive: no restart


def test_stopped_redis_gives_503_naming_it(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert body(response)["failed"] == ["redis"]
    assert body(response)["checks"] == {"database": "ok", "redis": "unavailable"}


def test_hung_redis_fails_the_probe_within_seconds(make_app, monkeypatch):
    import app.health as health

    monkeypatch.setattr(health, "PROBE_TIMEOUT", 0.3)
    hung = HungServer()
    try:
        response = make_app(REDIS_URL=hung.url).test_client().get("/readyz")
    finally:
        hung.stop()
    assert response.status_code == 503
    assert body(response)["failed"] == ["redis"]


def test_redis_back_makes_it_ready_again(make_app):
    server = RedisServer(redis_binary())
    app = make_app(REDIS_URL=server.url)
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    server.start()
    try:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert body(response)["checks"] == {"database": "ok", "redis": "ok"}
    finally:
        server.stop()
