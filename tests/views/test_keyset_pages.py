"""The staff request list pages by keyset (views.keyset): next / previous / first by a signed
cursor at any depth, for the default sort and every sort offered, filters kept; a damaged
cursor starts at the first page; each role sees only its rows on every page."""

import re
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from models.partners import PartnerCompany
from models.request_status import Status
from models.requests import Request
from tests.factories import Staff, as_user, make_company, make_partner, make_request, make_user

NUMBER = re.compile(r"<strong>(\d{4}-\d{5})</strong>")  # the row's link to the desk
VIEW = "RequestStaffView"
SIZE = 2
SORTS = [("", ""), ("number", "asc"), ("number", "desc"), ("status", "asc"),
         ("status", "desc"), ("object_address", "asc"), ("object_address", "desc"),
         ("created_at", "asc"), ("created_at", "desc")]


class World:
    """Two teams: team 1 has seven requests of equal address, status and creation time
    (every sort has ties), team 2 three of another status; one draft no staff member sees."""

    @staticmethod
    def build() -> dict:
        team1, team2 = Staff(), Staff()
        alpha, beta = make_company("Alpha Build"), make_company("Beta Repair")
        owner_a, owner_b = make_partner(alpha), make_partner(beta)
        same = datetime(2026, 3, 1, 9, 0)
        team1_rows = [make_request(owner_a if i % 2 else owner_b, Status.SCHEDULED, team1,
                                   object_address="Moscow, Arbat 1") for i in range(7)]
        team2_rows = [make_request(owner_a, Status.IN_PROGRESS, team2,
                                   object_address=f"Kazan, Lenina {i}") for i in range(3)]
        for req in team1_rows:
            req.created_at = req.submitted_at = same
        db.session.commit()
        return {"teams": [{who: getattr(t, who).id for who in TEAM} for t in (team1, team2)],
                "companies": [alpha.id, beta.id],
                "team1_rows": [r.id for r in team1_rows],
                "team2_rows": [r.id for r in team2_rows],
                "draft": make_request(owner_a).id, "admin": make_user("Admin").id}

    def __init__(self, ids: dict):
        self.team1, self.team2 = (SimpleNamespace(**{who: db.session.get(User, i)
                                                     for who, i in team.items()})
                                  for team in ids["teams"])
        self.alpha, self.beta = (db.session.get(PartnerCompany, i) for i in ids["companies"])
        self.team1_rows = [db.session.get(Request, i) for i in ids["team1_rows"]]
        self.team2_rows = [db.session.get(Request, i) for i in ids["team2_rows"]]
        self.draft = db.session.get(Request, ids["draft"])
        self.admin = db.session.get(User, ids["admin"])


TEAM = ("supermanager", "manager", "engineer")


@pytest.fixture
def world(snapshot):
    """Built once per run (conftest.snapshot)."""
    return World(snapshot("keyset-world", World.build))


