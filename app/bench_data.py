"""`flask replan bench-data`: a large, realistic dataset loaded in bulk (issue 14).

Shaped like a busy bureau network: ≈1 partner company per 5 000 requests (200 for 1M, at
least 3), the first of them ("АН «Бенч-Центр»", owner `partner1`) filing 20 % of all
requests; a few users per company, end clients per company; services of the demo catalogue
with their field values as app.intake.store_values writes them (object_address and the other
object columns are the mirrors); two years of requests whose statuses follow their age (old
ones closed or cancelled, recent ones spread over the workflow) with a history that walks the
transition table (≈7 status changes a request), 3 messages a request (one an internal note),
engineers' visits without overlaps, payments of the accepted work. Staff: admin, director,
supermanager, managers `manager1…`, engineers `engineer1…`; every login has the demo password.

Rows are written through SQL, never through the ORM: COPY on PostgreSQL, executemany batches
on SQLite, in chunks of requests, in one transaction (all or nothing). Only an empty, migrated
database with the roles synced is accepted; production is refused.
"""

from __future__ import annotations

import json
import random
import time
from bisect import bisect
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from flask import current_app
from flask_appbuilder import Model
from sqlalchemy import JSON, func, select, text
from werkzeug.security import generate_password_hash

from app import demo_catalog as cat
from app.demo import DEMO_PASSWORD, load_catalog
from app.extensions import db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, PARTNER, SUPERMANAGER
from app.service_fields import decimal_text
from app.uow import commit
from models.base import utcnow
from models.catalog import Service
from models.day_bounds import rebuild as rebuild_day_bounds
from models.partners import PARTNER_MEMBER, PARTNER_OWNER, PartnerCompany
from models.request_status import Action, Status
from models.requests import PAYMENT_PAID, PAYMENT_UNPAID, Request
from models.schedule import ENTRY_VISIT

BIG_COMPANY_INN = "9900000001"  # marks a bench database
BIG_SHARE = 0.2
# the tables that get millions of rows (their plain indexes are rebuilt after the load)
BULK_TABLES = ("request", "request_service", "status_change", "message", "schedule_entry",
               "payment", "end_client")
CHUNK = 20_000  # requests per batch of rows
SPAN_DAYS = 730

A, S = Action, Status
# the walk to each status: (action, status after it, who: author/super/manager/engineer/system)
WALK = {
    S.DRAFT: [],
    S.SUBMITTED: [(A.SUBMIT, S.SUBMITTED, "author")],
    S.ASSIGNED: [(A.SUBMIT, S.SUBMITTED, "author"), (A.ASSIGN, S.ASSIGNED, "super")],
}
WALK[S.NEEDS_INFO] = WALK[S.ASSIGNED] + [(A.ASK_INFO, S.NEEDS_INFO, "manager")]
WALK[S.SCHEDULED] = WALK[S.ASSIGNED] + [(A.SCHEDULE, S.SCHEDULED, "manager")]
WALK[S.IN_PROGRESS] = WALK[S.SCHEDULED] + [(A.START, S.IN_PROGRESS, "engineer")]
WALK[S.ON_REVIEW] = WALK[S.IN_PROGRESS] + [(A.SUBMIT_REVIEW, S.ON_REVIEW, "engineer")]
WALK[S.REWORK] = WALK[S.ON_REVIEW] + [(A.RETURN, S.REWORK, "manager")]
WALK[S.READY] = WALK[S.ON_REVIEW] + [(A.ACCEPT, S.READY, "manager")]
WALK[S.DELIVERED] = WALK[S.READY] + [(A.DELIVER, S.DELIVERED, "manager")]
WALK[S.CLOSED] = WALK[S.DELIVERED] + [(A.CLOSE, S.CLOSED, "closer")]
DETOUR = [(A.ASK_INFO, S.NEEDS_INFO, "manager"), (A.ANSWER, S.ASSIGNED, "author")]
CANCEL_EARLY = [(A.SUBMIT, S.SUBMITTED, "author"), (A.CANCEL, S.CANCELLED, "author")]
CANCEL_LATE = WALK[S.ASSIGNED] + [(A.CANCEL, S.CANCELLED, "manager")]
COMMENTS = {A.ASK_INFO: "Пришлите, пожалуйста, техпаспорт БТИ и выписку из ЕГРН.",
            A.RETURN: "Уточните размеры проёма на листе 3.",
            A.CANCEL: "Клиент передумал."}

