"""Exports: no formula injection (finding 4), >2 000 rows through the real job (finding 14),
a dead worker's task fails with a clear reason and can be started again (finding 19)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from app.audit import record
from app.extensions import db
from app.payments import mark_payment
from models.base import utcnow
from models.exports import ExportTask
from models.partners import EndClient, PartnerApplication
from models.request_status import Status
from models.requests import Request
from reports.excel import NUMBER_LIKE, safe_text
from tests.factories import (Staff, as_user, form_token, make_company, make_partner,
                             make_request, make_user, valid_inn)

PAYLOADS = ['=HYPERLINK("http://evil.example","Click")', "=1+2",
            "=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(1)", "\t=1"]
# the period's end as a date the bureau (Moscow) has surely reached: after 21:00 UTC the
# bureau's today is the server's tomorrow, and a request made now falls on it
TODAY = (date.today() + timedelta(days=1)).isoformat()



def workbook_cells(data: bytes):
    sheet = load_workbook(io.BytesIO(data)).active
    return [cell for row in sheet.iter_rows(min_row=2) for cell in row]


def assert_inert(cells, expected: list[str], where: str) -> None:
    """No formula anywhere, no string starting a formula, every payload kept as quoted text."""
    strings = {c.value for c in cells if c.data_type == "s"}
    assert not [c.coordinate for c in cells if c.data_type == "f"], where
    assert not [v for v in strings if v[:1] in ("=", "+", "-", "@", "\t", "\r")
                and not NUMBER_LIKE.fullmatch(v)], where  # a phone calls nothing
    for payload in expected:  # a bare signed number ("+1") is shown as typed: inert anyway
        shown = payload if NUMBER_LIKE.fullmatch(payload) else "'" + payload
        assert shown in strings, (where, payload)


def plant_payloads(staff):
    """Each payload as a partner's address and client, a payment document, an application
    (company, contact, city) and an audit action."""
    partner = make_partner(company=make_company(name="@SUM(1)"))
    company = partner.profile.partner_company
    requests = []
    for n, payload in enumerate(PAYLOADS):
        client = EndClient(company_id=company.id, name=payload, phone=f"+7 900 000-00-0{n}")
        db.session.add(client)
        db.session.flush()
        requests.append(make_request(partner, Status.SUBMITTED, staff,
                                     object_address=payload, end_client_id=client.id))
        db.session.add(PartnerApplication(
            company_name=payload, inn=valid_inn(900 + n), contact_name=payload,
            email=f"a{n}@test.example", phone="+7 999 000-00-00", city=payload,
            consent=True))
        record(payload)
    mark_payment(requests[0], 1234567, date.today(), "=1+2", staff.supermanager)
    db.session.commit()
    return partner, requests


def test_every_export_keeps_planted_formulas_as_text(app, staff):
    partner, requests = plant_payloads(staff)
    director = as_user(app, make_user("Director"))
    token = form_token(director)
    for key, expected in [("register", PAYLOADS), ("payments", ["=1+2"]),
                          ("partners", ["@SUM(1)"]), ("audit", PAYLOADS)]:
        response = director.post("/reports/run", data={"csrf_token": token, "report": key,
                                                       "from": "2000-01-01", "to": TODAY})
        assert_inert(workbook_cells(response.data), expected, key)
    for url in ["/requests/export", "/end-clients/export", "/payments/export",
                "/partner-applications/export", "/audit/export", "/companies/export"]:
        expected = ["=1+2"] if url == "/payments/export" else \
            ["@SUM(1)"] if url == "/companies/export" else PAYLOADS
        assert_inert(workbook_cells(director.get(url).data), expected, url)
    mine = as_user(app, partner).get("/cabinet/requests/export.xlsx")
    assert_inert(workbook_cells(mine.data), PAYLOADS, "cabinet")


def test_numbers_and_dates_stay_typed_next_to_quoted_text(app, staff):
    partner, requests = plant_payloads(staff)
    director = as_user(app, make_user("Director"))
    response = director.post("/reports/run", data={
        "csrf_token": form_token(director), "report": "register", "from": "2000-01-01",
        "to": TODAY})
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    paid = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == requests[0].number)
    created, area = paid[header.index("Создана")], paid[header.index("Площадь, м²")]
    total, paid_sum = paid[header.index("Итого")], paid[header.index("Оплачено")]
    assert created.is_date and isinstance(created.value, datetime)
    assert area.data_type == "n" and area.value == 50
    assert total.data_type == "n" and total.value == requests[0].total_kopecks / 100
    assert paid_sum.value == pytest.approx(12345.67) and "₽" in paid_sum.number_format
    payments = load_workbook(io.BytesIO(director.get("/payments/export").data)).active
    assert payments["A2"].is_date and payments["C2"].data_type == "n"


def test_safe_text_rules():
    assert safe_text("\r=1") == "'\r=1" and safe_text("a=1") == "a=1"
    assert safe_text("Тверская, 1") == "Тверская, 1"
    assert safe_text("x\x01\x0by") == "xy"  # control characters would break the file
    # a phone or a signed number is shown as typed (the quote showed in every cell); a
    # letter, an operator or a reference is still quoted
    assert safe_text("+7 916 100-20-00") == "+7 916 100-20-00"
    assert safe_text("-(495) 123-45-67") == "-(495) 123-45-67"
    for formula in ("+7+A1", "-1*2", "+SUM(1)", "-", "+", "=1", "@A1", "+1 cmd"):
        assert safe_text(formula) == "'" + formula, formula


def bulk_requests(partner, count: int) -> None:
    """`count` submitted requests in one statement (the workflow is not what is tested)."""
    company_id, year = partner.profile.partner_company_id, utcnow().year
    db.session.execute(insert(Request), [dict(
        number=f"{year}-9{n:05d}", company_id=company_id, author_id=partner.id,
        status=Status.SUBMITTED, object_address=f"Street {n}", object_type="apartment",
        area=Decimal("40"), urgency="normal", total_kopecks=100_00 + n, paid_kopecks=0,
        payment_state="unpaid", submitted_at=utcnow()) for n in range(count)])
    db.session.commit()


def run_in_background(client, rq_backend, start) -> tuple[ExportTask, str]:
    location = start().headers["Location"].rstrip("/")
    task_id = int(re.search(r"/(\d+)$", location).group(1))
    rq_backend.work()
    state = client.get(location + "/json").get_json()
    task = db.session.get(ExportTask, task_id)
    assert state["status"] == "done" and state["ready"], (state, task.error)
    return task, location


def test_background_exports_stream_past_2000_rows(app, rq_backend, monkeypatch):
    """Finding 14: on PostgreSQL a progress commit closed the server-side cursor at row 2000."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 10)
    partner = make_partner(username="bulk")
    bulk_requests(partner, 2100)
    director, own = as_user(app, make_user("Director")), as_user(app, partner)
    token = form_token(director)
    for name, client, start in [
            ("list", director, lambda: director.get("/requests/export")),
            ("register", director, lambda: director.post("/reports/run", data={
                "csrf_token": token, "report": "register", "from": "2000-01-01",
                "to": TODAY})),
            ("partner", own, lambda: own.get("/cabinet/requests/export.xlsx"))]:
        task, location = run_in_background(client, rq_backend, start)
        assert task.rows_done == 2100 and task.started_at and task.heartbeat_at, name
        assert task.heartbeat_at >= task.started_at
        download = client.get(location + "/download")
        assert load_workbook(io.BytesIO(download.data)).active.max_row == 2101, name


