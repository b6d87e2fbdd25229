"""The per-process caches of settings, text overrides and role permissions (app.shared_cache):
fewer statements a page, an admin's edit seen by the very next request of every process, and
the database read as before when Redis is missing or down."""

from __future__ import annotations

import fakeredis
import pytest
from flask import g
from redis.exceptions import ConnectionError as RedisConnectionError

from app import shared_cache
from app.extensions import db
from app.settings import get_setting, set_setting
from app.status_labels import staff_label
from models.audit import Setting
from models.texts import KIND_STAFF_LABEL, TextOverride
from tests.factories import as_user, make_user, statements
from tests.views.test_statement_counts import BUDGET, counts, site  # noqa: F401

STORE = "replan_shared_cache"
# statements a page sends with the stamps in Redis (test_statement_counts.BUDGET: without)
# (the director's dashboard: 3 when the periodic job keeps its figures, reports.dashboard)
# (a search on PostgreSQL: one more, the matches' ids read first, app.request_filters)
CACHED = {"/cabinet/": 6, "/cabinet/requests": 2, "/cabinet/requests?q=Tverskaya": 3,
          "/desk/": 5, "/requests/list/": 3,
          "/requests/list/?_flt_0_field_values=Tverskaya": 3, "/distribution/": 6,
          "/schedule/": 3, "/dashboard/": 12, "cabinet detail": 6, "desk detail": 10,
          "desk ready": 10, "desk at work": 10}


@pytest.fixture
def stamps(app, monkeypatch):
    """A Redis for the stamps (in-process) and an empty per-process cache."""
    client = fakeredis.FakeRedis()
    monkeypatch.setitem(app.extensions, "replan_stamp_redis", client)
    monkeypatch.setitem(app.extensions, STORE, {})
    return client


def fresh():
    """What a new request starts with: the suite keeps one app context (and its g) around
    the test client's requests, a server gives each request its own."""
    for name in ("text_overrides", "bureau_zone_name", "replan_role_permissions",
                 "replan_cache_stamps", "replan_status_labels"):
        g.pop(name, None)


class DownRedis:
    def mget(self, *args, **kwargs):
        raise RedisConnectionError("down")

    def pipeline(self, *args, **kwargs):
        raise RedisConnectionError("down")


def test_pages_read_the_shared_tables_once_per_process(app, stamps, site):  # noqa: F811
    clients, pages = site["clients"], site["pages"]
    counts(clients, pages)  # warm: the caches fill
    cached = counts(clients, pages)
    app.extensions["replan_stamp_redis"] = None  # without Redis: read every request
    uncached = counts(clients, pages)
    print("\nstatements per page (without Redis -> with stamps):")
    for name in pages:
        print(f"  {name}: {uncached[name]} -> {cached[name]}")
    # settings, text overrides and permissions: up to three statements fewer on each page
    assert all(cached[name] <= uncached[name] - 2 for name in pages
               if name != "/cabinet/requests?q=Tverskaya"), (uncached, cached)
    assert not {n: c for n, c in cached.items() if c > BUDGET[n]}
    assert not {n: c for n, c in cached.items() if c > CACHED.get(n, BUDGET[n])}


def test_an_edit_is_seen_by_the_next_request_of_another_process(app, stamps):
    """Another process: its own per-process store; the commit bumps the shared stamp."""
    for _ in range(2):  # the first request creates the stamps, the next fills the caches
        with app.test_request_context("/"):
            fresh()
            staff_label("ready"), get_setting("time_zone")
    with app.test_request_context("/"):
        fresh()
        assert staff_label("ready") != "Готово к выдаче (ред.)"
        assert get_setting("time_zone") == "Europe/Moscow"
    other_store = dict(app.extensions[STORE])  # "another process" kept the same values
    assert other_store, "nothing was cached"
    before = {k: v for k, v in zip(shared_cache.NAMES, stamps.mget(
        [shared_cache.KEY + n for n in shared_cache.NAMES]))}
    db.session.add(TextOverride(kind=KIND_STAFF_LABEL, key="ready", locale="ru",
                                body="Готово к выдаче (ред.)"))
    set_setting("time_zone", "Asia/Yekaterinburg")
    db.session.commit()
    after = {k: v for k, v in zip(shared_cache.NAMES, stamps.mget(
        [shared_cache.KEY + n for n in shared_cache.NAMES]))}
    assert after["texts"] != before["texts"] and after["settings"] != before["settings"]
    assert after["permissions"] == before["permissions"]  # untouched: still cached
    app.extensions[STORE] = other_store  # the other process's next request
    with app.test_request_context("/"):
        fresh()
        assert staff_label("ready") == "Готово к выдаче (ред.)"
        assert get_setting("time_zone") == "Asia/Yekaterinburg"


