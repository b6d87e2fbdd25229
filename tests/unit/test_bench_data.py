"""`flask replan bench-data` (issue 14): a realistic bulk dataset the app's pages work on,
refused in production and on a database holding other data; the X-SQL-Count switch."""

import json
from collections import Counter
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import text

from app.bench_data import BIG_COMPANY_INN, BenchRefused, load_bench, sizes, summary
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.service_fields import decimal_text
from app.sql_count import HEADER, install_sql_count
from models.request_status import OPEN_STATUSES, TERMINAL_STATUSES, Status
from tests.factories import login, make_company

N = 300


def rows(sql: str, **params):
    return db.session.execute(text(sql), params).all()


def test_cli_loads_a_dataset_shaped_like_a_bureau_network(app):
    result = app.test_cli_runner().invoke(args=["replan", "bench-data", "--requests", str(N),
                                                "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "partner1" in result.output and DEMO_PASSWORD in result.output
    counts = summary()
    shape = sizes(N)
    assert counts["request"] == N
    assert counts["partner_company"] == shape["companies"] == 3
    # staff: admin, director, supermanager, managers, engineers; partners: 20 in the big
    # company, an owner and 2 or 3 members in the others
    assert counts["ab_user"] == 3 + shape["managers"] + shape["engineers"] + 20 + 3 + 4
    roles = Counter(role for (role,) in rows(
        "SELECT r.name FROM ab_user_role ur JOIN ab_role r ON r.id = ur.role_id"))
    assert roles["Admin"] == roles["Director"] == roles["Supermanager"] == 1
    assert roles["Manager"] == shape["managers"] and roles["Engineer"] == shape["engineers"]
    big = rows("SELECT id FROM partner_company WHERE inn = :inn", inn=BIG_COMPANY_INN)[0][0]
    share = rows("SELECT count(*) FROM request WHERE company_id = :c", c=big)[0][0] / N
    assert 0.12 < share < 0.28
    # every status of the workflow; old requests are finished, the newest ones open
    statuses = dict(rows("SELECT status, count(*) FROM request GROUP BY status"))
    assert statuses[Status.CLOSED] > N / 2 and set(statuses) & set(OPEN_STATUSES)
    oldest = rows("SELECT status FROM request ORDER BY id LIMIT 50")
    assert {s for (s,) in oldest} <= {*TERMINAL_STATUSES, Status.DRAFT}
    # histories walk the transition table and end in the request's status
    last = dict(rows("SELECT request_id, to_status FROM status_change WHERE id IN "
                     "(SELECT max(id) FROM status_change GROUP BY request_id)"))
    for rid, status in rows("SELECT id, status FROM request"):
        assert last.get(rid, Status.DRAFT) == status
    breaks = rows("SELECT count(*) FROM status_change a JOIN status_change b ON "
                  "b.request_id = a.request_id AND b.id = (SELECT min(id) FROM status_change c "
                  "WHERE c.request_id = a.request_id AND c.id > a.id) "
                  "WHERE b.from_status <> a.to_status OR b.created_at < a.created_at")
    assert breaks[0][0] == 0
    submitted = N - statuses.get(Status.DRAFT, 0)
    assert counts["message"] == 3 * submitted
    assert counts["status_change"] > 5 * N
    assert rows("SELECT count(*) FROM request r WHERE COALESCE((SELECT t.last_public_message_id "
                "FROM request_thread t WHERE t.request_id = r.id AND t.company_id = r.company_id "
                "AND t.author_id = r.author_id), 0) <> "
                "COALESCE((SELECT max(m.id) FROM message m WHERE m.request_id = r.id "
                "AND NOT m.is_internal), 0)")[0][0] == 0  # as the Message insert hook keeps it
    # field values as store_values writes them: the object columns mirror them
    for address, area, floor, values in db.session.execute(text(
            "SELECT object_address, area, floor, field_values FROM request")).all():
        values = values if isinstance(values, dict) else json.loads(values)
        assert values["address"] == address and values["floor"] == floor
        assert values["area"] == decimal_text(Decimal(str(area)))
    # totals are the sum of their lines less the company discount; paid work is paid
    assert rows("SELECT count(*) FROM request r WHERE total_kopecks > "
                "(SELECT sum(price_kopecks) FROM request_service s WHERE s.request_id = r.id)"
                )[0][0] == 0
    assert rows("SELECT count(*) FROM request WHERE status IN ('delivered', 'closed') AND "
                "payment_state <> 'paid'")[0][0] == 0
    # no engineer has two visits at once
    assert rows("SELECT count(*) FROM schedule_entry a JOIN schedule_entry b ON "
                "a.engineer_id = b.engineer_id AND a.id < b.id AND a.starts_at < b.ends_at "
                "AND b.starts_at < a.ends_at")[0][0] == 0

    # the pages of each role render on it
    company_request = rows("SELECT max(id) FROM request WHERE company_id = :c", c=big)[0][0]
    own = rows("SELECT max(r.id) FROM request r JOIN ab_user u ON u.id = r.manager_id "
               "WHERE u.username = 'manager1'")[0][0]
    pages = {  # one page or two of each role (bench/pages.py measures them all)
        "partner1": ["/cabinet/", "/cabinet/requests?q=%D1%83%D0%BB",
                     f"/cabinet/requests/{company_request}"],
        "manager1": [f"/desk/{own}"],
        "supermanager": ["/distribution/", "/schedule/"],
        "engineer1": ["/requests/list/"],
        "director": ["/dashboard/"],
        "admin": ["/requests/list/?_oc_RequestStaffView=object_address"
                  "&_od_RequestStaffView=asc&_flt_0_field_values=%D1%83%D0%BB"],
    }
    for username, urls in pages.items():
        client = app.test_client()
        assert login(client, username, DEMO_PASSWORD).status_code == 302
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 200, (username, url)
    client = app.test_client()
    login(client, "partner2", DEMO_PASSWORD)  # another company's owner: not that request
    assert client.get(f"/cabinet/requests/{company_request}").status_code == 404


def test_refused_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["replan", "bench-data", "--requests", "10"])
    assert result.exit_code != 0 and "production" in result.output
    assert summary()["request"] == 0 and summary()["ab_user"] == 0


def test_refused_on_other_data_and_on_a_second_load(app):
    make_company("Настоящее агентство")
    db.session.commit()
    with pytest.raises(BenchRefused, match="not a bench dataset"):
        load_bench(10)
    assert summary()["request"] == 0
    db.session.rollback()
    db.session.execute(text("DELETE FROM partner_company"))
    db.session.commit()
    load_bench(5)
    result = app.test_cli_runner().invoke(args=["replan", "bench-data", "--requests", "5"])
    assert result.exit_code != 0 and "already holds a bench dataset" in result.output
    result = app.test_cli_runner().invoke(args=["replan", "bench-data", "--requests", "0"])
    assert result.exit_code != 0
    assert summary()["request"] == 5


def test_sql_count_header_when_switched_on(make_app, monkeypatch):
    monkeypatch.setenv("REPLAN_SQL_COUNT", "1")
    answer = make_app().test_client().get("/login/")
    assert answer.status_code == 200 and int(answer.headers[HEADER]) >= 0


@pytest.mark.parametrize("env, switch", [("development", None), ("development", "0"),
                                         ("production", "1")])
def test_sql_count_off_by_default_and_never_in_production(monkeypatch, env, switch):
    if switch is None:
        monkeypatch.delenv("REPLAN_SQL_COUNT", raising=False)
    else:
        monkeypatch.setenv("REPLAN_SQL_COUNT", switch)
    probe = Flask("probe")
    probe.config["ENV_NAME"] = env
    install_sql_count(probe)
    assert not probe.after_request_funcs