def page(client, url: str) -> tuple[list[str], str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    table = html.split('table-hover">', 1)[1] if 'table-hover">' in html else ""
    return NUMBER.findall(table.split("</table>", 1)[0]), html


def link(html: str, testid: str) -> str | None:
    found = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', html)
    return found and found.group(1).replace("&amp;", "&")


def walk_forward(client, url: str) -> tuple[list[list[str]], list[str]]:
    """Every page by its next link: (numbers per page, each page's HTML)."""
    pages, htmls = [], []
    while url:
        numbers, html = page(client, url)
        pages.append(numbers)
        htmls.append(html)
        url = link(html, "pager-next")
        assert len(pages) < 20
    return pages, htmls


def walk_back(client, last_html: str) -> list[list[str]]:
    """Every page before the one `last_html` shows, by its previous links (numbers per page)."""
    url, back = link(last_html, "pager-prev"), []
    while url:
        numbers, html = page(client, url)
        back.append(numbers)
        url = link(html, "pager-prev")
        assert len(back) < 20
    return back


def expected(world, rows, column: str, direction: str) -> list[str]:
    """The rows in the list's order: the sort column, ties by id in the same direction."""
    column = column or "id"
    descending = direction == "desc" or column == "id"
    key = (lambda r: r.id) if column == "id" else (lambda r: (getattr(r, column), r.id))
    return [r.number for r in sorted(rows, key=key, reverse=descending)]


def sort_args(column: str, direction: str) -> str:
    return f"&_oc_{VIEW}={column}&_od_{VIEW}={direction}" if column else ""


@pytest.mark.parametrize("column,direction", SORTS)
def test_every_sort_pages_forward_and_back_without_gaps_or_repeats(app, world, column,
                                                                   direction):
    admin = as_user(app, world.admin)
    visible = world.team1_rows + world.team2_rows
    start = f"/requests/list/?psize_{VIEW}={SIZE}{sort_args(column, direction)}"
    pages, htmls = walk_forward(admin, start)
    assert [n for p in pages for n in p] == expected(world, visible, column, direction)
    assert all(len(p) == SIZE for p in pages[:-1])
    assert world.draft.number not in str(pages)
    # back from the last page by the previous links: the same pages in reverse
    assert walk_back(admin, htmls[-1]) == pages[-2::-1]
    assert link(htmls[0], "pager-prev") is None and link(htmls[0], "pager-first") is None
    assert link(htmls[-1], "pager-next") is None


def test_the_pager_shows_the_page_number_and_range(app, world):
    admin = as_user(app, world.admin)
    admin.get("/lang/en")
    pages, htmls = walk_forward(admin, f"/requests/list/?psize_{VIEW}={SIZE}")
    assert "Page 3" in htmls[2] and "5–6 of 10" in htmls[2]
    assert "Page 5" in htmls[-1] and "9–10 of 10" in htmls[-1]
    first = link(htmls[-1], "pager-first")
    assert page(admin, first)[0] == pages[0]


def test_the_range_of_a_bounded_count_says_more_than(app, world, monkeypatch):
    import views.base

    monkeypatch.setattr(views.base, "COUNT_LIMIT", 3)
    admin = as_user(app, world.admin)
    admin.get("/lang/en")
    html = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}")[1]
    assert "1–2 of more than 3" in html


def test_filters_and_sort_are_kept_across_pages(app, world):
    admin = as_user(app, world.admin)
    start = (f"/requests/list/?psize_{VIEW}={SIZE}&_flt_0_company={world.alpha.id}"
             f"{sort_args('object_address', 'desc')}")
    pages, htmls = walk_forward(admin, start)
    alpha = [r for r in world.team1_rows + world.team2_rows if r.company_id == world.alpha.id]
    assert [n for p in pages for n in p] == expected(world, alpha, "object_address", "desc")
    for html in htmls[:-1]:
        args = parse_qs(urlsplit(link(html, "pager-next")).query)
        assert args["_flt_0_company"] == [str(world.alpha.id)]
        assert args[f"_oc_{VIEW}"] == ["object_address"] and args[f"_od_{VIEW}"] == ["desc"]


def test_a_cursor_of_another_sort_or_filter_starts_at_the_first_page(app, world):
    admin = as_user(app, world.admin)
    pages, htmls = walk_forward(admin, f"/requests/list/?psize_{VIEW}={SIZE}")
    cursor = parse_qs(urlsplit(link(htmls[1], "pager-next")).query)[f"cursor_{VIEW}"][0]
    resorted = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&cursor_{VIEW}={cursor}"
                           f"{sort_args('number', 'asc')}")[0]
    assert resorted == expected(world, world.team1_rows + world.team2_rows, "number",
                                "asc")[:SIZE]
    filtered = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&cursor_{VIEW}={cursor}"
                           f"&_flt_0_company={world.beta.id}")[0]
    assert filtered == expected(world, [r for r in world.team1_rows
                                        if r.company_id == world.beta.id], "", "")[:SIZE]


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjpbImlkIiwiZGVzYyJdfQ.bad", "",
                                    "x" * 3000, "%00", "W10.abc"])
