"""pytest plugin for `make mutants` only (loaded with -p by setup.cfg [mutmut]).

mutmut runs the tests of every mutant in a fresh forked worker, several at once. Sharing one
SQLite file they would drop each other's tables, so each worker gets its own file in
MUTANTS_DB_DIR (a temporary folder made by the Makefile). tests/conftest.py builds the schema
and roles once per database file and keeps the result as `<file>.template-<schema digest>`;
with a new file per worker that would happen for every mutant (3-9 s, longer than most
mutants' tests). So the first passing run hands its template to the folder
(`shared.template-<digest>`) and every later worker starts with a link to it under its own
file's name. Without MUTANTS_DB_DIR this plugin does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

_FILE: Path | None = None
_SHARED = "shared.template-"


def pytest_configure(config):
    global _FILE
    folder = os.environ.get("MUTANTS_DB_DIR")
    if not folder:
        return
    from config import TestConfig  # deferred: only when the plugin is active

    _FILE = Path(folder) / f"test-{os.getpid()}.sqlite"
    TestConfig.SQLALCHEMY_DATABASE_URI = f"sqlite:///{_FILE}"
    for shared in _FILE.parent.glob(f"{_SHARED}*"):
        digest = shared.name.removeprefix(_SHARED)
        os.link(shared, _FILE.with_name(f"{_FILE.name}.template-{digest}"))


def pytest_sessionfinish(session, exitstatus):
    if _FILE is None:
        return
    for own in _FILE.parent.glob(f"{_FILE.name}*"):
        digest = own.name.partition(".template-")[2]
        shared = _FILE.with_name(f"{_SHARED}{digest}")
        if digest and exitstatus == 0 and not shared.exists():
            os.replace(own, shared)  # atomic: of two workers finishing together one wins
        else:
            own.unlink(missing_ok=True)
