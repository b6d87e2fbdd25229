"""REST API v1 access matrix (issue 13): every operation of /api/v1/openapi.json × every role
× its own object and a foreign one, against the expected answer.

MATRIX below is the one place that says who may call what: an operation the document lists
without an entry here (a new endpoint) fails the test, and so does an entry for an operation
the document no longer has. Each role holds a read-write token; the objects are a member's
requests in the state the operation needs (the member's company owner sees them too), filed
to the assigned manager and engineer. The foreign object is a draft of a third company with
its file: no role sees it (drafts are the partner's alone), so every call on it is 404.
Expected codes: 200/201 success, 401 no token, 403 the role (or the state) refuses, 404 not
in the user's scope, 409 the state does not allow it now, 422 the input is refused after the
access checks passed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from werkzeug.datastructures import FileStorage

from app.api_tokens import create_token
from app.attachments import attach_files
from app.extensions import db
from app.messages import post_partner_message
from app.permissions import ADMIN, DIRECTOR
from app.quotes import save_quote
from app.settings import get_setting, set_setting
from models.catalog import RULE_OBJECT_TYPE, RULE_URGENCY, PriceRule
from models.request_status import Status
from models.requests import Attachment
from tests.cabinet.filedata import PDF
from tests.factories import (add_work, make_company, make_partner, make_request, make_service,
                             make_user)

ROLES = ("anonymous", "owner", "member", "other", "engineer", "manager", "supermanager",
         "admin", "director")
STAFF_ROLES = ROLES[4:]
PUBLIC = ("GET /openapi.json", "GET /docs")


@dataclass(frozen=True)
class Entry:
    """One operation: the object it acts on, its body, and the answer per role."""

    codes: str  # owner member other engineer manager supermanager admin director
    object: str | None = None  # draft, submitted, open (in progress), delivered; None: none
    json: dict | None = None
    form: dict | None = field(default=None)
    codes_on: bool = False  # the partner's submit asks a confirmation code (settings)

    def expected(self) -> dict:
        return dict(zip(ROLES[1:], (int(c) for c in self.codes.split()), strict=True))


ALL_200 = "200 200 200 200 200 200 200 200"
VISIBLE = "200 200 404 200 200 200 200 200"  # the member's request: not another company's
PARTNERS_ONLY = "200 200 404 403 403 403 403 403"  # staff refused before any look-up
MOVE = {"comment": "Передумали"}
QUOTE = {"services": ["{service}"], "fields": {"area": 54.5}}
DRAFT = {"services": ["{service}"], "urgency": "normal",
         "fields": {"address": "Москва, Тверская 1", "area": 54.5, "object_type": "apartment"}}
MATRIX: dict[str, Entry] = {
    # public, and the token user's own things
    "GET /openapi.json": Entry(ALL_200),
    "GET /docs": Entry(ALL_200),
    "GET /me": Entry(ALL_200),
    "GET /notifications": Entry(ALL_200),
    "GET /services": Entry(ALL_200),
    "GET /requests": Entry(ALL_200),  # each their own scope
    # partners' creations (any partner company), refused to staff
    "POST /quote": Entry("200 200 200 403 403 403 403 403", json=QUOTE),
    "POST /quotes": Entry("201 201 201 403 403 403 403 403", json=QUOTE),
    "GET /quotes": Entry(ALL_200),  # each their own scope (staff: none)
    # the member's saved quote: his company's owner reads it too; staff have no quotes
    "GET /quotes/{quote_id}": Entry("200 200 404 404 404 404 404 404", "quote"),
    "POST /quotes/confirmation-code": Entry("201 201 201 403 403 403 403 403", json=QUOTE,
                                            codes_on=True),
    "POST /prefill-tokens": Entry("201 201 201 403 403 403 403 403", json={"service": "svc"}),
    "POST /requests": Entry("201 201 201 403 403 403 403 403", json=DRAFT),
    # the member's draft: its partners only (staff never see drafts)
    "POST /confirmation-codes": Entry("201 201 404 404 404 404 404 404", "draft",
                                      json={"purpose": "submit", "request_id": "{id}"},
                                      codes_on=True),
    "PATCH /requests/{request_id}": Entry(PARTNERS_ONLY, "draft", json={
        "version": "{version}", "fields": {"area": 60}}),
    "POST /requests/{request_id}/submit": Entry(PARTNERS_ONLY, "draft", json={}),
    # the partner's moves of a submitted / delivered request (staff move through /moves)
    "POST /requests/{request_id}/cancel": Entry(PARTNERS_ONLY, "submitted", json=MOVE),
    "POST /requests/{request_id}/close": Entry(PARTNERS_ONLY, "delivered", json={}),
    "POST /requests/{request_id}/repeat": Entry("201 201 404 403 403 403 403 403", "open"),
    # staff moves: the engineer's submit_review of the work in progress (partners refused
    # before any look-up, so a foreign request answers as a missing one: 403)
    "POST /requests/{request_id}/moves": Entry("403 403 403 200 403 403 403 403", "open",
                                               json={"action": "submit_review",
                                                     "version": "{version}"}),
    # a request in progress: everyone who sees it reads it
    "GET /requests/{request_id}": Entry(VISIBLE, "open"),
    "GET /requests/{request_id}/signatures": Entry(VISIBLE, "open"),
    "GET /requests/{request_id}/files": Entry(VISIBLE, "open"),
    "GET /requests/{request_id}/messages": Entry(VISIBLE, "open"),
    "GET /requests/{request_id}/history": Entry(VISIBLE, "open"),
    "GET /files/{file_id}": Entry(VISIBLE, "open"),  # a partner input file: working data
    # files of a submitted request: the engineer's work (partners add files to drafts only)
    "POST /requests/{request_id}/files": Entry("403 403 404 201 403 403 403 403", "open",
                                               form={"kind": "work"}),
    # the thread: the partners, the request's manager and a supermanager write; not the
    # engineer, admin or director
    "POST /requests/{request_id}/messages": Entry("201 201 404 403 201 201 403 403", "open",
                                                  json={"body": "Здравствуйте"}),
}


def documented_operations(client) -> set[str]:
    document = client.get("/api/v1/openapi.json").get_json()
    return {f"{method.upper()} {path}" for path, item in document["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")}


def test_every_documented_operation_has_a_matrix_entry(app, client):
    documented = documented_operations(client)
    assert sorted(documented - set(MATRIX)) == [], "add these operations to MATRIX"
    assert sorted(set(MATRIX) - documented) == [], "these MATRIX entries are not documented"


class World:
    """The users with their tokens; objects are made per call (writes change them)."""

    def __init__(self, staff):
        company = make_company("Стройпартнёр")
        self.owner = make_partner(company, owner=True)
        self.member = make_partner(company, owner=False)
        self.staff = staff
        users = {"owner": self.owner, "member": self.member,
                 "other": make_partner(make_company("Чужая фирма")),
                 "engineer": staff.engineer, "manager": staff.manager,
                 "supermanager": staff.supermanager, "admin": make_user(ADMIN),
                 "director": make_user(DIRECTOR)}
        self.headers = {"anonymous": {}}
        for role, user in users.items():
            _row, secret = create_token(user, "matrix", "write", 30)
            self.headers[role] = {"Authorization": f"Bearer {secret}"}
        db.session.add_all([
            PriceRule(kind=RULE_OBJECT_TYPE, key="apartment", label="Квартира",
                      label_en="Apartment"),
            PriceRule(kind=RULE_URGENCY, key="normal", label="Обычная", label_en="Normal")])
        db.session.flush()
        self.service = make_service()
        db.session.commit()

    def request(self, kind: str | None, author=None):
        """A request of `kind` with a partner file; (request, file id). A saved quote for
        kind "quote": (quote, None)."""
        author = author or self.member
        if kind == "quote":
            quote = save_quote(author, [self.service.id], {"area": "60"}, "normal")
            db.session.commit()
            return quote, None
        status = {"draft": Status.DRAFT, "submitted": Status.SUBMITTED,
                  "open": Status.IN_PROGRESS, "delivered": Status.DELIVERED}[kind]
        req = make_request(author, status, self.staff)
        upload = FileStorage(io.BytesIO(PDF), filename="plan.pdf")
        if status == Status.DRAFT:
            attach_files(req, [upload], author)
        else:
            post_partner_message(author, req, "План квартиры", [upload])
        db.session.commit()
        file_id = db.session.query(Attachment.id).filter_by(request_id=req.id) \
            .order_by(Attachment.id).first()[0]
        if status == Status.IN_PROGRESS:  # the work its engineer sends for review
            add_work(req, self.staff.engineer)
            db.session.commit()
        return req, file_id

    def foreign(self, kind: str = "draft"):
        return self.request("quote" if kind == "quote" else "draft",
                            make_partner(make_company("Третья фирма")))


def _fill(value, values: dict):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return values[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def call(client, world: World, operation: str, entry: Entry, role: str, target=None):
    method, path = operation.split(" ", 1)
    values = {"service": world.service.id}
    if target is not None:
        req, file_id = target
        values.update(id=req.id, version=getattr(req, "version", None))
        path = path.replace("{request_id}", str(req.id)).replace("{file_id}", str(file_id)) \
            .replace("{quote_id}", str(req.id))
    kwargs = {"headers": world.headers[role]}
    if entry.form is not None:
        kwargs["data"] = {**entry.form, "files": [(io.BytesIO(PDF), "work.pdf")]}
        kwargs["content_type"] = "multipart/form-data"
    elif entry.json is not None:
        kwargs["json"] = _fill(entry.json, values)
    elif method != "GET":
        kwargs["json"] = {}
    return getattr(client, method.lower())(f"/api/v1{path}", **kwargs)


def test_access_matrix(app, client, staff):
    """Each operation × role on its own object, then on a foreign and a missing one."""
    world = World(staff)
    wrong = []
    for operation in sorted(MATRIX):
        entry = MATRIX[operation]
        if entry.codes_on:
            set_setting("signatures", {**get_setting("signatures"), "submit": True,
                                       "quote": True})
            db.session.commit()
        expected = {"anonymous": 200 if operation in PUBLIC else 401, **entry.expected()}
        shared = world.request(entry.object) if entry.object else None
        for role in ROLES:
            # a refusal changes nothing: those share one object; a success gets its own
            target = world.request(entry.object) if entry.object and expected[role] < 300 \
                and not operation.startswith("GET") else shared
            found = call(client, world, operation, entry, role, target).status_code
            if found != expected[role]:
                wrong.append((operation, role, "own", found, expected[role]))
        if entry.object:  # a foreign object answers like a missing one: 404 (403 for a
            foreign = world.foreign(entry.object)  # refused before any look-up)
            kind = type(foreign[0])
            missing = (kind(id=2**31 - 1, **({"version": 1} if hasattr(kind, "version")
                                             else {})), 2**31 - 1)
            for role in ROLES[1:]:
                seen = call(client, world, operation, entry, role, foreign).status_code
                absent = call(client, world, operation, entry, role, missing).status_code
                if seen != absent or seen not in (403, 404):
                    wrong.append((operation, role, "foreign", seen, absent))
        if entry.codes_on:
            set_setting("signatures", {**get_setting("signatures"), "submit": False,
                                       "quote": False})
            db.session.commit()
    assert wrong == [], "(operation, role, object, found, expected)"