def test_a_damaged_cursor_shows_the_first_page_with_a_message(app, world, cursor):
    admin = as_user(app, world.admin)
    first = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}")[0]
    response = admin.get(f"/requests/list/?psize_{VIEW}={SIZE}&cursor_{VIEW}={cursor}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        numbers, html = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&cursor_{VIEW}="
                                    f"{cursor}")
        assert numbers == first
        if cursor:
            assert "damaged or out of date" in html or "повреждена" in html


def test_a_cursor_signed_with_another_key_or_with_wrong_values_is_refused(app, world):
    from itsdangerous import URLSafeSerializer

    from views.keyset import SALT

    admin = as_user(app, world.admin)
    first = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}")[0]
    html = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}")[1]
    good = parse_qs(urlsplit(link(html, "pager-next")).query)[f"cursor_{VIEW}"][0]
    with app.app_context():
        data = URLSafeSerializer(app.secret_key, salt=SALT).loads(good)
        forged = URLSafeSerializer("another key", salt=SALT).dumps(data)
        wrong = [URLSafeSerializer(app.secret_key, salt=SALT).dumps({**data, **change})
                 for change in ({"k": ["text"]}, {"k": [1, 2, 3]}, {"p": 0}, {"p": "2"},
                                {"k": None}, {"b": None, "p": -1})]
    for cursor in [forged, *wrong]:
        numbers, html = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&cursor_{VIEW}="
                                    f"{cursor}")
        assert numbers == first, cursor
        assert "damaged or out of date" in html or "повреждена" in html, cursor


def test_a_deep_page_by_cursor_shows_the_rows_after_the_cursor(app, world):
    admin = as_user(app, world.admin)
    everything = expected(world, world.team1_rows + world.team2_rows, "status", "asc")
    pages, htmls = walk_forward(admin, f"/requests/list/?psize_{VIEW}={SIZE}"
                                       f"{sort_args('status', 'asc')}")
    # the fourth page's next link opened on its own (a bookmark): rows 9-10
    deep = link(htmls[3], "pager-next")
    numbers, html = page(admin, deep)
    assert numbers == everything[8:10] and ("Page 5" in html or "Страница 5" in html)


@pytest.mark.parametrize("who", ["manager", "engineer", "supermanager"])
def test_each_role_sees_only_its_rows_on_every_page(app, world, who):
    user = getattr(world.team1, who)
    client = as_user(app, user)
    for column, direction in SORTS:
        pages, _htmls = walk_forward(client, f"/requests/list/?psize_{VIEW}={SIZE}"
                                             f"{sort_args(column, direction)}")
        rows = world.team1_rows if who != "supermanager" else \
            world.team1_rows + world.team2_rows
        assert [n for p in pages for n in p] == expected(world, rows, column, direction)


def test_a_cursor_link_gives_another_user_only_his_own_rows(app, world):
    admin = as_user(app, world.admin)
    html = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}")[1]
    cursor_url = link(html, "pager-next")
    manager = as_user(app, world.team2.manager)
    pages, _ = walk_forward(manager, cursor_url)
    assert set(n for p in pages for n in p) <= {r.number for r in world.team2_rows}


def test_an_unindexed_sort_from_the_url_falls_back_to_the_default(app, world):
    admin = as_user(app, world.admin)
    default = page(admin, f"/requests/list/?psize_{VIEW}=10")[0]
    for column in ("payment_state", "object_type", "description", "end_client.phone"):
        assert page(admin, f"/requests/list/?psize_{VIEW}=10{sort_args(column, 'asc')}")[0] \
            == default, column


def test_anonymous_is_sent_to_the_login_page(app, world):
    response = app.test_client().get(f"/requests/list/?cursor_{VIEW}=abc")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_partner_gets_no_staff_list(app, world):
    partner = make_partner(make_company("Gamma"))
    response = as_user(app, partner).get(f"/requests/list/?cursor_{VIEW}=abc")
    assert response.status_code in (302, 303, 403, 404)


