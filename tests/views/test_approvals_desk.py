"""Approval steps on the desk and in the back office: the block, the form, refusals, access."""

import re

import pytest

from app.extensions import db
from models.approvals import GATE_ACCEPT, ApprovalStep, RequestApproval
from models.audit import AuditEvent
from models.catalog import Service
from models.request_status import Status
from models.requests import Request
from tests.factories import (as_user, make_partner, make_request, make_service,
                             make_user, post)




@pytest.fixture
def steps(app):
    service = make_service()
    chief = ApprovalStep(service_id=service.id, position=1, title="Проверка главным инженером",
                         title_en="Chief engineer's check", role_name="Director",
                         gate=GATE_ACCEPT)
    lawyer = ApprovalStep(service_id=service.id, position=2, title="Согласование с юристом",
                          title_en="Lawyer's approval", role_name="Supermanager",
                          gate=GATE_ACCEPT)
    db.session.add_all([chief, lawyer])
    db.session.commit()
    return chief, lawyer


def decisions(req):
    return db.session.query(RequestApproval).filter_by(request_id=req.id).count()


def state(req):
    db.session.expire_all()
    found = db.session.get(Request, req.id)
    return found.status, found.version, decisions(req)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_block_shows_the_steps_and_the_form_only_to_the_approver(app, staff, partner,
                                                                     steps):
    req = make_request(partner, Status.ON_REVIEW, staff)
    director = make_user("Director")
    page = text(as_user(app, director).get(f"/desk/{req.id}"))
    assert "Согласования" in page and "Проверка главным инженером" in page
    assert page.count('data-testid="approval-form"') == 1
    waiting = re.search(r'data-testid="approvals-waiting">([^<]+)<', page).group(1)
    assert "Проверка главным инженером" in waiting  # what accepting the work waits for
    for user in (staff.manager, staff.supermanager, staff.engineer, make_user("Admin")):
        page = text(as_user(app, user).get(f"/desk/{req.id}"))
        assert "Согласование с юристом" in page and 'data-testid="approval-form"' not in page
    # partners never see the internal approvals
    cabinet = text(as_user(app, partner).get(f"/cabinet/requests/{req.id}"))
    assert req.number in cabinet and "Проверка главным инженером" not in cabinet


def test_approve_reject_and_history_on_the_page(app, staff, partner, steps):
    chief, lawyer = steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    director = as_user(app, make_user("Director"))
    page = text(post(director, f"/desk/{req.id}/approval/{chief.id}",
                     {"decision": "approve", "comment": "Расчёты верны",
                      "version": req.version}, follow=True))
    assert "Этап согласован" in page or "The step is approved" in page
    assert 'data-state="approved"' in page and "Расчёты верны" in page
    assert 'data-testid="approval-history"' in page
    chief_user = as_user(app, staff.supermanager)
    version = db.session.get(Request, req.id).version
    refused = text(post(chief_user, f"/desk/{req.id}/approval/{lawyer.id}",
                        {"decision": "reject", "comment": "", "version": version},
                        follow=True))
    assert "Say why the step is rejected" in refused or "Укажите, почему" in refused
    assert state(req)[2] == 1
    post(chief_user, f"/desk/{req.id}/approval/{lawyer.id}",
         {"decision": "reject", "comment": "Нет договора", "version": version})
    assert state(req)[2] == 2
    engineer_page = text(as_user(app, staff.engineer).get(f"/desk/{req.id}"))
    assert "Нет договора" in engineer_page and 'data-state="rejected"' in engineer_page


def test_accept_is_refused_with_the_pending_step_named(app, staff, partner, steps):
    req = make_request(partner, Status.ON_REVIEW, staff)
    before = state(req)
    page = text(post(as_user(app, staff.manager), f"/desk/{req.id}/move/accept",
                     {"version": req.version}, follow=True))
    assert "Проверка главным инженером" in page and "не пройден" in page or \
        "is not approved" in page
    assert state(req) == before and before[0] == Status.ON_REVIEW


def test_the_same_decision_posted_twice_conflicts_once(app, staff, partner, steps):
    chief, _ = steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    seen = req.version
    first, second = as_user(app, make_user("Director")), as_user(app, make_user("Director"))
    post(first, f"/desk/{req.id}/approval/{chief.id}", {"decision": "approve",
                                                        "version": seen})
    page = text(post(second, f"/desk/{req.id}/approval/{chief.id}",
                     {"decision": "reject", "comment": "нет", "version": seen}, follow=True))
    assert "изменил кто-то другой" in page
    assert state(req)[2] == 1


def test_bad_input_gives_a_message_and_changes_nothing(app, staff, partner, steps):
    chief, _ = steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    foreign = ApprovalStep(service_id=make_service("foreign").id, position=1, title="Чужой",
                           role_name="Director", gate=GATE_ACCEPT)
    db.session.add(foreign)
    db.session.commit()
    director = as_user(app, make_user("Director"))
    before = state(req)
    cases = [
        (chief.id, {"decision": "approve", "comment": "a\x00b"}, 400),
        (chief.id, {"decision": "maybe"}, 200),  # the page again, the refusal on it
        (chief.id, {"decision": "approve", "comment": "x" * 2001}, 200),
        (chief.id, {"decision": "approve", "version": "abc"}, 200),
        (chief.id, {"decision": "approve", "version": str(2**40)}, 200),
        (999_999, {"decision": "approve"}, 200),
        (foreign.id, {"decision": "approve"}, 200),
    ]
    wrong = []
    for step_id, data, code in cases:
        data.setdefault("version", req.version)
        response = post(director, f"/desk/{req.id}/approval/{step_id}", data)
        if response.status_code != code or state(req) != before:
            wrong.append((step_id, data.get("decision"), response.status_code))
    assert wrong == []
    flashed = text(response)  # the foreign step's refusal, shown on the page it renders
    assert "Этого этапа согласования нет в заявке" in flashed or \
        "This approval step is not part of the request" in flashed
    assert post(director, f"/desk/{req.id}/approval/{2**40}", {}).status_code == 404


