"""The staff list's code columns (status, payment state, object type) are picked from a
select, so their one filter is "is": FAB's first filter of a text column, "starts with", was
an ILIKE no index serves (the submitted requests sorted by number read every request: ~4 s
at a million requests) and matched a code's prefix."""

from __future__ import annotations

import re

from app.demo import load_catalog
from app.extensions import db
from models.request_status import Status
from tests.factories import as_user, make_partner, make_request, make_user


def numbers_on(page: str) -> set[str]:
    return set(re.findall(r"\d{4}-\d{5}", page))


def test_a_code_filter_is_equality(app, staff):
    load_catalog()  # object types to filter by (without any, the list has no such filter)
    partner = make_partner()
    submitted = make_request(partner, Status.SUBMITTED, staff)
    assigned = make_request(partner, Status.ASSIGNED, staff)
    assigned.payment_state = "partial"
    db.session.commit()
    client = as_user(app, make_user("Admin"))
    for query, found in (("_flt_0_status=submitted", {submitted.number}),
                         ("_flt_0_status=sub", set()),  # a prefix is no status
                         ("_flt_0_payment_state=partial", {assigned.number}),
                         ("_flt_0_payment_state=part", set()),
                         ("_flt_0_object_type=apartment", {submitted.number, assigned.number}),
                         ("_flt_0_object_type=apart", set())):
        page = client.get(f"/requests/list/?{query}").get_data(as_text=True)
        assert numbers_on(page) & {submitted.number, assigned.number} == found, query


def test_the_form_offers_is_only_for_a_code_column(app):
    """FAB's search form lists each column's filters by name: one for a code column."""
    from app.extensions import appbuilder
    from views.requests import RequestStaffView

    view = next(v for v in appbuilder.baseviews if isinstance(v, RequestStaffView))
    filters = view.datamodel.get_filters(view.search_columns)._search_filters
    for column in ("status", "payment_state", "object_type"):
        assert [type(f).__name__ for f in filters[column]] == ["FilterEqual"], column
    assert len(filters["number"]) > 1  # a text column keeps "contains", "starts with" …


def test_the_client_search_is_a_filter_of_its_own_without_a_warning(app, caplog):
    """The staff list's client search is no column of the request; its filter is given by
    the list's converter (views.requests.RequestFilterConverter), so FAB logs no “Filter
    type not supported for column: client_name” at every start."""
    from views.requests import CLIENT_SEARCH, ClientNameSearch, RequestStaffView

    caplog.set_level("WARNING", logger="flask_appbuilder.models.filters")
    datamodel = RequestStaffView.datamodel
    found = datamodel.filter_converter_class(datamodel).convert(CLIENT_SEARCH)
    assert [type(flt) for flt in found] == [ClientNameSearch]
    assert not [r for r in caplog.records if "not supported" in r.getMessage()], caplog.text
