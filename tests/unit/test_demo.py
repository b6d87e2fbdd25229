"""`flask replan demo` builds a realistic bureau once and refuses production."""

from datetime import timedelta

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func

from app.demo import DEMO_USERS, DemoRefused, load_demo
from app.extensions import db
from models import (Message, Payment, PartnerCompany, Request, ScheduleEntry, Service,
                    StatusChange)
from models.request_status import Status
from models.requests import Attachment
from reports import queries


def counts():
    return {model.__name__: db.session.query(func.count()).select_from(model).scalar()
            for model in (User, PartnerCompany, Request, StatusChange, Message, Payment,
                          ScheduleEntry, Service)}


def test_demo_cli_loads_a_complete_demo_once_and_prints_the_logins(app):
    result = app.test_cli_runner().invoke(args=["replan", "demo"])
    assert result.exit_code == 0, result.output
    assert "partner1b" in result.output and "replan-demo-2026" in result.output
    assert "engineer1" in result.output and "expert1" not in result.output  # default profile
    first = counts()
    assert first["User"] == len(DEMO_USERS) == 11
    assert first["PartnerCompany"] == 2
    assert 55 <= first["Request"] <= 70
    statuses = {s for (s,) in db.session.query(Request.status).distinct()}
    assert statuses == {s.value for s in Status}
    for model in ("StatusChange", "Message", "Payment", "ScheduleEntry", "Service"):
        assert first[model] > 0, model
    # every non-draft request has a history that ends in its current status
    for req in db.session.query(Request).filter(Request.status != Status.DRAFT):
        assert req.history and sorted(req.history, key=lambda h: h.id)[-1].to_status == \
            req.status
    assert load_demo() is False  # idempotent: a second run adds nothing
    assert counts() == first


def test_demo_refused_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with pytest.raises(DemoRefused):
        load_demo()
    assert db.session.query(User).count() == 0


def test_the_demo_dashboard_shows_the_hours_its_history_holds(demo):
    """The demo's history is spread over months after it is written: the rollups the
    director's chart reads must hold those hours, not the seconds between the writes."""
    start, end = queries.default_period()
    start = start - timedelta(days=365)
    kept = queries.average_hours_in_status(start, end)
    assert kept == queries.average_hours_in_status_from_history(start, end)
    assert kept["submitted"] > 1 and kept["in_progress"] > 1


def test_the_demo_is_believable_no_payment_tomorrow_no_partner_with_the_bureaus_inn(demo):
    """A payment was dated tomorrow (the form refuses future dates) and a partner company
    had the bureau's own INN (its invoices showed the buyer as the seller)."""
    from app.settings import get_setting
    from app.timefmt import local_today

    assert max(p.paid_on for p in db.session.query(Payment)) <= local_today()
    bureau = get_setting("bureau")["inn"]
    assert bureau not in {c.inn for c in db.session.query(PartnerCompany)}
    work = {a.request_id for a in db.session.query(Attachment).filter_by(kind="work")}
    reviewed = {c.request_id for c in db.session.query(StatusChange).filter_by(
        action="submit_review")}
    assert reviewed and reviewed <= work  # every review came with the work
