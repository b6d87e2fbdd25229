"""Approval steps (app.approvals): order, role, gate, rounds, rejections, history, notices."""

from datetime import date
from decimal import Decimal

import pytest

from app.approvals import (ApprovalPending, board, can_decide, check_gate, current_round,
                           current_step, decide, pending_steps, steps_of)
from app.errors import Conflict, InvalidInput, NotFound, Refused
from app.extensions import db
from app.intake import create_draft
from app.payments import mark_payment
from app.pricing import amount_payable
from app.workflow import transition
from models.approvals import GATE_ACCEPT, GATE_DELIVER, ApprovalStep, RequestApproval
from models.audit import AuditEvent
from models.notifications import Notification
from models.request_status import Action, Status
from tests.factories import (add_package, make_partner, make_request, make_service,
                             make_user)


def ids(steps) -> list[int]:
    """Steps by id: the page's steps are plain copies kept per process (app.shared_cache)."""
    return [step.id for step in steps]


def add_step(title, role, position=1, gate=GATE_ACCEPT, service=None, active=True):
    step = ApprovalStep(service_id=(service or make_service()).id, position=position,
                        title=title, title_en=f"{title} (en)", role_name=role, gate=gate,
                        is_active=active)
    db.session.add(step)
    db.session.commit()
    return step


def decisions(req):
    return db.session.query(RequestApproval).filter_by(request_id=req.id) \
        .order_by(RequestApproval.id).all()


def notes(user, kind="approval"):
    return [n.text for n in db.session.query(Notification).filter_by(user_id=user.id,
                                                                     kind=kind)]


@pytest.fixture
def two_steps(app):
    """Chief engineer's check (a director) then the lawyer (a supermanager), before acceptance."""
    chief = add_step("Проверка главным инженером", "Director", position=1)
    lawyer = add_step("Согласование с юристом", "Supermanager", position=2)
    return chief, lawyer


def test_steps_are_ordered_accept_gate_first_then_service_line_then_position(partner):
    first, second = make_service("first"), make_service("second")
    late = add_step("Перед выдачей", "Director", 1, GATE_DELIVER, first)
    b2 = add_step("Второй услуги, 2", "Director", 2, service=second)
    b1 = add_step("Второй услуги, 1", "Manager", 1, service=second)
    a5 = add_step("Первой услуги, 5", "Supermanager", 5, service=first)
    add_step("Выключен", "Director", 0, service=first, active=False)
    add_step("Чужой услуги", "Director", 0, service=make_service("other"))
    req = create_draft(partner, partner.profile.partner_company, [first.id, second.id],
                       object_address="Москва", object_type="apartment", area=Decimal(50),
                       urgency="normal")
    db.session.commit()
    assert ids(steps_of(req)) == ids([a5, b1, b2, late])


def test_later_step_cannot_be_decided_before_the_earlier_one(app, staff, partner, two_steps):
    chief, lawyer = two_steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    version = req.version
    assert not can_decide(staff.supermanager, req, lawyer)
    with pytest.raises(Refused, match="Проверка главным инженером"):
        decide(staff.supermanager, req, lawyer.id, True, "ok")
    db.session.rollback()
    assert decisions(req) == [] and req.version == version
    assert current_step(req).id == chief.id


def test_only_the_steps_role_decides(app, staff, partner, two_steps):
    """The chief engineer's step is a director's: everyone else is refused, nothing stored."""
    chief, _ = two_steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    member = make_partner(partner.profile.partner_company, owner=False)
    others = {"admin": make_user("Admin"), "supermanager": staff.supermanager,
              "manager": staff.manager, "engineer": staff.engineer, "partner": partner,
              "member": member, "anonymous": None}
    wrong = []
    for who, user in others.items():
        if can_decide(user, req, chief):
            wrong.append((who, "may decide"))
        try:
            decide(user, req, chief.id, True, "ok")
            wrong.append((who, "not refused"))
        except Refused as error:
            if "Руководитель" not in str(error):  # the role by its translated name
                wrong.append((who, str(error)))
        db.session.rollback()
    assert wrong == [] and decisions(req) == []
    director = make_user("Director")
    assert can_decide(director, req, chief)
    decide(director, req, chief.id, True, "Проверено")
    db.session.commit()
    assert [(d.step_id, d.decision, d.actor_id, d.round, d.comment) for d in decisions(req)] \
        == [(chief.id, "approved", director.id, 1, "Проверено")]


