"""`flask replan demo`: a realistic bureau in one transaction (idempotent)."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from werkzeug.datastructures import FileStorage

from app import demo_catalog as cat
from app import rollups
from app.accounts import create_user
from app.attachments import attach_files
from app.timefmt import local_today
from app.deliverables import upload_package
from app.extensions import db
from app.uow import commit
from app.service_field_presets import add_object_fields
from app.intake import create_draft
from app.payments import mark_payment
from app.scheduling import conflicts
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, PARTNER, SUPERMANAGER
from app.workflow import assign_manager, transition
from models.base import utcnow
from app.pricing import coefficient_text
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.knowledge import KbArticle, KbCategory
from models.notifications import Notification
from models.partners import PARTNER_MEMBER, PARTNER_OWNER, EndClient, PartnerCompany
from models.request_status import OPEN_STATUSES, Action, Status
from models.requests import ATTACH_WORK, Message
from models.schedule import ENTRY_VACATION, ENTRY_VISIT, ScheduleEntry

DEMO_PASSWORD = "replan-demo-2026"  # meets the password policy (app.passwords)
# username, role, first name, last name, company index, partner role
DEMO_USERS = [
    ("admin", ADMIN, "Анна", "Админова", None, None),
    ("director", DIRECTOR, "Дмитрий", "Директоров", None, None),
    ("supermanager", SUPERMANAGER, "Светлана", "Старшова", None, None),
    ("manager1", MANAGER, "Мария", "Менеджерова", None, None),
    ("manager2", MANAGER, "Максим", "Маркелов", None, None),
    ("engineer1", ENGINEER, "Евгений", "Инженеров", None, None),
    ("engineer2", ENGINEER, "Елена", "Проектова", None, None),
    ("engineer3", ENGINEER, "Егор", "Чертёжников", None, None),
    ("partner1", PARTNER, "Павел", "Партнёров", 0, PARTNER_OWNER),
    ("partner1b", PARTNER, "Полина", "Агентова", 0, PARTNER_MEMBER),
    ("partner2", PARTNER, "Пётр", "Брокеров", 1, PARTNER_OWNER),
]
COMPANIES = [("АН «Этажи-Центр»", "7728012340", "Москва", Decimal("5.00")),  # not the bureau's
             ("Брокер Плюс", "5003052454", "Химки", Decimal("0.00"))]
# the path a request walks to reach each status, and how many demo requests end there
A = Action
PAY = "pay"  # not a move: the admin marks the payment and the manager uploads the package
PATH = [A.SUBMIT, A.ASSIGN, A.ASK_INFO, A.ANSWER, A.SCHEDULE, A.START, A.SUBMIT_REVIEW,
        A.RETURN, A.SUBMIT_REVIEW, A.ACCEPT, PAY, A.DELIVER, A.CLOSE]
TARGETS = {Status.DRAFT: 5, Status.SUBMITTED: 6, Status.ASSIGNED: 6, Status.NEEDS_INFO: 5,
           Status.SCHEDULED: 5, Status.IN_PROGRESS: 5, Status.ON_REVIEW: 4, Status.REWORK: 3,
           Status.READY: 5, Status.DELIVERED: 5, Status.CLOSED: 7, Status.CANCELLED: 4}
STREETS = ["ул. Тверская", "Ленинский пр-т", "ул. Профсоюзная", "ул. Шаболовка",
           "Кутузовский пр-т", "ул. Мясницкая", "ул. Гарибальди", "ул. Молодёжная"]
CLIENTS = ["Иванов Сергей", "Смирнова Ольга", "Кузнецов Артём", "Попова Наталья",
           "Васильев Игорь", "Соколова Дарья"]


class DemoRefused(RuntimeError):
    pass


def load_demo() -> bool:
    """Create the demo bureau; False if it is already there."""
    if current_app.config.get("ENV_NAME") == "production":
        raise DemoRefused("Demo data is refused when REPLAN_ENV=production.")
    if current_app.appbuilder.sm.find_user(username="admin") is not None:
        return False
    rng = random.Random(2026)
    load_catalog()
    _knowledge()
    companies = [PartnerCompany(name=n, inn=i, city=c, discount_percent=d,
                                email=f"office{k}@partner.example", phone="+7 495 000-00-0%d" % k)
                 for k, (n, i, c, d) in enumerate(COMPANIES, start=1)]
    db.session.add_all(companies)
    db.session.flush()
    users = {u[0]: _user(u, companies) for u in DEMO_USERS}
    clients = [EndClient(company_id=companies[k % 2].id, name=name,
                         phone=f"+7 916 100-20-{k:02d}") for k, name in enumerate(CLIENTS)]
    db.session.add_all(clients)
    db.session.flush()
    _vacation(users)  # first: visits are placed around it
    _requests(rng, users, clients)
    _read_old_notifications()
    # the history was spread over months after it was written: the daily rollups (written
    # as each move was flushed, seconds apart) are counted again from it, or the director's
    # "average hours in each status" would show zeros
    rollups.rebuild(db.session.connection())
    commit()
    return True


def _user(spec, companies):
    username, role, first, last, company_idx, partner_role = spec
    company = companies[company_idx] if company_idx is not None else None
    return create_user(username, f"{username}@replan.example", first, last, [role],
                       DEMO_PASSWORD, phone="+7 900 000-00-00", company=company,
                       partner_role=partner_role)


def load_catalog() -> None:
    for k, (code, name, name_en, base, per_m2, hours) in enumerate(cat.SERVICES):
        db.session.add(Service(code=code, name=name, name_en=name_en, sort_order=k,
                               base_price_kopecks=base * 100, price_per_m2_kopecks=per_m2 * 100,
                               estimated_hours=hours))
    for key, label, label_en, _coef in cat.OBJECT_TYPE_RULES:  # names; prices: the options
        db.session.add(PriceRule(kind=RULE_OBJECT_TYPE, key=key, label=label,
                                 label_en=label_en))
    for key, label, label_en, coef in cat.URGENCY_RULES:
        db.session.add(PriceRule(kind=RULE_URGENCY, key=key, label=label, label_en=label_en,
                                 coefficient=Decimal(coef)))
    for key, label, label_en, rub in cat.OPTION_RULES:
        db.session.add(PriceRule(kind=RULE_OPTION, key=key, label=label, label_en=label_en,
                                 surcharge_kopecks=rub * 100))
    db.session.flush()
    coefficients = {key: Decimal(coef) for key, _l, _e, coef in cat.OBJECT_TYPE_RULES}
    for service in db.session.query(Service).all():  # the redevelopment request form
        for row in add_object_fields(service):
            if row.key == "object_type":  # a house costs more: its option's coefficient
                row.options = [dict(o, coefficient=coefficient_text(coefficients[o["value"]]))
                               if coefficients.get(o["value"], 1) != 1 else o
                               for o in row.options]
        service.rate_field_key = "area" if service.rate_kopecks else None  # priced per m²


def _knowledge() -> None:
    for k, (slug, name, articles) in enumerate(cat.KB):
        category = KbCategory(slug=slug, name=name, sort_order=k)
        db.session.add(category)
        for a_slug, title, kind, public, body in articles:
            db.session.add(KbArticle(category=category, slug=a_slug, title=title, kind=kind,
                                     is_public=public, body_md=body))


def _requests(rng, users, clients) -> None:
    services = db.session.query(Service).all()
    partners = [users["partner1"], users["partner1b"], users["partner2"]]
    plan = [s for s, n in TARGETS.items() for _ in range(n)]
    rng.shuffle(plan)
    for k, target in enumerate(plan):
        author = partners[k % 3]
        company = author.profile.partner_company
        own_clients = [c for c in clients if c.company_id == company.id]
        req = create_draft(
            author, company, [s.id for s in rng.sample(services, rng.randint(1, 3))],
            object_address=f"г. Москва, {rng.choice(STREETS)}, д. {rng.randint(1, 120)}, "
                           f"кв. {rng.randint(1, 300)}",
            object_type=rng.choice(["apartment", "apartment", "house", "commercial", "office"]),
            area=Decimal(rng.randint(28, 180)), floor=rng.randint(1, 25),
            building_type=rng.choice(["panel", "brick", "monolith"]),
            urgency=rng.choice(["normal", "normal", "fast", "express"]),
            description="Объединение кухни и гостиной, перенос дверного проёма.",
            wanted_date=date.today() + timedelta(days=rng.randint(5, 40)),
            end_client_id=rng.choice(own_clients).id)
        _walk(rng, req, target, users, k)


def _walk(rng, req, target: Status, users, k: int) -> None:
    """Move a request along the demo path until it reaches `target`, backdating history."""
    start = utcnow() - timedelta(days=rng.randint(20, 200), hours=rng.randint(0, 12))
    manager = users["manager1" if k % 2 else "manager2"]
    engineer = users[f"engineer{k % 3 + 1}"]
    admin, author = users["admin"], req.author
    if target == Status.CANCELLED:
        transition(req, A.SUBMIT, author)
        transition(req, A.CANCEL, author, "Клиент передумал")
        _backdate(req, start, rng)
        return
    actors = {A.SUBMIT: author, A.ASSIGN: users["supermanager"], A.ASK_INFO: manager,
              A.ANSWER: author, A.SCHEDULE: manager, A.START: engineer,
              A.SUBMIT_REVIEW: engineer, A.RETURN: manager, A.ACCEPT: manager,
              A.DELIVER: manager, A.CLOSE: author}
    comments = {A.ASK_INFO: "Пришлите, пожалуйста, техпаспорт БТИ.",
                A.ANSWER: "Техпаспорт приложил.",
                A.RETURN: "Уточните размеры проёма на листе 3."}
    for action in PATH:
        if req.status == target:
            break
        if action == PAY:
            mark_payment(req, req.total_kopecks, local_today(), f"п/п {1000 + k}", admin)
            _package(req, manager)
            continue
        if action == A.ASSIGN:
            assign_manager(req, manager, actors[action])
        elif action == A.SCHEDULE:
            _book(req, engineer, manager, start)
            transition(req, action, manager, engineer=engineer)
        elif action == A.SUBMIT_REVIEW:  # the work goes to review with its file
            _work(req, engineer)
            transition(req, action, engineer)
        else:
            transition(req, action, actors[action], comments.get(action))
        if action == A.ANSWER:  # the data request's message is written by the move itself
            db.session.add(Message(request=req, author_id=actors[action].id,
                                   body=comments[action]))
    if req.status != Status.DRAFT:
        db.session.add(Message(request=req, author_id=manager.id, is_internal=True,
                               body="Внутренняя заметка: клиент просит позвонить заранее."))
    _backdate(req, start, rng)


DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
            b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _work(req, engineer) -> None:
    attach_files(req, [FileStorage(io.BytesIO(DEMO_PDF), filename=f"Обмеры {req.number}.pdf")],
                 engineer, ATTACH_WORK)


def _package(req, manager) -> None:
    upload_package(req, [FileStorage(io.BytesIO(DEMO_PDF),
                                     filename=f"Проект перепланировки {req.number}.pdf")],
                   manager)


def _book(req, engineer, manager, start) -> None:
    begins = start.replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=2)
    db.session.add(ScheduleEntry(engineer_id=engineer.id, request=req, kind=ENTRY_VISIT,
                                 starts_at=begins, ends_at=begins + timedelta(hours=3),
                                 created_by_id=manager.id))


def _backdate(req, start, rng) -> None:
    """Spread the history over realistic gaps; open requests moved recently, paid on time."""
    db.session.flush()
    changes = sorted(req.history, key=lambda c: c.id)
    gaps = [timedelta(hours=rng.randint(2, 30)) for _ in changes]
    if req.status in OPEN_STATUSES:
        start = utcnow() - sum(gaps, timedelta()) - timedelta(hours=rng.randint(1, 20))
    req.created_at = moment = start
    for change, gap in zip(changes, gaps):
        moment += gap
        change.created_at = moment
        if change.action == A.ACCEPT:
            for payment in req.payments:  # the day after, never after today
                payment.paid_on = min((moment + timedelta(days=1)).date(), local_today())
        if change.action == A.SCHEDULE:
            _move_visit(req, moment)
    req.status_changed_at = moment
    if req.submitted_at and changes:
        req.submitted_at = changes[0].created_at


VISIT_SLOTS = (9, 12, 15)  # three-hour visits inside the working day


def _move_visit(req, booked_at) -> None:
    """The visit happens on the first working day after the booking with a slot free for its
    engineer (the demo's schedule has no overlaps: the week grid would mark them)."""
    visit = db.session.query(ScheduleEntry).filter_by(request_id=req.id).first()
    if visit is None:
        return
    day = (booked_at + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    while True:
        if day.weekday() < 5:
            for hour in VISIT_SLOTS:
                begins = day.replace(hour=hour)
                if not conflicts(visit.engineer_id, begins, begins + timedelta(hours=3),
                                 exclude=[visit.id]):
                    visit.starts_at, visit.ends_at = begins, begins + timedelta(hours=3)
                    return
        day += timedelta(days=1)


def _read_old_notifications() -> None:
    """Only what still needs attention stays unread in the demo bells."""
    db.session.flush()
    db.session.query(Notification).filter(Notification.kind != "needs_info") \
        .update({Notification.is_read: True}, synchronize_session=False)


def _vacation(users) -> None:
    monday = (utcnow() - timedelta(days=utcnow().weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0)
    db.session.add(ScheduleEntry(engineer_id=users["engineer3"].id, kind=ENTRY_VACATION,
                                 starts_at=monday + timedelta(days=7),
                                 ends_at=monday + timedelta(days=12), note="Отпуск"))
