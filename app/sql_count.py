"""X-SQL-Count: how many SQL statements a request ran, as a response header.

For the page benchmark (bench/pages.py) only: switched on by the environment variable
REPLAN_SQL_COUNT=1, never in production (REPLAN_ENV=production ignores it).
"""

from __future__ import annotations

import os

from flask import Flask, g, has_request_context
from sqlalchemy import event

from app.extensions import engines_of

HEADER = "X-SQL-Count"


def install_sql_count(app: Flask) -> None:
    """Count the statements of each request on every engine of the app (env switch)."""
    if os.environ.get("REPLAN_SQL_COUNT") != "1" or app.config.get("ENV_NAME") == "production":
        return
    for engine in engines_of(app):
        event.listen(engine, "before_cursor_execute", _count)

    @app.after_request
    def _header(response):
        response.headers[HEADER] = str(g.get("sql_count", 0))
        return response


def _count(*_args) -> None:
    if has_request_context():
        g.sql_count = g.get("sql_count", 0) + 1
