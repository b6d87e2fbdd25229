"""The pages' key queries use indexes on PostgreSQL (issue 14): EXPLAIN shows no sequential
scan of the big tables.

The planner is told sequential scans cost too much (enable_seqscan = off): on the test's few
rows it would rightly prefer them, but with them off it still picks one when no index fits,
so a query that lost its index (or a new filter no index serves) fails here. The migrations
create the indexes (0020_page_indexes); this runs in the PostgreSQL pass of .ci/run. SQLite
has no pg_trgm and keeps plain LIKE scans: the module skips there by dialect.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import Column, event, func, or_, select, text
from sqlalchemy.sql import visitors

from app.access import request_scope
from app.extensions import db
from app.pg_connections import plan_for_values, plan_once
from app.request_filters import RequestFilters, apply_filters, client_clause, text_clause
from app.scheduling import period_loads
from app.week_schedule import ONLY_FREE, ONLY_VISITS, WeekQuery, week_page
from cabinet.dashboard import latest_messages
from models.request_status import OPEN_STATUSES, PARTNER_GROUPS, Status
from models.requests import WAITING_STATUSES, Request
from models.schedule import ScheduleEntry
from reports import queries
from reports.sources import partner_requests
from tests.factories import as_user, make_partner, make_request, make_user

BIG_TABLES = ("request", "message", "status_change", "end_client", "schedule_entry")


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm and the planner checks are PostgreSQL's (SQLite: plain LIKE)")
    return app


@pytest.fixture
def world(postgres, partner, staff):
    req = make_request(partner, Status.SUBMITTED, staff)
    return {"partner": partner, "staff": staff, "admin": make_user("Admin"), "request": req,
            "postgres": postgres}


def plan_of(statement, bitmap_only: bool = False, ordered: bool = False) -> str:
    """EXPLAIN of a statement with sequential scans priced out, as one text; `bitmap_only`
    prices out plain index scans too (whole-index walks with a filter): what is left are
    the index conditions the WHERE clause gives."""
    compiled = statement.compile(dialect=db.engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    connection = db.session.connection()
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    if ordered:  # a handful of test rows: the planner may rather sort a one-row estimate
        connection.execute(text("SET LOCAL enable_sort = off"))
    if bitmap_only:
        connection.execute(text("SET LOCAL enable_indexscan = off"))
        connection.execute(text("SET LOCAL enable_indexonlyscan = off"))
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
    return "\n".join(row[0] for row in rows)


@contextmanager
def only_index(table: str, *keep: str):
    """The table's other indexes dropped (but those of its constraints) in a savepoint, rolled
    back afterwards: a plan check that `keep` serves a statement, whatever the planner would
    pick among equals on a test's few rows."""
    rivals = db.session.execute(text(
        "SELECT i.indexrelid::regclass::text FROM pg_index i "
        "WHERE i.indrelid = CAST(:table AS regclass) "
        "AND i.indexrelid::regclass::text <> ALL(CAST(:keep AS text[])) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"),
        {"table": table, "keep": list(keep)}).scalars().all()
    savepoint = db.session.begin_nested()
    try:
        for name in rivals:
            db.session.execute(text(f"DROP INDEX {name}"))
        yield rivals
    finally:
        savepoint.rollback()


def assert_indexed(statement, *tables: str, bitmap_only: bool = False,
                   ordered: bool = False) -> str:
    plan = plan_of(statement, bitmap_only, ordered)
    for table in tables or BIG_TABLES:
        assert f"Seq Scan on {table}" not in plan, plan
    return plan


def captured(run) -> list[str]:
    """The SELECT statements `run()` sends, with their parameters, for EXPLAIN."""
    return [(statement, params) for statement, params in sent_by(run)
            if statement.lstrip().upper().startswith("SELECT")]


def sent_by(run) -> list[tuple[str, object]]:
    """Every statement `run()` sends (settings too), in order, with its parameters."""
    seen = []

    def listener(conn, cursor, statement, params, context, executemany):
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def assert_statements_indexed(run, *tables: str) -> None:
    connection = db.session.connection()
    for statement, params in captured(run):
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {statement}",
                                                                  params).all())
        for table in tables:
            assert f"Seq Scan on {table}" not in plan, (statement, plan)


