"""Issue 11 point 5: a deleted request's id is never handed out again (SQLite AUTOINCREMENT,
PostgreSQL's sequence), so an old URL never opens another request; migration 0007 keeps
the rows and switches it on."""

from sqlalchemy import create_engine, inspect, text

from app.drafts import delete_draft
from app.extensions import db
from app.uow import commit
from models.requests import Request
from tests.factories import make_partner, make_request
from tests.unit.test_migrations import _fresh_database_url, flask


def test_a_deleted_drafts_id_and_number_are_never_reused(app):
    partner = make_partner()
    first = make_request(partner)
    last = make_request(partner)
    gone_id, gone_number = last.id, last.number
    delete_draft(partner, gone_id)
    commit()
    assert db.session.get(Request, gone_id) is None
    after = make_request(partner)
    assert after.id > gone_id and after.id != first.id
    assert after.number != gone_number


def test_migration_0007_keeps_requests_and_adds_the_new_columns(make_app):
    url, cleanup = _fresh_database_url()
    engine = create_engine(url)
    fresh = make_app(SQLALCHEMY_DATABASE_URI=url)
    try:
        assert flask(fresh, "db", "upgrade", "0006_document_numbers").exit_code == 0
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ab_user (id, first_name, last_name, username,"
                              " email, active) VALUES (1, 'a', 'b', 'u', 'u@x.example', true)"))
            conn.execute(text("INSERT INTO partner_company (id, name, inn, is_blocked,"
                              " discount_percent, created_at) VALUES"
                              " (1, 'C', '7700000001', false, 0, CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO request (id, number, company_id, author_id, status, version,"
                " object_address, object_type, area, urgency, total_kopecks, paid_kopecks,"
                " payment_state, created_at, updated_at, status_changed_at) VALUES"
                " (7, '2026-00007', 1, 1, 'draft', 1, 'Addr', 'apartment', 50, 'normal',"
                " 0, 0, 'unpaid', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO user_profile (user_id, locale, must_change_password,"
                              " notify_prefs) VALUES (1, 'ru', false, '{}')"))
        done = flask(fresh, "db", "upgrade")
        assert done.exit_code == 0, done.output
        columns = {c["name"] for c in inspect(engine).get_columns("request")}
        assert "filed_by_id" in columns
        with engine.connect() as conn:
            assert conn.execute(text("SELECT number FROM request WHERE id = 7")).scalar() == \
                "2026-00007"
            assert conn.execute(text(
                "SELECT weekly_capacity_hours FROM user_profile")).scalar() == 40
            if engine.dialect.name == "sqlite":
                ddl = conn.execute(text(
                    "SELECT sql FROM sqlite_master WHERE name = 'request'")).scalar()
                assert "AUTOINCREMENT" in ddl
        down = flask(fresh, "db", "downgrade", "0006_document_numbers")
        assert down.exit_code == 0, down.output
        engine.dispose()
        assert "filed_by_id" not in {c["name"] for c in inspect(engine).get_columns("request")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM request")).scalar() == 1
    finally:
        engine.dispose()
        cleanup()