@pytest.mark.parametrize("route,view,allowed,refused", [
    ("/status-history", "StatusChangeView", ["created_at"], ["comment", "action"]),
    ("/messages", "MessageView", ["created_at"], ["body", "is_internal"]),
    ("/attachments", "AttachmentView", ["created_at"], ["original_name", "size"]),
    ("/payments", "PaymentView", ["paid_on", "created_at"], ["amount_kopecks", "document"]),
    ("/audit", "AuditEventView", ["created_at", "action"], ["change_set", "ip"]),
    ("/schedule-entries", "ScheduleEntryView", ["starts_at", "ends_at"], ["note", "kind"]),
    ("/end-clients", "EndClientView", ["name", "created_at"], ["phone"]),
])
def test_large_lists_offer_and_apply_only_indexed_sorts(app, world, route, view, allowed,
                                                        refused):
    from sqlalchemy import event

    from app.extensions import appbuilder

    admin = as_user(app, world.admin)
    found = next(v for v in appbuilder.baseviews if v.__class__.__name__ == view)
    assert found.sortable_columns == allowed
    for column in refused:
        seen = []

        def listener(conn, cursor, statement, params, context, executemany):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert admin.get(f"{route}/list/?_oc_{view}={column}&_od_{view}=asc") \
                .status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert seen and not any(f".{column} ASC" in s for s in seen), column


def test_the_first_pages_open_by_number_and_odd_numbers_show_the_first(app, world):
    admin = as_user(app, world.admin)
    pages, _ = walk_forward(admin, f"/requests/list/?psize_{VIEW}={SIZE}")
    for number in range(1, 5):  # FAB's page_ argument counts from 0
        assert page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&page_{VIEW}={number}")[0] \
            == pages[number]
    for odd in ("-1", "5", "99999999999", "x", "0"):
        assert page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&page_{VIEW}={odd}")[0] \
            == pages[0], odd
    for size in ("-3", "0", "x"):  # no negative LIMIT reaches PostgreSQL
        assert page(admin, f"/requests/list/?psize_{VIEW}={size}")[0]


@pytest.mark.parametrize("narrow", [2_000, 3])  # the matches read by key / too many
def test_a_text_search_pages_by_cursor_and_scans_the_text_once(app, world, monkeypatch, narrow):
    from tests.factories import statements
    from views.requests import RequestStaffView

    monkeypatch.setattr(RequestStaffView, "NARROW_ROWS", narrow)
    admin = as_user(app, world.admin)
    start = f"/requests/list/?psize_{VIEW}={SIZE}&_flt_0_field_values=Arbat"
    admin.get(start)  # warm: the shared caches fill
    with statements() as seen:
        first, html = page(admin, start)
    scans = [s for s in seen if "LIKE" in s.upper()]
    assert len(scans) == (1 if narrow > 7 else 2)
    # more matches than NARROW_ROWS are not counted (a broad word's count cost ~320 ms at 1M)
    shown = "из 7" if narrow > 7 else "из более чем 3"
    assert shown in html or shown.replace("из более чем", "of more than").replace("из", "of") \
        in html
    pages, _htmls = walk_forward(admin, start)
    assert [n for p in pages for n in p] == expected(world, world.team1_rows, "", "")
    assert pages[0] == first and all(len(p) == SIZE for p in pages[:-1])
    engineer = as_user(app, world.team2.engineer)  # the scope still holds: none of his
    assert walk_forward(engineer, start)[0] == [[]]


# a period sorted against its order in time (views.keyset.against_the_grain): at 1M the
# sort's index was walked past every row outside the period (~2 s); the list now reads the
# bound of the sort value from the period's days (models.day_bounds) — or, where no day of
# the period is kept, from the period's rows — and walks from there
PERIODS = [("_flt_2_created_at=2026-06-01", "number", "desc", "team1_rows", "request.number <="),
           # unsorted: newest first by the filter's own date (no bound; the next test)
           ("_flt_2_submitted_at=2026-06-01", "", "", "team1_rows", None),
           ("_flt_1_created_at=2026-06-01", "number", "asc", "team2_rows", "request.number >="),
           ("_flt_1_submitted_at=2026-06-01", "created_at", "asc", "team2_rows",
            "request.created_at >="),
           ("_flt_1_created_at=2026-06-01", "", "", "team2_rows", None),  # with the grain
           ("_flt_2_created_at=2026-06-01", "status", "asc", "team1_rows", None)]
