"""Alembic builds the whole schema from empty and matches the models exactly."""

import uuid
from contextlib import contextmanager

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import create_engine, inspect, text

import models  # noqa: F401
from models.base import include_object_for
from config import INSTANCE_DIR, TestConfig


def _fresh_database_url():
    """An empty database of the same kind as the suite's (SQLite file or PostgreSQL db)."""
    base = TestConfig.SQLALCHEMY_DATABASE_URI
    if base.startswith("sqlite"):
        path = INSTANCE_DIR / f"migration-{uuid.uuid4().hex}.sqlite"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"replan_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name, drop


def flask(application, *args: str):
    """`flask ARGS` run by the CLI runner against `application` (its own database); its app
    context is pushed here, else the commands would use the suite's app, already current."""
    with application.app_context():
        return application.test_cli_runner().invoke(args=list(args))


def migrate(fresh, engine, command: str, revision: str = "heads") -> None:
    """`flask db upgrade|downgrade REVISION` on the fresh database, which must succeed; the
    engine's pooled connections are dropped so that it inspects the new schema."""
    done = flask(fresh, "db", command, revision)
    assert done.exit_code == 0, done.output
    engine.dispose()


@contextmanager
def database_at(make_app, revision: str):
    """A fresh empty database (of the suite's kind) migrated to `revision`: yields the app
    bound to it and an engine; both are disposed of and the database dropped afterwards."""
    url, cleanup = _fresh_database_url()
    engine = create_engine(url)
    fresh = make_app(SQLALCHEMY_DATABASE_URI=url)
    try:
        done = flask(fresh, "db", "upgrade", revision)
        assert done.exit_code == 0, done.output
        yield fresh, engine
    finally:
        engine.dispose()
        cleanup()



