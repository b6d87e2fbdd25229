"""PostgreSQL: no JIT compilation, and text searches planned for their values.

JIT: PostgreSQL compiles a statement to machine code when the planner's estimate passes
`jit_above_cost` (100 000 by default). A text search over a million requests is estimated
that high (its trigram recheck), and at 1M the compilation alone was ~500 ms of a 1.3 s
search (EXPLAIN ANALYZE, 27 Nov: generation 9, inlining 108, optimization 263, emission
124 ms). Replan's statements are page reads and short writes: the compile never pays back.
Set on each new connection (one statement per connection); the server's setting is untouched.

Plans: psycopg prepares a statement on the server once a connection has run it five times,
and PostgreSQL then plans it once for any values (a “generic plan”) when that plan's
estimate is no worse. A generic plan cannot use a partial index (the open requests' trigram
indexes: a `status IN (...)` of parameters proves nothing) nor see that a search word is
rare or common, so the same desk search took ~100 ms on its first runs and ~430 ms after (in
process at 1M, 27 Nov). `plan_for_values()` makes the rest of the transaction plan every
statement for its values; text searches call it (app.request_filters.text_clause). Not for
every page: planning the desk's work list each time costs it ~3 ms a page.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from app.extensions import db, on_connect

SETTINGS = {"jit": "off"}
_MARK = "replan_plan_for_values"


def install_postgresql_settings(app: Flask) -> None:
    on_connect(app, "postgresql", _settings)


def _settings(dbapi_connection, _record) -> None:
    for name, value in SETTINGS.items():
        dbapi_connection.execute(f"SET {name} = {value}")
    dbapi_connection.commit()  # a SET in a transaction would end with its rollback


def plan_for_values() -> None:
    """PostgreSQL: plan each statement of the current transaction for its own values
    (SET LOCAL: it ends with the transaction); once per transaction, nothing elsewhere."""
    if db.engine.dialect.name != "postgresql":
        return
    connection = db.session.connection()
    if connection.info.get(_MARK) is connection.get_transaction():
        return
    connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    connection.info[_MARK] = connection.get_transaction()
