"""Interface texts by data (app.ui_texts): any text of the interface worded the bureau's way
per language — a car-inspection bureau calls its engineers "Эксперт" — found by a word,
checked when saved, read by every gettext (Jinja's, Python's, FAB's lazy labels), audited and
reset to the shipped text."""

import re

import pytest
from flask_babel import force_locale, gettext

from app.extensions import db
from app.permissions import ENGINEER, role_label
from app.status_labels import forget_overrides
from app.texts import TemplateRefused
from app.translations import OverriddenTranslations, request_translations
from app.ui_texts import checked_ui_text, interface_texts, msgids, search, text_key
from models.audit import AuditEvent
from models.texts import KIND_UI, TextOverride
from tests.factories import as_user, everyone_but_the_admin, make_partner, make_user, post

ENGINEER_KEY = text_key("Engineer")


@pytest.fixture
def admin(app):
    return as_user(app, make_user("Admin"))


def save(client, msgid, body, locale="ru", do="save"):
    return post(client, f"/texts/{KIND_UI}/{text_key(msgid)}?locale={locale}",
                {"body": body, "do": do}, follow=True).get_data(as_text=True)


def schedule_header(client, lang_path="") -> str:
    page = client.get("/schedule/").get_data(as_text=True)
    return re.search(r"<thead><tr><th>([^<]*)</th>", page).group(1)


def test_a_role_worded_for_another_trade_reaches_every_gettext_and_reset_restores(
        app, admin, staff):
    found = admin.get("/texts/?locale=ru&q=инженер").get_data(as_text=True)
    assert f'data-key="{KIND_UI}.{ENGINEER_KEY}"' in found  # found by its Russian word
    page = save(admin, "Engineer", "  Эксперт ")
    assert "Текст сохранён" in page
    row = db.session.query(TextOverride).one()
    assert (row.kind, row.key, row.locale, row.body) == (KIND_UI, ENGINEER_KEY, "ru",
                                                         "Эксперт")
    event = db.session.query(AuditEvent).filter_by(action="text_update").one()
    assert event.details["text"] == "ui: Engineer"
    assert event.details["body"] == ["Инженер", "Эксперт"]
    supermanager = as_user(app, staff.supermanager)
    assert schedule_header(supermanager) == "Эксперт"  # Jinja's _()
    with app.app_context(), app.test_request_context(), force_locale("ru"):
        assert gettext("Engineer") == "Эксперт"  # Python's gettext
        assert role_label(ENGINEER) == "Эксперт"  # a lazy label (the role's name)
    with app.app_context(), app.test_request_context(), force_locale("en"):
        assert gettext("Engineer") == "Engineer"  # English is worded apart
    listed = admin.get("/texts/?locale=ru").get_data(as_text=True)
    edited = re.search(r'data-testid="ui-edited".*?</ul>', listed, re.S).group(0)
    assert "Эксперт" in edited and f'{KIND_UI}.{ENGINEER_KEY}' in edited
    post(admin, f"/texts/{KIND_UI}/{ENGINEER_KEY}/reset?locale=ru", {})
    assert db.session.query(TextOverride).count() == 0
    assert schedule_header(supermanager) == "Инженер"
    assert db.session.query(AuditEvent).filter_by(action="text_reset").count() == 1


def test_placeholders_are_kept_and_the_brand_may_be_added(app, admin):
    msgid = "request %(number)s"
    assert msgid in msgids().values()
    save(admin, msgid, "осмотр %(number)s · %(brand)s")
    with app.app_context(), app.test_request_context(), force_locale("ru"):
        assert gettext(msgid, number="2026-00042") == "осмотр 2026-00042 · Replan"


@pytest.mark.parametrize("body,error", [
    ("<b>Эксперт</b>", "«&lt;» и «&gt;» использовать нельзя"),  # escaped on the page
    ("Эксперт %(number)s", "«%(number)s» в этом тексте не подставляется"),
    ("Эксперт 100%", "не может быть знака процента: напишите словом"),
    ("Экс\u202eперт", "меняющих направление письма"),
    ("Эксперт %(number)d", "«%(number)d» в этом тексте не подставляется"),
    ("", "Текст не может быть пустым"),
    ("Экс\x07перт", "управляющих символов"),  # NUL: the input guard's 400 before
    ("Э" * 2001, "не больше 2000 символов"),
])
def test_a_text_that_would_break_a_page_is_refused_and_nothing_is_stored(app, admin, body,
                                                                          error):
    page = save(admin, "Engineer", body)
    assert error in page
    assert db.session.query(TextOverride).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="text_update").count() == 0