# statuses by age (days since created): old requests are finished
BY_AGE = [
    (3, {S.DRAFT: 15, S.SUBMITTED: 50, S.ASSIGNED: 25, S.NEEDS_INFO: 5, S.CANCELLED: 5}),
    (14, {S.ASSIGNED: 20, S.NEEDS_INFO: 10, S.SCHEDULED: 30, S.IN_PROGRESS: 25,
          S.ON_REVIEW: 10, S.REWORK: 5}),
    (60, {S.IN_PROGRESS: 10, S.ON_REVIEW: 5, S.REWORK: 3, S.READY: 20, S.DELIVERED: 30,
          S.CLOSED: 27, S.CANCELLED: 5}),
    (None, {S.CLOSED: 87, S.CANCELLED: 10, S.DRAFT: 3}),
]

CITIES = ["Москва", "Химки", "Мытищи", "Подольск", "Красногорск", "Балашиха", "Люберцы",
          "Одинцово", "Королёв", "Санкт-Петербург", "Казань", "Екатеринбург"]
STREETS = ["ул. Тверская", "Ленинский пр-т", "ул. Профсоюзная", "ул. Шаболовка",
           "Кутузовский пр-т", "ул. Мясницкая", "ул. Гарибальди", "ул. Молодёжная",
           "ул. Садовая", "пр-т Мира", "ул. Лесная", "ул. Гагарина", "ул. Советская",
           "ул. Школьная", "ул. Центральная", "ул. Набережная", "Варшавское ш.",
           "ул. Новаторов", "ул. Строителей", "Рязанский пр-т"]
FIRST = ["Сергей", "Ольга", "Артём", "Наталья", "Игорь", "Дарья", "Андрей", "Елена",
         "Михаил", "Татьяна", "Алексей", "Ирина", "Николай", "Светлана", "Виктор", "Юлия"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов",
        "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов"]
AGENCY = ["Этажи", "Квартал", "Новосёл", "Ключ", "Метр", "Дом", "Адрес", "Гранд", "Вектор",
          "Кров", "Очаг", "Фасад"]
DESCRIPTIONS = ["Объединение кухни и гостиной, перенос дверного проёма.",
                "Перенос санузла, расширение ванной за счёт коридора.",
                "Демонтаж перегородки между комнатами, устройство гардеробной.",
                "Присоединение лоджии, перенос радиатора.", None]
OBJECT_TYPES = (["apartment"] * 7) + ["house", "commercial", "office"]
BUILDINGS = ["panel", "panel", "brick", "monolith", "monolith", "block"]
URGENCIES = ["normal"] * 7 + ["fast", "fast", "express"]
PARTNER_TEXT = ["Добрый день! Когда сможет приехать инженер?",
                "Клиент просит сделать побыстрее, это возможно?",
                "Приложил план БТИ, посмотрите, пожалуйста."]
STAFF_TEXT = ["Здравствуйте! Инженер свяжется с вами накануне выезда.",
              "Да, передали в работу, сроки стандартные.",
              "Спасибо, документы получили."]
NOTE_TEXT = ["Внутренняя заметка: клиент просит позвонить заранее.",
             "Внутренняя заметка: проверить несущие стены по архиву.",
             "Внутренняя заметка: партнёр постоянный, без предоплаты."]
VISIT_HOURS = tuple(range(9, 17))  # one-hour visits in the working day


class BenchRefused(RuntimeError):
    """bench-data refuses this database or environment (the message says why)."""


