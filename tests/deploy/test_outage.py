"""Redis failing where a page needs it: the 503 page in the user's language, nothing written."""

from redis.exceptions import ConnectionError as RedisConnectionError

from app.audit import record
from app.extensions import db
from models.audit import AuditEvent


def app_with_a_redis_page(make_app):
    application = make_app()

    def writes_then_loses_redis():
        record("half-written", None, None, label="must not stay")
        db.session.flush()  # written inside the transaction, not committed
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    application.add_url_rule("/test-redis-down", view_func=writes_then_loses_redis)
    return application


def test_redis_down_gives_the_russian_503_page_and_rolls_back(make_app):
    page = app_with_a_redis_page(make_app).test_client().get("/test-redis-down")
    html = page.get_data(as_text=True)
    assert page.status_code == 503
    assert 'lang="ru"' in html and 'data-testid="error-page"' in html
    assert "Traceback" not in html and "6379" not in html
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="half-written").count() == 0


def test_the_503_page_in_english(make_app):
    client = app_with_a_redis_page(make_app).test_client()
    client.get("/lang/en")  # the language switch stores the choice in the session
    page = client.get("/test-redis-down")
    assert page.status_code == 503
    assert "Temporarily unavailable" in page.get_data(as_text=True)
