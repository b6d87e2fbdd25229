"""Export jobs run on the parameters saved at queue time, with no request context at all:
the same rows, the same per-user scope and the asker's language as an inline export."""

from __future__ import annotations

import contextvars
import io

import pytest
from flask import Flask, has_request_context
from openpyxl import load_workbook

from app import jobs
from app.exports import XLSX, export_dir, run_export
from app.extensions import db
from models.exports import ExportTask
from models.request_status import Status
from reports import sources
from tests.factories import Staff, as_user, form_token, make_partner, make_request, make_user


@pytest.fixture
def queued(app, monkeypatch):
    """Exports are queued, never run inline in the request that asked for them."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 0)
    tasks = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, task_id, **kw: tasks.append(task_id))
    return tasks


def run_like_a_worker(app, monkeypatch, task_id: int) -> list[list]:
    """Run the job in a fresh app context (no request, no signed-in user, empty g) and
    return the sheet's rows; making a request context on the way fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the export job made a request context")

    monkeypatch.setattr(Flask, "test_request_context", refuse)
    monkeypatch.setattr(Flask, "request_context", refuse)
    seen = []
    for name, source in list(sources.SOURCES.items()):
        def table(params, user, _table=source.table):
            seen.append(has_request_context())
            return _table(params, user)
        monkeypatch.setitem(sources.SOURCES, name, sources.ExportSource(name, table,
                                                                        source.count))

    def work():  # what a worker does: an app context and the job, nothing else
        with app.app_context():
            assert not has_request_context()
            assert run_export(task_id) == "done"
            stored = db.session.get(ExportTask, task_id).stored_name
            return load_workbook(io.BytesIO((export_dir() / stored).read_bytes())).active

    db.session.commit()
    sheet = contextvars.Context().run(work)  # empty context: pytest-flask's request is gone
    assert seen == [False]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_partner_export_job_keeps_filters_and_own_rows(app, queued, monkeypatch):
    staff = Staff()
    partner = make_partner(username="p1")
    mine = make_request(partner, Status.SUBMITTED, staff)
    make_request(partner, Status.CLOSED, staff)  # filtered out by the status group
    make_request(make_partner(), Status.SUBMITTED, staff)  # someone else's
    response = as_user(app, partner).get("/cabinet/requests/export.xlsx?status=accepted")
    assert "/cabinet/exports/" in response.headers["Location"]
    task = db.session.get(ExportTask, queued[0])
    assert task.params["filters"] == {"status": "accepted"} and task.params["locale"] == "ru"
    rows = run_like_a_worker(app, monkeypatch, task.id)
    assert rows[0][:3] == ["Номер", "Создана", "Статус"]
    assert [row[0] for row in rows[1:]] == [mine.number]


def test_engineer_list_export_job_holds_only_the_engineers_rows(app, queued, monkeypatch):
    staff, other = Staff(), Staff()
    partner = make_partner()
    own = [make_request(partner, Status.SCHEDULED, staff) for _ in range(2)]
    make_request(partner, Status.SCHEDULED, other)  # another engineer's request
    make_request(partner, Status.IN_PROGRESS, staff)  # filtered out by status
    client = as_user(app, staff.engineer)
    with client.session_transaction() as session:
        session["locale"] = "en"
    client.get("/requests/export?_flt_0_status=scheduled"
               "&_oc_RequestStaffView=number&_od_RequestStaffView=desc")
    task = db.session.get(ExportTask, queued[0])
    assert task.params["filters"] == [["status", 0, ["scheduled"]]]
    assert task.params["order"] == ["number", "desc"] and task.params["locale"] == "en"
    rows = run_like_a_worker(app, monkeypatch, task.id)
    assert rows[0][0] == "Number"
    assert [row[0] for row in rows[1:]] == sorted((r.number for r in own), reverse=True)


def test_director_report_job_runs_without_a_request(app, queued, monkeypatch):
    staff = Staff()
    done = make_request(make_partner(), Status.CLOSED, staff)
    director = as_user(app, make_user("Director"))
    director.post("/reports/run", data={"csrf_token": form_token(director),
                                        "report": "register", "from": "2000-01-01",
                                        "to": "2100-01-01"})
    rows = run_like_a_worker(app, monkeypatch, queued[0])
    assert [row[0] for row in rows[1:]] == [done.number]


def _run_report(client, report: str, start: str, end: str):
    return client.post("/reports/run", data={"csrf_token": form_token(client), "report": report,
                                             "from": start, "to": end})


def test_a_reversed_period_is_refused_with_the_dates_kept(app, queued):
    director = as_user(app, make_user("Director"))
    response = _run_report(director, "payments", "2026-03-10", "2026-03-01")
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"  # no file, and nothing queued or stored
    assert queued == [] and db.session.query(ExportTask).count() == 0
    assert "Начало периода (10.03.2026) позже его конца (01.03.2026)" in html
    assert 'value="2026-03-10"' in html and 'value="2026-03-01"' in html  # as typed
    assert '<option value="payments" selected>' in html
    one_day = _run_report(director, "payments", "2026-03-10", "2026-03-10")  # start = end
    assert one_day.mimetype == XLSX  # a period of one day is exported


def test_a_reversed_period_sends_no_empty_file_inline_either(app):
    director = as_user(app, make_user("Director"))
    refused = _run_report(director, "register", "2026-03-10", "2026-03-09")
    assert refused.mimetype == "text/html"
    assert "позже его конца" in refused.get_data(as_text=True)
    sent = _run_report(director, "register", "2026-03-09", "2026-03-10")
    assert sent.mimetype == XLSX


def test_a_date_that_is_no_date_keeps_the_form_as_typed(app, queued):
    """30 February or no date: the form again with the report and dates typed (it
    redirected to an empty form)."""
    director = as_user(app, make_user("Director"))
    response = _run_report(director, "register", "2026-02-30", "2026-03-17")
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "Начало периода: «2026-02-30» — такого дня в календаре нет" in html
    assert 'value="2026-02-30"' in html and 'value="2026-03-17"' in html
    assert '<option value="register" selected>' in html
    assert queued == [] and db.session.query(ExportTask).count() == 0
    # a reload opens the form (/reports/run is POST-only: its GET would be a 405)
    assert '<meta name="replan-page-url" content="/reports/" data-form="/reports/run">' in html


@pytest.mark.parametrize("changes, message", [
    ({"report": "nope"}, "Choose a report."),
    ({"to": ""}, "End of the period: choose a day."),
    ({"to": "17.03.2026x"}, "End of the period: “17.03.2026x” is not a day of the calendar"),
], ids=["report", "empty-day", "not-a-day"])
def test_each_refused_report_field_is_named_in_the_readers_language(app, queued, changes,
                                                                      message):
    director = as_user(app, make_user("Director", locale="en"))
    director.get("/lang/en")
    fields = {"report": "register", "from": "2026-03-01", "to": "2026-03-17", **changes}
    html = _run_report(director, fields["report"], fields["from"], fields["to"]) \
        .get_data(as_text=True)
    assert message in html.replace("&#34;", '"')
    assert queued == [] and db.session.query(ExportTask).count() == 0
