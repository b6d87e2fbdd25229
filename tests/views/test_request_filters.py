"""Staff request lists filter by company, manager, engineer, payment, dates and client, inside
the user's scope only; engineers get no partner-side filter; bad values never a 500."""

import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from models.partners import EndClient, PartnerCompany
from models.request_status import Status
from models.requests import PAYMENT_PAID, PAYMENT_PARTIAL, Request
from tests.factories import Staff, as_user, make_company, make_partner, make_request, make_user

NUMBER = re.compile(r"\b\d{4}-\d{5}\b")


class World:
    """Three companies, two teams, four requests of team 1 and 2, one hidden request."""

    @staticmethod
    def build() -> dict:
        team1, team2 = Staff(), Staff()
        alpha, beta = make_company("Alpha Build"), make_company("Beta Repair")
        gamma = make_company("Gamma Hidden")
        owner_a, owner_b = make_partner(alpha), make_partner(beta)
        owner_c = make_partner(gamma)
        ivanov = EndClient(company_id=alpha.id, name="Ivanov Ivan")
        petrova = EndClient(company_id=beta.id, name="Petrova Anna")
        hidden = EndClient(company_id=gamma.id, name="Secret Client")
        db.session.add_all([ivanov, petrova, hidden])
        db.session.flush()
        rows = [World._request(owner_a, team1, Status.SCHEDULED, ivanov, None,
                               "2026-01-10", "2026-01-12"),
                World._request(owner_b, team2, Status.SCHEDULED, petrova,
                               PAYMENT_PAID, "2026-03-10", "2026-03-11"),
                World._request(owner_a, team2, Status.ASSIGNED, None,
                               PAYMENT_PARTIAL, "2026-02-10", "2026-03-20"),
                World._request(owner_b, team1, Status.SCHEDULED, petrova, None,
                               "2026-02-15", "2026-02-16"),
                World._request(owner_c, Staff(), Status.SCHEDULED, hidden, None,
                               "2025-12-01", "2025-12-02")]
        return {"teams": [{who: getattr(t, who).id for who in TEAM} for t in (team1, team2)],
                "companies": [alpha.id, beta.id, gamma.id],
                "owners": [owner_a.id, owner_b.id], "requests": [r.id for r in rows],
                "admin": make_user("Admin").id}

    def __init__(self, ids: dict):
        self.team1, self.team2 = (SimpleNamespace(**{who: db.session.get(User, i)
                                                     for who, i in team.items()})
                                  for team in ids["teams"])
        self.alpha, self.beta, self.gamma = (db.session.get(PartnerCompany, i)
                                             for i in ids["companies"])
        self.owner_a, self.owner_b = (db.session.get(User, i) for i in ids["owners"])
        self.r1, self.r2, self.r3, self.r4, self.r5 = (db.session.get(Request, i)
                                                       for i in ids["requests"])
        self.admin = db.session.get(User, ids["admin"])

    @staticmethod
    def _request(owner, team, status, client, payment, created, submitted):
        req = make_request(owner, status, team)
        req.end_client_id = client.id if client else None
        if payment:
            req.payment_state = payment
        req.created_at = datetime.fromisoformat(f"{created}T09:00")
        req.submitted_at = datetime.fromisoformat(f"{submitted}T09:00")
        db.session.commit()
        return req

    def numbers(self, *requests) -> set[str]:
        return {r.number for r in requests}


TEAM = ("supermanager", "manager", "engineer")


@pytest.fixture
def world(snapshot):
    """Built once per run (conftest.snapshot)."""
    return World(snapshot("request-filters-world", World.build))