def sizes(requests: int) -> dict[str, int]:
    """How many companies, managers and engineers a dataset of `requests` has."""
    return {"companies": min(200, max(3, requests // 5000)),
            "managers": min(40, max(2, requests // 25000)),
            "engineers": min(200, max(3, requests // 5000))}


def check_allowed() -> None:
    """BenchRefused in production, without roles, or unless the database is empty."""
    if current_app.config.get("ENV_NAME") == "production":
        raise BenchRefused("bench-data is refused when REPLAN_ENV=production.")
    if db.session.query(PartnerCompany.id).filter_by(inn=BIG_COMPANY_INN).first():
        raise BenchRefused("This database already holds a bench dataset: drop and recreate it "
                           "(then `flask db upgrade heads` and `flask replan sync-roles`) to "
                           "load another one.")
    users = db.session.execute(text("SELECT count(*) FROM ab_user")).scalar()
    requests = db.session.query(func.count(Request.id)).scalar()
    companies = db.session.query(func.count(PartnerCompany.id)).scalar()
    services = db.session.query(func.count(Service.id)).scalar()
    if users or requests or companies or services:
        raise BenchRefused(
            f"This database holds data that is not a bench dataset ({users} users, "
            f"{companies} companies, {requests} requests, {services} services): bench-data "
            "loads only into an empty, migrated database.")
    for role in (ADMIN, DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER, PARTNER):
        if current_app.appbuilder.sm.find_role(role) is None:
            raise BenchRefused(f"Role {role} does not exist: run `flask replan sync-roles`.")


def load_bench(requests: int, seed: int = 14, echo=None) -> dict[str, int]:
    """Load the dataset into the empty database and commit; {table: rows written}."""
    if requests < 1:
        raise BenchRefused("--requests must be at least 1.")
    check_allowed()
    loader = _Loader(requests, seed, echo or (lambda _text: None))
    loader.run()
    commit()
    vacuum(list(loader.counts), echo or (lambda _text: None))
    return loader.counts


def vacuum(tables: list[str], echo) -> None:
    """PostgreSQL: VACUUM ANALYZE the loaded tables after the commit. Without it the index-only
    scans the pages rely on read the heap (no visibility map yet: a bounded count read 27 800
    pages, 270 ms instead of 2.7 ms at 1M), and the refresh UPDATE's dead rows stay in `request`
    when autovacuum is off or has not run yet."""
    if db.engine.dialect.name != "postgresql":
        return
    began = time.monotonic()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in tables:
            connection.exec_driver_sql(f'VACUUM ANALYZE "{name}"')
    echo(f"vacuum analyze: {time.monotonic() - began:.1f} s")


class _Writer:
    """Appends rows to tables: COPY on PostgreSQL, executemany batches elsewhere."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}

    def write(self, name: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        table = Model.metadata.tables[name]
        extra = [(c.name, _default(c)) for c in table.columns
                 if c.name not in columns and _default(c) is not _NONE]
        names = columns + tuple(n for n, _ in extra)
        tail = tuple(v for _, v in extra)
        json_at = [k for k, n in enumerate(names) if isinstance(table.c[n].type, JSON)]
        if self.postgres:
            self._copy(name, names, rows, tail, json_at)
        else:
            self._insert(table, names, rows, tail)
        self.counts[name] = self.counts.get(name, 0) + len(rows)

    def _copy(self, name, names, rows, tail, json_at) -> None:
        raw = self.connection.connection.driver_connection
        quoted = ", ".join(f'"{n}"' for n in names)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                row = row + tail
                if json_at:
                    row = list(row)
                    for k in json_at:
                        row[k] = json.dumps(row[k], ensure_ascii=False)
                copy.write_row(row)

    def _insert(self, table, names, rows, tail) -> None:
        statement = table.insert()
        for start in range(0, len(rows), 5000):
            self.connection.execute(statement, [dict(zip(names, row + tail))
                                                for row in rows[start:start + 5000]])

    def derive(self, name: str, statement: str, supermanager: int) -> None:
        """Rows computed by the database from the requests (INSERT … SELECT)."""
        result = self.connection.execute(text(statement), {"super": supermanager})
        self.counts[name] = self.counts.get(name, 0) + result.rowcount

    def drop_indexes(self, tables) -> None:
        """PostgreSQL: drop the tables' plain indexes (not those of primary keys or unique
        constraints) for the load and build them again after it, in the same transaction:
        one sorted build is far cheaper than millions of inserts (GIN trigram indexes above
        all)."""
        self.indexes: list[str] = []
        if not self.postgres:
            return
        found = self.connection.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)"),
            {"tables": list(tables)}).all()
        for name, definition in found:
            self.connection.execute(text(f'DROP INDEX "{name}"'))
            self.indexes.append(definition)

    def restore_indexes(self) -> None:
        for definition in self.indexes:
            self.connection.exec_driver_sql(definition)
        self.indexes = []

    def refresh(self) -> None:
        """Columns the app keeps from other rows (an ORM hook does it for rows it writes),
        and the daily rollups of the status history (app.rollups, one INSERT … SELECT)."""
        from app.rollups import rebuild  # deferred: the loader needs the hook-free SQL only
        rebuild(self.connection)
        # the staff list's per-day bounds of its date sorts (models.day_bounds)
        self.counts["request_day_bounds"] = rebuild_day_bounds(self.connection)
        if "request_thread" in Model.metadata.tables:
            # each thread's latest public message (models.requests.RequestThread): one
            # grouped pass over the messages (the loader's indexes are dropped here: a
            # correlated max() per request would scan every message once per request)
            result = self.connection.execute(text(
                "INSERT INTO request_thread (request_id, company_id, author_id, "
                "last_public_message_id) SELECT r.id, r.company_id, r.author_id, last.id "
                "FROM (SELECT m.request_id, max(m.id) AS id FROM message m "
                "WHERE NOT m.is_internal GROUP BY m.request_id) AS last "
                "JOIN request r ON r.id = last.request_id WHERE r.status <> 'draft'"))
            self.counts["request_thread"] = result.rowcount

    def finish(self) -> None:
        """Sequences after the explicit ids (PostgreSQL), fresh planner statistics."""
        if not self.postgres:
            return
        for name in self.counts:
            if "id" in Model.metadata.tables[name].c:
                self.connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f"(SELECT max(id) FROM \"{name}\"))"))
        for name in self.counts:
            self.connection.execute(text(f'ANALYZE "{name}"'))


_NONE = object()


def _default(column):
    """A column's Python-side default to fill when the loader does not name it."""
    default = column.default
    if default is None or column.primary_key:
        return _NONE
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        try:
            return default.arg(None)
        except TypeError:
            return _NONE
    return _NONE


class _Loader:
    def __init__(self, requests: int, seed: int, echo):
        self.n = requests
        self.rng = random.Random(seed)
        self.echo = echo
        self.sizes = sizes(requests)
        self.now = utcnow().replace(microsecond=0)
        self.start = self.now - timedelta(days=SPAN_DAYS)
        self.counts: dict[str, int] = {}

    # ---- setup: catalogue (ORM, small), users and companies (SQL) ----
    def run(self) -> None:
        began = time.monotonic()
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL synchronous_commit TO off"))
            db.session.execute(text("SET LOCAL maintenance_work_mem TO '256MB'"))
            if db.session.execute(text("SELECT rolsuper FROM pg_roles "
                                       "WHERE rolname = current_user")).scalar():
                # the rows are consistent by construction: skip the per-row foreign-key
                # triggers during the load (a superuser's bulk-load switch, this transaction)
                db.session.execute(text("SET LOCAL session_replication_role TO replica"))
        load_catalog()
        db.session.flush()
        self._prices()
        self.writer = _Writer(db.session.connection())
        self.writer.drop_indexes(BULK_TABLES)
        self._people()
        self.echo(f"users and companies: {time.monotonic() - began:.1f} s")
        self.slots: dict[tuple[int, date], int] = {}
        self.year_seq: dict[int, int] = {}
        self.ids = {"request_service": 0, "payment": 0, "schedule_entry": 0}
        for first in range(1, self.n + 1, CHUNK):
            self._chunk(first, min(self.n, first + CHUNK - 1))
            self.echo(f"requests {min(self.n, first + CHUNK - 1):>9,}: "
                      f"{time.monotonic() - began:.1f} s")
        self.writer.write("request_counter", ("year", "last_value"),
                          sorted(self.year_seq.items()))
        self.writer.derive("status_change", history_sql(self.writer.postgres), self.super)
        self.echo(f"status history: {time.monotonic() - began:.1f} s")
        self.writer.derive("message", messages_sql(self.writer.postgres), self.super)
        self.echo(f"messages: {time.monotonic() - began:.1f} s")
        self.writer.refresh()
        self.writer.restore_indexes()
        self.echo(f"indexes: {time.monotonic() - began:.1f} s")
        self.writer.finish()
        self.counts = dict(self.writer.counts)
        self.echo(f"done: {time.monotonic() - began:.1f} s")

    def _prices(self) -> None:
        self.services = [(s.id, s.name, s.base_price_kopecks, s.price_per_m2_kopecks,
                          s.estimated_hours) for s in
                         db.session.query(Service).order_by(Service.sort_order)]
        self.service_weights = list(accumulate([3, 5, 2, 2, 3, 1, 1, 2][:len(self.services)]
                                               + [1] * max(0, len(self.services) - 8)))
        self.object_coef = {key: Decimal(coef) for key, _l, _e, coef in cat.OBJECT_TYPE_RULES}
        self.urgency_coef = {key: Decimal(coef) for key, _l, _e, coef in cat.URGENCY_RULES}

    def _people(self) -> None:
        rng, w = self.rng, self.writer
        sm = current_app.appbuilder.sm
        roles = {name: sm.find_role(name).id for name in
                 (ADMIN, DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER, PARTNER)}
        password = generate_password_hash(
            DEMO_PASSWORD, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"))
        users, links, profiles = [], [], []
        joined = self.start - timedelta(days=30)

        def add(username, role, first, last, company=None, partner_role=None):
            uid = len(users) + 1
            users.append((uid, first, last, username, password, True,
                          f"{username}@bench.example", 0, 0, joined, joined))
            links.append((uid, uid, roles[role]))
            profiles.append((uid, f"+7 900 {uid // 10000 % 1000:03d}-{uid % 10000:04d}",
                             company, partner_role, "ru", False, {}, 40))
            return uid

        self.admin = add("admin", ADMIN, "Анна", "Админова")
        self.director = add("director", DIRECTOR, "Дмитрий", "Директоров")
        self.super = add("supermanager", SUPERMANAGER, "Светлана", "Старшова")
        self.managers = [add(f"manager{k}", MANAGER, rng.choice(FIRST), rng.choice(LAST))
                         for k in range(1, self.sizes["managers"] + 1)]
        self.engineers = [add(f"engineer{k}", ENGINEER, rng.choice(FIRST), rng.choice(LAST))
                          for k in range(1, self.sizes["engineers"] + 1)]
        companies, clients = [], []
        self.company_users: dict[int, list[int]] = {}
        self.company_clients: dict[int, tuple[int, int]] = {}
        self.discount: dict[int, Decimal] = {}
        count = self.sizes["companies"]
        others = [1 / (k ** 0.7) for k in range(1, count)]  # a long tail of smaller agencies
        share = [BIG_SHARE] + [(1 - BIG_SHARE) * x / sum(others) for x in others]
        self.company_cum = list(accumulate(share))
        for c in range(1, count + 1):
            big = c == 1
            name = "АН «Бенч-Центр»" if big else f"АН «{AGENCY[c % len(AGENCY)]}-{c}»"
            city = CITIES[0] if big else CITIES[c % len(CITIES)]
            self.discount[c] = Decimal("5.00") if big else Decimal("3.00" if c % 4 == 0 else 0)
            companies.append((c, name, f"99{c:08d}", city, f"+7 495 {c:03d}-00-00",
                              f"office{c}@partner.bench.example", self.discount[c], False,
                              joined))
            members = 19 if big else c % 4
            owner = add(f"partner{c}", PARTNER, rng.choice(FIRST), rng.choice(LAST), c,
                        PARTNER_OWNER)
            self.company_users[c] = [owner] + [
                add(f"partner{c}-{k}", PARTNER, rng.choice(FIRST), rng.choice(LAST), c,
                    PARTNER_MEMBER) for k in range(1, members + 1)]
            expected = max(3, int(self.n * share[c - 1] / 8))  # a client files ≈8 requests
            first_id = len(clients) + 1
            for k in range(expected):
                clients.append((first_id + k, c, owner,
                                f"{rng.choice(LAST)} {rng.choice(FIRST)}",
                                f"+7 916 {c:03d}-{k // 100 % 1000:03d}-{k % 100:02d}", joined))
            self.company_clients[c] = (first_id, expected)
        w.write("ab_user", ("id", "first_name", "last_name", "username", "password", "active",
                            "email", "login_count", "fail_login_count", "created_on",
                            "changed_on"), users)
        w.write("ab_user_role", ("id", "user_id", "role_id"), links)
        w.write("partner_company", ("id", "name", "inn", "city", "phone", "email",
                                    "discount_percent", "is_blocked", "created_at"), companies)
        w.write("user_profile", ("user_id", "phone", "partner_company_id", "partner_role",
                                 "locale", "must_change_password", "notify_prefs",
                                 "weekly_capacity_hours"), profiles)
        w.write("end_client", ("id", "company_id", "created_by_id", "name", "phone",
                               "created_at"), clients)

    # ---- requests and everything hanging off them, a chunk at a time ----
    def _status(self, created: datetime) -> Status:
        age = (self.now - created).days
        for limit, weights in BY_AGE:
            if limit is None or age < limit:
                return self.rng.choices(list(weights), list(weights.values()))[0]
        raise AssertionError

    def _chunk(self, first: int, last: int) -> None:
        rng = self.rng
        rows = {k: [] for k in ("request", "request_service", "schedule_entry", "payment")}
        step = timedelta(days=SPAN_DAYS) / self.n
        for rid in range(first, last + 1):
            created = (self.start + step * (rid - 1) +
                       timedelta(seconds=rng.randint(0, 59))).replace(microsecond=0)
            company = bisect(self.company_cum, rng.random()) + 1
            company = min(company, len(self.company_cum))
            self._request(rid, created, company, rows)
        for name, columns in COLUMNS.items():
            self.writer.write(name, columns, rows[name])

    def _request(self, rid: int, created: datetime, company: int, rows) -> None:
        rng, ids = self.rng, self.ids
        status = self._status(created)
        author = rng.choice(self.company_users[company])
        first_client, client_count = self.company_clients[company]
        client = first_client + rng.randrange(client_count) if rng.random() < 0.7 else None
        city = CITIES[0] if company == 1 else CITIES[company % len(CITIES)]
        address = (f"г. {city}, {rng.choice(STREETS)}, д. {rng.randint(1, 150)}, "
                   f"кв. {rng.randint(1, 400)}")
        object_type, building = rng.choice(OBJECT_TYPES), rng.choice(BUILDINGS)
        area = Decimal(rng.randint(250, 2000)) / 10
        floor, urgency = rng.randint(1, 25), rng.choice(URGENCIES)
        values = {"address": address, "object_type": object_type, "area": decimal_text(area),
                  "floor": floor, "building_type": building}
        # lines priced as app.pricing does: (base + rate × area) × object × urgency coefficients
        picked = sorted({bisect(self.service_weights, rng.random() * self.service_weights[-1])
                         for _ in range(rng.choice((1, 1, 2, 2, 3)))})
        coef = self.object_coef.get(object_type, Decimal(1)) * self.urgency_coef[urgency]
        subtotal = 0
        for k in picked:
            sid, name, base, rate, hours = self.services[k]
            kopecks = int(((Decimal(base) + Decimal(rate) * area) * coef).quantize(
                Decimal(1), rounding=ROUND_HALF_UP))
            subtotal += kopecks
            ids["request_service"] += 1
            rows["request_service"].append((ids["request_service"], rid, sid, name, kopecks,
                                            hours))
        total = subtotal - int((Decimal(subtotal) * self.discount[company] / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP))
        # the walk to the status (app/bench_data's WALK, the variant by the id as the SQL
        # that writes the history picks it), its steps evenly spaced from creation to the
        # last change
        walk = walk_of(status, rid)
        gaps = sum(rng.uniform(1, 40) for _ in walk)
        age = (self.now - created).total_seconds() / 3600
        changed = created + timedelta(hours=min(gaps, max(age - 1, age / 2) *
                                                rng.uniform(0.6, 1.0)))
        manager = rng.choice(self.managers) if any(w[2] == "manager" or w[0] == A.ASSIGN
                                                   for w in walk) else None
        engineer = rng.choice(self.engineers) if any(w[0] == A.SCHEDULE for w in walk) \
            else None
        submitted = paid_on = None
        for step, (action, _target, _actor) in enumerate(walk, start=1):
            moment = created + (changed - created) * step / len(walk)
            if action == A.SUBMIT:
                submitted = moment
            elif action == A.SCHEDULE:
                self._visit(rid, engineer, manager, moment, rows)
            elif action == A.ACCEPT:
                paid_on = (moment + timedelta(days=1)).date()
        paid = paid_on is not None and (status != S.READY or rng.random() < 0.5)
        if paid:
            ids["payment"] += 1
            rows["payment"].append((ids["payment"], rid, total, min(paid_on, self.now.date()),
                                    f"п/п {rid}", self.admin, changed))
        year = created.year
        self.year_seq[year] = self.year_seq.get(year, 0) + 1
        rows["request"].append((
            rid, f"{year}-{self.year_seq[year]:05d}", company, author, manager, engineer, client,
            status.value, 1 + len(walk), values, address[:300], object_type, area, floor,
            building, urgency, [], rng.choice(DESCRIPTIONS),
            (created + timedelta(days=rng.randint(5, 40))).date(), total,
            total if paid else 0, PAYMENT_PAID if paid else PAYMENT_UNPAID,
            COMMENTS[A.CANCEL] if status == S.CANCELLED else None, created, changed,
            submitted, changed))

    def _visit(self, rid, engineer, manager, booked: datetime, rows) -> None:
        """A one-hour visit on the engineer's first working day after the booking with a
        free hour (no overlaps: the week grid would flag them)."""
        day = booked.date() + timedelta(days=1)
        while True:
            if day.weekday() < 5:
                used = self.slots.get((engineer, day), 0)
                if used < len(VISIT_HOURS):
                    self.slots[(engineer, day)] = used + 1
                    break
            day += timedelta(days=1)
        begins = datetime.combine(day, datetime.min.time()).replace(hour=VISIT_HOURS[used])
        self.ids["schedule_entry"] += 1
        rows["schedule_entry"].append((self.ids["schedule_entry"], engineer, rid, ENTRY_VISIT,
                                       begins, begins + timedelta(hours=1), None, manager,
                                       booked.replace(microsecond=0)))


COLUMNS = {
    "request": ("id", "number", "company_id", "author_id", "manager_id", "engineer_id",
                "end_client_id", "status", "version", "field_values", "object_address",
                "object_type", "area", "floor", "building_type", "urgency", "options",
                "description", "wanted_date", "total_kopecks", "paid_kopecks", "payment_state",
                "cancel_reason", "created_at", "updated_at", "submitted_at",
                "status_changed_at"),
    "request_service": ("id", "request_id", "service_id", "title", "price_kopecks",
                        "estimated_hours"),
    "schedule_entry": ("id", "engineer_id", "request_id", "kind", "starts_at", "ends_at",
                       "note", "created_by_id", "created_at"),
    "payment": ("id", "request_id", "amount_kopecks", "paid_on", "document", "created_by_id",
                "created_at"),
}


def walk_of(status: Status, rid: int) -> list:
    """The moves request `rid` made to reach `status`: cancelled early (by the partner) or
    late (by its manager), some asked the partner for data before the visit."""
    if status == S.CANCELLED:
        return CANCEL_EARLY if rid % 5 < 3 else CANCEL_LATE
    walk = WALK[status]
    if len(walk) >= 3 and walk[2][0] == A.SCHEDULE and rid % 7 == 0:
        return walk[:2] + DETOUR + walk[2:]
    return walk


def _variants() -> list[tuple[str, str, list]]:
    out = [(S.CANCELLED.value, "early", CANCEL_EARLY), (S.CANCELLED.value, "late", CANCEL_LATE)]
    for status, walk in WALK.items():
        out.append((status.value, "plain", walk))
        if len(walk) >= 3 and walk[2][0] == A.SCHEDULE:
            out.append((status.value, "detour", walk[:2] + DETOUR + walk[2:]))
    return out


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _between(postgres: bool, fraction: str) -> str:
    """The moment `fraction` of the way from the request's creation to its last change."""
    if postgres:
        return f"r.created_at + (r.status_changed_at - r.created_at) * ({fraction})"
    return ("strftime('%Y-%m-%d %H:%M:%S', julianday(r.created_at) + (julianday("
            f"r.status_changed_at) - julianday(r.created_at)) * ({fraction})) || '.000000'")


def history_sql(postgres: bool) -> str:
    """INSERT … SELECT of every request's status history from the walk table above."""
    rows = []
    for status, variant, walk in _variants():
        before = S.DRAFT.value
        for step, (action, target, actor) in enumerate(walk, start=1):
            comment = COMMENTS.get(action) if action != A.CANCEL or actor == "manager" \
                else None
            rows.append("(" + ", ".join(_literal(v) for v in (
                status, variant, step, len(walk), action.value, before, target.value, actor,
                comment)) + ")")
            before = target.value
    scheduled = ", ".join(_literal(status.value) for status, walk in WALK.items()
                          if len(walk) >= 3 and walk[2][0] == A.SCHEDULE)
    cast = "CAST(w.comment AS TEXT)" if postgres else "w.comment"
    return (
        "INSERT INTO status_change (request_id, actor_id, action, from_status, to_status, "
        "comment, created_at) "
        "WITH w(status, variant, step, steps, action, from_status, to_status, actor, comment) "
        f"AS (VALUES {', '.join(rows)}) "
        "SELECT r.id, CASE w.actor WHEN 'author' THEN r.author_id WHEN 'super' THEN :super "
        "WHEN 'manager' THEN r.manager_id WHEN 'engineer' THEN r.engineer_id "
        "ELSE CASE WHEN r.id % 2 = 0 THEN r.author_id END END, "
        f"w.action, w.from_status, w.to_status, {cast}, "
        f"{_between(postgres, 'w.step * 1.0 / w.steps')} "
        "FROM request r JOIN w ON w.status = r.status AND w.variant = CASE "
        "WHEN r.status = 'cancelled' THEN CASE WHEN r.id % 5 < 3 THEN 'early' ELSE 'late' END "
        f"WHEN r.id % 7 = 0 AND r.status IN ({scheduled}) THEN 'detour' ELSE 'plain' END "
        "ORDER BY r.id, w.step")


def messages_sql(postgres: bool) -> str:
    """INSERT … SELECT of 3 messages a submitted request: the partner's question, the
    staff's answer, an internal note, spread over the request's life."""
    texts = [(k, j, body) for k, bodies in enumerate((PARTNER_TEXT, STAFF_TEXT, NOTE_TEXT),
                                                     start=1) for j, body in enumerate(bodies)]
    values = ", ".join(f"({k}, {j}, {_literal(body)})" for k, j, body in texts)
    return (
        "INSERT INTO message (request_id, author_id, body, is_internal, created_at) "
        f"WITH t(k, j, body) AS (VALUES {values}) "
        "SELECT r.id, CASE WHEN t.k = 1 THEN r.author_id ELSE COALESCE(r.manager_id, :super) "
        f"END, t.body, t.k = 3, {_between(postgres, 't.k * 1.0 / 4')} "
        f"FROM request r JOIN t ON t.j = r.id % {len(PARTNER_TEXT)} "
        "WHERE r.status <> 'draft' ORDER BY r.id, t.k")


def bench_logins() -> list[tuple[str, str]]:
    """(username, what for) of the logins bench/pages.py uses."""
    return [("partner1", "owner of the big company (20 % of requests)"),
            ("manager1", "manager"), ("supermanager", "supermanager"),
            ("engineer1", "engineer"), ("director", "director"), ("admin", "admin")]


def summary() -> dict[str, int]:
    """Rows per main table (for the CLI's report and the tests)."""
    return {name: db.session.execute(select(func.count()).select_from(
        Model.metadata.tables[name])).scalar() for name in
        ("ab_user", "partner_company", "end_client", "request", "request_service",
         "status_change", "message", "schedule_entry", "payment")}
