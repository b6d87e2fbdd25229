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
        down = flask(fresh, "db", "downgrade", "base")
        assert down.exit_code == 0, down.output
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
        cleanup()
