"""SQL functions SQLite lacks, registered on each SQLite connection (development, `make run`,
the SQLite test pass; PostgreSQL has them built in).

`replan_lower(text)`: lower case for every alphabet. SQLite's own lower() and LIKE fold only
ASCII letters, so a search typed “мясницкая” missed “Мясницкая”; PostgreSQL's ILIKE folds
Cyrillic too. app.request_filters.contains compares replan_lower(column) with the lowered text.
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
