"""PostgreSQL connections keep their prepared statements from request to request
(app.pg_connections.ReadTrackingConnection): a transaction that only read ends with COMMIT,
one that wrote, failed or ran anything else still rolls back — and what it wrote is gone.

The statement kinds are checked on any database; the connection's behaviour on PostgreSQL
(the PostgreSQL pass of .ci/run)."""

from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, text

from app import pg_connections
from app.extensions import db
from app.pg_connections import DatabaseEncodingError, ReadTrackingConnection, is_read, require_utf8
from tests.factories import as_user, make_partner, make_request, sign_in, statements

ROLE = "pg-connections-test"


@pytest.mark.parametrize("statement", [
    "SELECT 1", "  select id FROM ab_user", "\nSELECT 1", b"SELECT 1", ";",
    "SET LOCAL plan_cache_mode = force_custom_plan", "set local jit = off",
    "EXPLAIN (FORMAT JSON) SELECT 1", "explain select 1", "EXPLAIN ANALYZE VERBOSE SELECT 1",
    "EXPLAIN (ANALYZE, FORMAT JSON)\n SELECT 1"])
def test_reads(statement):
    assert is_read(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO ab_role (name) VALUES ('x')", "UPDATE ab_role SET name = name",
    "DELETE FROM ab_role", "WITH gone AS (DELETE FROM ab_role RETURNING id) SELECT 1",
    "SET jit = off", "CREATE TEMP TABLE t (a int)", "SAVEPOINT sa_1", "TRUNCATE ab_role",
    "LOCK TABLE ab_role", sql.SQL("SELECT 1"), None,
    "EXPLAIN ANALYZE DELETE FROM ab_role", "EXPLAIN (ANALYZE) UPDATE ab_role SET name = name",
    "EXPLAINSELECT 1"])
def test_anything_else_counts_as_a_write(statement):
    assert not is_read(statement)


@pytest.fixture
def postgresql(app):
    """The app on PostgreSQL (the PostgreSQL pass of .ci/run); skipped on SQLite."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's connections and PostgreSQL's settings are PostgreSQL's")
    return app


@pytest.fixture
def connection(postgresql):
    """One pooled connection of the app's engine, on PostgreSQL."""
    with db.engine.connect() as conn:
        yield conn
        conn.rollback()
        conn.execute(text("DELETE FROM ab_role WHERE name LIKE :n"), {"n": f"{ROLE}%"})
        conn.commit()


READ = "SELECT count(*) FROM ab_role WHERE name = $1"  # as the server holds it


