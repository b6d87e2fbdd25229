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
from tests.factories import as_user, make_partner, make_user, post

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
    edited = re.search(r'data-testid="ui-edited".*?</table>', listed, re.S).group(0)
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
    ("Эксперт 100%", "не может быть знака процента"),
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
    for user in (staff.manager, staff.supermanager, staff.engineer, make_user("Director"),
                 make_partner()):
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
