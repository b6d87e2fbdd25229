"""Searches that ignore case ignore it in Russian too on SQLite (`make run`, the SQLite test
pass): SQLite's own lower() folds ASCII letters only, so Flask-AppBuilder's list filters
(ILIKE is `lower(x) LIKE lower(y)` there) and the week schedule's name search missed
“Ромашка” for “ромашка”. app.sqlite_functions replaces lower(); PostgreSQL folds it itself."""

from __future__ import annotations

from app.extensions import db
from tests.factories import as_user, make_company, make_user


def test_back_office_list_filters_fold_cyrillic(app):
    make_company("ООО «Ромашка»")
    make_company("ООО «Василёк»")
    db.session.commit()
    client = as_user(app, make_user("Admin"))
    # FAB's filters of a text column by position: starts with, ends with, contains, equal …
    for query in ("_flt_0_name=ооо «РОМ", "_flt_2_name=РОМАШКА", "_flt_2_name=ромашка",
                  "_flt_1_name=ШКА»"):
        page = client.get(f"/companies/list/?{query}").get_data(as_text=True)
        assert "Ромашка" in page and "Василёк" not in page, query


def test_week_schedule_name_search_folds_cyrillic(app):
    found, other = make_user("Engineer"), make_user("Engineer")
    found.first_name, found.last_name = "Пётр", "Смирнов"
    other.first_name, other.last_name = "Иван", "Кузнецов"
    db.session.commit()
    client = as_user(app, make_user("Manager"))
    for text in ("смирнов", "ПЁТР СМИР", "Пётр"):
        page = client.get(f"/schedule/?q={text}").get_data(as_text=True)
        assert "Смирнов" in page and "Кузнецов" not in page, text