def test_who_may_post_a_decision(app, staff, partner, steps):
    """Only a director decides the first step; every other role and anonymous change nothing;
    a manager outside the request gets 404."""
    chief, _ = steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    member = make_partner(partner.profile.partner_company, owner=False)
    url = f"/desk/{req.id}/approval/{chief.id}"
    wrong = []
    for who, user in [("admin", make_user("Admin")), ("supermanager", staff.supermanager),
                      ("manager", staff.manager), ("engineer", staff.engineer),
                      ("partner owner", partner), ("partner member", member)]:
        response = post(as_user(app, user), url, {"decision": "approve",
                                                  "version": req.version})
        # staff: the page again with the refusal; partners: the back office is closed (403)
        if who.startswith("partner"):
            refused = response.status_code == 403
        else:
            refused = response.status_code == 200 and req.number in text(response) and \
                "alert-danger" in text(response)
        if not refused or state(req)[2] != 0:
            wrong.append((who, response.status_code, response.headers.get("Location")))
    anonymous = app.test_client()
    response = post(anonymous, url, {"decision": "approve", "version": req.version})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    stranger = as_user(app, make_user("Manager"))
    assert post(stranger, url, {"decision": "approve"}).status_code == 404
    assert wrong == [] and state(req)[2] == 0
    post(as_user(app, make_user("Director")), url, {"decision": "approve",
                                                    "version": req.version})
    assert state(req)[2] == 1


def test_admin_edits_steps_in_the_back_office(app, staff):
    service = make_service()
    admin = as_user(app, make_user("Admin"))
    form = text(admin.get("/approval-steps/add"))
    assert "Кто согласует (роль)" in form or "Decided by (role)" in form
    assert "Руководитель" in form  # roles by their translated names
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    data = {"csrf_token": token, "service": service.id, "position": "1",
            "title": "Проверка главным инженером", "title_en": "Chief engineer's check",
            "role_name": "Director", "gate": "accept", "is_active": "y"}
    admin.post("/approval-steps/add", data={**data, "position": str(2**40)})
    admin.post("/approval-steps/add", data={**data, "role_name": "Partner"})
    admin.post("/approval-steps/add", data={**data, "gate": "never"})
    assert db.session.query(ApprovalStep).count() == 0
    admin.post("/approval-steps/add", data=data)
    step = db.session.query(ApprovalStep).one()
    assert (step.service_id, step.role_name, step.gate, step.is_active) == (
        service.id, "Director", "accept", True)
    assert db.session.query(AuditEvent).filter_by(action="record_created",
                                                  object_type="ApprovalStep").count() == 1
    listing = text(admin.get("/approval-steps/list/"))
    assert "Проверка главным инженером" in listing and "Руководитель" in listing
    assert "До приёмки работы" in listing or "Before accepting the work" in listing
    admin.post(f"/approval-steps/edit/{step.id}", data={**data, "is_active": ""})
    db.session.expire_all()
    assert db.session.get(ApprovalStep, step.id).is_active is False  # an untick is saved
    assert admin.get(f"/approval-steps/delete/{step.id}").status_code == 403  # switched off
    assert db.session.get(ApprovalStep, step.id) is not None
    assert db.session.get(Service, service.id) is not None


def test_only_the_admin_reaches_the_steps_screen(app, staff, partner):
    service = make_service()
    member = make_partner(partner.profile.partner_company, owner=False)
    wrong = []
    for who, user in [("director", make_user("Director")), ("supermanager", staff.supermanager),
                      ("manager", staff.manager), ("engineer", staff.engineer),
                      ("partner owner", partner), ("partner member", member)]:
        client = as_user(app, user)
        for url in ("/approval-steps/list/", "/approval-steps/add", "/approval-steps/show/1"):
            if client.get(url).status_code != 403:
                wrong.append((who, url))
        post(client, "/approval-steps/add", {"service": service.id, "position": "1",
                                             "title": "x", "role_name": "Director",
                                             "gate": "accept"})
    anonymous = app.test_client().get("/approval-steps/list/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    assert wrong == [] and db.session.query(ApprovalStep).count() == 0
    assert as_user(app, make_user("Admin")).get("/approval-steps/list/").status_code == 200


def test_a_decision_refused_for_a_concurrent_change_keeps_its_comment(app, staff, partner,
                                                                      steps):
    """The page comes back with the comment typed and the stored version: sent again as
    shown, the decision is stored (app.typed_input)."""
    chief, _ = steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    seen = req.version
    req.description = "уточнено"  # someone else changed the request meanwhile
    db.session.commit()
    director = as_user(app, make_user("Director"))
    url = f"/desk/{req.id}/approval/{chief.id}"
    page = text(post(director, url, {"decision": "approve", "comment": "Проверено, ок",
                                     "version": seen}, follow=True))
    assert "изменил кто-то другой" in page and state(req)[2] == 0
    form = page[page.index(f'action="{url}"'):]
    form = form[:form.index("</form>")]
    assert re.search(r'<textarea[^>]*name="comment"[^>]*>Проверено, ок</textarea>', form)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    assert fields["version"] == str(state(req)[1])
    director.post(url, data={**fields, "decision": "approve", "comment": "Проверено, ок"})
    assert state(req)[2] == 1
    decision = db.session.query(RequestApproval).filter_by(request_id=req.id).one()
    assert decision.comment == "Проверено, ок"
