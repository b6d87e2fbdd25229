"""REST API v1 against its own OpenAPI document (issue 13): schemathesis generates requests for
every operation from /api/v1/openapi.json and sends them to the app served on a loopback port
with a partner's and a manager's read-write token. No answer may be a 5xx, and every answer
must be one the document declares (status, content type, headers, body schema).

Deterministic (derandomize) and small (few examples per operation): it finds a schema that
lies or an input that crashes, not every corner (the module tests cover the rules)."""

from __future__ import annotations

import io
import time
from collections import Counter

import pytest
from werkzeug.datastructures import FileStorage

from app.api_tokens import create_token
from app.extensions import db
from app.messages import post_partner_message
from models.request_status import Status
from tests.cabinet.filedata import PDF
from tests.factories import make_partner, make_request

# schemathesis and hypothesis are imported by the test that uses them (~1 s of imports, not
# paid by every test process at collection; pytest.ini turns schemathesis' plugin off)
EXAMPLES = 3  # per operation and pass: the whole run stays under 30 s on SQLite
TIMES: Counter = Counter()


def checks() -> list:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance,
                                                   response_headers_conformance,
                                                   response_schema_conformance,
                                                   status_code_conformance)
    return [not_a_server_error, status_code_conformance, content_type_conformance,
            response_headers_conformance, response_schema_conformance]


def token(user) -> dict:
    _row, secret = create_token(user, "fuzz", "write", 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(app, staff):
    """A partner with a draft and an assigned request (a message with a file), their manager."""
    partner = make_partner()
    draft = make_request(partner)
    assigned = make_request(partner, Status.ASSIGNED, staff)
    post_partner_message(partner, assigned, "Выписка", [FileStorage(io.BytesIO(PDF),
                                                                    filename="plan.pdf")])
    db.session.commit()
    file_id = assigned.attachments[0].id
    return {"tokens": {"partner": token(partner), "manager": token(staff.manager)},
            "ids": {"request_id": assigned.id, "file_id": file_id, "draft": draft.id}}


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def fuzz(operation, base_url: str, headers: dict, path_parameters: dict | None = None):
    """Send EXAMPLES generated cases of the operation; schemathesis raises on a failed check."""
    from hypothesis import HealthCheck, given, settings

    strategy = operation.as_strategy(path_parameters=path_parameters or None)
    started = time.monotonic()
    wanted = checks()

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(base_url=base_url, timeout=10)
        case.validate_response(response, checks=wanted)

    run()
    TIMES[f"{operation.method.upper()} {operation.path}"] += time.monotonic() - started


def test_every_operation_answers_as_documented(app, app_url, world):
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{app_url}/api/v1/openapi.json")
    base_url = f"{app_url}/api/v1"
    ids = world["ids"]
    seen = 0
    for operation in operations(schema):
        names = {p.name for p in operation.path_parameters}
        fixed = {name: ids[name] for name in names if name in ids}
        # ids as generated (mostly absent or foreign), then the objects the users may see
        fuzz(operation, base_url, world["tokens"]["partner"])
        for headers in world["tokens"].values():
            if fixed or headers is world["tokens"]["manager"]:
                fuzz(operation, base_url, headers, fixed)
        seen += 1
    assert seen >= 10  # the document is not empty
    assert sum(TIMES.values()) < 60, TIMES.most_common(5)  # kept small (about 25 s here)