ROW_BOUND = re.compile(r"\b(min|max)\(anon_\d+\.k\)")


@pytest.mark.parametrize("days_kept", [True, False])
@pytest.mark.parametrize("period,column,direction,rows,bound", PERIODS)
def test_a_period_against_the_sort_pages_exactly_from_its_bound(app, world, monkeypatch,
                                                                period, column, direction,
                                                                rows, bound, days_kept):
    from models.day_bounds import TABLE
    from tests.factories import statements
    import views.keyset

    if not days_kept:  # rows written by SQL, no rebuild yet: the period's rows are read
        db.session.execute(TABLE.delete())
        db.session.commit()
    monkeypatch.setattr(views.keyset, "walk_is_cheaper", lambda query: False)
    admin = as_user(app, world.admin)
    start = f"/requests/list/?psize_{VIEW}={SIZE}&{period}{sort_args(column, direction)}"
    with statements() as seen:
        pages, _htmls = walk_forward(admin, start)
    assert [n for p in pages for n in p] == expected(world, getattr(world, rows), column,
                                                     direction)
    assert all(len(p) == SIZE for p in pages[:-1])
    from_days = [s for s in seen if "FROM request_day_bounds" in s]
    from_rows = [s for s in seen if ROW_BOUND.search(s)]
    if bound and db.engine.dialect.name == "postgresql":
        # each page: its bound (from the days, else from the rows), then the walk from it
        assert len(from_days) == len(pages), seen
        assert len(from_rows) == (0 if days_kept else len(pages)), seen
        assert any(bound in s for s in seen), seen
    else:  # SQLite, or the filter and the sort agree in time: the index is walked as it is
        assert not from_rows and not from_days, seen


@pytest.mark.parametrize("column", ["created_at", "submitted_at"])
def test_an_unsorted_list_filtered_by_a_date_is_newest_first_by_that_date(app, world, column):
    """With a creation or submission date filter and no sort picked, “newest first” is by
    that date (its index starts at the period's newest row, no bound to read), even where
    the ids disagree; without the filter it stays by id; a sort the user picks is kept."""
    from tests.factories import statements

    older_id_newer_day, newer_id_older_day = world.team2_rows[0], world.team2_rows[1]
    setattr(older_id_newer_day, column, datetime(2026, 5, 20, 12, 0))
    setattr(newer_id_older_day, column, datetime(2026, 5, 10, 12, 0))
    db.session.commit()
    admin = as_user(app, world.admin)
    start = f"/requests/list/?psize_{VIEW}={SIZE}&_flt_2_{column}=2026-06-01"
    with statements() as seen:
        pages, htmls = walk_forward(admin, start)
    label = {"created_at": "Создана", "submitted_at": "Подана"}[column]  # Russian by default
    assert all(f"сначала новые по полю «{label}»" in html for html in htmls)  # on every page
    english = admin.get("/lang/en", follow_redirects=True)
    assert english.status_code == 200
    label = {"created_at": "Created", "submitted_at": "Submitted"}[column]
    assert f"newest first by “{label}”" in page(admin, start)[1]
    dated = world.team1_rows + [older_id_newer_day, newer_id_older_day]
    by_day = [r.number for r in sorted(dated, key=lambda r: (getattr(r, column), r.id),
                                       reverse=True)]
    assert [n for p in pages for n in p] == by_day
    assert len(pages) == 5  # nine rows, two a page: the cursor carries the date
    assert by_day.index(older_id_newer_day.number) < by_day.index(newer_id_older_day.number)
    assert not [s for s in seen if re.search(r"\b(min|max)\(anon_\d+\.k\)", s)], seen
    assert any(f"ORDER BY request.{column} DESC, request.id DESC" in s for s in seen), seen
    # the Excel file of the same list is in the order of the screen
    import io

    from openpyxl import load_workbook

    exported = admin.get(f"/requests/export?_flt_2_{column}=2026-06-01")
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.data)).active
    assert [row[0] for row in book.iter_rows(min_row=2, values_only=True)] == by_day
    # no filter: by id; a picked sort stays the user's
    unfiltered, plain = walk_forward(admin, f"/requests/list/?psize_{VIEW}={SIZE}")
    assert [n for p in unfiltered for n in p] == \
        expected(world, world.team1_rows + world.team2_rows, "", "")
    picked, chosen = walk_forward(admin, start + sort_args("number", "asc"))
    assert [n for p in picked for n in p] == sorted(by_day)
    assert not any("pager-dated-by" in html for html in plain + chosen)
    emptied = page(admin, f"/requests/list/?psize_{VIEW}={SIZE}&_flt_2_{column}=")[1]
    assert "pager-dated-by" not in emptied  # an empty filter field is no filter


