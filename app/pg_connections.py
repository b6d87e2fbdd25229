"""PostgreSQL: no JIT compilation, text searches planned for their values, UTF-8 required.

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
every page: planning the desk's work list each time costs it ~3 ms a page. The opposite,
`plan_once()`, is for a page whose best plan is the same for every value (the partner list
unfiltered); a view marked `planned_once` has it asked before its transaction begins, and
`ReadTrackingConnection` sends it with the BEGIN ("BEGIN; SET LOCAL …", one round trip).

Prepared statements across requests: psycopg forgets every prepared statement at a ROLLBACK
(and deallocates them on the server), and every request ended with one — SQLAlchemy rolls
back the session's transaction when the request's session closes — so no statement was ever
run prepared: each page parsed and planned its statements anew (the signed-in user's load:
parse ~0.2 ms, plan ~0.8 ms, execute 0.05 ms at 1M). `ReadTrackingConnection` ends a
transaction that only read with COMMIT instead (for a transaction that wrote nothing the two
are the same), so a connection keeps its prepared statements from page to page; a
transaction that wrote, failed or ran anything but a read still rolls back. A read must not
change anything a rollback would undo: no SELECT of a function that writes, no pg_notify.
`REPLAN_PG_PREPARED=0` turns prepared statements off (a pooler in transaction mode).

The pool's ping: SQLAlchemy pings a pooled connection before each use (pool_pre_ping: a
round trip, ~0.1 ms of a ~3 ms page). A `ReadTrackingConnection` the server answered less
than ALIVE_WINDOW ago, with nothing from the server waiting on its socket, is used without
it (HikariCP skips its check the same way, within 500 ms): a server that ends a session — a
restart, pg_terminate_backend — sends an error and closes the socket, which makes it
readable, and such a connection, like any idle for longer, is pinged as before.

Text: a database whose encoding is not UTF8 is refused at the first connection, saying so
(`require_utf8`); under SQL_ASCII psycopg hands text back as bytes.
"""

from __future__ import annotations

import re
import select
import time

import psycopg
from flask import Flask, request
from flask.globals import _cv_app
from psycopg import errors, generators
from psycopg.pq import ConnStatus, ExecStatus, TransactionStatus
from sqlalchemy import text

from app.extensions import db, engines_of, on_connect
from config import ConfigError

SETTINGS = {"jit": "off"}
_MARK = "replan_plan_for_values"
_AHEAD = "replan_plan_ahead"  # in g: the plan mode the request's transaction begins with
GENERIC, CUSTOM = "force_generic_plan", "force_custom_plan"
# statements that change nothing a rollback would undo: reads, and settings that end with
# the transaction either way (plan_for_values); anything else counts as a write
READS = ("SELECT", "SET LOCAL ", ";")
# seconds after the server's last answer within which a connection is used without the
# pool's ping (ReadTrackingConnection.seen_alive)
ALIVE_WINDOW = 1.0
_EXPLAIN = re.compile(r"\s*EXPLAIN\b\s*(\([^)]*\)|((ANALYZE|VERBOSE)\b\s*)*)", re.IGNORECASE)


def install_postgresql_settings(app: Flask) -> None:
    on_connect(app, "postgresql", require_utf8, first=True)
    on_connect(app, "postgresql", _settings)
    keep = app.config.get("PG_PREPARED_STATEMENTS", True)
    on_connect(app, "postgresql", _connect if keep else _connect_unprepared, "do_connect")
    for engine in engines_of(app, "postgresql"):
        engine.dialect.do_ping = quick_ping(engine.dialect.do_ping)

    def plan_ahead():
        """A view marked planned_once whose condition holds: its transaction's BEGIN will
        carry the setting (before the signed-in user's load begins that transaction)."""
        view = app.view_functions.get(request.endpoint)
        when = getattr(view, "replan_planned_once", None)
        if when is not None and when():
            _g_store()[_AHEAD] = GENERIC

    # first of all: every other guard may read the database (the signed-in user)
    app.before_request_funcs.setdefault(None, []).insert(0, plan_ahead)