def test_partner_list_first_and_deep_pages_and_filters(world):
    partner = world["partner"]
    query = partner_requests(partner, {})
    assert_indexed(query.order_by(Request.id.desc()).limit(21).statement)
    assert_indexed(query.filter(Request.id < 1000).order_by(Request.id.desc()).limit(21)
                   .statement)
    waiting = partner_requests(partner, {"status": "in_work"})
    assert_indexed(waiting.order_by(Request.id.desc()).limit(21).statement)


CABINET_LIST_URLS = ["/cabinet/requests", "/cabinet/requests?after=1000",
                     "/cabinet/requests?before=1", "/cabinet/requests?q=Тверская",
                     "/cabinet/requests?q=Иванов", "/cabinet/requests?object_type=apartment",
                     "/cabinet/requests?service=1",
                     "/cabinet/requests?from=2025-06-01&to=2025-06-30",
                     "/cabinet/requests?from=2025-06-01&to=2025-06-30&after=1000",
                     "/cabinet/requests?to=2025-06-30&before=1"] + [
    f"/cabinet/requests?status={group}" for group in PARTNER_GROUPS]


@pytest.mark.parametrize("url", CABINET_LIST_URLS)
def test_cabinet_list_page_statements_use_indexes(world, url):
    """Every statement the cabinet list page sends (page 1, keyset pages, search, each
    status group and filter): the page's rows come with their client, filer and author in
    one statement (LEFT JOINs), and nothing walks the big tables."""
    client = as_user(current_app, world["partner"])
    found = captured(lambda: client.get(url))
    page = [s for s, _ in found if "FROM request LEFT OUTER JOIN" in s]
    assert len(page) == 1 and "end_client" in page[0], found
    assert_statements_indexed(lambda: client.get(url), *BIG_TABLES)


def all_statements(run) -> list[str]:
    """Every statement `run()` sends (settings too), in order."""
    return [statement for statement, _params in sent_by(run)]


def generic_plan(statement: str, params: dict) -> str:
    """The plan PostgreSQL keeps for a prepared `statement` under force_generic_plan: the
    one every later run of it uses, whatever its values (EXPLAIN alone plans for them)."""
    names = list(params)
    for number, name in enumerate(names, 1):
        statement = statement.replace(f"%({name})s", f"${number}")
    connection = db.session.connection()
    connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    # a test's handful of rows: priced as plan_of prices them (a one-row estimate is
    # rather sorted, a small table rather read whole)
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    connection.execute(text("SET LOCAL enable_sort = off"))
    connection.exec_driver_sql(f"PREPARE replan_page AS {statement}")
    try:
        values = ", ".join(f"'{params[name]}'" for name in names)
        return "\n".join(r[0] for r in connection.exec_driver_sql(
            f"EXPLAIN EXECUTE replan_page({values})" if names else
            "EXPLAIN EXECUTE replan_page").all())
    finally:
        connection.exec_driver_sql("DEALLOCATE replan_page")


def mode_at_the_page(client, url) -> tuple[str, list[str]]:
    """The plan_cache_mode in force when `url`'s list statement ran, and every statement
    SQLAlchemy sent, for a request that begins its own transaction as in production (the
    test's session is closed first)."""
    seen, sent = [], []

    def listener(conn, cursor, statement, params, context, executemany):
        sent.append(statement)
        if "FROM request LEFT OUTER JOIN" in statement:
            seen.append(cursor.connection.execute("SHOW plan_cache_mode").fetchone()[0])

    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 1, sent
    return seen[0], sent


@pytest.mark.parametrize("url", ["/cabinet/requests", "/cabinet/requests?after=1000",
                                 "/cabinet/requests?before=1"])
