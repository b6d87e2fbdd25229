"""Finding 18: after the database drops every connection, the next page works (pool_pre_ping;
app.pg_connections.quick_ping pings a connection the server ended even a moment after use)."""

import time

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.extensions import db
from tests.factories import as_user, make_partner


def drop_every_pooled_connection() -> None:
    """What a database restart does to the pool: every idle connection is dead."""
    engine = db.engine
    if engine.dialect.name == "postgresql":  # a connection outside the pool does it
        # each statement its own transaction: pg_stat_activity is read anew each time
        killer = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            killed = [pid for pid, ended in conn.execute(text(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")) if ended]
            # as after a restart: the sessions are gone (their goodbye has reached the pool)
            for _ in range(500):
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE pid = ANY(:p)"), {"p": killed}).scalar():
                    break
                time.sleep(0.01)
            else:
                raise AssertionError(f"the ended sessions {killed} are still there")
        killer.dispose()
        assert killed, "nothing was connected: the test would prove nothing"
        return
    for record in list(engine.pool._pool.queue):  # SQLite: close the files under the pool
        record.dbapi_connection.close()


def test_pages_work_right_after_the_database_dropped_every_connection(app):
    partner = make_partner()
    client = as_user(app, partner)
    assert client.get("/cabinet/").status_code == 200
    db.session.remove()  # the test's own session returns its connection to the pool
    drop_every_pooled_connection()
    for _ in range(3):  # one request per pooled connection; none may fail
        response = client.get("/cabinet/requests")
        assert response.status_code == 200, response.status_code