def test_a_role_permission_edit_drops_the_cached_permission_sets(app, stamps):
    sm = app.appbuilder.sm
    role = sm.find_role("Director")
    with app.test_request_context("/"):
        fresh()
        held = sm.role_permissions([role.id])
    pv = next(p for p in role.permissions)
    role.permissions.remove(pv)
    db.session.commit()
    try:
        with app.test_request_context("/"):
            fresh()
            now = sm.role_permissions([role.id])
        assert (pv.permission.name, pv.view_menu.name) not in now
        assert len(now) == len(held) - 1
    finally:
        role.permissions.append(pv)
        db.session.commit()
    with app.test_request_context("/"):
        fresh()
        assert sm.role_permissions([role.id]) == held


def test_a_change_in_the_open_transaction_is_read_back_uncached(app, stamps):
    with app.test_request_context("/"):
        fresh()
        assert get_setting("auto_close_days") == 14
        set_setting("auto_close_days", 3)
        db.session.flush()
        assert get_setting("auto_close_days") == 3
        db.session.rollback()
    with app.test_request_context("/"):
        fresh()
        assert get_setting("auto_close_days") == 14


def test_a_pending_change_not_yet_flushed_is_read_back_uncached(app, stamps):
    """set_setting without a flush, then get_setting in the same transaction (a use case
    that changes the working hours and books right after): the new value, not the kept one."""
    for _ in range(2):
        with app.test_request_context("/"):
            fresh()
            assert get_setting("auto_close_days") == 14
    with app.test_request_context("/"):
        fresh()
        set_setting("auto_close_days", 3)
        assert get_setting("auto_close_days") == 3
        db.session.rollback()
    with app.test_request_context("/"):
        fresh()
        assert get_setting("auto_close_days") == 14


def test_redis_down_reads_the_database_and_never_fails(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "replan_stamp_redis", DownRedis())
    monkeypatch.setitem(app.extensions, STORE, {})
    client = as_user(app, make_user("Director"))
    assert client.get("/dashboard/").status_code == 200
    set_setting("time_zone", "Asia/Yekaterinburg")
    db.session.add(TextOverride(kind=KIND_STAFF_LABEL, key="ready", locale="ru", body="Сдано"))
    db.session.commit()  # the bump fails: logged, the commit stands
    with app.test_request_context("/"):
        fresh()
        assert get_setting("time_zone") == "Asia/Yekaterinburg"
        assert staff_label("ready") == "Сдано"
    with statements() as seen:
        assert client.get("/dashboard/").status_code == 200
    assert any("setting" in s for s in seen)  # read from the database, not a cache
    assert app.extensions.get(STORE) in ({}, None)


def test_a_password_change_ends_other_sessions_with_the_epoch_read_with_the_user(app):
    from app.sessions import end_all_sessions
    user = make_user("Director")
    first, second = as_user(app, user), as_user(app, user)
    with statements() as seen:
        assert first.get("/dashboard/").status_code == 200
    assert not any("session_epoch" in s and "ab_user" not in s for s in seen)
    end_all_sessions(user.id)
    db.session.commit()
    for client in (first, second):
        page = client.get("/dashboard/")
        assert page.status_code == 302 and "/login/" in page.headers["Location"]


def test_a_kept_value_serves_at_most_max_age_under_a_lost_bump(app, stamps, monkeypatch):
    """A bump lost (Redis gone between the commit and the bump, or a row changed by raw SQL):
    the stamp stays the same, yet a kept value is read again after MAX_AGE seconds."""
    for _ in range(2):
        with app.test_request_context("/"):
            fresh()
            get_setting("time_zone")
    db.session.execute(Setting.__table__.delete().where(Setting.key == "time_zone"))
    db.session.execute(Setting.__table__.insert().values(key="time_zone",
                                                         value="Asia/Yekaterinburg"))
    db.session.commit()  # Core statements: no stamp is bumped
    with app.test_request_context("/"):
        fresh()
        assert get_setting("time_zone") == "Europe/Moscow"  # still the kept value
    later = shared_cache._clock() + shared_cache.MAX_AGE + 1
    monkeypatch.setattr(shared_cache, "_clock", lambda: later)
    with app.test_request_context("/"):
        fresh()
        assert get_setting("time_zone") == "Asia/Yekaterinburg"