def planned_once(when):
    """Mark a view whose transaction plans once (plan_once) when `when()` holds for the
    request: asked before the transaction begins, the setting travels with its BEGIN (no
    round trip of its own: ~0.13 ms of a ~5 ms page). The view still calls plan_once(),
    which then sends nothing (and sends the setting itself where the BEGIN could not carry
    it: REPLAN_PG_PREPARED=0, another driver)."""
    def mark(view):
        view.replan_planned_once = when
        return view
    return mark


def quick_ping(ping):
    """The dialect's ping, skipped for a connection seen alive a moment ago (seen_alive)."""
    def do_ping(dbapi_connection) -> bool:
        if isinstance(dbapi_connection, ReadTrackingConnection) \
                and dbapi_connection.seen_alive():
            return True
        return ping(dbapi_connection)
    return do_ping


def _g_store() -> dict | None:
    context = _cv_app.get(None)
    return None if context is None else context.g.__dict__


def _connect(dialect, _record, cargs, cparams):
    if dialect.driver == "psycopg":  # another driver: SQLAlchemy connects as usual (None)
        return ReadTrackingConnection.connect(*cargs, **cparams)
    return None


def _connect_unprepared(dialect, _record, cargs, cparams):
    """REPLAN_PG_PREPARED=0: psycopg never prepares (a transaction-mode pooler may run the
    next statement on a server connection that does not hold it)."""
    if dialect.driver == "psycopg":
        return psycopg.Connection.connect(*cargs, prepare_threshold=None, **cparams)
    return None


def is_read(query) -> bool:
    """A statement that writes nothing (SQLAlchemy's text; psycopg's composed SQL counts as a
    write: it is not looked into)."""
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    if not isinstance(query, str):
        return False
    # EXPLAIN of a read is a read (views.keyset asks the planner's estimates), ANALYZE too
    explained = _EXPLAIN.match(query)
    if explained:
        query = query[explained.end():]
    return query.lstrip()[:10].upper().startswith(READS)


class ReadTrackingCursor(psycopg.Cursor):
    """Notes on its connection whether the transaction ran anything but a read."""

    def execute(self, query, params=None, **kwargs):
        if not is_read(query):
            self.connection.replan_wrote = True
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        self.connection.replan_wrote = True
        return super().executemany(query, params_seq, **kwargs)

    def copy(self, statement, params=None, **kwargs):
        self.connection.replan_wrote = True
        return super().copy(statement, params, **kwargs)


class ReadTrackingConnection(psycopg.Connection):
    """A transaction that only read ends with COMMIT, which keeps psycopg's prepared
    statements (a ROLLBACK drops them all); one that wrote, failed or ran a statement not
    known to be a read rolls back as before."""

    replan_wrote = False
    replan_plan_mode = None  # the plan mode the current transaction began with (BEGIN; SET)
    replan_answered = 0.0  # time.monotonic() when the server last ended a transaction of it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cursor_factory = ReadTrackingCursor

    def rollback(self) -> None:
        if not self.replan_wrote \
                and self.info.transaction_status == TransactionStatus.INTRANS:
            self.commit()
            return
        ended = self.info.transaction_status != TransactionStatus.IDLE
        super().rollback()
        self.replan_wrote = False
        self.replan_plan_mode = None
        if ended:  # the server answered (psycopg sends nothing outside a transaction)
            self.replan_answered = time.monotonic()

    def commit(self) -> None:
        ended = self.info.transaction_status != TransactionStatus.IDLE
        super().commit()
        self.replan_wrote = False
        self.replan_plan_mode = None
        if ended:
            self.replan_answered = time.monotonic()

    def seen_alive(self) -> bool:
        """The server ended a transaction of this connection less than ALIVE_WINDOW ago, the
        connection is idle and nothing from the server waits on its socket: a server that
        ends the session sends an error and closes it, which makes the socket readable."""
        if time.monotonic() - self.replan_answered >= ALIVE_WINDOW:
            return False
        pgconn = self.pgconn
        if pgconn.status != ConnStatus.OK \
                or pgconn.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN)
        except (psycopg.OperationalError, OSError, ValueError):
            return False
        return not poller.poll(0)

    def _start_query(self):
        """psycopg's BEGIN before a transaction's first statement; when the request asked
        ahead for a plan mode (planned_once), the same message sets it: "BEGIN; SET LOCAL
        plan_cache_mode = …" in one round trip (the simple protocol runs both)."""
        store = None if self.autocommit or \
            self.pgconn.transaction_status != TransactionStatus.IDLE else _g_store()
        mode = store.pop(_AHEAD, None) if store else None  # the pool's ping: autocommit
        if mode is None:
            yield from super()._start_query()
            return
        self._check_connection_ok()
        command = self._get_tx_start_command() + f"; SET LOCAL plan_cache_mode = {mode}".encode()
        self.pgconn.send_query(command)
        results = yield from generators.execute(self.pgconn)
        for result in results:
            if result.status == ExecStatus.FATAL_ERROR:
                raise errors.error_from_result(result, encoding=self.pgconn._encoding)
        if [r.status for r in results] != [ExecStatus.COMMAND_OK] * 2:
            raise errors.InterfaceError(f"unexpected results of {command.decode()!r}")
        self.replan_plan_mode = mode