def test_which_period_and_sort_pairs_are_bounded(app):
    from flask_appbuilder.models.sqla.filters import FilterEqual, FilterGreater, FilterNotEqual, \
        FilterSmaller
    from views.keyset import against_the_grain, cheaper_to_walk

    def pair(kind, column, order) -> bool:
        filters = SimpleNamespace(filters=[kind(column, SimpleNamespace(obj=Request))])
        with app.app_context():
            return against_the_grain(filters, order)

    postgres = db.engine.dialect.name == "postgresql"
    assert pair(FilterSmaller, "created_at", ("id", "desc")) is postgres  # older, newest first
    assert pair(FilterGreater, "submitted_at", ("number", "asc")) is postgres
    assert pair(FilterEqual, "created_at", ("number", "desc")) is postgres  # one moment
    assert not pair(FilterGreater, "created_at", ("id", "desc"))  # newer, newest first
    assert not pair(FilterSmaller, "created_at", ("number", "asc"))
    assert not pair(FilterSmaller, "created_at", ("created_at", "desc"))  # the date's index
    assert not pair(FilterSmaller, "created_at", ("status", "desc"))  # not ordered in time
    assert not pair(FilterNotEqual, "created_at", ("id", "desc"))
    assert not pair(FilterSmaller, "area", ("id", "desc"))
    # the walk passes the rows outside the period, the bound reads the period's
    assert cheaper_to_walk(1_000_000, 960_000)  # "older than last month", newest first
    assert not cheaper_to_walk(1_000_000, 50_000)
    assert not cheaper_to_walk(1_000_000, 700_000)


def test_the_walk_or_bound_choice_reads_the_planners_two_estimates(app, world, monkeypatch):
    """walk_is_cheaper asks PostgreSQL, in one EXPLAIN, how many rows the period keeps and
    how many the table has, and hands both to cheaper_to_walk."""
    import views.keyset

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the choice is PostgreSQL's (SQLite walks)")
    seen = []
    monkeypatch.setattr(views.keyset, "cheaper_to_walk",
                        lambda total, matches: seen.append((total, matches)) or True)
    with app.test_request_context():
        query = db.session.query(Request).filter(Request.created_at < datetime(2026, 6, 1))
        assert views.keyset.walk_is_cheaper(query) is True
        narrower = query.filter(Request.id < 0)
        views.keyset.walk_is_cheaper(narrower)
    (total, matches), (same_total, fewer) = seen
    # estimates (the test's table may or may not have been analyzed): their order only
    assert total == same_total > 0 and total >= matches >= fewer >= 0


def test_each_rows_number_links_to_its_desk_page(app, world):
    """The number of every row links to the desk's page of that request (views.requests
    .desk_link: the route built once a page), which opens it."""
    manager = as_user(app, world.team1.manager)
    _numbers, html = page(manager, f"/requests/list/?psize_{VIEW}=5")
    links = re.findall(r'<a href="([^"]+)"><strong>(\d{4}-\d{5})</strong></a>', html)
    assert [number for _href, number in links] == expected(world, world.team1_rows, "", "")[:5]
    for href, number in links:
        assert href == f"/desk/n/{number}"
        opened = manager.get(href)
        assert opened.status_code == 302
        request_id = next(r.id for r in world.team1_rows if r.number == number)
        assert opened.headers["Location"].endswith(f"/desk/{request_id}")