def test_the_partner_lists_plain_pages_are_planned_once_on_the_company_index(world, url):
    """The unfiltered list and its keyset pages: one plan for every company, kept with the
    prepared statement (for the company holding a fifth of all requests PostgreSQL planned
    the page anew each time: ~0.7 ms of a ~6 ms page at 1M). The setting travels with the
    request's BEGIN (app.pg_connections.planned_once): no statement of its own. The plan
    walks the company's (company_id, id) index in the page's order: no sort, no scan of
    other companies."""
    client = as_user(current_app, world["partner"])
    mode, sent = mode_at_the_page(client, url)
    assert mode == "force_generic_plan"
    assert not any("plan_cache_mode" in s for s in sent), sent
    # the plan for any company is priced for the average one: a handful of requests each
    # from a dozen companies, the statistics read (as at 1M, where each has ~0.5 %)
    for _ in range(12):
        make_request(make_partner())
    db.session.execute(text("ANALYZE request"))
    statement, params = next((s, p) for s, p in captured(lambda: client.get(url))
                             if "FROM request LEFT OUTER JOIN" in s)
    plan = generic_plan(statement, params)
    assert "ix_request_company_id_id" in plan, plan
    assert "Sort" not in plan and "Seq Scan on request" not in plan, plan


def test_inside_a_transaction_already_begun_the_page_sets_the_mode_itself(world):
    """Where the BEGIN could not carry it (the transaction was already open: here the test's
    own), plan_once sends the setting before the page's statement."""
    client = as_user(current_app, world["partner"])
    db.session.execute(text("SELECT 1"))  # the test's transaction, open across the request
    sent = all_statements(lambda: client.get("/cabinet/requests"))
    page = next(i for i, s in enumerate(sent) if "FROM request LEFT OUTER JOIN" in s)
    assert "SET LOCAL plan_cache_mode = force_generic_plan" in sent[:page], sent


@pytest.mark.parametrize("url", ["/cabinet/requests?q=Тверская",
                                 "/cabinet/requests?status=in_work",
                                 "/cabinet/requests?from=2025-06-01&to=2025-06-30"])
def test_a_filtered_partner_list_keeps_plans_for_its_values(world, url):
    """A filter's best plan depends on its values (a rare status, a word, a month): those
    pages are not forced onto one plan; a search plans for its words."""
    client = as_user(current_app, world["partner"])
    mode, sent = mode_at_the_page(client, url)
    assert mode == ("force_custom_plan" if "q=" in url else "auto"), (mode, sent)


@pytest.mark.parametrize("searched", ["Тверская", "2026-0001", "Иванов", "ул. Тверская, д. 1"])
def test_text_search_uses_trigram_indexes(world, searched):
    partner = world["partner"]
    found = partner_requests(partner, {"q": searched})
    assert_indexed(found.order_by(Request.id.desc()).limit(21).statement)
    # the partner's scope is an index condition too: the search's own conditions alone
    searched_only = select(Request.id).where(or_(text_clause(searched, partner),
                                                 client_clause(searched)))
    plan = assert_indexed(searched_only, bitmap_only=True)
    # one index over number, title and field values (models.requests.searched_column), ORed
    # with the clients' (the per-column indexes are the staff list's column filters')
    for index in ("ix_request_searched_trgm", "ix_end_client_name_trgm"):
        assert index in plan, plan
    for index in ("ix_request_number_trgm", "ix_request_object_address_trgm"):
        assert index not in plan, plan
    assert "BitmapOr" in plan, plan
    admin = world["admin"]
    staff_search = select(Request.id).where(request_scope(admin), text_clause(searched, admin))
    assert_indexed(staff_search.order_by(Request.id.desc()).limit(25))
    plan = assert_indexed(staff_search, bitmap_only=True)
    assert "ix_request_searched_trgm" in plan and "BitmapOr" not in plan, plan
    clients = select(Request.id).where(request_scope(admin), client_clause(searched))
    assert "ix_end_client_name_trgm" in assert_indexed(clients, bitmap_only=True)


def test_staff_list_sorts_and_scopes(world):
    admin, manager = world["admin"], world["staff"].manager
    for order in (Request.id.desc(), Request.object_address, Request.object_address.desc(),
                  Request.number, Request.created_at.desc()):
        assert_indexed(select(Request.id).where(request_scope(admin)).order_by(order)
                       .limit(25))
    assert_indexed(select(Request.id).where(request_scope(manager))
                   .order_by(Request.id.desc()).limit(25))