def prepared(conn) -> list[str]:
    """What the connection holds prepared on the server (other tests' statements too)."""
    return list(conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def read_enough_times(conn) -> None:
    """The same read in a transaction of its own each time, ended as a request ends its own
    (SQLAlchemy's rollback), more times than psycopg waits before preparing it."""
    for _ in range(conn.connection.driver_connection.prepare_threshold + 1):
        conn.execute(text("SELECT count(*) FROM ab_role WHERE name = :n"), {"n": ROLE}).scalar()
        conn.rollback()


def role_names(conn) -> list[str]:
    return list(conn.execute(text("SELECT name FROM ab_role WHERE name LIKE :n ORDER BY name"),
                             {"n": f"{ROLE}%"}).scalars())


def test_the_apps_connections_are_read_tracking(connection):
    assert isinstance(connection.connection.driver_connection, ReadTrackingConnection)


def test_a_read_keeps_its_prepared_statement_across_transactions(connection):
    read_enough_times(connection)
    assert READ in prepared(connection)


def test_a_transaction_that_wrote_rolls_back_what_it_wrote(connection):
    read_enough_times(connection)
    connection.execute(text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": ROLE})
    assert role_names(connection) == [ROLE]
    connection.rollback()
    assert role_names(connection) == []
    assert prepared(connection) == []  # psycopg forgot them with the ROLLBACK, as before


def test_writes_by_executemany_and_by_the_driver_roll_back_too(connection):
    connection.execute(text("INSERT INTO ab_role (name) VALUES (:n)"),
                       [{"n": f"{ROLE}-1"}, {"n": f"{ROLE}-2"}])
    connection.rollback()
    raw = connection.connection.driver_connection  # SQLAlchemy sees no transaction here
    with raw.cursor() as cursor:
        cursor.execute(f"INSERT INTO ab_role (name) VALUES ('{ROLE}-3')")
    raw.rollback()
    with raw.cursor() as cursor:
        cursor.execute(sql.SQL("INSERT INTO ab_role (name) VALUES ({})").format(
            sql.Literal(f"{ROLE}-4")))
    raw.rollback()
    with raw.cursor() as cursor, cursor.copy("COPY ab_role (name) FROM STDIN") as copy:
        copy.write_row((f"{ROLE}-5",))
    raw.rollback()
    assert role_names(connection) == []


def test_a_read_after_a_write_still_rolls_the_write_back(connection):
    connection.execute(text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": ROLE})
    connection.execute(text("SELECT 1")).scalar()
    connection.rollback()
    assert role_names(connection) == []


def test_a_failed_read_rolls_back_and_the_connection_goes_on(connection):
    with pytest.raises(Exception) as failed:
        connection.execute(text("SELECT 1 / 0")).scalar()
    assert isinstance(failed.value.orig, psycopg.errors.DivisionByZero)
    connection.rollback()
    assert connection.execute(text("SELECT 2")).scalar() == 2


def test_a_commit_after_a_write_keeps_it_and_the_next_read_only_transaction(connection):
    connection.execute(text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": ROLE})
    connection.commit()
    read_enough_times(connection)
    assert role_names(connection) == [ROLE]
    assert READ in prepared(connection)


def test_behind_a_transaction_pooler_nothing_is_prepared(connection, make_app):
    """REPLAN_PG_PREPARED=0 (config PG_PREPARED_STATEMENTS): plain psycopg connections that
    never prepare, for PgBouncer's transaction mode."""
    unprepared = make_app(PG_PREPARED_STATEMENTS=False)
    with unprepared.app_context(), db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert type(raw) is psycopg.Connection and raw.prepare_threshold is None
        for _ in range(7):
            conn.execute(text("SELECT count(*) FROM ab_role WHERE name = :n"), {"n": ROLE})
        assert READ not in prepared(conn)


def test_the_partner_dashboards_count_is_planned_for_its_company(connection, client):
    """The status count's plan depends on the company's size (a parallel scan of the big
    one's 200 000 requests at 1M, a plain one of a small company's): planned each time."""
    partner = make_partner()
    make_request(partner)
    sign_in(client, partner)
    with statements() as seen:
        assert client.get("/cabinet/").status_code == 200
    custom = [k for k, s in enumerate(seen) if "SET LOCAL plan_cache_mode" in s]
    count = [k for k, s in enumerate(seen) if "count(*)" in s and "GROUP BY request.status" in s]
    assert custom and count and custom[0] < count[0], seen


class _Info:
    def __init__(self, encoding: str):
        self.encoding, self.dbname = encoding, "replan"

    def parameter_status(self, name: str):
        return self.encoding if name == "server_encoding" else None


class _Connection:
    def __init__(self, encoding: str):
        self.info, self.closed = _Info(encoding), False

    def close(self):
        self.closed = True


def test_a_database_not_in_utf8_is_refused_with_a_clear_message():
    """What the server reports at connection (no query): SQL_ASCII refused, saying how to
    make a UTF-8 database; the refused connection is closed, a UTF8 one left alone."""
    refused = _Connection("SQL_ASCII")
    with pytest.raises(DatabaseEncodingError, match=r"'replan' stores text as SQL_ASCII; "
                       r"Replan needs UTF8: create it with `createdb -E UTF8 -T template0"):
        require_utf8(refused, None)
    assert refused.closed
    fine = _Connection("UTF8")
    require_utf8(fine, None)
    assert not fine.closed


def test_a_sql_ascii_database_stops_the_app_at_its_first_connection(postgresql, make_app):
    """Before, SQLAlchemy's first look at such a server failed with “cannot use a string
    pattern on a bytes-like object”; now the app's first connection says what is wrong, and
    /readyz answers 503 (database unavailable). (SQLite's text is always UTF-8.)"""
    name = f"replan_sql_ascii_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' "
                          "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"))
    try:
        ascii_app = make_app(SQLALCHEMY_DATABASE_URI=db.engine.url.set(database=name)
                             .render_as_string(hide_password=False))
        with ascii_app.app_context():
            with pytest.raises(DatabaseEncodingError, match=f"'{name}' stores text as SQL_ASCII"):
                db.session.execute(text("SELECT 1"))
            db.session.rollback()
        answer = ascii_app.test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json()["checks"]["database"] == "unavailable"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_mode_asked_ahead_begins_the_next_transaction_once(connection):
    """planned_once: the request's next BEGIN carries the plan mode (one message, no
    statement of its own); the pool's ping (autocommit) leaves the wish for the real
    transaction; the transaction after it starts from the default again."""
    raw = connection.connection.driver_connection
    connection.rollback()
    store = pg_connections._g_store()
    store[pg_connections._AHEAD] = pg_connections.GENERIC
    raw.autocommit = True  # what the pool's ping runs in
    raw.execute("SELECT 1")
    raw.autocommit = False
    assert pg_connections._AHEAD in store
    assert connection.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
    assert pg_connections._AHEAD not in store and raw.replan_plan_mode == "force_generic_plan"
    connection.rollback()
    assert raw.replan_plan_mode is None
    assert connection.execute(text("SHOW plan_cache_mode")).scalar() == "auto"


def test_a_begin_that_fails_says_why_and_the_connection_goes_on(connection):
    connection.rollback()
    pg_connections._g_store()[pg_connections._AHEAD] = "no_such_mode"
    with pytest.raises(Exception) as failed:
        connection.execute(text("SELECT 1")).scalar()
    assert isinstance(failed.value.orig, psycopg.errors.InvalidParameterValue), failed.value
    connection.rollback()
    assert connection.execute(text("SELECT 2")).scalar() == 2


def pings(monkeypatch) -> list:
    """The pool's pings sent from now on (SQLAlchemy's ";" in autocommit, through the
    connections' cursor; not seen by the engine's statement events)."""
    sent = []
    execute = pg_connections.ReadTrackingCursor.execute

    def spy(self, query, params=None, **kwargs):
        if query == ";":
            sent.append(query)
        return execute(self, query, params, **kwargs)

    monkeypatch.setattr(pg_connections.ReadTrackingCursor, "execute", spy)
    return sent


def test_a_connection_answered_a_moment_ago_is_used_without_the_ping(connection, monkeypatch):
    """seen_alive: a transaction ended less than ALIVE_WINDOW ago and nothing waiting on the
    socket; a fresh connection, one in a transaction and one idle for longer are pinged."""
    raw = connection.connection.driver_connection
    sent = pings(monkeypatch)
    ping = db.engine.dialect.do_ping  # the pool's ping as the app installed it
    connection.execute(text("SELECT 1"))
    assert not raw.seen_alive()  # in a transaction
    connection.rollback()  # a read: ended with COMMIT, the server answered
    assert raw.seen_alive() and ping(raw) is True and sent == []
    raw.replan_answered -= pg_connections.ALIVE_WINDOW
    assert not raw.seen_alive()
    assert ping(raw) is True and sent == [";"]
    fresh = ReadTrackingConnection.connect(db.engine.url.set(drivername="postgresql")
                                           .render_as_string(hide_password=False))
    try:
        assert not fresh.seen_alive()
        fresh.rollback()  # outside a transaction psycopg sends nothing: no answer seen
        fresh.commit()
        assert not fresh.seen_alive()
    finally:
        fresh.close()


def terminate(pids) -> None:
    """End these server sessions as a restart does and wait until their processes are gone
    (the server's goodbye and the closed socket have reached the client by then)."""
    killer = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            for pid in pids:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            for _ in range(500):
                left = conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE pid = ANY(:p)"), {"p": list(pids)}).scalar()
                if not left:
                    return
                time.sleep(0.01)
        raise AssertionError(f"the sessions {pids} did not end")
    finally:
        killer.dispose()


def test_a_session_the_server_ended_is_pinged_and_replaced_even_a_moment_after_use(
        postgresql):
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        connection.execute(text("SELECT 1"))
        connection.rollback()
        assert raw.seen_alive()
        terminate([raw.info.backend_pid])
        assert not raw.seen_alive()  # within the window, but the server's goodbye waits
        assert db.engine.dialect._do_ping_w_event(raw) is False  # the pool replaces it
        connection.invalidate()


def served(app, user, url: str):
    """`url` for `user` as gunicorn serves it: in a thread of its own, so in an app context
    of its own (the test's is not reused): the request checks a connection out of the pool
    and returns it at its end."""
    client, answers = as_user(app, user), []
    thread = threading.Thread(target=lambda: answers.append(client.get(url)))
    thread.start()
    thread.join(30)
    return answers[0]


def test_pages_a_moment_apart_send_no_ping_and_a_restart_is_survived(postgresql, monkeypatch):
    app = postgresql
    partner = make_partner()
    db.session.commit()
    assert served(app, partner, "/cabinet/requests").status_code == 200
    sent = pings(monkeypatch)
    for _ in range(3):
        assert served(app, partner, "/cabinet/requests").status_code == 200
    assert sent == []
    for record in db.engine.pool._pool.queue:  # idle for longer than the window
        record.dbapi_connection.replan_answered -= pg_connections.ALIVE_WINDOW
    assert served(app, partner, "/cabinet/requests").status_code == 200
    assert sent == [";"]
    ended = [record.dbapi_connection.info.backend_pid for record in db.engine.pool._pool.queue]
    terminate(ended)
    for _ in range(3):  # a moment after their last use: pinged, replaced, the page served
        response = served(app, partner, "/cabinet/requests")
        assert response.status_code == 200, response.status_code
    # the first page pinged its ended session; the failed ping makes SQLAlchemy replace the
    # pool's other connections of before without a ping of their own
    assert len(sent) >= 2 and ended