def shown(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return set(NUMBER.findall(response.get_data(as_text=True)))


def desk_cases(w: World):
    return [
        (f"company={w.alpha.id}", (w.r1, w.r3)),
        (f"manager={w.team2.manager.id}", (w.r2, w.r3)),
        (f"engineer={w.team1.engineer.id}", (w.r1, w.r4)),
        ("payment=paid", (w.r2,)),
        ("payment=partial", (w.r3,)),
        ("client=Petrov", (w.r2, w.r4)),
        ("from=2026-02-01&to=2026-02-28", (w.r3, w.r4)),
        ("date_by=submitted&from=2026-03-01&to=2026-03-31", (w.r2, w.r3)),
        (f"company={w.beta.id}&engineer={w.team1.engineer.id}", (w.r4,)),
    ]


@pytest.mark.parametrize("role", ["Admin", "Supermanager"])
def test_each_desk_filter_narrows_the_rows(app, world, role):
    user = world.admin if role == "Admin" else world.team1.supermanager
    client = as_user(app, user)
    everything = world.numbers(world.r1, world.r2, world.r3, world.r4, world.r5)
    assert shown(client, "/desk/") >= everything
    for query, expected in desk_cases(world):
        assert shown(client, f"/desk/?{query}") == world.numbers(*expected), query
    html = client.get("/desk/").get_data(as_text=True)
    for name in ("Alpha Build", "Beta Repair", "Gamma Hidden", 'name="client"',
                 'id="desk-company"', 'id="desk-manager"', 'id="desk-engineer"'):
        assert name in html
    assert 'data-testid="reset-filters" ' in html or 'data-testid="reset-filters"' in html


def test_a_managers_filters_offer_and_show_only_his_requests(app, world):
    manager = as_user(app, world.team1.manager)
    assert shown(manager, "/desk/") == world.numbers(world.r1, world.r4)
    assert shown(manager, f"/desk/?company={world.alpha.id}") == world.numbers(world.r1)
    assert shown(manager, "/desk/?client=Petrov") == world.numbers(world.r4)
    assert shown(manager, "/desk/?payment=paid") == set()
    assert "Нет заявок" in manager.get("/desk/?payment=paid").get_data(as_text=True)
    html = manager.get("/desk/").get_data(as_text=True)
    assert "Alpha Build" in html and "Beta Repair" in html
    assert "Gamma Hidden" not in html  # no request of his there
    assert world.team2.manager.get_full_name() not in html
    assert 'id="desk-manager"' not in html  # his own requests only: nothing to choose
    # someone else's company, manager or engineer: ignored with a notice, nothing of theirs
    for query in (f"company={world.gamma.id}", f"manager={world.team2.manager.id}",
                  f"engineer={world.team2.engineer.id}"):
        response = manager.get(f"/desk/?{query}", follow_redirects=True)
        page = response.get_data(as_text=True)
        assert set(NUMBER.findall(page)) == world.numbers(world.r1, world.r4), query
        assert "не распознаны" in page
        assert "Gamma Hidden" not in page and world.r5.number not in page


def test_engineer_gets_no_partner_side_filters(app, world):
    engineer = as_user(app, world.team1.engineer)
    mine = world.numbers(world.r1, world.r4)
    html = engineer.get("/desk/").get_data(as_text=True)
    assert set(NUMBER.findall(html)) == mine
    for hidden in ('name="company"', 'name="client"', "Alpha Build", "Beta Repair",
                   "Ivanov", "Petrova", 'id="desk-engineer"'):
        assert hidden not in html, hidden
    # the parameters are ignored: the same rows as without them
    assert shown(engineer, f"/desk/?company={world.alpha.id}") == mine
    assert shown(engineer, "/desk/?client=Petrov") == mine
    # what he may use still works
    assert shown(engineer, f"/desk/?manager={world.team1.manager.id}") == mine
    assert shown(engineer, "/desk/?from=2026-02-01&to=2026-02-28") == world.numbers(world.r4)


GARBAGE = ["company=abc", "company=99999999999999", "manager=-1", "engineer=1e3",
           "from=2026-13-45", "to=garbage", "payment=xyz", "date_by=evil", "page=-3",
           "page=abc", "page=99999", "client=%25_%5C", "from=2026-03-01&to=2026-01-01",
           "status=nonsense", "q=%25", "from=0001-01-01", "to=9999-12-31",
           "date_by=submitted&from=0001-01-01&to=0001-01-01"]


def test_garbage_desk_filters_never_fail(app, world):
    """One world and one sign-in for all the bad queries (each answers 200, in scope)."""
    manager = as_user(app, world.team1.manager)
    mine = world.numbers(world.r1, world.r4)
    leaked = {query: found for query in GARBAGE
              if not (found := shown(manager, f"/desk/?{query}")) <= mine}
    assert leaked == {}


def test_nul_byte_in_a_filter_is_refused_cleanly(app, world):
    admin = as_user(app, world.admin)
    for url in ("/desk/?client=a%00b", "/desk/?company=1%00", "/requests/list/?_flt_0_company=%00"):
        assert admin.get(url).status_code == 400


def test_the_client_filter_is_not_a_wildcard(app, world):
    admin = as_user(app, world.admin)
    assert shown(admin, "/desk/?client=%25") == set()
    assert shown(admin, "/desk/?client=_") == set()


def test_desk_pages_keep_the_filters(app, world, monkeypatch):
    import views.desk_queries

    monkeypatch.setattr(views.desk_queries, "LIST_LIMIT", 1)
    admin = as_user(app, world.admin)
    html = admin.get(f"/desk/?company={world.alpha.id}&payment=partial").get_data(as_text=True)
    assert set(NUMBER.findall(html)) == world.numbers(world.r3)
    html = admin.get(f"/desk/?company={world.beta.id}").get_data(as_text=True)
    next_link = re.search(r'href="(/desk/\?[^"]*page=1[^"]*)"', html)
    assert next_link, "no next page link"
    link = next_link.group(1).replace("&amp;", "&")
    assert f"company={world.beta.id}" in link
    assert len(shown(admin, link) & world.numbers(world.r2, world.r4)) == 1


# the generated list (/requests/list/): FAB filters _flt_<index>_<column>
RELATION, GREATER, SMALLER = 0, 1, 2


def list_cases(w: World):
    return [
        (f"_flt_{RELATION}_company={w.alpha.id}", (w.r1, w.r3)),
        (f"_flt_{RELATION}_manager={w.team2.manager.id}", (w.r2, w.r3)),
        (f"_flt_{RELATION}_engineer={w.team1.engineer.id}", (w.r1, w.r4)),
        ("_flt_0_payment_state=paid", (w.r2,)),  # "is": its one filter
        (f"_flt_{RELATION}_end_client={w.r2.end_client_id}", (w.r2, w.r4)),
        (f"_flt_{GREATER}_created_at=2026-02-01&_flt_{SMALLER}_created_at=2026-02-28",
         (w.r3, w.r4)),
    ]


@pytest.mark.parametrize("role", ["Admin", "Supermanager"])
def test_each_generated_list_filter_narrows_the_rows(app, world, role):
    user = world.admin if role == "Admin" else world.team1.supermanager
    client = as_user(app, user)
    everything = world.numbers(world.r1, world.r2, world.r3, world.r4)
    assert shown(client, "/requests/list/") >= everything
    for query, expected in list_cases(world):
        found = shown(client, f"/requests/list/?{query}")
        assert found == world.numbers(*expected), query
    html = client.get("/requests/list/").get_data(as_text=True)
    for label in ("Партнёр", "Клиент", "Менеджер", "Инженер", "Оплата", "Создана"):
        assert label in html, label


@pytest.mark.parametrize("narrow", [2_000, 1])  # the matches read by key / too many
def test_the_lists_client_filter_finds_the_same_rows_however_many_match(app, world,
                                                                        monkeypatch, narrow):
    """More matches than the list reads by key: the page walks its order and checks each
    row's client (PostgreSQL: EXISTS, app.request_filters.many_matches), the same rows."""
    from tests.factories import statements
    from views.requests import RequestStaffView

    monkeypatch.setattr(RequestStaffView, "NARROW_ROWS", narrow)
    admin = as_user(app, world.admin)
    with statements() as seen:
        found = shown(admin, "/requests/list/?_flt_0_client_name=petrov")
    assert found == world.numbers(world.r2, world.r4)
    assert shown(admin, "/requests/list/?_flt_0_client_name=Ivanov") == world.numbers(world.r1)
    walked = [s for s in seen if "ORDER BY" in s and "end_client" in s]
    per_row = narrow == 1 and db.engine.dialect.name == "postgresql"
    assert walked and all(("EXISTS (SELECT end_client.id" in s) == per_row for s in walked)


@pytest.mark.parametrize("few", [5_000, 0])  # the matches sorted whole / too many
def test_the_desks_client_filter_finds_the_same_rows_however_many_match(app, world,
                                                                        monkeypatch, few):
    """The desk reads a client filter's matches first (a trigram index, then the open
    requests of those clients) and sorts them; with too many it walks each range in order
    and checks each row's client. The same rows either way, with the other filters."""
    import views.desk_queries

    monkeypatch.setattr(views.desk_queries, "FEW_MATCHES", few)
    admin = as_user(app, world.admin)
    assert shown(admin, "/desk/?client=petrov") == world.numbers(world.r2, world.r4)
    assert shown(admin, f"/desk/?client=Petrov&company={world.beta.id}") == \
        world.numbers(world.r2, world.r4) & shown(admin, f"/desk/?company={world.beta.id}")
    assert shown(admin, "/desk/?client=Petrov&q=no-such-text") == set()
    assert shown(admin, "/desk/?client=%25") == set()


def test_generated_list_for_a_manager_stays_in_scope(app, world):
    manager = as_user(app, world.team1.manager)
    assert shown(manager, "/requests/list/") == world.numbers(world.r1, world.r4)
    assert shown(manager, f"/requests/list/?_flt_0_company={world.alpha.id}") == \
        world.numbers(world.r1)
    assert shown(manager, f"/requests/list/?_flt_0_company={world.gamma.id}") == set()
    assert shown(manager, f"/requests/list/?_flt_0_end_client={world.r5.end_client_id}") \
        == set()
    html = manager.get("/requests/list/").get_data(as_text=True)
    assert "Alpha Build" in html and "Beta Repair" in html  # the company select's choices
    assert "Gamma Hidden" not in html and "Secret Client" not in html
    assert world.team2.engineer.get_full_name() not in html


def test_generated_list_gives_engineers_no_partner_side_filter(app, world):
    engineer = as_user(app, world.team1.engineer)
    mine = world.numbers(world.r1, world.r4)
    html = engineer.get("/requests/list/").get_data(as_text=True)
    assert set(NUMBER.findall(html)) == mine
    for hidden in ("Alpha Build", "Beta Repair", "Ivanov", "Petrova", '"company"',
                   '"end_client"'):
        assert hidden not in html, hidden
    assert shown(engineer, f"/requests/list/?_flt_0_company={world.beta.id}") == mine
    assert shown(engineer, f"/requests/list/?_flt_0_end_client={world.r1.end_client_id}") \
        == mine
    assert shown(engineer, f"/requests/list/?_flt_0_manager={world.team1.manager.id}") == mine


LIST_GARBAGE = [
    "_flt_0_company=abc", "_flt_0_company=99999999999999", "_flt_1_created_at=garbage",
    "_flt_9_company=1", "_flt_0_manager=-5", "_flt_3_payment_state=%25",
    "_flt_0_end_client=1.5", "_flt_2_submitted_at=2026-99-99"]


def test_garbage_generated_list_filters_never_fail(app, world):
    manager = as_user(app, world.team1.manager)
    mine = world.numbers(world.r1, world.r4)
    leaked = {query: found for query in LIST_GARBAGE
              if not (found := shown(manager, f"/requests/list/?{query}")) <= mine}
    assert leaked == {}


def test_cabinet_owner_sees_who_filed_each_request_member_only_his(app):
    company = make_company("Delta")
    owner = make_partner(company)
    member = make_partner(company, owner=False)
    colleague = make_partner(company, owner=False)
    own = make_request(owner, Status.SUBMITTED)
    filed = make_request(member, Status.SUBMITTED)
    other = make_request(colleague, Status.SUBMITTED)
    page = as_user(app, owner).get("/cabinet/requests").get_data(as_text=True)
    assert "Кто подал" in page
    assert {own.number, filed.number, other.number} <= set(NUMBER.findall(page))
    names = re.findall(r'data-testid="filed-by">([^<]*)<', page)
    assert sorted(names) == sorted(u.get_full_name() for u in (owner, member, colleague))
    page = as_user(app, member).get("/cabinet/requests").get_data(as_text=True)
    assert set(NUMBER.findall(page)) == {filed.number}
    assert "Кто подал" not in page and colleague.get_full_name() not in page
    assert db.session.get(Request, other.id).author_id == colleague.id


def exported_numbers(client, query: str) -> set[str]:
    import io

    from openpyxl import load_workbook

    response = client.get(f"/requests/export?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data)).active
    return {row[0] for row in book.iter_rows(min_row=2, values_only=True) if row[0]}


def test_the_export_follows_the_same_filters_and_scope(app, world):
    admin = as_user(app, world.admin)
    assert exported_numbers(admin, f"_flt_0_company={world.alpha.id}") == \
        world.numbers(world.r1, world.r3)
    engineer = as_user(app, world.team1.engineer)
    assert exported_numbers(engineer, f"_flt_0_company={world.beta.id}") == \
        world.numbers(world.r1, world.r4)


def test_date_filters_are_the_bureaus_days(app, world):
    world.r1.created_at = datetime(2026, 1, 31, 22, 30)  # 01:30 on 1 February in Moscow
    db.session.commit()
    admin = as_user(app, world.admin)
    assert world.r1.number in shown(admin, "/desk/?from=2026-02-01&to=2026-02-01")
    assert world.r1.number not in shown(admin, "/desk/?from=2026-01-01&to=2026-01-31")


def test_generated_list_pages_and_sorting_keep_the_filters(app, world):
    admin = as_user(app, world.admin)
    html = admin.get(f"/requests/list/?_flt_0_company={world.alpha.id}"
                     "&psize_RequestStaffView=1").get_data(as_text=True)
    links = re.findall(r'href="([^"]*(?:_oc_|page_)RequestStaffView[^"]*)"', html)
    assert any("page_" in link for link in links) and any("_oc_" in link for link in links)
    assert all(f"_flt_0_company={world.alpha.id}" in link for link in links), links
    second = re.search(r'href="([^"]*page_RequestStaffView=1[^"]*)"', html).group(1)
    assert shown(admin, second.replace("&amp;", "&")) <= world.numbers(world.r1, world.r3)


def test_a_reversed_period_is_swapped_and_an_unknown_status_said(app, world):
    """The desk showed "no requests" for 2026-02-28 … 2026-02-01 and for status=zzz, saying
    nothing (the dashboard swaps a reversed period and says so)."""
    admin = as_user(app, world.admin)
    page = admin.get("/desk/?from=2026-02-28&to=2026-02-01").get_data(as_text=True)
    assert set(NUMBER.findall(page)) == world.numbers(world.r3, world.r4)
    assert "Начало периода позже конца — даты поменяны местами." in page
    page = admin.get("/desk/?status=zzz").get_data(as_text=True)
    assert "не распознаны" in page
    assert set(NUMBER.findall(page)) >= world.numbers(world.r1, world.r2, world.r3, world.r4)
