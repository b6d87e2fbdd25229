"""The two request pages (desk and cabinet) run as many SQL statements for a request with 2
messages, notes, files, history rows, visits and payments as for one with 20 of each, every
row by a different person: the rows are eager-loaded, nothing is loaded a row at a time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.permissions import ENGINEER, MANAGER
from models.finance import Payment
from models.request_status import Action, Status
from models.requests import (ATTACH_INPUT, ATTACH_MESSAGE, Attachment, Message, Request,
                             StatusChange)
from models.schedule import ENTRY_VISIT, ScheduleEntry
from tests.factories import Staff, as_user, make_partner, make_request, make_user, statements

MANY = 20


def add_rows(req, partner, people: list, engineers: list, count: int) -> None:
    """`count` of each kind of row on the request, each by another person."""
    start = datetime.now().replace(microsecond=0) + timedelta(days=40)
    for k in range(count):
        person, engineer = people[k], engineers[k]
        note = Message(request_id=req.id, author_id=person.id, body=f"Note {k}",
                       is_internal=True)
        said = Message(request_id=req.id, author_id=person.id, body=f"Question {k}")
        answer = Message(request_id=req.id, author_id=partner.id, body=f"Answer {k}")
        db.session.add_all([note, said, answer])
        db.session.flush()
        for kind, message in ((ATTACH_MESSAGE, said), (ATTACH_INPUT, None), ("work", None)):
            db.session.add(Attachment(
                request_id=req.id, message_id=message.id if message else None,
                uploaded_by_id=person.id, kind=kind, original_name=f"{kind}-{k}.pdf",
                stored_name=f"{req.id}-{kind}-{k}", content_type="application/pdf", size=10,
                sha256="0" * 64))
        db.session.add_all([
            StatusChange(request_id=req.id, actor_id=person.id, action=Action.ASK_INFO,
                         from_status=Status.SCHEDULED, to_status=Status.NEEDS_INFO,
                         comment=f"Question {k}"),
            StatusChange(request_id=req.id, actor_id=partner.id, action=Action.ANSWER,
                         from_status=Status.NEEDS_INFO, to_status=Status.SCHEDULED,
                         comment=f"Answer {k}"),
            ScheduleEntry(engineer_id=engineer.id, request_id=req.id, kind=ENTRY_VISIT,
                          starts_at=start + timedelta(days=k),
                          ends_at=start + timedelta(days=k, hours=1)),
            Payment(request_id=req.id, amount_kopecks=100, paid_on=date.today(),
                    document=f"PP-{k}", created_by_id=person.id,
                    voided_at=datetime.now() if k % 2 else None,
                    voided_by_id=person.id if k % 2 else None,
                    void_reason="wrong" if k % 2 else None)])
    db.session.commit()


def build_world() -> dict:
    partner = make_partner()
    staff = Staff()
    people = [make_user(MANAGER) for _k in range(MANY)]
    engineers = [make_user(ENGINEER) for _k in range(MANY)]
    few, many = (make_request(partner, Status.SCHEDULED, staff) for _k in range(2))
    add_rows(few, partner, people, engineers, 2)
    add_rows(many, partner, people, engineers, MANY)
    return {"few": few.id, "many": many.id,
            "readers": {"supermanager": staff.supermanager.id, "manager": staff.manager.id,
                        "engineer": staff.engineer.id, "partner": partner.id}}


@pytest.fixture
def world(app, snapshot):
    """Built once per run (conftest.snapshot)."""
    ids = snapshot("request-page-rows", build_world)
    readers = {who: db.session.get(User, i) for who, i in ids["readers"].items()}
    return {"few": db.session.get(Request, ids["few"]),
            "many": db.session.get(Request, ids["many"]),
            "clients": {who: as_user(app, user) for who, user in readers.items()}}


def count(client, url: str, expect: str) -> int:
    client.get(url)  # warm: caches filled once per process are not the page's cost
    db.session.expire_all()
    with statements() as seen:
        answer = client.get(url)
    assert answer.status_code == 200, url
    assert expect in answer.get_data(as_text=True)  # the rows are on the page
    return len(seen)


@pytest.mark.parametrize("who", ["supermanager", "manager", "engineer", "partner"])
def test_request_page_statements_do_not_grow_with_its_rows(world, who):
    client = world["clients"][who]
    page = "/cabinet/requests/{}" if who == "partner" else "/desk/{}"
    shown = "Note 1" if who != "partner" else "Answer 1"  # notes: staff; thread: partner
    count(client, page.format(world["few"].id), shown)  # warm: the shared caches fill
    few = count(client, page.format(world["few"].id), shown)
    many = count(client, page.format(world["many"].id), shown.replace("1", "19"))
    assert many == few, (who, few, many)
