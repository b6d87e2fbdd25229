"""SQL functions SQLite lacks, registered on each SQLite connection (development, `make run`,
the SQLite test pass; PostgreSQL has them built in).

`lower(text)` and `replan_lower(text)`: lower case for every alphabet. SQLite's own lower()
and LIKE fold only ASCII letters, so a search typed “мясницкая” missed “Мясницкая”;
PostgreSQL's ILIKE folds Cyrillic too. app.request_filters.contains compares
replan_lower(column) with the lowered text. SQLite's built-in lower() is replaced as well:
SQLAlchemy writes ILIKE there as `lower(x) LIKE lower(y)`, so every other case-blind search —
Flask-AppBuilder's list filters (“contains”, “starts with”), the knowledge base, the schedule's
name search, e-mail and login comparisons — folds Cyrillic the same way. No SQLite index is
built on lower() (the stored search text of 0029 is VIRTUAL there: computed when read).
"""

from __future__ import annotations

import sqlite3

from flask import Flask
from app.extensions import on_connect

LOWER = "replan_lower"


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def install_sqlite_functions(app: Flask) -> None:
    on_connect(app, "sqlite", _register)


def _register(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(LOWER, 1, _lower, deterministic=True)
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
