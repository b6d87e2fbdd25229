"""Every POST route is protected by the one CSRF check (CSRFProtect), none by hand; the REST
API's POST routes trust no cookie and answer 401 without a Bearer token."""

import re

from flask import url_for

from app.extensions import db
from models.audit import AuditEvent
from models.requests import Request


def _action_name(app, endpoint: str) -> str | None:
    """A real FAB action of the endpoint's view (unknown names are 404 before anything)."""
    view = next((v for v in app.appbuilder.baseviews
                 if endpoint.startswith(type(v).__name__ + ".")), None)
    return next(iter(getattr(view, "actions", {}) or {}), None)


def _post_requests(app):
    """(endpoint, url, form) for every POST route that can reach view code."""
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        values = {arg: 1 for arg in rule.arguments}  # the guard 404s a non-number id first
        data = {"anything": "1"}
        if rule.endpoint.endswith((".action", ".action_post")):
            name = _action_name(app, rule.endpoint)
            if name is None:
                continue  # the view has no actions: the input guard 404s every name
            values["name"] = name
            data = {"action": name, "rowid": "1"}
        with app.test_request_context():
            yield rule.endpoint, url_for(rule.endpoint, **values), data


def test_every_post_route_refuses_a_missing_csrf_token_and_changes_nothing(app):
    client = app.test_client()
    posts = list(_post_requests(app))
    assert len(posts) > 40  # the whole map, not a sample
    assert any(endpoint.endswith(".action_post") for endpoint, _, _ in posts)
    unprotected = {}
    for endpoint, url, data in posts:
        response = client.post(url, data=data)
        body = response.get_data(as_text=True)
        if endpoint.startswith("api_v1"):  # no cookie is trusted there: a Bearer token or 401
            if response.status_code != 401 or response.mimetype != "application/problem+json":
                unprotected[endpoint] = (url, response.status_code)
            continue
        if response.status_code != 400 or not re.search(r"CSRF|форм", body, re.I):
            unprotected[endpoint] = (url, response.status_code)
    assert unprotected == {}
    assert db.session.query(Request).count() == 0
    assert db.session.query(AuditEvent).count() == 0
