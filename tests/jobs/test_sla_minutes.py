"""Issue 12 point 4: SLA thresholds in minutes per status and per service (the tightest
applies), with fixed clocks; the admin's page for per-service thresholds; migration 0011
carries stored hours over as minutes."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.extensions import db
from app.periodic import send_sla_reminders
from app.settings import get_setting, set_setting
from app.sla import duration_text, overdue_clause, set_service_sla, threshold_minutes
from models.audit import AuditEvent
from models.base import utcnow
from models.notifications import Notification
from models.request_status import Status
from models.requests import Request, RequestService
from models.texts import ServiceSla
from tests.factories import (as_user, make_partner, make_request, make_service,
                             make_user, post)
from tests.unit.test_migrations import database_at, flask



def _alerts() -> int:
    return db.session.query(Notification).filter_by(kind="sla").count()


def _submitted_at(staff, moment):
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    req.status_changed_at = moment
    db.session.commit()
    return req


def test_twenty_minutes_per_service_fires_after_twenty_minutes_not_before(app, staff):
    start = utcnow().replace(microsecond=0)
    req = _submitted_at(staff, start)
    service_id = req.lines[0].service_id
    admin = make_user("Admin")
    set_service_sla(admin, service_id, "assigned", 20)
    db.session.commit()
    assert threshold_minutes(req) == 20  # tighter than the status's 1440
    assert send_sla_reminders(now=start + timedelta(minutes=19, seconds=59)) == 0
    assert _alerts() == 0
    assert send_sla_reminders(now=start + timedelta(minutes=20, seconds=1)) == 1
    notes = db.session.query(Notification).filter_by(kind="sla").all()
    assert {n.user_id for n in notes} == {staff.manager.id, staff.supermanager.id}
    assert all(duration_text(20) in n.text for n in notes)  # "20 мин" once translated
    assert send_sla_reminders(now=start + timedelta(minutes=40)) == 0  # once per breach
    overdue = db.session.query(Request.id).filter(
        overdue_clause(start + timedelta(minutes=21))).all()
    assert overdue == [(req.id,)]
    assert db.session.query(Request.id).filter(
        overdue_clause(start + timedelta(minutes=19))).all() == []


def test_the_tightest_threshold_of_several_services_applies(app, staff):
    start = utcnow().replace(microsecond=0)
    req = _submitted_at(staff, start)
    other = make_service("vin", base_rub=1000)
    db.session.add(RequestService(request_id=req.id, service_id=other.id, title="VIN",
                                  price_kopecks=0))
    db.session.add_all([ServiceSla(service_id=req.lines[0].service_id, status="assigned",
                                   minutes=90),
                        ServiceSla(service_id=other.id, status="assigned", minutes=30),
                        ServiceSla(service_id=other.id, status="ready", minutes=5)])
    db.session.commit()
    db.session.refresh(req)
    assert threshold_minutes(req) == 30
    assert send_sla_reminders(now=start + timedelta(minutes=29)) == 0
    assert send_sla_reminders(now=start + timedelta(minutes=31)) == 1


def test_the_status_threshold_is_in_minutes_too(app, staff):
    start = utcnow().replace(microsecond=0)
    set_setting("sla_minutes", {**get_setting("sla_minutes"), "assigned": 45})
    db.session.commit()
    req = _submitted_at(staff, start)
    assert threshold_minutes(req) == 45
    assert send_sla_reminders(now=start + timedelta(minutes=44)) == 0
    assert send_sla_reminders(now=start + timedelta(minutes=46)) == 1


def test_the_desk_marks_a_request_overdue_by_its_service_threshold(app, staff):
    req = _submitted_at(staff, utcnow() - timedelta(minutes=25))
    desk = as_user(app, staff.manager)
    assert "label-danger" not in desk.get("/desk/").get_data(as_text=True)
    db.session.add(ServiceSla(service_id=req.lines[0].service_id, status="assigned",
                              minutes=20))
    db.session.commit()
    assert "label-danger" in desk.get("/desk/").get_data(as_text=True)


def test_admin_sets_and_removes_a_service_threshold(app):
    service = make_service("car")
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    post(admin, "/sla-by-service/", {"service_id": str(service.id), "status": "submitted",
                                     "minutes": "20"})
    row = db.session.query(ServiceSla).one()
    assert (row.service_id, row.status, row.minutes) == (service.id, "submitted", 20)
    assert db.session.query(AuditEvent).filter_by(action="service_sla_update").count() == 1
    assert "20" in admin.get("/sla-by-service/").get_data(as_text=True)
    for bad in ({"minutes": "0"}, {"minutes": "abc"}, {"minutes": str(10 ** 12)},
                {"minutes": "2.5"}, {"status": "draft"}, {"status": "nope"},
                {"service_id": "999999"}, {"service_id": "x"}):
        data = {"service_id": str(service.id), "status": "ready", "minutes": "30", **bad}
        response = post(admin, "/sla-by-service/", data)
        assert response.status_code == 200, bad
        assert "ничего не сохранено" in response.get_data(as_text=True), bad
    assert post(admin, "/sla-by-service/", {"service_id": str(service.id), "status": "ready",
                                            "minutes": "20\x00"}).status_code == 400
    assert db.session.query(ServiceSla).count() == 1
    post(admin, f"/sla-by-service/{row.id}/delete", {})
    assert db.session.query(ServiceSla).count() == 0


@pytest.mark.parametrize("role", ["Director", "Supermanager", "Manager", "Engineer"])
def test_only_the_admin_sets_service_thresholds(app, role):
    service = make_service("car")
    db.session.add(ServiceSla(service_id=service.id, status="assigned", minutes=60))
    db.session.commit()
    row_id = db.session.query(ServiceSla.id).scalar()
    for client in (as_user(app, make_user(role)), as_user(app, make_partner()),
                   app.test_client()):
        post(client, "/sla-by-service/", {"service_id": str(service.id),
                                          "status": "submitted", "minutes": "5"})
        post(client, f"/sla-by-service/{row_id}/delete", {})
    rows = db.session.query(ServiceSla.status, ServiceSla.minutes).all()
    assert rows == [("assigned", 60)]


def test_migration_0011_turns_stored_hours_into_minutes_and_back(make_app):
    with database_at(make_app, "0007_working_together") as (fresh, engine):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO setting (key, value) VALUES ('sla_hours', :v)"),
                         {"v": json.dumps({"submitted": 4, "assigned": 0.5, "ready": 48})})
        done = flask(fresh, "db", "upgrade", "0011_admin_texts")
        assert done.exit_code == 0, done.output
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT key, value FROM setting")).all())
        value = rows["sla_minutes"]
        value = json.loads(value) if isinstance(value, str) else value
        assert value == {"submitted": 240, "assigned": 30, "ready": 2880}
        assert "sla_hours" not in rows
        down = flask(fresh, "db", "downgrade", "0007_working_together")
        assert down.exit_code == 0, down.output
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT key, value FROM setting")).all())
        value = rows["sla_hours"]
        value = json.loads(value) if isinstance(value, str) else value
        assert value == {"submitted": 4, "assigned": 1, "ready": 48}
