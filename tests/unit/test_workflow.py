"""The workflow is the only writer of status: allowed moves, refusals, history, conflicts."""

import pytest
from sqlalchemy.orm import Session

from app.extensions import db
from app.uow import unit_of_work
from app.permissions import ENGINEER, MANAGER
from app.settings import set_setting
from app.workflow import (ConflictError, IllegalTransition, NotAllowed, WorkflowError,
                          assign_manager, available_moves, transition)
from models.notifications import Notification
from models.request_status import Action, Status
from models.requests import Request, StatusChange
from tests.factories import add_package, make_partner, make_request, make_user




def history(req):
    return db.session.query(StatusChange).filter_by(request_id=req.id) \
        .order_by(StatusChange.id).all()


def test_full_path_records_every_move_with_actor(staff, partner):
    req = make_request(partner, Status.CLOSED, staff)
    moves = [(h.action, h.from_status, h.to_status, h.actor_id) for h in history(req)]
    assert moves == [
        ("submit", "draft", "submitted", partner.id),
        ("assign", "submitted", "assigned", staff.supermanager.id),
        ("schedule", "assigned", "scheduled", staff.manager.id),
        ("start", "scheduled", "in_progress", staff.engineer.id),
        ("submit_review", "in_progress", "on_review", staff.engineer.id),
        ("accept", "on_review", "ready", staff.manager.id),
        ("deliver", "ready", "delivered", staff.manager.id),
        ("close", "delivered", "closed", partner.id),
    ]
    assert req.manager_id == staff.manager.id and req.engineer_id == staff.engineer.id


SIDE_MOVES = [
    (Status.SUBMITTED, "cancel", "partner", Status.CANCELLED),
    (Status.ASSIGNED, "ask_info", "manager", Status.NEEDS_INFO),
    (Status.NEEDS_INFO, "answer", "partner", Status.ASSIGNED),
    (Status.ASSIGNED, "cancel", "manager", Status.CANCELLED),
    (Status.ON_REVIEW, "return", "manager", Status.REWORK),
    (Status.REWORK, "submit_review", "engineer", Status.ON_REVIEW),
    (Status.SCHEDULED, "reschedule", "manager", Status.SCHEDULED),
    (Status.DELIVERED, "close", "manager", Status.CLOSED),
    (Status.DELIVERED, "close", None, Status.CLOSED),  # the system (auto-close)
    (Status.ASSIGNED, "ask_info", "supermanager", Status.NEEDS_INFO),
]


def test_side_moves_by_the_right_actor(staff, partner):
    """Every case on one staff and partner (each on its own request); fails listing each
    (start, action, actor) refused, or moved elsewhere, or recorded wrongly."""
    wrong = []
    for start, action, actor_name, target in SIDE_MOVES:
        req = make_request(partner, start, staff)
        actor = {"partner": partner, "manager": staff.manager, "engineer": staff.engineer,
                 "supermanager": staff.supermanager, None: None}[actor_name]
        extra = {"engineer": staff.engineer} if action == "reschedule" else {}
        try:
            change = transition(req, action, actor, "a comment", **extra)
        except WorkflowError as exc:
            db.session.rollback()
            wrong.append((start, action, actor_name, repr(exc)))
            continue
        db.session.commit()
        got = (req.status, history(req)[-1].id == change.id, change.from_status,
               change.to_status, change.comment, change.actor_id)
        want = (target, True, start, target, "a comment", getattr(actor, "id", None))
        if got != want:
            wrong.append((start, action, actor_name, got, want))
    assert wrong == []


WRONG_ACTORS = [
    (Status.DRAFT, "submit", "other_partner"),
    (Status.DRAFT, "submit", "colleague_member"),
    (Status.DRAFT, "submit", "manager"),
    (Status.SUBMITTED, "assign", "manager"),
    (Status.SUBMITTED, "assign", "partner"),
    (Status.ASSIGNED, "ask_info", "other_manager"),
    (Status.ASSIGNED, "ask_info", "engineer"),
    (Status.ASSIGNED, "ask_info", "partner"),
    (Status.NEEDS_INFO, "answer", "manager"),
    (Status.NEEDS_INFO, "answer", "other_partner"),
    (Status.SCHEDULED, "start", "manager"),
    (Status.SCHEDULED, "start", "other_engineer"),
    (Status.IN_PROGRESS, "submit_review", "partner"),
    (Status.ON_REVIEW, "accept", "engineer"),
    (Status.ON_REVIEW, "accept", "other_manager"),
    (Status.READY, "deliver", "engineer"),
    (Status.DELIVERED, "close", "engineer"),
    (Status.DELIVERED, "close", "other_partner"),
]


