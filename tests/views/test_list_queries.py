"""Back-office lists: no N+1 on related columns, capped page size, bounded counts."""

import re


from models.request_status import Status
from tests.factories import statements, Staff, login, make_partner, make_request, make_user


def request_list_queries(client) -> tuple[int, list[str]]:
    with statements() as seen:
        assert client.get("/requests/list/").status_code == 200
    return len(seen), seen


def test_request_list_query_count_does_not_grow_with_rows(app):
    staff = Staff()
    partner = make_partner()
    admin = app.test_client()
    make_user("Admin", username="boss")
    login(admin, "boss")
    for _ in range(3):
        make_request(partner, Status.SCHEDULED, staff)
    request_list_queries(admin)  # with Redis the shared tables are cached from here on
    few, _ = request_list_queries(admin)
    extra = Staff()  # other managers and engineers: each row now has different related users
    for _ in range(12):
        make_request(partner, Status.SCHEDULED, extra)
        make_request(partner, Status.SCHEDULED, Staff())
    request_list_queries(admin)  # the new rows moved the stamp of the filters' selects
    many, seen = request_list_queries(admin)
    assert many == few, seen[few:]


def test_page_size_from_the_url_is_capped_and_count_is_bounded(app, monkeypatch):
    import views.base

    staff = Staff()
    partner = make_partner()
    for _ in range(6):
        make_request(partner, Status.SUBMITTED, staff)
    make_user("Admin", username="boss")
    admin = app.test_client()
    login(admin, "boss")
    monkeypatch.setattr(views.base, "MAX_PAGE_SIZE", 2)
    html = admin.get("/requests/list/?psize_RequestStaffView=1000").get_data(as_text=True)
    assert len(set(re.findall(r"\d{4}-\d{5}", html))) == 2
    monkeypatch.setattr(views.base, "COUNT_LIMIT", 3)
    with statements() as seen:
        admin.get("/requests/list/")
    counts = [s for s in seen if "count(" in s.lower() and "request" in s.lower()]
    assert counts and all("LIMIT" in s.upper() for s in counts)