def test_a_manager_step_is_the_requests_own_manager(app, staff, partner):
    step = add_step("Проверка менеджером", "Manager")
    req = make_request(partner, Status.ON_REVIEW, staff)
    stranger = make_user("Manager")  # another manager does not see the request
    assert not can_decide(stranger, req, step) and can_decide(staff.manager, req, step)


def test_accept_waits_until_every_accept_step_is_approved(app, staff, partner, two_steps):
    chief, lawyer = two_steps
    req = make_request(partner, Status.ON_REVIEW, staff)
    with pytest.raises(ApprovalPending, match="Проверка главным инженером"):
        transition(req, Action.ACCEPT, staff.manager)
    db.session.rollback()
    assert req.status == Status.ON_REVIEW
    decide(make_user("Director"), req, chief.id, True)
    db.session.commit()
    with pytest.raises(ApprovalPending, match="Согласование с юристом"):
        transition(req, Action.ACCEPT, staff.manager)
    db.session.rollback()
    decide(staff.supermanager, req, lawyer.id, True)
    db.session.commit()
    assert board(req, staff.manager).waiting is None
    transition(req, Action.ACCEPT, staff.manager)
    db.session.commit()
    assert req.status == Status.READY and pending_steps(req) == []


def test_a_deliver_step_lets_the_work_be_accepted_but_holds_the_delivery(app, staff, partner):
    step = add_step("Согласование с юристом перед выдачей", "Supermanager", gate=GATE_DELIVER)
    req = make_request(partner, Status.READY, staff)  # accepted: the gate is delivery only
    mark_payment(req, amount_payable(req.total_kopecks), date.today(), "PP-1",
                 staff.supermanager)
    add_package(req, staff.manager)
    db.session.commit()
    with pytest.raises(ApprovalPending, match="перед выдачей"):
        transition(req, Action.DELIVER, staff.manager)
    db.session.rollback()
    assert req.status == Status.READY
    decide(staff.supermanager, req, step.id, True, "Можно выдавать")
    db.session.commit()
    transition(req, Action.DELIVER, staff.manager)
    db.session.commit()
    assert req.status == Status.DELIVERED
    add_step("Добавлен после выдачи", "Director", 2, GATE_DELIVER)
    assert ids(s.step for s in board(req, staff.manager).steps) == [step.id]  # not "waiting"
    # decided only while the work is on review or ready
    with pytest.raises(Refused):
        decide(staff.supermanager, req, step.id, True)


def test_steps_are_decided_only_while_the_work_is_on_review_or_ready(app, staff, partner,
                                                                    two_steps):
    chief, _ = two_steps
    director = make_user("Director")
    for status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.REWORK):
        req = make_request(partner, status, staff)
        assert not can_decide(director, req, chief)
        with pytest.raises(Refused, match="на проверке|on review"):
            decide(director, req, chief.id, True)
        db.session.rollback()
        assert decisions(req) == []


def test_check_gate_asks_only_the_gated_moves(app, staff, partner):
    add_step("Перед выдачей", "Director", gate=GATE_DELIVER)
    req = make_request(partner, Status.ON_REVIEW, staff)
    check_gate(req, Action.ACCEPT)  # a delivery step does not hold acceptance
    check_gate(req, Action.RETURN)
    with pytest.raises(ApprovalPending):
        check_gate(req, Action.DELIVER)