def test_staff_list_filter_and_sort_pairs_have_their_indexes(world):
    """A partner's requests by title (at 1M the title index walked past ~380 000 other
    companies' rows: a company's addresses share a city) and the payment state (a sixth of
    the requests unpaid, partial payments rare): 0030_filter_sorts."""
    admin, company = world["admin"], world["partner"].profile.partner_company_id
    by_title = select(Request.id).where(request_scope(admin), Request.company_id == company) \
        .order_by(Request.object_address, Request.id).limit(26)
    assert "ix_request_company_address_id" in assert_indexed(by_title, ordered=True)
    unpaid = select(Request.id).where(request_scope(admin), Request.payment_state == "unpaid") \
        .order_by(Request.id.desc()).limit(26)
    assert "ix_request_payment_cover" in assert_indexed(unpaid, ordered=True)
    # an object type, the bureau's or a manager's (0033_filter_covers)
    houses = select(Request.id).where(request_scope(admin), Request.object_type == "house")
    with only_index("request", "ix_request_object_type_id"):
        assert "ix_request_object_type_id" in assert_indexed(
            houses.order_by(Request.id.desc()).limit(26), ordered=True)
    manager = world["staff"].manager
    his = select(Request.id).where(request_scope(manager), Request.object_type == "house")
    with only_index("request", "ix_request_manager_type_id"):
        assert "ix_request_manager_type_id" in assert_indexed(
            his.order_by(Request.id.desc()).limit(26), ordered=True)
    # a status by number or oldest first: its requests lie together in time
    submitted = select(Request.id).where(request_scope(admin), Request.status == "submitted")
    assert "ix_request_status_number" in assert_indexed(
        submitted.order_by(Request.number).limit(26), ordered=True)
    # (an open status's are also in the open requests' own index, 0031_open_desk_indexes)
    assert re.search(r"ix_request_(status|open)_created", assert_indexed(
        submitted.order_by(Request.created_at, Request.id).limit(26), ordered=True))
    closed = select(Request.id).where(request_scope(admin), Request.status == "closed")
    # on a test's few rows the creation index with an incremental sort is as good
    with only_index("request", "ix_request_status_created_id"):
        assert "ix_request_status_created_id" in assert_indexed(
            closed.order_by(Request.created_at, Request.id).limit(26), ordered=True)


def test_the_desks_client_filter_reads_the_open_requests_client_index(world):
    """The desk's client filter reads the open requests of the matching clients from the
    partial ix_request_open_end_client (0030_filter_sorts), not every request of theirs. On a
    test's handful of rows the full client index or a status one is as good (which, the
    statistics an earlier test left decide), so the table's other indexes are dropped for
    the check (in a savepoint, rolled back)."""
    boss = world["staff"].supermanager
    plan_for_values()
    found = select(Request.id).where(request_scope(boss), Request.status.in_(OPEN_STATUSES),
                                     client_clause("Иванов"))
    with only_index("request", "ix_request_open_end_client") as rivals:
        assert "ix_request_end_client_id" in rivals
        plan = assert_indexed(found, bitmap_only=True)
    assert "ix_request_open_end_client" in plan, plan


def test_partner_dashboard_queries(world):
    partner = world["partner"]
    counts = select(Request.status, func.count()).where(request_scope(partner)) \
        .group_by(Request.status)
    # by a company index, never a scan of every request: on a test's few rows the planner
    # picks among the company indexes by statistics an earlier test may have left (after
    # test_bench_data's load: ix_request_company_address_id), so the index each page is
    # built for is checked alone — at 1M the covering ix_request_company_status_author
    plan = assert_indexed(counts)
    assert re.search(r"Index Cond: \(company_id = ", plan), plan
    with only_index("request", "ix_request_company_status_author"):
        assert "ix_request_company_status_author" in assert_indexed(counts)
    waiting = select(Request.id).where(request_scope(partner),
                                       Request.status.in_(WAITING_STATUSES)) \
        .order_by(Request.status_changed_at).limit(10)
    with only_index("request", "ix_request_waiting"):
        assert "ix_request_waiting" in assert_indexed(waiting)
    assert_statements_indexed(lambda: latest_messages(partner), *BIG_TABLES, "request_thread")
    # a member's: his own requests' threads, by the threads' author index
    member = make_partner(partner.profile.partner_company, owner=False)
    assert_statements_indexed(lambda: latest_messages(member), *BIG_TABLES, "request_thread")


