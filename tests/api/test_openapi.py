"""The OpenAPI 3.1 document of REST API v1 (issue 13): public, valid, and exactly the routes
registered under /api/v1; the docs page rendered from it (public, no external asset, ru/en)."""

import html
import re

from openapi_spec_validator import validate

from app.openapi import METHODS

PREFIX = "/api/v1"


def registered_operations(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def documented_operations(document) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items()
            for method in item if method in METHODS}


def test_the_document_is_public_and_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on an invalid document (OpenAPI 3.1 meta schema)
    assert document["servers"] == [{"url": "/api/v1"}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    responses = document["components"]["responses"]
    assert len(responses) == 7
    for response in responses.values():
        schema = response["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}


def test_every_registered_route_is_documented_and_vice_versa(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert registered_operations(app) == documented_operations(document)


def test_every_operation_says_its_scope_and_answers_401_unless_public(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if operation.get("security") == []:
                assert path in ("/openapi.json", "/docs")
                continue
            assert operation["x-scope"] in ("read", "write"), path
            if method == "get":
                assert operation["x-scope"] == "read", path
            if operation["x-scope"] == "write":
                assert "403" in operation["responses"], path  # a read token is refused
            assert "401" in operation["responses"] and "429" in operation["responses"]
            assert operation.get("operationId"), (method, path)


def test_me_is_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["paths"]["/me"]["get"]["responses"]["200"]
    assert "Me" in document["components"]["schemas"]


def test_docs_page_is_public_self_contained_and_lists_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/v1/docs?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html and '<meta name="viewport"' in html
    assert "<main" in html and "<nav" in html and "<h1>" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no CDN, no external asset
    assert "<script" not in html
    for method, path in documented_operations(document):
        assert f"{method}</span> <code>{path}</code>" in html
    assert "Authorization: Bearer $REPLAN_TOKEN" in html
    assert "Token scope needed" in html
    assert "RateLimit-Remaining" in html  # the pacing headers are in the reference
    assert "RateLimit-Remaining" in document["info"]["description"]


def test_docs_page_speaks_russian_by_default_and_to_accept_language(client):
    russian = client.get("/api/v1/docs").get_data(as_text=True)
    assert '<html lang="ru">' in russian
    english = client.get("/api/v1/docs", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert english.headers["Content-Language"] == "en"


def test_the_references_examples_work_on_the_demo_catalogue(app, client):
    """Copied from /api/v1/docs, POST /requests was refused (no object type), the prefill
    example sent {} and every path kept a literal {request_id} (a 404 through curl)."""
    from app.api_tokens import create_token
    from app.demo import load_catalog
    from app.extensions import db
    from tests.factories import make_partner

    load_catalog()
    user = make_partner()
    _row, secret = create_token(user, "CRM", "write", 30)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    document = client.get("/api/v1/openapi.json").get_json()
    tried = []
    for path in ("/requests", "/quote", "/quotes", "/prefill-tokens"):
        body = document["paths"][path]["post"]["requestBody"]["content"][
            "application/json"]["example"]
        answer = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert answer.status_code in (200, 201), (path, answer.get_data(as_text=True))
        tried.append(path)
    page = html.unescape(client.get("/api/v1/docs").get_data(as_text=True))
    curls = re.findall(r"curl .*?\n  \"http[^\"]*\"", page, re.S)
    assert curls and not [c for c in curls if "{" in c.rsplit('"http', 1)[1]]  # no {id} left
    assert '-d \'{"body": "The extract from the register is attached."}\' \\\n  ' \
        '"http://localhost/api/v1/requests/42/messages"' in page