def test_the_percent_rules_follow_whether_the_code_formats_the_text(app):
    assert checked_ui_text("request %(number)s", "заявка %(number)s, 100 %%") \
        == "заявка %(number)s, 100 %%"
    with pytest.raises(TemplateRefused):
        checked_ui_text("request %(number)s", "заявка %(number)s, 100 %")
    with pytest.raises(TemplateRefused):  # not formatted: "%%" would show as it is
        checked_ui_text("Engineer", "Эксперт 100 %%")
    assert checked_ui_text("Engineer", "Эксперт %(brand)s") == "Эксперт %(brand)s"
    assert "Engineer utilisation, %%" in msgids().values()  # formatted where it is shown
    assert checked_ui_text("Engineer utilisation, %%", "Загрузка экспертов, %%") \
        == "Загрузка экспертов, %%"


def test_only_the_admin_words_interface_texts(app, staff):
    url = f"/texts/{KIND_UI}/{ENGINEER_KEY}?locale=ru"
    for user in everyone_but_the_admin(staff):
        client = as_user(app, user)
        assert client.get(url).status_code in (302, 403)
        post(client, url, {"body": "Эксперт", "do": "save"})
    assert db.session.query(TextOverride).count() == 0
    assert app.test_client().get(url).status_code == 302  # anonymous: to the sign-in page
    admin = as_user(app, make_user("Admin"))
    assert admin.get(url).status_code == 200
    assert admin.get(f"/texts/{KIND_UI}/{'0' * 40}?locale=ru").status_code == 404


def test_search_needs_two_letters_and_shows_the_shortest_first(app, admin):
    assert search("и", "ru") == []
    rows = search("инженер", "ru")
    assert rows[0][1] == "Engineer" and len(rows) > 5
    assert all(len(a[2]) <= len(b[2]) for a, b in zip(rows, rows[1:]))
    page = admin.get("/texts/?locale=ru&q=zzzqqq").get_data(as_text=True)
    assert "Нет текстов со словами «zzzqqq»" in page


def test_no_interface_text_means_the_shipped_catalog_unwrapped(app):
    """Each request has its own g (a fresh app context here, as a served request has)."""
    with app.app_context(), app.test_request_context(), force_locale("ru"):
        assert not isinstance(request_translations(), OverriddenTranslations)
    db.session.add(TextOverride(kind=KIND_UI, key=ENGINEER_KEY, locale="ru", body="Эксперт"))
    db.session.commit()
    with app.app_context(), app.test_request_context(), force_locale("ru"):
        assert isinstance(request_translations(), OverriddenTranslations)
        assert gettext("Engineer") == "Эксперт"


def test_an_unreadable_table_leaves_the_shipped_texts(app, monkeypatch):
    import app.ui_texts as ui_texts

    def broken():
        raise RuntimeError("database restarting")

    monkeypatch.setattr(ui_texts, "overrides", broken)
    with app.app_context(), app.test_request_context(), force_locale("ru"):
        forget_overrides()
        assert interface_texts("ru") == {}
        assert gettext("Engineer") == "Инженер"


def test_a_quote_in_a_worded_text_stays_text_inside_attributes(app, admin, staff):
    """The catalog's texts are trusted markup; the admin's were too: a quote in a comment
    box's placeholder ("What to rework") closed the textarea's placeholder attribute and
    added an onfocus attribute."""
    from tests.factories import make_request
    from models.request_status import Status

    save(admin, "What to rework", 'Доработать" autofocus onfocus="alert(1)" x="&amp;')
    req = make_request(make_partner(), Status.ON_REVIEW, staff)
    page = as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    assert 'onfocus="alert(1)"' not in page
    assert 'placeholder="Доработать&#34; autofocus onfocus=&#34;alert(1)&#34; x=&#34;' \
        '&amp;amp;"' in page


def test_numbers_lone_signs_line_breaks_and_the_flask_appbuilder_texts(app, admin):
    password = "The password must have at least %(n)d characters."
    assert checked_ui_text(password, "Пароль — от %(n)d знаков") == "Пароль — от %(n)d знаков"
    assert checked_ui_text(password, "Пароль — от %(n)s знаков") == "Пароль — от %(n)s знаков"
    with pytest.raises(TemplateRefused):  # a text value as a number: a 500 at render
        checked_ui_text("request %(number)s", "заявка %(number)d")
    assert checked_ui_text("Discount, %", "Скидка, %") == "Скидка, %"  # never %-formatted
    with pytest.raises(TemplateRefused):  # …so the product's name cannot be filled in
        checked_ui_text("Discount, %", "Скидка %(brand)s, %")
    assert checked_ui_text("Engineer", "Эксперт\r\nпо осмотру") == "Эксперт\nпо осмотру"
    assert any(msgid == "List Users" for _key, msgid, _now, _e in search(
        "Список пользователей", "ru"))  # Flask-AppBuilder's own pages
    with app.app_context(), app.test_request_context(), force_locale("ru"):
        assert "Type at least two letters" not in admin.get(
            "/texts/?q=Список+пользователей").get_data(as_text=True)


