"""Alembic builds the whole schema from empty and matches the models exactly."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import create_engine, inspect, text

import models  # noqa: F401
from config import BASE_DIR, INSTANCE_DIR, TestConfig


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


def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="run.py", REPLAN_ENV="development")
    flask_bin = Path(sys.executable).with_name("flask")
    return subprocess.run([str(flask_bin), *args], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def test_upgrade_from_empty_builds_every_table_and_matches_models():
    url, cleanup = _fresh_database_url()
    engine = create_engine(url)
    try:
        done = flask(url, "db", "upgrade")
        assert done.returncode == 0, done.stderr
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Model.metadata.sorted_tables} <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        roles = flask(url, "replan", "sync-roles")
        assert roles.returncode == 0, roles.stderr
        assert "Director:" in roles.stdout
        down = flask(url, "db", "downgrade", "base")
        assert down.returncode == 0, down.stderr
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
        cleanup()