def test_distribution_queue_and_director_figures(world):
    queue = select(Request.id).where(Request.status == Status.SUBMITTED) \
        .order_by(Request.submitted_at, Request.id).limit(200)
    assert "ix_request_queue" in assert_indexed(queue, ordered=True)
    start, end = date.today() - timedelta(days=90), date.today()
    assert_statements_indexed(lambda: queries.requests_by_status(start, end), "request")
    assert_statements_indexed(lambda: queries.new_requests_per_week(start, end), "request")
    assert_statements_indexed(lambda: queries.period_figures(start, end), "request")
    assert_statements_indexed(lambda: queries.average_hours_in_status(start, end),
                              "status_day_rollup")
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end, datetime.min.time())
    assert_statements_indexed(lambda: period_loads(lo, hi), "schedule_entry")


def test_week_schedule_entries(world):
    """The week page (app.week_schedule) finds a page of engineers' entries by engineer and
    start (on the 1M dataset with the end-and-start index for those running into the week:
    a BitmapOr), for each of its filters."""
    monday = datetime(2026, 11, 23)
    engineer = world["staff"].engineer
    db.session.add(ScheduleEntry(engineer_id=engineer.id, kind="visit", starts_at=monday,
                                 ends_at=monday + timedelta(hours=2)))
    db.session.flush()
    boss = world["staff"].supermanager
    for only in ("", ONLY_VISITS, ONLY_FREE):
        query = WeekQuery(monday.date(), only=only)
        assert_statements_indexed(lambda: week_page(boss, query), "schedule_entry")
    connection, plans = db.session.connection(), []
    for statement, params in captured(lambda: week_page(boss, WeekQuery(monday.date()))):
        if "FROM schedule_entry" in statement:  # the shown engineers' entries
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plans.append("\n".join(row[0] for row in connection.exec_driver_sql(
                f"EXPLAIN {statement}", params)))
    assert len(plans) == 1 and "ix_schedule_engineer_start" in plans[0], plans


# the staff request list's keyset pages (views.keyset): each sort the list offers, walked by
# its own index from the cursor on (a row comparison in the index condition), for the
# see-all roles and the manager's and engineer's scopes
STAFF_SORTS = {("", ""): "request_pkey", ("number", "asc"): "request_number_key",
               ("number", "desc"): "request_number_key",
               ("status", "asc"): "ix_request_status_id",
               ("status", "desc"): "ix_request_status_id",
               ("object_address", "asc"): "ix_request_address_cover",
               ("object_address", "desc"): "ix_request_address_cover",
               # either index led by created_at (ties, rare, sorted incrementally by id)
               ("created_at", "asc"): "ix_request_created_",
               ("created_at", "desc"): "ix_request_created_"}


def _deep_page_statements(client, column: str, direction: str) -> list:
    """The SELECTs of the staff list's second page, reached by its next-page cursor."""
    from tests.views.test_keyset_pages import link, sort_args

    view = "RequestStaffView"
    first = client.get(f"/requests/list/?psize_{view}=1{sort_args(column, direction)}")
    deep = link(first.get_data(as_text=True), "pager-next")
    assert deep and f"cursor_{view}" in deep
    found = captured(lambda: client.get(deep))
    return [(s, p) for s, p in found if "LIMIT" in s and "ORDER BY" in s
            and "FROM request" in s]