def test_an_unknown_language_is_not_taken_for_russian(app, admin):
    save(admin, "Engineer", "Эксперт")
    assert admin.get(f"/texts/{KIND_UI}/{ENGINEER_KEY}?locale=de").status_code == 404
    response = post(admin, f"/texts/{KIND_UI}/{ENGINEER_KEY}/reset?locale=de", {})
    assert response.status_code == 404
    assert db.session.query(TextOverride).count() == 1


def test_a_save_or_reset_from_a_stale_editor_is_refused_keeping_the_typed_text(app, admin):
    """Two tabs: A saves, then B (opened before) saves — B overwrote A silently."""
    url = f"/texts/{KIND_UI}/{ENGINEER_KEY}?locale=ru"
    page = admin.get(url).get_data(as_text=True)
    seen = re.search(r'name="seen" type="hidden" value="([^"]+)"', page).group(1)
    assert seen == "default"
    post(admin, url, {"body": "Эксперт A", "do": "save", "seen": seen})
    page = post(admin, url, {"body": "Эксперт B", "do": "save", "seen": seen},
                follow=True).get_data(as_text=True)
    assert "Этот текст тем временем изменили" in page
    assert "Эксперт B</textarea>" in page  # the typed text stays in the form
    assert re.search(r'data-testid="stored-now".*Эксперт A', page, re.S)
    assert db.session.query(TextOverride).one().body == "Эксперт A"
    newer = re.search(r'name="seen" type="hidden" value="([^"]+)"', page).group(1)
    post(admin, url, {"body": "Эксперт B", "do": "save", "seen": newer})  # knowingly
    db.session.expire_all()
    assert db.session.query(TextOverride).one().body == "Эксперт B"
    post(admin, f"/texts/{KIND_UI}/{ENGINEER_KEY}/reset?locale=ru", {"seen": newer})
    assert db.session.query(TextOverride).count() == 1  # reset from the stale page: refused


def test_the_preview_fills_the_values_in(app, admin):
    msgid = "Visit booked: request %(number)s, %(when)s"
    page = save(admin, msgid, "Осмотр назначен: %(number)s, %(when)s · %(brand)s",
                do="preview")
    preview = re.search(r'data-testid="preview">(.*?)</div></div>', page, re.S).group(1)
    assert "Осмотр назначен: ‹number›, ‹when› · Replan" in preview
    assert db.session.query(TextOverride).count() == 0


def test_a_wording_whose_text_a_new_version_dropped_is_listed_apart_and_deleted(app, admin):
    """Keys are the original's SHA-1: an original reworded in code left the bureau's wording
    stored and invisible, with no way to see or delete it."""
    gone = "f" * 40
    db.session.add(TextOverride(kind=KIND_UI, key=gone, locale="ru", body="Старый эксперт"))
    db.session.commit()
    page = admin.get("/texts/?locale=ru").get_data(as_text=True)
    orphans = re.search(r'data-testid="ui-orphaned".*?</ul>', page, re.S).group(0)
    assert "Старый эксперт" in orphans
    assert admin.get(f"/texts/{KIND_UI}/{gone}?locale=ru").status_code == 404  # not editable
    done = post(admin, f"/texts/{KIND_UI}/{gone}/reset?locale=ru", {})
    assert done.status_code == 302 and done.headers["Location"].endswith("/texts/?locale=ru#ui")
    assert db.session.query(TextOverride).count() == 0
    event = db.session.query(AuditEvent).filter_by(action="text_reset").one()
    assert event.details["text"] == f"ui: {gone}"
    again = post(admin, f"/texts/{KIND_UI}/{gone}/reset?locale=ru", {})  # twice: no 500
    assert again.status_code == 302


def test_the_lists_show_texts_as_the_pages_do(app, admin):
    """The search listed "Загрузка инженеров, %%" (the catalog's escape) and "%(n)s"."""
    found = admin.get("/texts/?locale=ru&q=utilisation").get_data(as_text=True)
    listed = re.search(r'data-testid="ui-found".*?</ul>', found, re.S).group(0)
    assert "Загрузка инженеров, %<" in listed and "%%" not in listed
    assert "Engineer utilisation, %<" in listed