def test_a_rejection_tells_the_manager_and_a_rework_starts_a_new_round(app, staff, partner,
                                                                       two_steps):
    chief, lawyer = two_steps
    director = make_user("Director")
    req = make_request(partner, Status.ON_REVIEW, staff)
    with pytest.raises(InvalidInput):  # a rejection says why
        decide(director, req, chief.id, False, "  ")
    db.session.rollback()
    decide(director, req, chief.id, False, "Нет расчёта нагрузок")
    db.session.commit()
    assert any("Нет расчёта нагрузок" in text for text in notes(staff.manager))
    assert current_step(req).id == chief.id  # still open: rejected, not approved
    transition(req, Action.RETURN, staff.manager, "Добавьте расчёт")
    transition(req, Action.SUBMIT_REVIEW, staff.engineer)
    db.session.commit()
    assert current_round(req) == 2
    decide(director, req, chief.id, True, "Теперь верно")
    decide(staff.supermanager, req, lawyer.id, True)
    db.session.commit()
    transition(req, Action.RETURN, staff.manager, "Ещё одна правка")
    transition(req, Action.SUBMIT_REVIEW, staff.engineer)
    db.session.commit()
    # round 3: the approvals of round 2 no longer count
    assert current_round(req) == 3 and ids(pending_steps(req)) == ids([chief, lawyer])
    with pytest.raises(ApprovalPending):
        transition(req, Action.ACCEPT, staff.manager)
    db.session.rollback()
    assert [(d.round, d.decision) for d in decisions(req)] == [
        (1, "rejected"), (2, "approved"), (2, "approved")]
    entries = board(req, staff.manager).history
    assert [e.comment for e in entries][:2] == ["Нет расчёта нагрузок", "Теперь верно"]


def test_decisions_are_audited_and_the_next_approver_is_told(app, staff, partner, two_steps):
    chief, lawyer = two_steps
    director, other_chief = make_user("Director"), make_user("Supermanager")
    req = make_request(partner, Status.ON_REVIEW, staff)
    # submitted for review: the first step's role hears of it, nobody else
    assert len(notes(director)) == 1 and "Проверка главным инженером" in notes(director)[0]
    assert notes(staff.supermanager) == [] and notes(staff.manager) == []
    decide(director, req, chief.id, True, "ok")
    db.session.commit()
    for user in (staff.supermanager, other_chief):
        assert any("Согласование с юристом" in text for text in notes(user))
    decide(staff.supermanager, req, lawyer.id, True)
    db.session.commit()
    assert len(notes(staff.manager)) == 1  # every step approved: the manager may accept
    events = db.session.query(AuditEvent).filter_by(action="approval_decided") \
        .order_by(AuditEvent.id).all()
    assert [(e.actor_id, e.object_id, e.details["step_id"], e.details["decision"])
            for e in events] == [(director.id, req.id, chief.id, "approved"),
                                 (staff.supermanager.id, req.id, lawyer.id, "approved")]


def test_a_stale_version_is_a_conflict_and_nothing_is_kept(app, staff, partner, two_steps):
    chief, _ = two_steps
    director = make_user("Director")
    req = make_request(partner, Status.ON_REVIEW, staff)
    version = req.version
    decide(director, req, chief.id, True, expected_version=version)
    db.session.commit()
    assert req.version == version + 1  # a decision changes the request's version
    with pytest.raises(Conflict):
        decide(director, req, chief.id, False, "поздно", expected_version=version)
    db.session.rollback()
    assert len(decisions(req)) == 1


def test_bad_input_changes_nothing(app, staff, partner, two_steps):
    chief, _ = two_steps
    director = make_user("Director")
    req = make_request(partner, Status.ON_REVIEW, staff)
    foreign = add_step("Другой услуги", "Director", service=make_service("foreign"))
    cases = [(chief.id, "a\x00b", InvalidInput), (chief.id, "x" * 2001, InvalidInput),
             (999_999, "ok", NotFound), (foreign.id, "ok", NotFound)]
    wrong = []
    for step_id, comment, error in cases:
        try:
            decide(director, req, step_id, True, comment)
            wrong.append((step_id, "not refused"))
        except error:
            pass
        db.session.rollback()
    assert wrong == [] and decisions(req) == []


def test_no_steps_no_block(app, staff, partner):
    req = make_request(partner, Status.READY, staff)
    assert steps_of(req) == [] and not board(req, staff.manager)
    add_package(req, staff.manager)
    check_gate(req, Action.DELIVER)