@pytest.mark.parametrize("column,direction", list(STAFF_SORTS))
def test_staff_list_keyset_pages_walk_an_index(postgres, world, column, direction):
    from tests.factories import as_user

    staff, partner = world["staff"], world["partner"]
    for _ in range(2):  # the manager's and the engineer's (the world's own is unassigned)
        make_request(partner, Status.SCHEDULED, staff)
    for user in (world["admin"], staff.manager, staff.engineer):
        pages = _deep_page_statements(as_user(postgres, user), column, direction)
        assert pages, user
        connection = db.session.connection()  # the page's request closed the earlier one
        for statement, params in pages:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            if user is world["admin"]:
                # a handful of test rows: without this the planner may sort a one-row
                # estimate (merge joins); a Sort still shows when no index gives the order
                connection.execute(text("SET LOCAL enable_sort = off"))
            plan = "\n".join(r[0] for r in connection.exec_driver_sql(
                f"EXPLAIN {statement}", params).all())
            assert "Seq Scan on request" not in plan, plan
            if user is world["admin"]:
                # the sort's own index, in order: no sort of the visible set
                assert STAFF_SORTS[(column, direction)] in plan, plan
                assert not re.search(r"(^|->)\s*Sort  \(cost", plan, re.M), plan


def test_a_managers_filter_choices_probe_an_index(world):
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import exists

    from models.partners import PartnerCompany

    manager = world["staff"].manager
    for model, key, index in ((PartnerCompany, Request.company_id, "ix_request_manager_company"),
                              (User, Request.engineer_id, "ix_request_manager_engineer")):
        choices = select(model.id).where(exists().where(key == model.id,
                                                        request_scope(manager)))
        # on a test's handful of rows any index of the manager's is as good (the planner's
        # pick moved with the table's other indexes): the index must serve the probe alone
        with only_index("request", index):
            assert index in assert_indexed(choices, "request"), model


def desk_page_plan(found: list, *disabled: str) -> str:
    """EXPLAIN of the work list's page statement (the UNION ALL of its ranges) among the
    `captured` statements, with the planner's `disabled` plan kinds ("seqscan", "sort" …)
    priced out."""
    page, params = next((s, p) for s, p in found if "UNION ALL" in s)
    connection = db.session.connection()
    for kind in disabled:
        connection.execute(text(f"SET LOCAL enable_{kind} = off"))
    return "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {page}", params))


@pytest.mark.parametrize("who", ["supermanager", "manager"])
def test_the_desk_work_list_reads_index_ranges(world, who):
    """The work list (views.desk_queries.work_list) reads each (status, overdue or not) as a
    range of the status-and-time indexes, never the whole scope sorted."""
    from views.desk_queries import work_list

    user = getattr(world["staff"], who)
    found = captured(lambda: work_list(user))
    # a handful of test rows: the planner would rather sort a one-row estimate per arm
    plan = desk_page_plan(found, "seqscan", "sort")
    assert "Seq Scan on request" not in plan, plan
    # the status-and-time order: of every request, of the open ones (0031), of a manager's
    index = r"ix_request_(status|open)_changed" if who == "supermanager" \
        else r"ix_request_(manager_status|open)_changed"
    assert re.search(index, plan), plan


DESK_FILTERS = {
    "payment": RequestFilters(payment="unpaid"),
    "period": RequestFilters(start=date(2025, 1, 1), end=date(2025, 12, 31)),
    "payment in a period": RequestFilters(payment="paid", start=date(2026, 10, 1),
                                          end=date(2026, 10, 31)),
    "submitted in a period": RequestFilters(date_by="submitted", start=date(2026, 10, 1)),
    "partner, manager and engineer": RequestFilters(company=1, manager=2, engineer=3),
}


