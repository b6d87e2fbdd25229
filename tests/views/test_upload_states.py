"""Staff files only when the status allows them (the rule the desk shows is the rule enforced);
a stored request can never be written back to a draft."""

import pytest

from app.extensions import db
from models.request_status import Status
from models.requests import Attachment, Request
from tests.cabinet.filedata import PDF, upload
from tests.factories import Staff, as_user, make_partner, make_request, post

WORK_STATUSES = {Status.IN_PROGRESS, Status.REWORK}
PACKAGE_STATUSES = {Status.ON_REVIEW, Status.READY}


def attachments(req) -> int:
    return db.session.query(Attachment).filter_by(request_id=req.id).count()


def try_upload(client, req, kind) -> tuple[int, str]:
    """(files added by the post, the page shown after it)."""
    before = attachments(req)
    page = post(client, f"/desk/{req.id}/upload/{kind}", {"files": [upload(PDF, "f.pdf")]},
                content_type="multipart/form-data", follow=True)
    return attachments(req) - before, page.get_data(as_text=True)


@pytest.mark.parametrize("status", [s for s in Status if s != Status.DRAFT])
def test_staff_uploads_follow_the_status_rule_shown_on_the_desk(app, status_world, status):
    req = status_world.requests[status]
    engineer = as_user(app, status_world.users["engineer"])
    manager = as_user(app, status_world.users["manager"])
    engineer_desk = engineer.get(f"/desk/{req.id}")
    manager_page = manager.get(f"/desk/{req.id}")
    manager_desk = manager_page.get_data(as_text=True)
    added, page = try_upload(engineer, req, "work")
    assert added == (1 if status in WORK_STATUSES else 0), status
    assert (f"/desk/{req.id}/upload/work" in engineer_desk.get_data(as_text=True)) == (
        status in WORK_STATUSES)
    if status not in WORK_STATUSES and engineer_desk.status_code == 200:
        assert "Такие файлы сейчас нельзя добавить к заявке." in page
    added, page = try_upload(manager, req, "deliverable")
    assert added == (1 if status in PACKAGE_STATUSES else 0), status
    assert (f"/desk/{req.id}/upload/deliverable" in manager_desk) == (status in PACKAGE_STATUSES)
    if status not in PACKAGE_STATUSES and manager_page.status_code == 200:
        assert "Такие файлы сейчас нельзя добавить к заявке." in page
    assert try_upload(manager, req, "work")[0] == 0  # a manager adds no work files


def test_a_stored_request_cannot_be_turned_back_into_a_draft(app):
    req = make_request(make_partner(), Status.SUBMITTED, Staff())
    with pytest.raises(RuntimeError, match="only by app.workflow"):
        req.status = Status.DRAFT
    db.session.rollback()
    assert db.session.get(Request, req.id).status == Status.SUBMITTED
    with pytest.raises(RuntimeError, match="only by app.workflow"):
        Request(status=Status.DRAFT)  # no exception for drafts, not even unsaved ones
    # a new request is a draft by the column default alone (app.intake.create_draft)
    assert Request.__table__.c.status.default.arg == Status.DRAFT