@pytest.mark.parametrize("descending", [False, True])
def test_walked_candidates_give_exactly_the_rows_of_the_plain_read(app, world, monkeypatch,
                                                                    descending):
    """KeysetPages._walked (a broad search sorted by an index that carries the search text):
    the candidates are a superset (here every visible row; the prefilter passes rows the
    whole search refuses), walked in batches smaller than a page; the rows are exactly, and
    in the same order, those the query itself gives at each offset and past a cursor."""
    from sqlalchemy import tuple_

    import views.keyset
    from views.requests import RequestStaffView

    monkeypatch.setattr(views.keyset, "CANDIDATE_BATCH", 1)  # batches of 2 × the rows wanted
    view = next(v for v in app.appbuilder.baseviews if isinstance(v, RequestStaffView))
    pages = views.keyset.KeysetPages(view)
    keys = pages.keys("object_address")
    visible = db.session.query(Request).filter(Request.status != Status.DRAFT)
    # team 2's three Kazan rows sort before team 1's seven Moscow ones: searching either,
    # one direction or the other passes the other's rows first, a few batches of them
    for word, total in (("Arbat", 7), ("Kazan", 3)):
        query = visible.filter(Request.object_address.contains(word))
        everything = [r.id for r in pages._ordered(query, keys, descending)]
        assert len(everything) == total
        for offset in range(0, total + 2):
            for limit in (1, 2, 3, 8):
                walked = pages._walked(query, visible, (), keys, descending, offset, limit)
                assert [r.id for r in walked] == everything[offset:offset + limit], \
                    (word, offset, limit)
        for edge in (db.session.get(Request, i) for i in everything[:-1]):
            row, bound = tuple_(*keys), tuple_(edge.object_address, edge.id)
            seek = ((row < bound) if descending else (row > bound),)
            after = everything[everything.index(edge.id) + 1:]
            assert [r.id for r in pages._walked(query, visible, seek, keys, descending, 0,
                                                 2)] == after[:2], word
    # nothing matches: no rows, and the walk ends with the candidates
    none = visible.filter(Request.object_address.contains("Nowhere"))
    assert pages._walked(none, visible, (), keys, descending, 0, 3) == []


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_broad_search_sorted_by_address_pages_by_its_walked_candidates(app, world,
                                                                        monkeypatch, direction):
    """Past NARROW_ROWS matches, a list sorted by address reads its pages from the address
    index's candidates (views.keyset.KeysetPages._walked): every page forward and back, the
    same rows in the same order as the matches sorted; each role's scope holds."""
    import views.keyset
    from views.requests import RequestStaffView

    monkeypatch.setattr(RequestStaffView, "NARROW_ROWS", 3)
    monkeypatch.setattr(views.keyset, "CANDIDATE_BATCH", 1)
    walked = []
    original = views.keyset.KeysetPages._walked
    monkeypatch.setattr(views.keyset.KeysetPages, "_walked",
                        lambda self, *a: walked.append(a) or original(self, *a))
    admin = as_user(app, world.admin)
    start = (f"/requests/list/?psize_{VIEW}={SIZE}&_flt_0_field_values=Arbat"
             f"{sort_args('object_address', direction)}")
    pages, htmls = walk_forward(admin, start)
    assert walked  # the candidates' walk, not the plain read
    assert [n for p in pages for n in p] == \
        expected(world, world.team1_rows, "object_address", direction)
    assert walk_back(admin, htmls[-1]) == pages[-2::-1]
    for number in (1, 2, 3):  # the numbered pages (OFFSET) too
        assert page(admin, f"{start}&page_{VIEW}={number}")[0] == pages[number]
    engineer = as_user(app, world.team2.engineer)  # none of his match
    assert walk_forward(engineer, start)[0] == [[]]
    manager = as_user(app, world.team1.manager)
    assert [n for p in walk_forward(manager, start)[0] for n in p] == \
        expected(world, world.team1_rows, "object_address", direction)