@pytest.mark.parametrize("name", list(DESK_FILTERS))
def test_the_desks_filtered_ranges_read_the_open_requests_indexes_alone(world, name):
    """With a filter the planner misjudges how many of a status's open requests match (at 1M
    it read a status's every row from the table to find none of a past year, or read and
    sorted every match of this month: 130–170 ms). Each range can now be read from one of
    the open requests' two indexes alone (0031_open_desk_indexes): the plan, with the
    table's other indexes dropped, reads no table row for a range ("Index Only Scan"; the
    test's rows are fresh, so PostgreSQL may still visit the table for visibility)."""
    from views.desk_queries import work_list

    boss = world["staff"].supermanager
    found = captured(lambda: work_list(boss, filters=DESK_FILTERS[name]))
    with only_index("request", "ix_request_open_changed", "ix_request_open_created"):
        plan = desk_page_plan(found, "seqscan", "bitmapscan", "indexscan")
    ranges = re.findall(r"(\w[\w ]*Scan) (?:using (\w+) )?on request request_\d+", plan)
    assert len(ranges) == 2 * len(OPEN_STATUSES) - 1, plan  # delivered: no threshold
    assert {scan for scan, _index in ranges} == {"Index Only Scan"}, plan
    assert {index for _scan, index in ranges} <= {"ix_request_open_changed",
                                                    "ix_request_open_created"}, plan


def test_the_open_requests_indexes_carry_every_desk_filter_column(postgres):
    """A filter added to the desk (app.request_filters.apply_filters) without its column in
    the open requests' indexes would bring back reading the table for a misjudged range."""
    every = RequestFilters(company=1, manager=2, engineer=3, payment="unpaid",
                           start=date(2025, 1, 1), end=date(2025, 12, 31))
    filtered = set()
    for by in ("created", "submitted"):
        query = apply_filters(select(Request.id), replace(every, date_by=by))
        filtered |= {found.name for found in visitors.iterate(query.whereclause)
                     if isinstance(found, Column)}
    assert filtered == {"company_id", "manager_id", "engineer_id", "payment_state",
                        "created_at", "submitted_at"}
    definitions = dict(db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'request' "
        "AND indexname LIKE 'ix_request_open_c%'")).all())
    for name, order in (("ix_request_open_changed", "status_changed_at"),
                        ("ix_request_open_created", "created_at")):
        keys, included = re.search(r"\((.*)\) INCLUDE \((.*)\) WHERE",
                                   definitions[name]).groups()
        assert keys == f"status, {order}, id", definitions[name]
        assert filtered | {"status_changed_at"} <= set(included.split(", ")) | {order}, name
        condition = definitions[name].split(" WHERE ", 1)[1]
        assert set(re.findall(r"'(\w+)'", condition)) == {s.value for s in OPEN_STATUSES}


def test_the_open_requests_have_trigram_indexes_of_exactly_the_open_statuses(postgres):
    """The desk's search reads its matches from a partial trigram index of the open
    requests (0028_one_text_index). PostgreSQL uses a partial index only when the query's
    `status IN (...)` (OPEN_STATUSES) implies the index's condition: a status added to or
    taken from OPEN_STATUSES without a migration would leave the desk's search on the full
    indexes (at 1M: ~3 100 open matches of a common word became ~50 000 rows read). A plan
    check cannot show it on a test's handful of rows (the planner rightly prefers the status
    index there); the bench's desk searches at 1M do (docs/benchmarks.md)."""
    rows = db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'request' "
        "AND indexname LIKE 'ix_request_open_%_trgm'")).all()
    assert {name for name, _ in rows} == {"ix_request_open_searched_trgm"}
    for name, definition in rows:
        assert "gin_trgm_ops" in definition, definition
        condition = definition.split(" WHERE ", 1)[1]
        assert set(re.findall(r"'(\w+)'", condition)) == {s.value for s in OPEN_STATUSES}, \
            (name, condition)


def test_a_text_search_plans_its_statements_for_its_words(world):
    """A search's transaction plans each statement for its values (no generic plan, which
    can use no partial index); a page without a search keeps PostgreSQL's default."""
    from views.desk_queries import work_list

    user = world["staff"].supermanager
    db.session.rollback()
    work_list(user)
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    work_list(user, text="ул. Тверская, д. 1")
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    db.session.rollback()
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"