def stale_task(user, minutes: int, **fields) -> ExportTask:
    beat = utcnow() - timedelta(minutes=minutes)
    fields = {"status": "running", "started_at": beat, "heartbeat_at": beat,
              "params": {"view": "RequestStaffView", "filters": [], "order": None}, **fields}
    task = ExportTask(user_id=user.id, report="list", file_name="requests.xlsx", rows_done=0,
                      **fields)
    db.session.add(task)
    db.session.commit()
    return task


def test_a_silent_worker_fails_its_task_with_a_reason_and_a_fresh_one_stays(app):
    from app.exports import fail_stale_exports, stale_reason

    user = make_user("Director")
    dead, alive = stale_task(user, 11), stale_task(user, 0)
    client = as_user(app, user)
    state = client.get(f"/reports/task/{dead.id}/json").get_json()
    with app.test_request_context():
        reason = stale_reason()
    assert state["status"] == "failed" and state["error"] == reason
    assert client.get(f"/reports/task/{alive.id}/json").get_json()["status"] == "running"
    page = client.get(f"/reports/task/{dead.id}").get_data(as_text=True)
    assert reason in page
    # the periodic sweep does the same without anyone looking at the page
    from app.periodic import PERIODIC

    assert PERIODIC["stale-exports"][0] is fail_stale_exports
    other = stale_task(make_user("Director"), 3)
    assert fail_stale_exports() == 1
    db.session.expire_all()
    assert db.session.get(ExportTask, other.id).status == "failed"
    assert db.session.get(ExportTask, alive.id).status == "running"


def test_an_export_no_worker_takes_fails_with_a_reason_and_a_recent_one_waits(app):
    from app.exports import fail_stale_exports

    user = make_user("Director")
    forgotten = stale_task(user, 0, status="queued", started_at=None, heartbeat_at=None,
                           created_at=utcnow() - timedelta(minutes=16))
    waiting = stale_task(user, 0, status="queued", started_at=None, heartbeat_at=None)
    client = as_user(app, user)
    state = client.get(f"/reports/task/{forgotten.id}/json").get_json()
    assert state["status"] == "failed" and "Ни один обработчик не взял выгрузку" in state["error"]
    assert client.get(f"/reports/task/{waiting.id}/json").get_json()["status"] == "queued"
    assert fail_stale_exports() == 0  # the sweep leaves a recent one alone too


def test_the_user_starts_a_dead_export_again(app, rq_backend, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 0)
    partner = make_partner()
    make_request(partner, Status.SUBMITTED, Staff())
    director, own = as_user(app, make_user("Director")), as_user(app, partner)
    for client, start in [
            (director, lambda: director.get("/requests/export?_oc_RequestStaffView=number")),
            (director, lambda: director.post("/reports/run", data={
                "csrf_token": form_token(director), "report": "register",
                "from": "2000-01-01", "to": TODAY})),
            (own, lambda: own.get("/cabinet/requests/export.xlsx?status=accepted"))]:
        location = start().headers["Location"]
        task = db.session.query(ExportTask).order_by(ExportTask.id.desc()).first()
        task.status, task.heartbeat_at = "running", utcnow() - timedelta(hours=1)
        db.session.commit()  # the worker was killed before writing anything
        method, url, fields = restart_of(client.get(location).get_data(as_text=True))
        response = client.get(url) if method == "get" else client.post(
            url, data={**fields, "csrf_token": form_token(client)})
        new_location = response.headers["Location"]
        assert new_location != location
        rq_backend.work()
        assert client.get(new_location + "/json").get_json()["ready"]


def restart_of(page: str):
    """(method, url, hidden fields) of the page's "start again" control."""
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    if form and "export-restart" in form.group(2):
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
        fields.pop("csrf_token", None)
        return "post", form.group(1), fields
    link = re.search(r'<a class="btn btn-default" href="([^"]+)" data-testid="export-restart"',
                     page)
    assert link, "no restart control on the failed task page"
    return "get", link.group(1).replace("&amp;", "&"), {}
