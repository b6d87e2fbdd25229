"""Excel exports: typed columns, filters as on screen, scopes, background tasks with progress."""

import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from models.exports import ExportTask
from models.request_status import Status
from reports.excel import Column, write_xlsx
from tests.factories import as_user, Staff, form_token, make_partner, make_request, make_user



def sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active



def test_writer_types_header_and_widths(tmp_path):
    columns = [Column("Номер", width=12), Column("Дата", "datetime", 17),
               Column("Сумма", "money", 14), Column("Кол-во", "int", 8)]
    rows = iter([("2026-00001", datetime(2026, 3, 1, 10, 30), 1234567, 3)])
    target = tmp_path / "x.xlsx"
    assert write_xlsx(target, "Реестр", columns, rows) == 1
    ws = load_workbook(target).active
    assert [c.value for c in ws[1]] == ["Номер", "Дата", "Сумма", "Кол-во"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 12 and ws.column_dimensions["B"].width == 17
    # stored UTC, written in the bureau's zone (Moscow by default)
    assert ws["B2"].value == datetime(2026, 3, 1, 13, 30) and ws["B2"].is_date
    assert ws["C2"].value == pytest.approx(12345.67) and "₽" in ws["C2"].number_format
    assert ws["D2"].value == 3


def test_back_office_list_exports_with_filters_and_sort(app, staff):
    partner = make_partner()
    closed = [make_request(partner, Status.CLOSED, staff) for _ in range(2)]
    make_request(partner, Status.SUBMITTED, staff)
    director = as_user(app, make_user("Director"))
    list_page = director.get("/requests/list/?_flt_0_status=closed").get_data(as_text=True)
    assert 'data-testid="export"' in list_page
    link = re.search(r'href="([^"]*/requests/export[^"]*)"', list_page).group(1)
    ws = sheet(director.get(link.replace("&amp;", "&")).data)
    numbers = [row[0].value for row in ws.iter_rows(min_row=2)]
    assert sorted(numbers) == sorted(r.number for r in closed)
    ascending = sheet(director.get("/requests/export?_oc_RequestStaffView=number"
                                   "&_od_RequestStaffView=asc").data)
    column = [row[0].value for row in ascending.iter_rows(min_row=2)]
    assert column == sorted(column) and len(column) == 3
    # a manager's export holds only the manager's rows
    other = Staff()
    make_request(partner, Status.ASSIGNED, other)
    mine = sheet(as_user(app, other.manager).get("/requests/export").data)
    assert mine.max_row == 2


def test_director_reports_and_engineer_refused(app, staff):
    partner = make_partner()
    done = make_request(partner, Status.CLOSED, staff)
    director = as_user(app, make_user("Director"))
    token = form_token(director)
    today = (date.today() + timedelta(days=1)).isoformat()  # the bureau's today at the latest
    for key, expect in [("register", done.number), ("payments", done.number),
                        ("partners", partner.profile.partner_company.name),
                        ("workload", staff.engineer.get_full_name()), ("audit", "Статус изменён")]:
        response = director.post("/reports/run", data={"csrf_token": token, "report": key,
                                                       "from": "2000-01-01", "to": today})
        assert response.mimetype.endswith("spreadsheetml.sheet"), key
        ws = sheet(response.data)
        values = [str(c.value) for row in ws.iter_rows(min_row=2) for c in row]
        assert any(expect in v for v in values), (key, values[:10])
    register = sheet(director.post("/reports/run", data={
        "csrf_token": token, "report": "register", "from": "2000-01-01", "to": today}).data)
    header = [c.value for c in register[1]]
    assert header[0] == "Номер" and "Итого" in header
    total = register.cell(row=2, column=header.index("Итого") + 1)
    assert total.value == done.total_kopecks / 100 and "₽" in total.number_format
    engineer = as_user(app, staff.engineer)
    refused = engineer.post("/reports/run", data={"csrf_token": form_token(engineer),
                                                  "report": "register", "from": "2000-01-01",
                                                  "to": today})
    assert refused.status_code == 403 and not refused.mimetype.endswith("spreadsheetml.sheet")
    assert db.session.query(ExportTask).count() == 0


def test_partner_exports_only_own_requests(app, staff):
    owner = make_partner(username="owner")
    member = make_partner(company=owner.profile.partner_company, owner=False,
                          username="member")
    make_request(owner, Status.SUBMITTED, staff)
    own = make_request(member, Status.SUBMITTED, staff)
    make_request(make_partner(), Status.SUBMITTED, staff)
    ws = sheet(as_user(app, member).get("/cabinet/requests/export.xlsx").data)
    assert [row[0].value for row in ws.iter_rows(min_row=2)] == [own.number]
    ws = sheet(as_user(app, owner).get("/cabinet/requests/export.xlsx?status=accepted").data)
    assert ws.max_row == 3


def test_large_export_runs_in_the_background_with_progress(app, staff, jobs, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 2)
    partner = make_partner()
    for _ in range(4):
        make_request(partner, Status.SUBMITTED, staff)
    director_user = make_user("Director")
    director = as_user(app, director_user)
    response = director.get("/requests/export")
    assert response.status_code == 302 and "/reports/task/" in response.headers["Location"]
    task_url = response.headers["Location"]
    jobs.run()
    page = director.get(task_url).get_data(as_text=True)
    assert "<progress" in page
    state = director.get(task_url.rstrip("/") + "/json").get_json()
    assert state["ready"] and state["rows_done"] == 4 and state["rows_total"] == 4
    ws = sheet(director.get(task_url.rstrip("/") + "/download").data)
    assert ws.max_row == 5
    # only the user who asked may download it
    someone = as_user(app, make_user("Director"))
    assert someone.get(task_url.rstrip("/") + "/download").status_code == 404
    assert someone.get(task_url.rstrip("/") + "/json").status_code == 404
    # expiry and cleanup
    task = db.session.query(ExportTask).one()
    from app.exports import export_dir

    stored = export_dir() / task.stored_name
    assert stored.exists()
    task.expires_at = datetime(2000, 1, 1)
    db.session.commit()
    assert director.get(task_url.rstrip("/") + "/download").status_code == 404
    from app.periodic import PERIODIC

    assert PERIODIC["cleanup-exports"][0]() == 1 and not stored.exists()


def test_partner_background_export_and_failed_export_is_visible(app, staff, jobs,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 0)
    partner = make_partner(username="p")
    make_request(partner, Status.SUBMITTED, staff)
    c = as_user(app, partner)
    location = c.get("/cabinet/requests/export.xlsx").headers["Location"]
    assert "/cabinet/exports/" in location
    jobs.run()
    assert c.get(location + "/json").get_json()["ready"]
    assert sheet(c.get(location + "/download").data).max_row == 2
    assert as_user(app, make_partner()).get(location).status_code == 404
    # a job that fails is marked failed with its reason, and the admin sees it
    from reports.sources import SOURCES, ExportSource

    def broken(params, user):
        raise RuntimeError("disk full")
    monkeypatch.setitem(SOURCES, "cabinet", ExportSource("cabinet", broken,
                                                         SOURCES["cabinet"].count))
    location = c.get("/cabinet/requests/export.xlsx").headers["Location"]
    try:
        jobs.run()
    except RuntimeError:
        pass  # inline: the error reaches the caller after the task was marked failed
    db.session.expire_all()
    failed = db.session.query(ExportTask).order_by(ExportTask.id.desc()).first()
    assert failed.status == "failed" and "disk full" in failed.error
    admin = as_user(app, make_user("Admin"))
    assert "disk full" in admin.get("/jobs/").get_data(as_text=True)


def test_export_job_rerun_after_a_killed_worker_happens_once(app, staff):
    from app.exports import export_dir, run_export

    make_request(make_partner(), Status.SUBMITTED, staff)
    director = make_user("Director")
    task = ExportTask(user_id=director.id, report="report", file_name="r.xlsx",
                      params={"key": "register", "from": "2000-01-01", "to": "2100-01-01"},
                      status="running", rows_done=1)  # the worker died while writing
    db.session.add(task)
    db.session.commit()
    before = set(export_dir().glob("*.xlsx"))
    assert run_export(task.id) == "done"
    assert run_export(task.id) == "skipped"  # RQ ran it once more: nothing happens
    db.session.expire_all()
    task = db.session.get(ExportTask, task.id)
    assert task.status == "done" and task.rows_done == 1
    assert len(set(export_dir().glob("*.xlsx")) - before) == 1


def test_all_requests_show_the_partner_and_the_amount_to_those_who_read_them(app, staff):
    """The director's "All requests" (and its Excel) had neither the partner nor the amount;
    engineers, who read neither, share the list and still get neither."""
    partner = make_partner()
    req = make_request(partner, Status.IN_PROGRESS, staff)
    company = partner.profile.partner_company.name
    director = as_user(app, make_user("Director"))
    page = director.get("/requests/list/").get_data(as_text=True)
    assert "Партнёр" in page and company in page and "Сумма" in page
    header = [c.value for c in sheet(director.get("/requests/export").data)[1]]
    assert "Партнёр" in header and "Сумма" in header
    engineer = as_user(app, staff.engineer)
    page = engineer.get("/requests/list/").get_data(as_text=True)
    assert req.number in page and company not in page and "Сумма" not in page
    header = [c.value for c in sheet(engineer.get("/requests/export").data)[1]]
    assert "Партнёр" not in header and "Сумма" not in header


def test_the_workload_report_counts_booked_hours_as_the_dashboard_does(app, staff):
    """Visits and work slots are booked hours; busy time and vacations are not (the Excel
    counted a busy hour as booked: 16 h against the dashboard's 15)."""
    from app.scheduling import BOOKED_KINDS
    from models.schedule import ScheduleEntry
    day = datetime(2026, 11, 20, 9, 0)
    for kind, hours in (("visit", 2), ("work", 3), ("busy", 1), ("vacation", 8)):
        db.session.add(ScheduleEntry(engineer_id=staff.engineer.id, kind=kind,
                                     starts_at=day, ends_at=day + timedelta(hours=hours)))
        day += timedelta(days=1)
    db.session.commit()
    assert set(BOOKED_KINDS) == {"visit", "work"}
    director = as_user(app, make_user("Director"))
    ws = sheet(director.post("/reports/run", data={
        "csrf_token": form_token(director), "report": "workload", "from": "2026-11-01",
        "to": "2026-11-30"}).data)
    rows = {row[0].value: [c.value for c in row[1:]] for row in ws.iter_rows(min_row=2)}
    assert rows[staff.engineer.get_full_name()][:2] == [1, 5]  # one visit, 2 + 3 hours