def test_plan_once_and_plan_for_values_in_a_transaction(app):
    """plan_once: one generic plan for the rest of the transaction; planning for the values
    (a search) wins whichever came first; the next transaction starts from the default.
    SQLite has no plan cache: nothing is sent there."""
    if db.engine.dialect.name != "postgresql":
        assert all_statements(plan_once) == [] and all_statements(plan_for_values) == []
        return

    def mode():
        return db.session.execute(text("SHOW plan_cache_mode")).scalar()

    db.session.rollback()
    plan_once()
    assert mode() == "force_generic_plan"
    sent = all_statements(plan_once)
    assert sent == [], sent  # asked again: nothing more is sent
    plan_for_values()
    assert mode() == "force_custom_plan"
    plan_once()
    assert mode() == "force_custom_plan"
    db.session.rollback()
    assert mode() == "auto"
    plan_for_values()
    plan_once()
    assert mode() == "force_custom_plan"
    db.session.rollback()


def test_connections_compile_nothing_just_in_time(postgres):
    assert db.session.execute(text("SHOW jit")).scalar() == "off"


@pytest.mark.parametrize("searched", ["Тверская", "ул. Тверская, д. 1", "2026-0001"])
def test_the_desks_text_search_asks_the_open_requests_text_index(world, searched):
    """The supermanager desk's matches (every open request with the text) can come from the
    one partial trigram index over the open requests' number, title and field values: its
    expression and condition are the search's. On a test's handful of rows the planner
    rightly prefers another index (a status one, the full text index), so the table's other
    indexes are dropped for the check (in a savepoint, rolled back): what is left is the open
    index or a sequential scan, which assert_indexed refuses."""
    boss = world["staff"].supermanager
    found = select(Request.id).where(request_scope(boss), Request.status.in_(OPEN_STATUSES),
                                     text_clause(searched, boss))
    # every other index of the table but those of constraints (the key, the unique number)
    with only_index("request", "ix_request_open_searched_trgm") as rivals:
        assert {"ix_request_searched_trgm", "ix_request_status_id",
                "ix_request_manager_status_changed"} <= set(rivals)
        plan = assert_indexed(found, bitmap_only=True)
    # asked for the text (a partial index may also be read whole for its condition alone),
    # lowered as the column holds it: LIKE, not ILIKE
    assert re.search(r"Bitmap Index Scan on ix_request_open_searched_trgm[^\n]*\n\s+"
                     r"Index Cond: \(\(?searched ~~ '%[^']*%'", plan), plan


@pytest.mark.parametrize("who", ["admin", "manager", "engineer"])
def test_a_broad_search_by_address_walks_its_candidates_from_the_index_alone(world,
                                                                            monkeypatch, who):
    """A word of thousands of addresses sorted by address: the matches lie together in that
    order, so the walk passed ~66 000 rows before a first page at 1M, each read from the
    table for its search text (~170–300 ms). The candidates are now walked from
    ix_request_address_cover alone (it carries the search text and the scopes' columns,
    0037): an Index Only Scan for each role's scope, with no table row read for the test
    (the test's rows are fresh, so PostgreSQL may still visit the table for visibility)."""
    from tests.factories import as_user
    from views.requests import RequestStaffView

    monkeypatch.setattr(RequestStaffView, "NARROW_ROWS", 0)
    staff = world["staff"]
    user = world["admin"] if who == "admin" else getattr(staff, who)
    make_request(world["partner"], Status.SCHEDULED, staff, object_address="ул. Школьная, 5")
    client = as_user(world["postgres"], user)
    found = captured(lambda: client.get(
        "/requests/list/?_flt_0_field_values=Школьная"
        "&_oc_RequestStaffView=object_address&_od_RequestStaffView=asc"))
    walks = [(s, p) for s, p in found if "strpos(request.searched" in s and "ORDER BY" in s
             and "ix_" not in s]
    assert len(walks) == 1, [s for s, _p in found]
    statement, params = walks[0]
    assert "field_values" not in statement  # the prefilter alone: the index answers it
    with only_index("request", "ix_request_address_cover"):
        connection = db.session.connection()
        for setting in ("seqscan", "bitmapscan", "sort"):
            connection.execute(text(f"SET LOCAL enable_{setting} = off"))
        plan = "\n".join(r[0] for r in connection.exec_driver_sql(
            f"EXPLAIN {statement}", params).all())
    assert "Index Only Scan using ix_request_address_cover on request" in plan, plan