def test_after_a_redis_flush_a_bump_never_repeats_an_old_stamp(app, stamps):
    """A flush (or a restart without persistence) between two edits: the second bump must
    not land on the stamp the first one made (INCR of a missing key gives 1 both times)."""
    set_setting("time_zone", "Asia/Yekaterinburg")
    db.session.commit()  # bump on an empty Redis
    with app.test_request_context("/"):
        fresh()
        assert get_setting("time_zone") == "Asia/Yekaterinburg"  # kept under that stamp
    stamps.flushall()
    set_setting("time_zone", "Asia/Novosibirsk")
    db.session.commit()
    with app.test_request_context("/"):
        fresh()
        assert get_setting("time_zone") == "Asia/Novosibirsk"


def test_the_catalogue_choices_are_kept_and_an_edit_shows_at_once(app, stamps):
    """Services and price rules offered on forms and lists (app.request_form) are read once
    per process and language; a renamed service or a switched-off rule shows on the next page."""
    from app.demo import load_catalog
    from models.catalog import RULE_OBJECT_TYPE, PriceRule, Service
    from models.service_fields import ServiceField
    from tests.factories import make_partner

    load_catalog()
    db.session.commit()
    partner = as_user(app, make_partner())
    partner.get("/cabinet/requests")
    with statements() as cold:
        partner.get("/cabinet/requests")
    with statements() as warm:
        html = partner.get("/cabinet/requests").get_data(as_text=True)
    assert not [s for s in warm if "FROM service" in s or "FROM price_rule" in s], warm
    assert len(warm) <= len(cold)
    service = db.session.query(Service).order_by(Service.id).first()
    assert service.name in html
    service.name = "Обмер (новое имя)"
    db.session.commit()
    assert "Обмер (новое имя)" in partner.get("/cabinet/requests").get_data(as_text=True)
    rule = db.session.query(PriceRule).filter_by(kind=RULE_OBJECT_TYPE).order_by(
        PriceRule.id).first()
    assert rule.label in html  # the filter offers what the form's object_type field asks
    db.session.query(ServiceField).filter_by(key="object_type").update({"is_active": False})
    db.session.commit()
    assert 'id="object_type"' not in partner.get("/cabinet/requests").get_data(as_text=True)
    partner.get("/lang/en")
    english = partner.get("/cabinet/requests").get_data(as_text=True)
    assert service.name_en in english


def test_a_renamed_object_type_shows_on_the_next_list_page(app, stamps):
    """The rule labels of list rows (app.templating object_type_label) are kept under the
    same stamp: the admin's new wording shows on the next page, in each language."""
    from models.catalog import RULE_OBJECT_TYPE, PriceRule
    from models.request_status import Status
    from tests.factories import Staff, make_partner, make_request

    staff = Staff()
    db.session.add(PriceRule(kind=RULE_OBJECT_TYPE, key="apartment", label="Квартира",
                             label_en="Apartment"))
    make_request(make_partner(), Status.SUBMITTED, staff)  # object type "apartment"
    sm = as_user(app, staff.supermanager)
    for _ in range(2):
        assert "Квартира" in sm.get("/requests/list/").get_data(as_text=True)
    with statements() as seen:
        sm.get("/requests/list/")
    assert not [s for s in seen if "FROM price_rule" in s]
    rule = db.session.query(PriceRule).filter_by(key="apartment").one()
    rule.label = "Квартира (ред.)"
    db.session.commit()
    assert "Квартира (ред.)" in sm.get("/requests/list/").get_data(as_text=True)
    sm.get("/lang/en")
    assert "Apartment" in sm.get("/requests/list/").get_data(as_text=True)


