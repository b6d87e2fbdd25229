"""Fixtures: one migrated database per session (SQLite: copied from a cached template), the
tables a test filled emptied after it; `make_app` builds another app with other settings."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import tempfile
import uuid
from email import message_from_bytes
from types import SimpleNamespace
from email.policy import default as email_policy
from pathlib import Path

import fakeredis
import psycopg
import pytest
from aiosmtpd.controller import Controller
from flask import g
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from redis import Redis
from sqlalchemy.orm import close_all_sessions
from werkzeug.serving import make_server

import app.jobs as jobs_module
from app import create_app
from app.demo import load_demo
from app.extensions import appbuilder, db
from app.permissions import sync_roles
from app.worker import run_worker
from models.request_status import Status
from models.requests import Request
from config import BASE_DIR, INSTANCE_DIR, TestConfig
from tests.factories import (Staff, advance_sequence, make_partner, make_request, make_user,
                             sequence_position)
from tests.jobs.servers import serve_in_thread

# fixtures shared by several test modules (a module's own fixture of the same name wins)
pytest_plugins = ["tests.payment_fixtures", "tests.telegram_bot_api"]

KEEP_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
               "ab_permission_view_role", "alembic_version"}
# what the migrated, role-synced database depends on: a change rebuilds the SQLite template
SCHEMA_SOURCES = ("migrations", "models", "app", "views", "cabinet", "reports")


def _per_worker(url: str, worker: str) -> str:
    """Each pytest-xdist worker gets its own database: a file or a PostgreSQL database."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return f"sqlite:///{path.with_name(f'{path.stem}-{worker}{path.suffix}')}"
    base, name = url.rsplit("/", 1)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": f"{name}_{worker}"}).first():
            conn.execute(text(f'CREATE DATABASE "{name}_{worker}"'))
    admin.dispose()
    return f"{base}/{name}_{worker}"


# the cycle collector less often (its default: a young collection every 700 allocations, a
# full one over the whole test process's heap — app, FAB, every test module — every ~70 young
# ones): 12 % of a views + cabinet run was collection (2.9 of 24.7 s), 5 % with these (1.2 s)
gc.set_threshold(50_000, 50, 1000)

BASE_URL = TestConfig.SQLALCHEMY_DATABASE_URI  # before the per-worker suffix below
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER:  # `pytest -n 2` (make test on SQLite); jobs share one Redis db, so not with Redis
    if os.environ.get("REDIS_URL"):
        raise pytest.UsageError("with REDIS_URL set run the suite in one process (-n 0)")
    TestConfig.SQLALCHEMY_DATABASE_URI = _per_worker(TestConfig.SQLALCHEMY_DATABASE_URI, WORKER)
    os.environ["DATABASE_URL"] = TestConfig.SQLALCHEMY_DATABASE_URI


@event.listens_for(Engine, "connect")
def _commit_without_fsync(dbapi_connection, _record):
    """Test databases are thrown away: a commit need not wait for the disk (SQLite's
    synchronous and journal mode, PostgreSQL's synchronous_commit; still atomic and visible
    to others)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
        # a write-ahead log: a commit appends to it instead of creating and deleting a
        # rollback journal file (~50 µs instead of ~350 µs a commit on this disk)
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
    elif isinstance(dbapi_connection, psycopg.Connection):
        dbapi_connection.execute("SET synchronous_commit TO off")
        dbapi_connection.commit()


def _reset_database(url: str) -> None:
    """Start from an empty database so `flask db upgrade` builds everything."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):  # a stale log must not meet a new file
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _schema_digest() -> str:
    digest = hashlib.sha256()
    for folder in SCHEMA_SOURCES:
        for path in sorted((BASE_DIR / folder).rglob("*.py")):
            digest.update(str(path.relative_to(BASE_DIR)).encode())
            digest.update(path.read_bytes())
    digest.update((BASE_DIR / "config.py").read_bytes())
    return digest.hexdigest()[:16]


def _migrate(application) -> None:
    with application.app_context():
        upgrade(revision="heads")  # parallel branches until merged
        sync_roles(appbuilder)
        db.session.remove()
        db.engine.dispose()


