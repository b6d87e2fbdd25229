"""Finding 12: no input gives a 5xx. Every registered route, as anonymous and every role, with
fuzzed query strings, paths, form fields (found in the rendered pages) and file names.

Two depths. `make test` (test_every_route_and_form_once_...): every route and every form
shape fuzzed once, by one role that can reach it (the roles take turns), on one world, with
fewer values per route and form (~1 600 requests). `make audit` (test_no_input_gives_a_server_
error, marked `audit`): every route and form as anonymous and as every role, each on a fresh
world, with the full sample (~3 900 requests).
Values are sampled per field (seeded): `FUZZ_SEED=5` tries another sample; `FUZZ_STATS=1`
with `-s` prints the forms found and the status codes seen per role."""

from __future__ import annotations

import os
import random
import re

import pytest

from app.demo import load_catalog
from app.extensions import db
from app.form_nonce import issue_nonce
from app.permissions import ADMIN, DIRECTOR
from models.request_status import Status
from models.requests import Attachment
from tests.factories import Staff, form_token, login, make_partner, make_request, make_user
from tests.security.fuzzing import (BAD_NAMES, SECURITY_VIEWS, Form, forms_of, concrete_path,
                                    payloads, query_variants, raw_multipart)

ROLES = ("anonymous", "partner", "Manager", "Engineer", "Admin", "Supermanager", "Director")
# who is tried next for a page the first role is refused: the widest reach first
REACH_ORDER = ("Admin", "partner", "Director", "Supermanager", "Manager", "Engineer", "anonymous")
SKIP_POST = ("/logout/",)  # would end the session the rest of the run needs
SEED = int(os.environ.get("FUZZ_SEED", "8"))
HEADERS = [{"Accept-Language": "xx-ZZ;q=abc, *;q=2, \x00"}, {"X-Forwarded-For": "not-an-ip"},
           {"X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "evil.example\x00"},
           {"Referer": "javascript:alert(1)", "If-Modified-Since": "yesterday"}]


def build_world() -> dict:
    """Requests in several statuses, a released package, one user of every role."""
    load_catalog()
    staff = Staff()
    owner = make_partner(username="fuzzowner")
    reqs = {s: make_request(owner, s, staff) for s in (
        Status.DRAFT, Status.SUBMITTED, Status.ASSIGNED, Status.NEEDS_INFO,
        Status.IN_PROGRESS, Status.ON_REVIEW, Status.DELIVERED)}
    users = {"partner": owner, "Manager": staff.manager, "Engineer": staff.engineer,
             "Supermanager": staff.supermanager, "Admin": make_user(ADMIN),
             "Director": make_user(DIRECTOR)}
    active = reqs[Status.IN_PROGRESS]
    attachment = db.session.query(Attachment).first()
    ids = {"pk": active.id, "request_id": active.id, "attachment_id": attachment.id,
           "action": "submit", "kind": "work", "document": "invoice", "number": active.number,
           "fmt": "xlsx", "name": "approve", "locale": "ru", "user_id": owner.id}
    pages = [p for r in reqs.values() for p in (
        f"/cabinet/requests/{r.id}", f"/cabinet/requests/{r.id}/edit", f"/desk/{r.id}",
        f"/desk/{r.id}/booking")]
    rows = _issue12_rows(active)
    ids["row_id"] = rows["sla"]
    pages += [f"/service-fields/edit/{rows['field']}", f"/document-slots/edit/{rows['slot']}",
              f"/approval-steps/edit/{rows['step']}", "/texts/email/assigned",
              "/texts/pdf/invoice.terms", "/texts/staff_label/assigned",
              f"/texts/partner_label/{rows['partner_label']}", "/sla-by-service/"]
    return {"users": users, "ids": ids, "pages": pages}


def _issue12_rows(active) -> dict:
    """Issue 12's configuration on the active request's service, so its editors, the form's
    typed fields, a document slot, an approval step and an SLA row are all fuzzed."""
    from app.text_admin import items
    from models.approvals import ApprovalStep
    from models.document_slots import DocumentSlot
    from models.service_fields import ServiceField
    from models.texts import KIND_PARTNER_LABEL, ServiceSla

    service_id = active.lines[0].service_id
    options = [{"value": "a", "label": "А", "label_en": "A", "coefficient": "1.5"},
               {"value": "b", "label": "Б", "label_en": "B"}]
    fields = [ServiceField(service_id=service_id, key=key, label=key, field_type=kind,
                           options=options if kind.endswith("select") else None,
                           pattern="[A-Z0-9]{17}" if kind == "pattern" else None,
                           is_contact=kind == "phone", sort_order=100 + i)
              for i, (key, kind) in enumerate((
                  ("vin", "pattern"), ("car_class", "select"), ("extras", "multiselect"),
                  ("made_on", "date"), ("insured", "boolean"), ("owner_phone", "phone"),
                  ("mileage", "integer")))]
    slot = DocumentSlot(service_id=service_id, key="vin_photo", title="Фото VIN",
                        accepted=["image", "pdf"], min_files=0, max_files=2)
    step = ApprovalStep(service_id=service_id, position=1, title="Проверка",
                        role_name="Supermanager")
    sla = ServiceSla(service_id=service_id, status=Status.IN_PROGRESS, minutes=20)
    db.session.add_all([*fields, slot, step, sla])
    db.session.commit()
    return {"field": fields[0].id, "slot": slot.id, "step": step.id, "sla": sla.id,
            "partner_label": items(KIND_PARTNER_LABEL)[0].key}


class Run:
    """One role's client, the 5xx found so far and the forms seen on its pages."""

    def __init__(self, app, client):
        self.app, self.client, self.failures, self.forms = app, client, [], {}
        self.stats: dict = {}
        self.reachable: list = []

    def hit(self, method: str, url: str, **kwargs):
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as exc:  # TESTING propagates errors: each one would be a 500
            db.session.rollback()
            self.failures.append((method, url, _short(kwargs.get("data")),
                                  _short(kwargs.get("query_string")), repr(exc)[:300]))
            return None
        db.session.rollback()  # as the request teardown does outside tests
        self.stats[(method, response.status_code)] = \
            self.stats.get((method, response.status_code), 0) + 1
        if response.status_code >= 500:
            self.failures.append((method, url, _short(kwargs.get("data")),
                                  _short(kwargs.get("query_string")), response.status_code))
        return response

    def crawl(self, rules, ids, pages) -> None:
        """Open every GET page with real ids (and each request's pages), keep its forms."""
        visited = set()
        for rule in rules:
            path = concrete_path(rule, ids)
            visited.add(path)
            if self.visit(path):
                self.reachable.append(rule)
        for path in pages:
            if path not in visited:  # the active request's pages are routes with real ids
                self.visit(path)

    def visit(self, path: str) -> bool:
        response = self.hit("GET", path)
        if response is None or response.status_code != 200:
            return False
        if response.mimetype == "text/html":
            for form in forms_of(response.get_data(as_text=True), path):
                # one form per shape: /jobs/outbox/3/retry stands for every row's form
                self.forms.setdefault(re.sub(r"\d+", "N", form.action), (form, path))
        return True


def _short(data):
    if isinstance(data, dict):
        return {k: [str(v)[:40] for v in (vs if isinstance(vs, list) else [vs])]
                for k, vs in data.items()}
    return str(data)[:200] if data is not None else None


def _rules(app, method: str) -> list:
    return [r for r in app.url_map.iter_rules() if method in r.methods
            and r.endpoint not in ("static", "appbuilder.static")]


def _view_of(app, endpoint: str):
    name = endpoint.rpartition(".")[0]
    for view in app.appbuilder.baseviews:
        if view.__class__.__name__ == name:
            return view
    return None


def fuzz_gets(run: Run, ids, rng, sample: bool = False) -> None:
    """Every GET route the role can open, with fuzzed queries and odd path parameters
    (`sample`: one of the query variants, sent with the odd headers, and one odd path)."""
    for rule in run.reachable:
        view = _view_of(run.app, rule.endpoint)
        view_name = view.__class__.__name__ if hasattr(view, "order_columns") else None
        path = concrete_path(rule, ids)
        variants = query_variants(view_name, getattr(view, "search_columns", None), rng)
        if sample:
            run.hit("GET", path, query_string=rng.choice(variants), headers=rng.choice(HEADERS))
        else:
            for query in variants:
                run.hit("GET", path, query_string=query)
            run.hit("GET", path, headers=rng.choice(HEADERS))
        if "<" in rule.rule:  # an int parameter gets 2**31 for "x" too: that path once
            bad_paths = [concrete_path(rule, ids, bad=bad)
                         for bad in rng.sample(["a\x00b", str(2**31), "x"], 1 if sample else 2)]
            for bad_path in dict.fromkeys(bad_paths):
                run.hit("GET", bad_path)


def _targets(run: Run, rules, ids) -> list[tuple[Form, str | None]]:
    """POST targets: every form seen on a page, then every POST route not covered by one."""
    targets = [(form, source) for form, source in run.forms.values()]
    seen = {form.action for form, _source in targets}
    for rule in rules:
        path = concrete_path(rule, ids)
        if path not in seen:
            seen.add(path)
            targets.append((Form(path), None))
    return [(f, s) for f, s in targets if not f.action.startswith(SKIP_POST)]


def _with_nonce(fields: dict) -> dict:
    """Forms with a one-time token get a fresh one, as a re-rendered page would carry."""
    return {**fields, "form_nonce": [issue_nonce()]} if "form_nonce" in fields else fields


def fuzz_posts(run: Run, rules, ids, rng, sample: bool = False) -> None:
    """Each form with one field fuzzed at a time, NUL everywhere, and odd upload names
    (`sample`: two of the fields, one odd file name)."""
    token = form_token(run.client)
    for form, source in _targets(run, rules, ids):
        only_nul = form.action.startswith(SECURITY_VIEWS)
        for payload in payloads(form, rng, fields=2 if sample else 6):
            payload = _with_nonce(payload)
            payload.setdefault("csrf_token", [token])
            run.hit("POST", form.action, data=payload)
            if only_nul:
                break
        if form.action.startswith("/api/"):
            for body in ({"username": "a\x00", "password": "x", "provider": "db"},
                         {"username": 10**30, "password": ["x"], "refresh": "x\x00"}):
                run.hit("POST", form.action, json=body)
        for name in (rng.sample(BAD_NAMES, 1 if sample else 2)
                     if form.files and not only_nul else []):
            fields = {**_with_nonce(form.fields), "csrf_token": [token]}
            body, content_type = raw_multipart(fields, form.files[0], name)
            run.hit("POST", form.action, data=body, content_type=content_type)


def _signed_in(app, world, role: str):
    client = app.test_client()
    if role != "anonymous":
        login(client, world["users"][role].username)
    return client


@pytest.mark.audit
@pytest.mark.parametrize("role", ROLES)
def test_no_input_gives_a_server_error(app, role, monkeypatch, tmp_path):
    """Fails listing each (method, url, payload, error) that answered 5xx."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    world = build_world()
    run, rng = Run(app, _signed_in(app, world, role)), random.Random(f"{SEED}-{role}")
    get_rules, post_rules = _rules(app, "GET"), _rules(app, "POST")
    run.crawl(get_rules, world["ids"], world["pages"])
    fuzz_gets(run, world["ids"], rng)
    fuzz_posts(run, post_rules, world["ids"], rng)
    if os.environ.get("FUZZ_STATS"):
        print(role, len(run.forms), sorted(run.forms), run.stats)
    assert run.failures == [], "\n".join(map(str, run.failures))


def _share_pages(runs: dict, get_rules, world) -> None:
    """Each route (and each request's page) is opened by one role: route i starts with role
    i mod 7; a page it is refused (403, redirect, 404) goes to the next of REACH_ORDER."""
    roles, ids = list(runs), world["ids"]
    paths = [(rule, concrete_path(rule, ids)) for rule in get_rules]
    visited = {path for _rule, path in paths}
    paths += [(None, path) for path in world["pages"] if path not in visited]
    for i, (rule, path) in enumerate(paths):
        first = roles[i % len(roles)]
        for role in [first] + [r for r in REACH_ORDER if r != first]:
            run = runs[role]
            if run.visit(path):
                if rule is not None:
                    run.reachable.append(rule)
                break


def _share_forms(runs: dict, post_rules, ids) -> dict:
    """Each form shape is fuzzed by the first role that saw it; each POST route no form
    covers by one role in turn (a role without access gets the refusal path)."""
    seen: set = set()
    for run in runs.values():
        for shape in list(run.forms):
            if shape in seen:
                del run.forms[shape]
            seen.add(shape)
    actions = {form.action for run in runs.values() for form, _source in run.forms.values()}
    bare = [rule for rule in post_rules if concrete_path(rule, ids) not in actions]
    roles = list(runs)
    return {role: bare[i::len(roles)] for i, role in enumerate(roles)}


def test_every_route_and_form_once_gives_no_server_error(app, monkeypatch, tmp_path):
    """`make test`'s sample of the test above: every GET route, every form shape and every
    POST route fuzzed once, by one role that can reach it, on one world, with fewer values
    (fuzz_gets / fuzz_posts `sample`). Fails listing each (method, url, payload, error)
    that gave 5xx."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    world = build_world()
    runs = {role: Run(app, _signed_in(app, world, role)) for role in ROLES}
    rng = random.Random(f"{SEED}-sample")
    _share_pages(runs, _rules(app, "GET"), world)
    shares = _share_forms(runs, _rules(app, "POST"), world["ids"])
    for run in runs.values():
        fuzz_gets(run, world["ids"], rng, sample=True)
    for role in ROLES[::-1]:  # the most powerful last: their posts change the most
        fuzz_posts(runs[role], shares[role], world["ids"], rng, sample=True)
    if os.environ.get("FUZZ_STATS"):
        for role, run in runs.items():
            print(role, len(run.reachable), len(run.forms), run.stats)
    failures = [failure for run in runs.values() for failure in run.failures]
    assert failures == [], "\n".join(map(str, failures))
