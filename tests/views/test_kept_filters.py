"""views.base.KeptFilterConverter: a column's filters are made once per interface."""

from flask_appbuilder.models.sqla.filters import SQLAFilterConverter

from app.extensions import appbuilder
from tests.factories import as_user, make_user
from views.requests import RequestStaffView


def test_a_columns_filters_are_made_once_and_handed_out_as_new_lists(app, monkeypatch):
    made = []
    original = SQLAFilterConverter.convert

    def counting(self, col_name):
        made.append(col_name)
        return original(self, col_name)

    monkeypatch.setattr(SQLAFilterConverter, "convert", counting)
    view = next(v for v in appbuilder.baseviews if isinstance(v, RequestStaffView))
    datamodel = view.datamodel
    monkeypatch.setitem(datamodel.__dict__, "_replan_column_filters", {})
    first = datamodel.get_filters(["status"])
    second = datamodel.get_filters(["status"])
    assert made.count("status") == 1
    assert [type(f) for f in first._search_filters["status"]] == \
        [type(f) for f in second._search_filters["status"]]
    assert first._search_filters["status"] is not second._search_filters["status"]
    # a list page that filters by a column still finds its filter
    client = as_user(app, make_user("Admin"))
    page = client.get("/requests/list/?_flt_0_status=submitted").get_data(as_text=True)
    assert "Подана" in page and made.count("status") == 1