def test_upgrade_from_empty_builds_every_table_and_matches_models(make_app):
    url, cleanup = _fresh_database_url()
    engine = create_engine(url)
    fresh = make_app(SQLALCHEMY_DATABASE_URI=url)
    try:
        done = flask(fresh, "db", "upgrade")
        assert done.exit_code == 0, done.output
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Model.metadata.sorted_tables} <= tables
        with engine.connect() as conn:
            # PostgreSQL-only indexes (pg_trgm) are compared on PostgreSQL only
            context = MigrationContext.configure(conn, opts={
                "include_object": include_object_for(conn.dialect.name)})
            diff = compare_metadata(context, Model.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        roles = flask(fresh, "replan", "sync-roles")
        assert roles.exit_code == 0, roles.output
        assert "Director:" in roles.output
        migrate(fresh, engine, "downgrade", "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
        cleanup()


def test_0029_gives_requests_filed_before_it_their_searched_text(make_app):
    """Requests filed before 0029_stored_search_text get their stored search text when it
    runs (PostgreSQL rewrites the table; SQLite computes the virtual column), so the search
    finds them the moment it is back; a downgrade gives 0028's indexes back."""
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from models.request_status import Status
    from reports.sources import partner_requests
    from tests.factories import make_partner, make_request

    with database_at(make_app, "0028_one_text_index") as (fresh, engine):
        assert flask(fresh, "replan", "sync-roles").exit_code == 0
        assert flask(fresh, "db", "upgrade").exit_code == 0
        with fresh.app_context():
            partner = make_partner()
            req = make_request(partner, Status.SUBMITTED, object_address="ул. Школьная, д. 7")
            db.session.commit()
            ids = partner.id, req.id
            db.session.remove()
        migrate(fresh, engine, "downgrade", "0028_one_text_index")
        assert "searched" not in {c["name"] for c in inspect(engine).get_columns("request")}
        if engine.dialect.name == "postgresql":
            assert "ix_request_text_trgm" in {i["name"] for i in inspect(engine).get_indexes(
                "request")}
        migrate(fresh, engine, "upgrade")
        with fresh.app_context():
            partner = db.session.get(User, ids[0])
            for text_ in ("ШКОЛЬНАЯ", "Школьная, д. 7"):
                assert [r.id for r in partner_requests(partner, {"q": text_})] == [ids[1]]
            stored = db.session.execute(text("SELECT searched FROM request WHERE id = :id"),
                                        {"id": ids[1]}).scalar()
            # lowered by PostgreSQL; SQLite's lower() folds ASCII only (its search never
            # reads the column: it walks the JSON)
            expected = "школьная, д. 7" if engine.dialect.name == "postgresql" else "2026-"
            assert expected in stored, stored
            db.session.remove()


def test_0035_and_0036_move_thread_heads_off_the_request_row_and_keep_day_bounds(make_app):
    """0035_request_thread: the dashboard's latest public message per request leaves the
    request row for request_thread, both ways, keeping each thread's value; a message post
    then writes the thread's row and leaves the request's (its version) alone.
    0036_request_day_bounds (one database's round trip with 0035, a fresh database costs
    ~1.5 s): each day of a creation or submission date gets the least and greatest number
    of its requests, as models.day_bounds.rebuild works them out; downgrading drops it.
    0038_audit_proxy_type, on the way up again: audit rows typed "LocalProxy" become "User"."""
    from datetime import datetime

    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from cabinet.dashboard import latest_messages
    from models.day_bounds import TABLE, rebuild
    from models.request_status import Status
    from models.requests import Message, Request, RequestThread
    from tests.factories import Staff, make_partner, make_request

    with database_at(make_app, "heads") as (fresh, engine):
        assert flask(fresh, "replan", "sync-roles").exit_code == 0
        with fresh.app_context():
            staff, partner = Staff(), make_partner()
            req = make_request(partner, Status.SUBMITTED, staff)
            version = db.session.get(Request, req.id).version
            reply = Message(request_id=req.id, author_id=staff.manager.id, body="Ответ")
            note = Message(request_id=req.id, author_id=staff.manager.id, body="Note",
                           is_internal=True)
            db.session.add_all([reply, note])
            db.session.commit()
            ids = partner.id, req.id, reply.id
            thread = db.session.get(RequestThread, req.id)
            assert (thread.company_id, thread.author_id, thread.last_public_message_id) == \
                (req.company_id, partner.id, reply.id)  # the note is not the partner's
            assert db.session.get(Request, req.id).version == version  # no stale forms
            draft = make_request(partner, Status.DRAFT, staff)
            req.created_at, req.submitted_at = datetime(2026, 3, 1, 9), datetime(2026, 3, 2)
            draft.created_at = datetime(2026, 3, 1, 18)
            db.session.commit()
            numbers = req.number, draft.number
            db.session.remove()
        migrate(fresh, engine, "downgrade", "0034_drop_prefix_indexes")
        assert {"request_thread", "request_day_bounds"}.isdisjoint(
            inspect(engine).get_table_names())
        with engine.begin() as conn:
            assert conn.execute(text("SELECT last_public_message_id FROM request WHERE id = "
                                     ":id"), {"id": ids[1]}).scalar() == ids[2]
            # 0038_audit_proxy_type: a row written with Flask-Login's proxy as its object
            for object_type in ("LocalProxy", "Request"):
                conn.execute(text("INSERT INTO audit_event (action, object_type, object_id,"
                                  " details, created_at) VALUES ('profile_update', :t, :id,"
                                  " '{}', CURRENT_TIMESTAMP)"), {"t": object_type, "id": ids[0]})
        migrate(fresh, engine, "upgrade")
        with engine.connect() as conn:
            assert sorted(conn.execute(text(
                "SELECT object_type FROM audit_event WHERE action = 'profile_update'"
                " AND object_id = :id"), {"id": ids[0]}).scalars()) == ["Request", "User"]
        assert "last_public_message_id" not in {c["name"] for c in
                                                inspect(engine).get_columns("request")}
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT kind, day, min_number, max_number FROM request_day_bounds"
                " ORDER BY kind, day")).all()
        assert [(k, str(d), lo, hi) for k, d, lo, hi in rows] == [
            ("created_at", "2026-03-01", *sorted(numbers)),
            ("submitted_at", "2026-03-02", numbers[0], numbers[0])]
        with fresh.app_context():
            partner = db.session.get(User, ids[0])
            assert [m.id for m in latest_messages(partner)] == [ids[2]]
            filled = sorted(tuple(r) for r in db.session.execute(TABLE.select()))
            assert rebuild(db.session.connection()) == 2  # the migration's SQL and rebuild()
            assert sorted(tuple(r) for r in db.session.execute(TABLE.select())) == filled
            db.session.rollback()
            db.session.remove()