class DatabaseEncodingError(ConfigError):
    """The database does not store text as UTF-8."""


def require_utf8(dbapi_connection, _record) -> None:
    """Refuse a database whose text is not UTF-8, saying so, before anything reads from it.
    Under SQL_ASCII (a cluster created in the C locale) psycopg hands text back as bytes:
    SQLAlchemy's first look at the server failed with “cannot use a string pattern on a
    bytes-like object”, and a name in Cyrillic could be stored in any encoding at all."""
    info = getattr(dbapi_connection, "info", None)
    encoding = info.parameter_status("server_encoding") if info is not None else None
    if encoding is not None and encoding != "UTF8":
        database = info.dbname
        dbapi_connection.close()
        raise DatabaseEncodingError(
            f"the database {database!r} stores text as {encoding}; Replan needs UTF8: "
            f"create it with `createdb -E UTF8 -T template0 {database}` and restore into it "
            "(docs/deploy.md, “Upgrading the stack”)")


def _settings(dbapi_connection, _record) -> None:
    for name, value in SETTINGS.items():
        dbapi_connection.execute(f"SET {name} = {value}")
    dbapi_connection.commit()  # a SET in a transaction would end with its rollback


def plan_for_values() -> None:
    """PostgreSQL: plan each statement of the current transaction for its own values
    (SET LOCAL: it ends with the transaction); once per transaction, nothing elsewhere."""
    _plan_cache_mode(CUSTOM)


def plan_once() -> None:
    """PostgreSQL: plan each statement of the current transaction once, for any values (a
    generic plan, kept with the prepared statement), unless plan_for_values came first
    (planning for the values is the safe choice: it wins either way).

    For a page whose best plan is the same for every value: PostgreSQL keeps planning a
    prepared statement anew while the plan for the values at hand is estimated much cheaper
    than the generic one, and for the company with a fifth of all requests it always was
    (its list's newest page: plan ~0.7 ms, execute 0.1 ms, on every page at 1M)."""
    _plan_cache_mode(GENERIC)


def _plan_cache_mode(mode: str) -> None:
    if db.engine.dialect.name != "postgresql":
        return
    connection = db.session.connection()
    transaction, chosen = connection.info.get(_MARK, (None, None))
    if transaction is not connection.get_transaction():
        # the transaction may have begun with a mode asked ahead (planned_once)
        chosen = getattr(connection.connection.dbapi_connection, "replan_plan_mode", None)
    if chosen == mode or chosen == CUSTOM:
        connection.info[_MARK] = (connection.get_transaction(), chosen)
        return
    connection.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
    connection.info[_MARK] = (connection.get_transaction(), mode)
