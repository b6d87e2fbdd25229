"""Finding 12, case by case: each bad input of the report now gets 400/404 or a clear message."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.input_guard import bounded_int, form_version
from app.permissions import ADMIN
from models.partners import EndClient
from models.finance import Payment
from models.request_status import Status
from models.requests import Request
from tests.factories import as_user, csrf_token, make_partner, make_request, make_user
from tests.security.fuzzing import forms_of



@pytest.fixture
def owner(app):
    return make_partner(username="owner")


@pytest.mark.parametrize("url", ["/login/", "/cabinet/apply"])
def test_nul_in_an_anonymous_form_is_refused_with_400(app, client, url):
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"username": "a\x00b", "password": "x\x00",
                                      "company_name": "\x00", "email": "a@b.example",
                                      "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<html lang="ru">' in page  # the translated 400 page, naming the reason
    assert "запрещённый символ (NUL или непарный суррогат)" in page


def test_nul_in_a_list_filter_or_a_path_is_refused(app, owner):
    client = as_user(app, owner)
    assert client.get("/cabinet/requests", query_string={"q": "a\x00"}).status_code == 400
    assert client.get("/cabinet/kb/a%00b").status_code == 400


@pytest.mark.parametrize("junk", ["%ED%A0%80", "%FF%FE", "%C0%AF"])
def test_bytes_that_are_no_text_in_a_form_or_query_are_refused_and_store_nothing(app, owner,
                                                                                 junk):
    """Werkzeug kept undecodable percent-encoded bytes as the literal "%ED%A0%80": a request
    and a new saved client were stored under such names, where the API refused them."""
    client = as_user(app, owner)
    page = client.get("/cabinet/requests/new").get_data(as_text=True)
    body = (f"csrf_token={csrf_token(page)}&services=1&address=abc{junk}&object_type=apartment"
            f"&area=10&urgency=normal&new_client_name=N{junk}&save_draft=1")
    response = client.post("/cabinet/requests/new", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "запрещённый символ" in response.get_data(as_text=True)
    assert db.session.query(Request).count() == 0 and db.session.query(EndClient).count() == 0
    assert client.get(f"/cabinet/requests?q=x{junk}").status_code == 400
    # the same text written as UTF-8 is taken
    assert client.get("/cabinet/requests?q=%D0%90%D1%80%D0%B1%D0%B0%D1%82").status_code == 200


@pytest.mark.parametrize("query", [{"after": str(2**31)}, {"before": str(10**30)},
                                   {"after": "-1"}, {"after": "x", "before": "1e5"}])
def test_keyset_params_out_of_range_show_the_first_page(app, owner, query):
    req = make_request(owner)
    client = as_user(app, owner)
    response = client.get("/cabinet/requests", query_string=query)
    assert response.status_code == 200 and req.number in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/desk/2147483648", "/cabinet/requests/99999999999",
                                 "/requests/show/abc", "/requests/show/2147483648"])
def test_ids_out_of_range_are_404(app, staff, url):
    client = as_user(app, make_user(ADMIN)) if url.startswith(("/desk", "/requests")) \
        else as_user(app, make_partner())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("version", [" ", "x", str(2**31), "-1"])
def test_a_garbled_version_on_a_status_move_is_a_conflict_not_a_500(app, owner, staff,
                                                                     version):
    req = make_request(owner, Status.ASSIGNED, staff)
    client = as_user(app, staff.manager)
    page = client.get(f"/desk/{req.id}").get_data(as_text=True)
    response = client.post(f"/desk/{req.id}/move/ask_info", follow_redirects=True, data={
        "version": version, "comment": "Нужен план", "csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert "Заявку уже изменил кто-то другой" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED


def test_bounded_parsers():
    assert [bounded_int(v) for v in ("1", " 7 ", str(2**31 - 1), str(2**31), "0", "-1",
                                     "x", "", None, "1e3", "٣")] == \
        [1, 7, 2**31 - 1, None, None, None, None, None, None, None, None]
    assert [form_version(v) for v in (None, "", "3", " ", "x", str(2**31))] == \
        [None, None, 3, 0, 0, 0]


def _numbers(html: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong></a>", html)


def test_list_sorts_only_on_declared_plain_columns(app, owner, staff):
    """An engineer cannot order rows by the end client's phone (a related contact column);
    an unknown column is ignored; a declared column still sorts."""
    reqs = [make_request(owner, Status.IN_PROGRESS, staff,
                         object_address=f"Street {3 - i}") for i in range(3)]
    for i, req in enumerate(reqs):  # phones ascend with the id: sorting by them would show
        req.end_client = EndClient(company_id=req.company_id, name=f"C{i}",
                                   phone=f"+7 900 000-00-0{i}")
    db.session.commit()
    client = as_user(app, staff.engineer)
    default = [r.number for r in reversed(reqs)]
    for column in ("end_client.phone", "end_client_id", "no_such_column"):
        page = client.get("/requests/list/", query_string={
            "_oc_RequestStaffView": column, "_od_RequestStaffView": "asc"})
        assert page.status_code == 200
        assert _numbers(page.get_data(as_text=True)) == default, column
    page = client.get("/requests/list/", query_string={
        "_oc_RequestStaffView": "object_address", "_od_RequestStaffView": "asc"})
    assert _numbers(page.get_data(as_text=True)) == default  # Street 1, 2, 3 = newest first
    page = client.get("/requests/list/", query_string={
        "_oc_RequestStaffView": "object_address", "_od_RequestStaffView": "desc"})
    assert _numbers(page.get_data(as_text=True)) == default[::-1]


def test_fab_paging_params_that_are_not_numbers_are_ignored(app, staff):
    client = as_user(app, make_user(ADMIN))
    for query in ({"page_RequestStaffView": "x"}, {"psize_RequestStaffView": "-1"},
                  {"psize_RequestStaffView": str(10**30)}, {"_flt_0_created_at": "x"},
                  {"_flt_9_number": "1"}, {"_flt_0_status": "a" * 5000},
                  {"_flt_1_number": "abc\\"}, {"_flt_0_number": "%_"}):
        assert client.get("/requests/list/", query_string=query).status_code == 200, query


def test_unknown_fab_action_is_404(app, staff):
    client = as_user(app, make_user(ADMIN))
    token = csrf_token(client.get("/partner-applications/list/").get_data(as_text=True))
    assert client.post("/partner-applications/action_post", data={
        "action": "drop_tables", "rowid": ["1"], "csrf_token": token}).status_code == 404
    assert client.post("/partner-applications/action/nope/1",
                       data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("amount", [str(10**30), "1e309", "-5", "NaN"])
def test_absurd_payment_amounts_are_refused_with_a_message(app, owner, staff, amount):
    req = make_request(owner, Status.IN_PROGRESS, staff)
    client = as_user(app, make_user(ADMIN))
    page = client.get(f"/desk/{req.id}").get_data(as_text=True)
    (form,) = [f for f in forms_of(page, f"/desk/{req.id}") if f.action.endswith("/payment")]
    data = {**form.fields, "amount": [amount], "paid_on": ["2026-11-01"], "document": ["PP"]}
    response = client.post(form.action, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert db.session.query(Payment).count() == 0




def test_fab_file_download_routes_are_404(app):
    client = as_user(app, make_user(ADMIN))
    for url in ("/users/download/x", "/kb-articles/download/..%2F..%2Fconfig.py"):
        assert client.get(url).status_code == 404, url


def test_views_are_found_by_class_name_as_registered(app):
    """app.input_guard._view_named: the index follows views added later, and of two views of
    one class the first registered is the one found (as the scan it replaced)."""
    from app.extensions import appbuilder
    from app.input_guard import _view_named

    views = appbuilder.baseviews
    staff_list = next(v for v in views if type(v).__name__ == "RequestStaffView")
    assert _view_named("RequestStaffView") is staff_list
    assert _view_named("cabinet") is None
    later, other = type("LaterView", (), {})(), type("RequestStaffView", (), {})()
    views.extend([later, other])
    try:
        assert _view_named("LaterView") is later
        assert _view_named("RequestStaffView") is staff_list
    finally:
        del views[-2:]
    assert _view_named("LaterView") is None
