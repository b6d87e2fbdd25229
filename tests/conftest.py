"""Fixtures: one migrated database per session, emptied after every test."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from config import INSTANCE_DIR, TestConfig


def _reset_database(url: str) -> None:
    """Start from an empty database so `flask db upgrade` builds everything."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    INSTANCE_DIR.mkdir(exist_ok=True)
    _reset_database(TestConfig.SQLALCHEMY_DATABASE_URI)
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import appbuilder
    from app.permissions import sync_roles

    application = create_app(TestConfig)
    # a private folder per run: parallel runs must not see each other's files
    application.config["UPLOAD_DIR"] = tempfile.mkdtemp(prefix="replan-test-uploads-")
    with application.app_context():
        upgrade()
        sync_roles(appbuilder)
    # Test code keeps an app context pushed, and Flask reuses it for client requests, so
    # `g` (Flask-Login's cached user, Babel's locale) would leak from one request into the
    # next. Start every request with an empty `g`, as in production.
    application.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    yield application
    shutil.rmtree(application.config["UPLOAD_DIR"], ignore_errors=True)


def _fresh_g():
    from flask import g

    g.__dict__.clear()


KEEP_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
               "ab_permission_view_role", "alembic_version"}


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Each test starts with roles and permissions only."""
    yield
    from flask_appbuilder import Model
    from sqlalchemy.orm import close_all_sessions

    from app.extensions import db

    close_all_sessions()  # release whatever transaction the test left open
    with app.app_context():
        db.session.rollback()
        tables = [t for t in reversed(Model.metadata.sorted_tables)
                  if t.name not in KEEP_TABLES]
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def redis_url():
    return os.environ.get("REDIS_URL")


@pytest.fixture(autouse=True)
def _empty_queue(redis_url):
    """Jobs left by one test must not run in another."""
    yield
    if redis_url:
        from redis import Redis

        Redis.from_url(redis_url).flushdb()


class Jobs:
    """Runs queued jobs: a burst RQ worker with Redis, nothing to do inline."""

    def __init__(self, app):
        self.app = app

    def run(self) -> None:
        from app.extensions import db
        from app.worker import run_worker

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
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()


@pytest.fixture
def mailbox(app):
    import socket

    from aiosmtpd.controller import Controller

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
        import app.jobs as jobs_module

        self.simple = not redis_url
        if redis_url:
            monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
            from redis import Redis

            self.connection = Redis.from_url(redis_url)
        else:
            import fakeredis

            self.connection = fakeredis.FakeRedis()
            monkeypatch.setattr(jobs_module, "redis_connection", lambda: self.connection)
        self.connection.flushdb()

    def work(self) -> None:
        from app.extensions import db
        from app.worker import run_worker

        db.session.commit()
        run_worker(burst=True, with_cron=False, simple=self.simple)
        db.session.expire_all()


@pytest.fixture
def rq_backend(app, redis_url, monkeypatch):
    return RqBackend(app, redis_url, monkeypatch)