def test_wrong_actor_is_refused_and_nothing_changes(staff, partner):
    """Every case on one staff and partner (each on its own request); fails listing each
    (start, action, who) not refused with NotAllowed naming the request, or changed."""
    wrong = []
    for start, action, who in WRONG_ACTORS:
        req = make_request(partner, start, staff)
        before = (req.status, req.version, len(history(req)))
        actor = {
            "partner": partner, "manager": staff.manager, "engineer": staff.engineer,
            "other_partner": make_partner(), "other_manager": make_user(MANAGER),
            "other_engineer": make_user(ENGINEER),
            "colleague_member": make_partner(company=partner.profile.partner_company,
                                             owner=False),
        }[who]
        extra = {"manager": staff.manager} if action == "assign" else {}
        try:
            transition(req, action, actor, "x", **extra)
            refusal = "not refused"
        except NotAllowed as exc:
            refusal = "ok" if req.number in str(exc) else f"no number: {exc}"
        db.session.rollback()
        db.session.refresh(req)
        after = (req.status, req.version, len(history(req)))
        if refusal != "ok" or after != before:
            wrong.append((start, action, who, refusal, before, after))
    assert wrong == []


def test_illegal_target_is_refused_with_a_clear_message(staff, partner):
    """Every case on one staff and partner (each on its own request); fails listing each
    (start, action) not refused with the Russian message, or changed."""
    wrong = []
    for start, action in [
            (Status.DRAFT, "accept"), (Status.SUBMITTED, "deliver"), (Status.ASSIGNED, "start"),
            (Status.CLOSED, "submit"), (Status.CANCELLED, "answer"), (Status.READY, "close")]:
        req = make_request(partner, start, staff)
        before = (req.status, len(history(req)))
        try:
            transition(req, action, staff.supermanager, "x")
            refusal = "not refused"
        except IllegalTransition as exc:
            refusal = "ok" if "невозможно" in str(exc) else str(exc)  # Russian by default
        after = (req.status, len(history(req)))
        if refusal != "ok" or after != before:
            wrong.append((start, action, refusal, before, after))
    assert wrong == []


def test_unknown_action(staff, partner):
    req = make_request(partner, Status.SUBMITTED, staff)
    with pytest.raises(IllegalTransition):
        transition(req, "teleport", partner)


