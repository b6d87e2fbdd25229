"""Demo bureaus other than the default redevelopment one (`flask replan demo --profile NAME`).

A profile is data only (a module with a PROFILE dict, e.g. app.demo_profiles.car_check); this
package builds it through the same checks and use cases the back office uses — a service is
checked by app.catalogue.check_service, a form field by app.service_field_admin.check_field
(options written as the editor's "value | Метка | Label | coefficient" lines), a document slot
by app.document_slots.check_slot, SLA by app.sla.set_service_sla, labels and PDF texts by
app.text_admin.save_text, settings by app.settings.save_settings — and files its requests
through app.service_fields.parse, app.intake.create_draft, app.attachments.attach_files and
app.workflow. Nothing in the app knows which profile built the data.
"""

from __future__ import annotations

import base64
import io
import random
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from werkzeug.datastructures import FileStorage, MultiDict

from app import demo
from app.accounts import create_user
from app.timefmt import local_today
from app.approvals import decide, steps_of
from app.attachments import attach_files
from app.catalogue import check_service
from app.deliverables import upload_package
from app.demo_profiles import car_check
from app.document_slots import check_slot
from app.errors import InvalidInput
from app.extensions import db
from app.intake import create_draft
from app.payments import mark_payment
from app.pricing import coefficient_text
from app.service_field_admin import check_field, parse_option_lines
from app.service_fields import fields_for, parse
from app.settings import DEFAULTS, get_setting, save_settings
from app.sla import set_service_sla
from app.text_admin import save_text
from app.uow import commit
from app.workflow import assign_manager, transition
from models.approvals import ApprovalStep
from models.base import utcnow
from models.catalog import RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.document_slots import DocumentSlot
from models.knowledge import KbArticle, KbCategory
from models.partners import EndClient, PartnerCompany
from models.request_status import Action as A
from models.request_status import Status
from models.requests import Message
from models.service_fields import ServiceField

DEFAULT = "redevelopment"


def profiles() -> dict:
    """name → the profile's data (the default bureau is app.demo itself)."""
    return {"car-check": car_check.PROFILE}


def users_of(name: str) -> list[tuple[str, str]]:
    """(username, role) of a profile's demo logins."""
    if name == DEFAULT:
        return [(u[0], u[1]) for u in demo.DEMO_USERS]
    return [(u[0], u[1]) for u in profiles()[name]["users"]]


def load_profile(name: str) -> bool:
    """Build the named demo bureau; False if a demo is already there."""
    if name == DEFAULT:
        return demo.load_demo()
    spec = profiles()[name]
    if current_app.config.get("ENV_NAME") == "production":
        raise demo.DemoRefused("Demo data is refused when REPLAN_ENV=production.")
    if current_app.appbuilder.sm.find_user(username="admin") is not None:
        return False
    build(spec)
    commit()
    return True


def build(spec: dict) -> dict:
    """Everything of a profile in the current transaction (the caller commits); returns
    {"users": {username: user}, "services": {code: Service}, "requests": [...]}."""
    rng = random.Random(spec.get("seed", 2026))
    companies = [PartnerCompany(**values) for values in spec["companies"]]
    db.session.add_all(companies)
    db.session.flush()
    users = {u[0]: _user(u, companies) for u in spec["users"]}
    admin = users["admin"]
    _settings(admin, spec.get("settings", {}))
    articles = _knowledge(spec.get("knowledge", ()))
    _price_rules(spec.get("price_rules", {}))
    services = {s["code"]: _service(s, articles) for s in spec["services"]}
    for code, s in zip(services, spec["services"]):
        for status, minutes in s.get("sla_minutes", {}).items():
            set_service_sla(admin, services[code].id, status, minutes)
    for kind, key, locale, body in spec.get("texts", ()):
        save_text(admin, kind, key, locale, body)
    clients = [EndClient(company_id=companies[k].id, name=name, phone=phone)
               for k, name, phone in spec.get("clients", ())]
    db.session.add_all(clients)
    db.session.flush()
    requests = [_request(rng, spec, n, item, users, services, clients)
                for n, item in enumerate(spec.get("requests", ()))]
    demo._read_old_notifications()
    return {"users": users, "services": services, "requests": requests}


def _user(spec, companies):
    username, role, first, last, company_idx, partner_role = spec
    company = companies[company_idx] if company_idx is not None else None
    return create_user(username, f"{username}@replan.example", first, last, [role],
                       demo.DEMO_PASSWORD, phone="+7 900 000-00-00", company=company,
                       partner_role=partner_role)


def _settings(admin, changes: dict) -> None:
    values = {key: get_setting(key) for key in DEFAULTS}
    for key, value in changes.items():
        values[key] = ({**values[key], **value} if isinstance(value, dict) else value)
    save_settings(admin, values)


def _knowledge(categories) -> dict:
    articles = {}
    for k, (slug, name, items) in enumerate(categories):
        category = KbCategory(slug=slug, name=name, sort_order=k)
        db.session.add(category)
        for a_slug, title, kind, public, body in items:
            articles[a_slug] = KbArticle(category=category, slug=a_slug, title=title,
                                         kind=kind, is_public=public, body_md=body)
            db.session.add(articles[a_slug])
    db.session.flush()
    return articles


def _price_rules(rules: dict) -> None:
    for key, label, label_en, coef in rules.get("urgency", ()):
        db.session.add(PriceRule(kind=RULE_URGENCY, key=key, label=label, label_en=label_en,
                                 coefficient=Decimal(coefficient_text(coef))))
    for key, label, label_en, rub in rules.get("option", ()):
        db.session.add(PriceRule(kind=RULE_OPTION, key=key, label=label, label_en=label_en,
                                 surcharge_kopecks=int(rub * 100)))
    db.session.flush()


