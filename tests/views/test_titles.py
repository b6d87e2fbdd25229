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


def test_generated_lists_show_values_as_people_read_them(app):
    from models.request_status import Status
    from tests.factories import Staff, make_partner, make_request

    from app.demo import load_catalog

    load_catalog()
    staff = Staff()
    req = make_request(make_partner(username="p"), Status.READY, staff)
    req.object_type, req.total_kopecks, req.payment_state = "apartment", 23_477_825, "unpaid"
    db.session.commit()
    admin = as_user(app, make_user("Admin", username="boss"))
    cells = {}
    for view in _model_views(app):
        for url in (f"{view.route_base}/list/", f"{view.route_base}/show/{req.id}"):
            html = admin.get(url).get_data(as_text=True)
            for cell in re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", html):
                cells.setdefault(cell, url)
    codes = ("apartment", "unpaid")  # a price rule's own key column may show a code
    raw = {c: u for c, u in cells.items()
           if c in ("None", "True", "False", "23477825")
           or (c in codes and not u.startswith("/price-rules"))
           or re.fullmatch(r"\d{4}-\d\d-\d\d[ T][\d:.]+", c)}
    assert raw == {}
    assert "не оплачена" in cells and "Готово" in cells and "Квартира" in cells
    services = admin.get("/services/list/").get_data(as_text=True)
    assert re.search(r"\d\u00a0\d{3},\d\d\u00a0₽", services)  # roubles, not kopecks


def test_each_rows_buttons_open_and_delete_that_row(app):
    """The row buttons are rendered once a page and given each row's key: every row's
    show, edit and delete point at that row, none at another."""
    from models.catalog import Service
    from tests.factories import make_service
    ids = [make_service(code=f"s{k}").id for k in range(3)]
    db.session.commit()
    html = as_user(app, make_user("Admin")).get("/services/list/").get_data(as_text=True)
    for kind in ("show", "edit"):  # services are switched off, never deleted
        assert sorted(int(pk) for pk in re.findall(rf'/services/{kind}/(\d+)"', html)) \
            == sorted(ids), kind
    assert "__ROW_PK__" not in html
    assert db.session.query(Service).count() == 3