def test_comment_required_for_data_request_and_return(staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    with pytest.raises(WorkflowError):
        transition(req, "ask_info", staff.manager, "   ")
    assert req.status == Status.ASSIGNED


def test_payment_before_delivery_rule(staff, partner):
    req = make_request(partner, Status.READY, staff)
    with pytest.raises(WorkflowError) as exc:
        transition(req, "deliver", staff.manager)
    assert "ещё не оплачена" in str(exc.value)
    # a part paid: the refusal says how much is left (it said "not paid" under "partly paid")
    from datetime import date
    from app.payments import mark_payment
    mark_payment(req, 100_050, date(2026, 1, 5), "п/п 1", make_user("Admin"))
    db.session.commit()
    with pytest.raises(WorkflowError) as exc:
        transition(req, "deliver", staff.manager)
    left = req.total_kopecks - 100_050
    assert f"оплачена не полностью: осталось оплатить {left // 100:,}".replace(",", "\xa0") \
        in str(exc.value)
    set_setting("payment_before_delivery", False)
    db.session.commit()
    with pytest.raises(WorkflowError) as exc:
        transition(req, "deliver", staff.manager)
    assert "пакет документов" in str(exc.value)
    add_package(req, staff.manager)
    transition(req, "deliver", staff.manager)
    assert req.status == Status.DELIVERED


def test_status_cannot_be_written_outside_the_workflow(staff, partner):
    req = make_request(partner, Status.SUBMITTED, staff)
    with pytest.raises(RuntimeError):
        req.status = Status.CLOSED


def test_stale_version_from_the_page_is_a_conflict(staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    seen_version = req.version
    transition(req, "ask_info", staff.manager, "need the BTI passport")
    db.session.commit()
    with pytest.raises(ConflictError):
        transition(req, "cancel", staff.supermanager, "dup", expected_version=seen_version)
    assert req.status == Status.NEEDS_INFO


def test_concurrent_moves_one_wins_the_other_gets_a_conflict(app, staff, partner):
    req = make_request(partner, Status.ON_REVIEW, staff)
    req_id = req.id
    db.session.commit()
    # a second staff member loaded the same request in another session
    other = Session(bind=db.engine)
    their_copy = other.get(Request, req_id)
    assert their_copy.status == Status.ON_REVIEW
    transition(req, "accept", staff.manager)  # first one wins
    db.session.commit()
    their_copy.cancel_reason = "racing"
    from models.requests import status_writer

    token = status_writer.set(True)
    try:
        their_copy.status = Status.REWORK
        other.add(StatusChange(request_id=req_id, action="return", from_status="on_review",
                               to_status="rework"))
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            other.commit()
    finally:
        status_writer.reset(token)
        other.rollback()
        other.close()
    db.session.expire_all()
    fresh = db.session.get(Request, req_id)
    assert fresh.status == Status.READY
    assert [h.action for h in history(fresh)][-1] == "accept"


def test_concurrent_move_through_the_workflow_raises_conflict(app, staff, partner):
    req = make_request(partner, Status.ON_REVIEW, staff)
    req_id = req.id
    version = req.version
    # someone else accepts in another session, bumping the version under our feet
    other = Session(bind=db.engine)
    from models.requests import status_writer

    theirs = other.get(Request, req_id)
    token = status_writer.set(True)
    theirs.status = Status.READY
    status_writer.reset(token)
    other.commit()
    other.close()
    assert req.version == version  # our copy is stale
    with pytest.raises(ConflictError) as exc, unit_of_work():
        transition(req, Action.RETURN, staff.manager, "redo")
    assert "обновите" in str(exc.value).lower()
    db.session.expire_all()
    assert db.session.get(Request, req_id).status == Status.READY
    assert not [h for h in history(db.session.get(Request, req_id)) if h.action == "return"]


def test_reassign_keeps_status_and_is_recorded(staff, partner):
    req = make_request(partner, Status.SCHEDULED, staff)
    second = make_user(MANAGER)
    assign_manager(req, second, staff.supermanager)
    db.session.commit()
    last = history(req)[-1]
    assert (last.action, last.from_status, last.to_status) == ("reassign", "scheduled",
                                                                 "scheduled")
    assert req.manager_id == second.id
    assert last.comment == second.get_full_name()  # by name, not the login
    assert db.session.query(Notification).filter_by(user_id=second.id).count() == 1
    with pytest.raises(NotAllowed):
        assign_manager(req, staff.manager, staff.manager)
    # to the manager it has: refused in words, no history row, no second notification
    with pytest.raises(WorkflowError, match="уже назначена"):
        assign_manager(req, second, staff.supermanager)
    db.session.rollback()
    assert history(req)[-1].id == last.id
    assert db.session.query(Notification).filter_by(user_id=second.id).count() == 1


def test_assign_refuses_non_managers(staff, partner):
    req = make_request(partner, Status.SUBMITTED, staff)
    with pytest.raises(WorkflowError):
        assign_manager(req, staff.engineer, staff.supermanager)
    assert req.status == Status.SUBMITTED


def test_available_moves_match_actor(staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    assert {m.action for m in available_moves(req, staff.manager)} == {
        "ask_info", "schedule", "cancel"}
    assert available_moves(req, partner) == []
    assert available_moves(req, staff.engineer) == []


def test_partner_is_notified_in_own_language(staff):
    partner = make_partner(locale="en")
    req = make_request(partner, Status.ASSIGNED, staff)
    transition(req, "ask_info", staff.manager, "send the plan")
    db.session.commit()
    texts = [n.text for n in db.session.query(Notification).filter_by(user_id=partner.id)]
    assert any("needs data from you" in t for t in texts)
    manager_texts = [n.text for n in
                     db.session.query(Notification).filter_by(user_id=staff.manager.id)]
    assert any("назначена вам" in t for t in manager_texts)


def test_owner_acts_on_members_request_member_not_on_owners(staff):
    owner = make_partner()
    member = make_partner(company=owner.profile.partner_company, owner=False)
    members_req = make_request(member, Status.SUBMITTED, staff)
    transition(members_req, "cancel", owner)
    assert members_req.status == Status.CANCELLED
    owners_req = make_request(owner, Status.DRAFT)
    with pytest.raises(NotAllowed):
        transition(owners_req, "submit", member)