def _prepare_database(application) -> None:
    """Migrate and sync roles; on SQLite copy that from a template kept beside the database."""
    url = application.config["SQLALCHEMY_DATABASE_URI"]
    _reset_database(url)
    if not url.startswith("sqlite:///"):
        _migrate(application)
        return
    path = Path(url.removeprefix("sqlite:///"))
    # one template for all xdist workers (beside the un-suffixed database): the first worker
    # builds it under a lock, the others wait and copy it
    base = Path(BASE_URL.removeprefix("sqlite:///")) if WORKER else path
    template = base.with_name(f"{base.name}.template-{_schema_digest()}")
    with open(base.with_name(f"{base.name}.template.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            for old in base.parent.glob(f"{base.name}.template-*"):
                old.unlink(missing_ok=True)
            _migrate(application)
            partial = template.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            # the backup API, not a file copy: committed pages may still be in the -wal file
            with sqlite3.connect(path) as source, sqlite3.connect(partial) as target:
                source.backup(target)
            partial.replace(template)
            return
    shutil.copyfile(template, path)


@pytest.fixture(scope="session")
def app():
    INSTANCE_DIR.mkdir(exist_ok=True)
    application = create_app(TestConfig)
    _prepare_database(application)
    # a private folder per run: parallel runs must not see each other's files
    application.config["UPLOAD_DIR"] = tempfile.mkdtemp(prefix="replan-test-uploads-")
    application.config["EXPORT_DIR"] = tempfile.mkdtemp(prefix="replan-test-exports-")
    _start_requests_with_empty_g(application)
    # what lives for the whole run (imports, collected tests, the app) out of the cycle
    # collector's sight, as run.py does in production
    gc.freeze()
    yield application
    shutil.rmtree(application.config["UPLOAD_DIR"], ignore_errors=True)
    shutil.rmtree(application.config["EXPORT_DIR"], ignore_errors=True)


def _start_requests_with_empty_g(application) -> None:
    """Test code keeps an app context pushed, and Flask reuses it for client requests, so `g`
    (Flask-Login's cached user, Babel's locale) would leak from one request into the next.
    Start every request with an empty `g`, as in production."""
    application.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)


def _fresh_g():
    g.__dict__.clear()


@pytest.fixture
def make_app(app):
    """`make_app(**settings)` builds another app in this process on the same database (and
    upload and export folders); `make_app(SomeConfig, **settings)` starts from another config
    class."""
    built = []

    def build(base: type = TestConfig, **settings):
        settings.setdefault("UPLOAD_DIR", app.config["UPLOAD_DIR"])
        settings.setdefault("EXPORT_DIR", app.config["EXPORT_DIR"])
        config = type(f"{base.__name__}ForTest", (base,), settings)
        application = create_app(config)
        _start_requests_with_empty_g(application)
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


class _Cleaner:
    """Finds the tables a test left rows in (and, on PostgreSQL, the sequences it used) in one
    query and empties only those, with DELETE: far cheaper than emptying every table, and
    TRUNCATE costs ~0.5 s a time on PostgreSQL (new files, synced)."""

    def __init__(self, session):
        self.tables = [t for t in reversed(Model.metadata.sorted_tables)
                       if t.name not in KEEP_TABLES]
        names = {t.name for t in self.tables}
        probes = [f"SELECT 'table', '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                  for t in self.tables]
        if session.get_bind().dialect.name == "postgresql":
            owned = session.execute(text(
                "SELECT s.relname, t.relname FROM pg_class s"
                " JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
                " JOIN pg_class t ON t.oid = d.refobjid"
                " WHERE s.relkind = 'S'")).all()
            probes += [f"SELECT 'sequence', '{seq}' FROM pg_sequences"
                       f" WHERE sequencename = '{seq}' AND last_value IS NOT NULL"
                       for seq, table in owned if table in names]
        self.probe = text(" UNION ALL ".join(probes))

    def clean(self, session) -> None:
        found = session.execute(self.probe).all()
        dirty = {name for kind, name in found if kind == "table"}
        for table in self.tables:  # children first
            if table.name in dirty:
                session.execute(table.delete())
        for kind, name in found:
            if kind == "sequence":  # ids start at 1 again, as in a fresh database
                session.execute(text(f"SELECT setval('\"{name}\"', 1, false)"))
        if dirty and session.get_bind().dialect.name == "sqlite":  # AUTOINCREMENT tables too
            session.execute(text("DELETE FROM sqlite_sequence"))
        session.commit()


@pytest.fixture(scope="session")
def _cleaner(app):
    with app.app_context():
        cleaner = _Cleaner(db.session)
        db.session.remove()
    return cleaner


@pytest.fixture(autouse=True)
def _clean_database(app, _cleaner):
    """Each test starts with roles and permissions only."""
    yield
    close_all_sessions()  # release whatever transaction the test left open
    with app.app_context():
        db.session.rollback()
        _cleaner.clean(db.session)
        db.session.remove()


def _shared_snapshot_dir(uid: str) -> Path:
    return Path(tempfile.gettempdir()) / f"replan-test-snapshots-{uid}"


def pytest_configure(config):
    """With xdist the controller picks the run's id, so that it can remove the worlds its
    workers built (the workers share them: see `snapshot`)."""
    if not WORKER and getattr(config.option, "numprocesses", None) \
            and getattr(config.option, "testrunuid", "") is None:
        config.option.testrunuid = uuid.uuid4().hex


def pytest_unconfigure(config):
    uid = getattr(config.option, "testrunuid", None)
    if not WORKER and uid:
        shutil.rmtree(_shared_snapshot_dir(uid), ignore_errors=True)


@pytest.fixture(scope="session")
def _snapshot_dir(app):
    """Where databases built once per run are kept (SQLite only): one folder for all xdist
    workers of a run (the controller removes it), else a private one."""
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID") if WORKER else None
    if uid:
        folder = _shared_snapshot_dir(uid)
        folder.mkdir(exist_ok=True)
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="replan-test-snapshots-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()}


_FILES_RESTORED: set[str] = set()  # worlds whose uploaded files this process has


@pytest.fixture
def snapshot(app, _snapshot_dir):
    """`snapshot(name, build)`: the database `build()` leaves, built once per run on SQLite.

    The first call in the run — in whichever xdist worker — runs build(), commits and keeps
    a copy of the database (SQLite's backup API), the files build() uploaded and its
    JSON-able result (ids, not objects); later calls in any test and any worker restore that
    copy (~20 ms; the files once per worker) and return the stored result. A worker waits
    while another builds the same world. On PostgreSQL build() runs each time. For
    read-mostly worlds that many tests start from: the files stay in the worker's upload
    folder, so a build must not depend on anything a test deletes."""
    upload_dir = Path(app.config["UPLOAD_DIR"])

    def use(name: str, build):
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
            result = build()
            db.session.commit()
            return result
        copy, stored = _snapshot_dir / f"{name}.sqlite", _snapshot_dir / f"{name}.json"
        files = _snapshot_dir / f"{name}.files"
        close_all_sessions()
        with open(_snapshot_dir / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if stored.exists():  # written last: the world is complete
                kept = json.loads(stored.read_text())
                with db.engine.connect() as conn, sqlite3.connect(copy) as source:
                    source.backup(conn.connection.dbapi_connection)
                if name not in _FILES_RESTORED:
                    shutil.copytree(files, upload_dir, dirs_exist_ok=True)
                    _FILES_RESTORED.add(name)
                advance_sequence(kept["sequence"])
                return kept["result"]
            before = _files_under(upload_dir)
            result = build()
            db.session.commit()
            with db.engine.connect() as conn, sqlite3.connect(copy) as target:
                conn.connection.dbapi_connection.backup(target)
            files.mkdir(exist_ok=True)
            for path in _files_under(upload_dir) - before:
                (files / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(upload_dir / path, files / path)
            _FILES_RESTORED.add(name)
            stored.write_text(json.dumps({"result": result, "sequence": sequence_position()}))
            return result

    return use


@pytest.fixture
def demo(snapshot):
    """The demo bureau loaded, as `flask replan demo` leaves it (built once per run on SQLite:
    ~20 ms a test instead of ~2 s)."""
    def build():
        assert load_demo() is True

    snapshot("demo", build)


@pytest.fixture
def status_world(snapshot):
    """One partner's request in each status (walked by one staff team) and a user of each
    staff role, built once per run: `.partner`, `.users[role]` (manager, supermanager,
    engineer, admin, director), `.requests[Status]`."""
    def build():
        team = Staff()
        partner = make_partner()
        users = {"manager": team.manager, "supermanager": team.supermanager,
                 "engineer": team.engineer, "admin": make_user("Admin"),
                 "director": make_user("Director")}
        requests = {status: make_request(partner, status, team) for status in Status}
        return {"partner": partner.id, "users": {k: u.id for k, u in users.items()},
                "requests": {str(s): r.id for s, r in requests.items()}}

    ids = snapshot("status-world", build)
    return SimpleNamespace(
        partner=db.session.get(User, ids["partner"]),
        users={who: db.session.get(User, user_id) for who, user_id in ids["users"].items()},
        requests={Status(s): db.session.get(Request, r) for s, r in ids["requests"].items()})


@pytest.fixture
def staff(app):
    """One user of each staff role (tests.factories.Staff)."""
    return Staff()


@pytest.fixture
def partner(app):
    """A partner company's owner."""
    return make_partner()


@pytest.fixture
def app_url(app):
    """The test app served on 127.0.0.1 (a free port) in a thread: its base URL, for real
    HTTP clients (concurrent requests, schemathesis)."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = serve_in_thread(http)
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


@pytest.fixture
def redis_url():
    return os.environ.get("REDIS_URL")


@pytest.fixture(autouse=True)
def _cache_stamps(app, redis_url):
    """Pages keep the small shared tables under stamps in Redis (app.shared_cache), as in
    production, where Redis is required: with REDIS_URL the real one (emptied after each
    test by _empty_queue), else an in-process FakeRedis, new for each test. A test that
    checks the page without Redis sets app.extensions["replan_stamp_redis"] to None."""
    if not redis_url:
        app.extensions["replan_stamp_redis"] = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    app.extensions.pop("replan_shared_cache", None)
    yield
    if not redis_url:
        app.extensions.pop("replan_stamp_redis", None)


@pytest.fixture(autouse=True)
def _empty_queue(redis_url):
    """Jobs left by one test must not run in another."""
    yield
    if redis_url:
        Redis.from_url(redis_url).flushdb()


class Jobs:
    """Runs queued jobs: a burst RQ worker with Redis, nothing to do inline."""

    def __init__(self, app):
        self.app = app

    def run(self) -> None:
        if self.app.config.get("REDIS_URL"):
            db.session.commit()
            run_worker(burst=True)
            db.session.expire_all()


@pytest.fixture
def jobs(app):
    return Jobs(app)


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) collecting what Replan sends."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()


@pytest.fixture
def mailbox(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config.get(k) for k in ("MAIL_ENABLED", "MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield box
    app.config.update(saved)
    controller.stop()


class RqBackend:
    """Real Redis when REDIS_URL is set (forking worker); otherwise an in-process FakeRedis
    (Lua via lupa) with a non-forking worker, so RQ's behaviour is tested in both passes."""

    def __init__(self, app, redis_url, monkeypatch):
        self.simple = not redis_url
        if redis_url:
            monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
            self.connection = Redis.from_url(redis_url)
        else:
            self.connection = fakeredis.FakeRedis()
            monkeypatch.setattr(jobs_module, "redis_connection", lambda: self.connection)
        self.connection.flushdb()

    def work(self) -> None:
        db.session.commit()
        run_worker(burst=True, with_cron=False, simple=self.simple)
        db.session.expire_all()


@pytest.fixture
def rq_backend(app, redis_url, monkeypatch):
    return RqBackend(app, redis_url, monkeypatch)
