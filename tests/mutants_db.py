"""pytest plugin for `make mutants` only (loaded with -p by setup.cfg [mutmut]).

mutmut runs the tests of every mutant in a fresh forked worker, several at once. Sharing one
SQLite file they would drop each other's tables, so each worker gets its own file in
MUTANTS_DB_DIR (a temporary folder made by the Makefile). Building the schema and the roles
takes 3-9 s per worker, longer than most mutants' tests: the first passing run leaves its
emptied database (schema, roles and permissions, exactly what tests/conftest.py starts from)
as a template, and later workers copy it instead of migrating. Without MUTANTS_DB_DIR this
plugin does nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_FILE: Path | None = None
_TEMPLATE: Path | None = None


def pytest_configure(config):
    global _FILE, _TEMPLATE
    folder = os.environ.get("MUTANTS_DB_DIR")
    if not folder:
        return
    # deferred: imported only when the plugin is active, after mutmut set up sys.path
    import flask_migrate

    import app.permissions
    from config import TestConfig

    _FILE = Path(folder) / f"test-{os.getpid()}.sqlite"
    _TEMPLATE = Path(folder) / "template.sqlite"
    TestConfig.SQLALCHEMY_DATABASE_URI = f"sqlite:///{_FILE}"
    if _TEMPLATE.exists():
        migrate, sync = flask_migrate.upgrade, app.permissions.sync_roles
        flask_migrate.upgrade = _copy_template
        app.permissions.sync_roles = lambda appbuilder: None  # the template has them
        config.add_cleanup(lambda: _restore(flask_migrate, migrate, app.permissions, sync))


def _copy_template(*args, **kwargs) -> None:
    from app.extensions import db  # deferred: the app is being built when this runs

    db.engine.dispose()  # no connection may hold the file being replaced
    shutil.copyfile(_TEMPLATE, _FILE)


def _restore(flask_migrate, migrate, permissions, sync) -> None:
    flask_migrate.upgrade, permissions.sync_roles = migrate, sync


def pytest_sessionfinish(session, exitstatus):
    if _FILE is None or not _FILE.exists():
        return
    if exitstatus == 0 and not _TEMPLATE.exists():
        os.replace(_FILE, _TEMPLATE)  # atomic: of two workers finishing together one wins
    else:
        _FILE.unlink(missing_ok=True)
