"""Generated back-office pages are titled in the user's language, never FAB's "List X"."""

import re

import pytest

from app.extensions import db
from tests.factories import as_user, make_user
from views.base import MODEL_NAMES, ReplanModelView

ENGLISH = re.compile(r"\b(List|Show|Add|Edit) [A-Z][a-z]+")


def _model_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, ReplanModelView)]


def test_every_table_has_a_name(app):
    assert {v.datamodel.model_name for v in _model_views(app)} <= set(MODEL_NAMES)


@pytest.mark.parametrize("locale, services, new", [
    ("ru", "Услуги", "Новая запись: Услуга"), ("en", "Services", "New record: Service")])
def test_list_and_add_titles_in_the_users_language(app, locale, services, new):
    admin = as_user(app, make_user("Admin", username="boss"))
    admin.get(f"/lang/{locale}")
    listing = admin.get("/services/list/").get_data(as_text=True)
    assert re.search(rf"<h\d[^>]*>\s*{services}\s*<", listing) or f">{services}<" in listing
    add = admin.get("/services/add").get_data(as_text=True)
    assert new in add
    db.session.rollback()


def test_no_english_fab_words_on_russian_pages(app):
    admin = as_user(app, make_user("Admin", username="boss"))
    found = {}
    for view in _model_views(app):
        for page in ("list/", "add"):
            html = admin.get(f"{view.route_base}/{page}").get_data(as_text=True)
            text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", html, flags=re.S)
            words = set(ENGLISH.findall(text) and [m.group(0) for m in ENGLISH.finditer(text)])
            if words:
                found[f"{view.route_base}/{page}"] = sorted(words)
    assert found == {}