def _service(spec: dict, articles: dict) -> Service:
    """A service, its form fields, document slots and approval steps, each checked as the
    back office checks what an admin saves."""
    service = Service(code=spec["code"], name=spec["name"], name_en=spec.get("name_en"),
                      description=spec.get("description"), sort_order=spec.get("order", 0),
                      base_price_kopecks=spec["base_rub"] * 100,
                      price_per_m2_kopecks=spec.get("rate_rub", 0) * 100,
                      estimated_hours=Decimal(spec.get("hours", 1)))
    db.session.add(service)
    db.session.flush()
    for order, values in enumerate(spec.get("fields", ()), start=1):
        values = dict(values)
        options = parse_option_lines(values.pop("options", ""))
        row = ServiceField(service_id=service.id, sort_order=order * 10, options=options,
                           **{k: (Decimal(str(v)) if k in ("min_value", "max_value") else v)
                              for k, v in values.items()})
        check_field(row)
        db.session.add(row)
        db.session.flush()
    service.rate_field_key = spec.get("rate_field")
    check_service(service)
    for order, values in enumerate(spec.get("slots", ()), start=1):
        values = dict(values)
        article = articles.get(values.pop("kb_article", None))
        slot = DocumentSlot(service_id=service.id, sort_order=order * 10,
                            kb_article_id=article.id if article is not None else None,
                            **values)
        check_slot(slot)
        db.session.add(slot)
    for position, (title, title_en, role, gate) in enumerate(spec.get("approvals", ()),
                                                             start=1):
        db.session.add(ApprovalStep(service_id=service.id, position=position, title=title,
                                    title_en=title_en, role_name=role, gate=gate))
    db.session.flush()
    return service


# --- requests ------------------------------------------------------------------------------

def _png(text: str) -> bytes:
    return base64.b64decode(text)


def _photos(spec: dict, request) -> dict:
    """One small picture per document slot the request's services ask for."""
    pictures = [_png(p) for p in spec["pictures"]]
    keys = dict.fromkeys(s.key for line in request.lines
                         for s in db.session.query(DocumentSlot).filter_by(
                             service_id=line.service_id, is_active=True))
    return {key: [FileStorage(io.BytesIO(pictures[k % len(pictures)]),
                              filename=f"{key}.png", content_type="image/png")]
            for k, key in enumerate(keys)}


def _request(rng, spec, n: int, item: dict, users, services, clients):
    author = users[item["author"]]
    company = author.profile.partner_company
    service_ids = [services[code].id for code in item["services"]]
    values, errors = parse(fields_for(service_ids), MultiDict(
        {k: str(v) for k, v in item["values"].items()}))
    if errors:  # the profile's own data must pass the form's checks
        raise InvalidInput(f"demo request {n}: {errors}")
    own = [c for c in clients if c.company_id == company.id]
    req = create_draft(author, company, service_ids, options=item.get("options", ()),
                       field_values=values, urgency=item.get("urgency", "normal"),
                       description=item.get("description"),
                       wanted_date=date.today() + timedelta(days=rng.randint(1, 5)),
                       end_client_id=own[n % len(own)].id if own else None)
    attach_files(req, [], author, slot_files=_photos(spec, req))
    _walk(rng, req, Status(item["status"]), users, n, spec)
    return req


PATH = [A.SUBMIT, A.ASSIGN, A.SCHEDULE, A.START, A.SUBMIT_REVIEW, "approve", A.ACCEPT, "pay",
        A.DELIVER, A.CLOSE]


def _walk(rng, req, target: Status, users, k: int, spec: dict) -> None:
    start = utcnow() - timedelta(days=rng.randint(3, 60), hours=rng.randint(0, 12))
    staff = spec["staff"]
    manager = users[staff["managers"][k % len(staff["managers"])]]
    expert = users[staff["experts"][k % len(staff["experts"])]]
    author = req.author
    if target == Status.CANCELLED:
        transition(req, A.SUBMIT, author)
        transition(req, A.CANCEL, author, spec["words"]["cancel"])
        demo._backdate(req, start, rng)
        return
    actors = {A.SUBMIT: author, A.ASSIGN: users[staff["dispatcher"]], A.START: expert,
              A.SUBMIT_REVIEW: expert, A.ACCEPT: manager, A.DELIVER: manager,
              A.CLOSE: author}
    for action in PATH:
        if req.status == target:
            break
        if action == "approve":
            for step in steps_of(req):
                approver = next(u for u in users.values()
                                if step.role_name in {r.name for r in u.roles})
                decide(approver, req, step.id, True, spec["words"]["approve"])
        elif action == "pay":
            mark_payment(req, req.total_kopecks, local_today(), f"п/п {500 + k}",
                         users["admin"])
            upload_package(req, [FileStorage(io.BytesIO(demo.DEMO_PDF),
                                             filename=spec["words"]["report"] % req.number)],
                           manager)
        elif action == A.ASSIGN:
            assign_manager(req, manager, actors[action])
        elif action == A.SCHEDULE:
            demo._book(req, expert, manager, start)
            transition(req, action, manager, engineer=expert)
        elif action == A.SUBMIT_REVIEW:  # the work goes to review with its file
            demo._work(req, expert)
            transition(req, action, expert)
        else:
            transition(req, action, actors[action])
    if req.status != Status.DRAFT:
        db.session.add(Message(request=req, author_id=manager.id, is_internal=True,
                               body=spec["words"]["note"]))
    demo._backdate(req, start, rng)