def test_the_request_pages_catalogue_is_kept_and_an_edit_shows_at_once(app, stamps):
    """A service's form fields, document checklist and approval steps (app.service_fields,
    app.document_slots, app.approvals) are read once per process: the desk's request page
    sends at most 10 statements; an admin's edit of each shows on the next page."""
    from models.approvals import GATE_ACCEPT, ApprovalStep
    from models.request_status import Status
    from models.service_fields import ServiceField
    from tests.document_slot_data import make_slot
    from tests.factories import Staff, make_partner, make_request, make_service

    staff, partner = Staff(), make_partner()
    service = make_service()
    slot = make_slot(service, title="Техпаспорт БТИ", min_files=0)
    step = ApprovalStep(service_id=service.id, position=1, title="Проверка ГИПом",
                        role_name="Director", gate=GATE_ACCEPT)
    db.session.add(step)
    req = make_request(partner, Status.ON_REVIEW, staff, field_values={
        "address": "Москва, Тверская 1", "object_type": "apartment", "area": "50", "floor": 3})
    db.session.commit()
    manager = as_user(app, staff.manager)
    page = f"/desk/{req.id}"
    manager.get(page)
    with statements() as warm:
        html = manager.get(page).get_data(as_text=True)
    catalogue = [s for s in warm if "FROM ab_user" not in s and any(f"FROM {t}" in s for t in (
        "service_field", "document_slot", "approval_step", "notification"))]
    assert not catalogue, catalogue
    assert len(warm) <= 10, warm
    assert "Техпаспорт БТИ" in html and "Проверка ГИПом" in html and "Этаж" in html

    # each edit in a commit of its own: each table must move the stamp by itself
    db.session.query(ServiceField).filter_by(service_id=service.id, key="floor").update(
        {"label": "Этаж (по плану)"})
    db.session.commit()
    assert "Этаж (по плану)" in manager.get(page).get_data(as_text=True)
    slot.title = "Поэтажный план"
    db.session.commit()
    assert "Поэтажный план" in manager.get(page).get_data(as_text=True)
    step.title = "Проверка главным инженером"
    db.session.commit()
    html = manager.get(page).get_data(as_text=True)
    assert "Проверка главным инженером" in html and "Проверка ГИПом" not in html
    step.is_active = False
    db.session.commit()
    assert "Проверка главным инженером" not in manager.get(page).get_data(as_text=True)


def test_the_bell_count_comes_with_the_user_and_follows_a_read(app, stamps):
    """The bell's unread count is read in the user's own statement (no statement of its
    own on a page); marking a notification read shows on the next page."""
    import re

    from models.notifications import Notification
    from tests.factories import make_partner, post

    partner = make_partner()
    notes = [Notification(user_id=partner.id, kind="status", text=f"N{k}") for k in range(3)]
    db.session.add_all(notes)
    db.session.commit()
    client = as_user(app, partner)
    client.get("/cabinet/requests")
    with statements() as seen:
        html = client.get("/cabinet/requests").get_data(as_text=True)
    assert re.search(r'data-testid="bell-count">3<', html)
    assert not [s for s in seen if s.lstrip().startswith("SELECT count(*)")], seen
    post(client, f"/cabinet/notifications/{notes[0].id}/read")
    html = client.get("/cabinet/requests").get_data(as_text=True)
    assert re.search(r'data-testid="bell-count">2<', html)


def test_an_unpublished_checklist_example_disappears_on_the_next_page(app, stamps):
    """The checklist's example links (knowledge-base articles) are kept with the slots: an
    article taken down stops being linked at once."""
    from models.knowledge import KbArticle, KbCategory
    from models.request_status import Status
    from tests.document_slot_data import make_slot
    from tests.factories import make_partner, make_request, make_service

    partner, service = make_partner(), make_service()
    article = KbArticle(category=KbCategory(name="Примеры", slug="examples"),
                        title="Пример техпаспорта", slug="bti-example", body_md="…")
    db.session.add(article)
    db.session.commit()
    make_slot(service, kb_article_id=article.id)
    req = make_request(partner, Status.DRAFT)
    client = as_user(app, partner)
    page = f"/cabinet/requests/{req.id}/edit"
    for _ in range(2):
        assert "/cabinet/kb/bti-example" in client.get(page).get_data(as_text=True)
    article.is_published = False
    db.session.commit()
    assert "/cabinet/kb/bti-example" not in client.get(page).get_data(as_text=True)
