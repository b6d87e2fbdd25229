"""What every move of the transition table does, generated from the table.

tests/unit/test_transition_rules.py is the hand-written statement of who may move what; this
file makes each (move, source status, actor) of models.request_status.MOVES through
app.workflow.transition and checks everything the move writes: status, history row, the
move's own effect (manager, engineer, submission time, cancel reason, released package), the
"in status since" clock, audit and version; then the refusals (missing choice, missing
comment, stale page, unknown action) and the helpers available_moves / assign_manager.
Actions are passed as plain strings and as the enum alike.
"""

import itertools
from datetime import datetime

import pytest
from flask_appbuilder.security.sqla.models import User

from app.accounts import find_role
from app.extensions import db
from app.permissions import ENGINEER, MANAGER, SUPERMANAGER
from app.settings import set_setting
from app.workflow import (ConflictError, IllegalTransition, NotAllowed, WorkflowError,
                          actor_kinds, assign_manager, available_moves, conflict_message,
                          find_move, transition, waiting_reasons)
from models.audit import AuditEvent
from models.partners import PartnerCompany
from models.request_status import (MOVES, ONCE_ONLY, PARTNER_BUTTONS, STAFF_ACTORS,
                                   STAFF_BUTTONS, Action, Actor, Status, button_actions)
from models.requests import (ATTACH_DELIVERABLE, PAYMENT_PAID, Attachment, Request,
                             StatusChange, status_writer)
from tests.factories import add_package, add_work, make_company, make_partner, make_user

LONG_AGO = datetime(2020, 1, 1)
CASES = [(move, source, actor) for move in MOVES for source in move.sources
         for actor in move.actors]
SETS_MANAGER = {"assign", "reassign"}
SETS_ENGINEER = {"schedule", "reschedule"}
# each (action, source status) once, with every actor kind some move of it allows
ALLOWED = {}
for _move in MOVES:
    for _source in _move.sources:
        ALLOWED.setdefault((_move.action, _source), set()).update(_move.actors)
_numbers = itertools.count(1)


def case_id(case) -> str:
    move, source, actor = case
    return f"{move.action}-{source}-{actor}"


# the users of `people`, in the order they are made
USERS = (Actor.PARTNER, "member", Actor.MANAGER, Actor.SUPERMANAGER, Actor.ENGINEER,
         "new_manager", "new_engineer", Actor.FILER)


def build_people() -> dict:
    company = make_company()
    users = [make_partner(company), make_partner(company, owner=False),
             make_user(MANAGER), make_user(SUPERMANAGER), make_user(ENGINEER),
             make_user(MANAGER), make_user(ENGINEER),
             make_user(MANAGER)]  # the filer: filed every stored request for the partner
    return {"company": company.id, "users": [user.id for user in users]}


@pytest.fixture
def people(snapshot):
    """Built once per run (conftest.snapshot)."""
    ids = snapshot("workflow-people", build_people)
    return {"company": db.session.get(PartnerCompany, ids["company"]), Actor.SYSTEM: None,
            **{key: db.session.get(User, i) for key, i in zip(USERS, ids["users"])}}


def stored_request(people, status: Status, author=None) -> Request:
    """A saved request in `status` with its manager and engineer, clock started long ago."""
    author = author or people[Actor.PARTNER]
    token = status_writer.set(True)
    try:
        req = Request(number=f"2026-W{next(_numbers)}", company_id=people["company"].id,
                      author_id=author.id, status=status, object_address="Moscow",
                      object_type="apartment", area=50,
                      manager_id=people[Actor.MANAGER].id,
                      engineer_id=people[Actor.ENGINEER].id, status_changed_at=LONG_AGO,
                      filed_by_id=people[Actor.FILER].id)
        db.session.add(req)
        db.session.flush()
    finally:
        status_writer.reset(token)
    return req


def params_for(action: str, people, actor=None) -> dict:
    if action in SETS_MANAGER:  # the filer of a request only ever takes it himself
        return {"manager": people[Actor.FILER if actor == Actor.FILER else "new_manager"]}
    if action in SETS_ENGINEER:
        return {"engineer": people["new_engineer"]}
    return {}


def test_each_move_writes_exactly_its_effect(people):
    # one test over all cases: a fixture per case would triple the time of a mutation run
    for case in CASES:
        check_move(people, *case)


def check_move(people, move, source, actor) -> None:
    case = case_id((move, source, actor))
    req = stored_request(people, source)
    if move.action == "deliver":
        req.payment_state = PAYMENT_PAID
        add_package(req, people[Actor.MANAGER])
    if move.action == "submit_review":  # the review needs the work
        add_work(req, people[Actor.ENGINEER])
    before = (req.manager_id, req.engineer_id, req.version)
    user = people[actor]
    change = transition(req, str(move.action), user, "  why  ", req.version,
                        **params_for(move.action, people, actor))
    db.session.commit()

    assert req.status == move.target, case
    assert (change.action, change.from_status, change.to_status, change.actor_id,
            change.comment) == (move.action, source, move.target, getattr(user, "id", None),
                                "why"), case
    assert db.session.query(StatusChange).filter_by(request_id=req.id).all() == [change], case
    manager = params_for(move.action, people, actor)["manager"].id \
        if move.action in SETS_MANAGER else before[0]
    engineer = people["new_engineer"].id if move.action in SETS_ENGINEER else before[1]
    assert (req.manager_id, req.engineer_id) == (manager, engineer), case
    assert (req.submitted_at is not None) is (move.action == "submit"), case
    assert req.cancel_reason == ("why" if move.action == "cancel" else None), case
    assert req.version == before[2] + 1, case
    if move.action == "reassign":  # the SLA clock keeps running
        assert req.status_changed_at == LONG_AGO, case
    else:
        assert req.status_changed_at > LONG_AGO, case
    released = db.session.query(Attachment.is_released).filter_by(
        request_id=req.id, kind=ATTACH_DELIVERABLE).all()
    assert released == ([(True,)] if move.action == "deliver" else []), case
    event = db.session.query(AuditEvent).filter_by(action="status_move",
                                                   object_id=req.id).one()
    assert (event.actor_id, event.details) == (
        getattr(user, "id", None),
        {"move": move.action, "from_status": source, "to_status": move.target}), case


def test_each_move_is_refused_to_everyone_else(people):
    for (action, source), allowed in ALLOWED.items():
        req = stored_request(people, source)
        if Actor.MANAGER in allowed:  # a supermanager acts as any request's manager
            allowed = allowed | {Actor.SUPERMANAGER}
        refused = [people[kind] for kind in Actor if kind not in allowed]
        # a member on the owner's request, a manager and an engineer not on this request
        refused += [people["member"], people["new_manager"], people["new_engineer"]]
        for user in refused:
            with pytest.raises(NotAllowed):
                transition(req, action, user, "why", **params_for(action, people))
        assert req.status == source, (action, source)
    assert db.session.query(StatusChange).count() == 0


def test_moves_from_other_statuses_are_illegal_for_everyone(people):
    for status in Status:
        req = stored_request(people, status)
        possible = {m.action for m in MOVES if status in m.sources}
        for move in MOVES:
            if move.action in possible:
                continue
            for kind in Actor:
                with pytest.raises(IllegalTransition):
                    find_move(req, move.action, people[kind])
        with pytest.raises(IllegalTransition):
            transition(req, "teleport", people[Actor.SUPERMANAGER])
        assert req.status == status


def test_a_members_own_request_is_moved_by_the_member_and_the_owner(people):
    member, owner = people["member"], people[Actor.PARTNER]
    mine = stored_request(people, Status.DRAFT, author=member)
    assert actor_kinds(member, mine) == {Actor.PARTNER} == actor_kinds(owner, mine)
    transition(mine, "submit", member)
    assert mine.status == Status.SUBMITTED
    owners = stored_request(people, Status.DRAFT)
    assert actor_kinds(member, owners) == set()
    with pytest.raises(NotAllowed):
        transition(owners, "submit", member)


def test_the_filer_submits_and_takes_only_for_himself(people):
    filer = people[Actor.FILER]
    draft = stored_request(people, Status.DRAFT)
    assert actor_kinds(filer, draft) == {Actor.FILER}
    transition(draft, "submit", filer)
    draft.manager_id = None
    with pytest.raises(NotAllowed):  # a manager hands nobody else a request
        transition(draft, "assign", filer, manager=people["new_manager"])
    transition(draft, "assign", filer, manager=filer)
    assert (draft.status, draft.manager_id) == (Status.ASSIGNED, filer.id)
    other = stored_request(people, Status.DRAFT)
    other.filed_by_id = None  # filed by the partner: nothing for the manager to do
    with pytest.raises(NotAllowed):
        transition(other, "submit", filer)


def test_actor_kinds_of_each_user(people):
    req = stored_request(people, Status.SCHEDULED)
    assert actor_kinds(None, req) == {Actor.SYSTEM}
    assert actor_kinds(people[Actor.PARTNER], req) == {Actor.PARTNER}
    assert actor_kinds(people[Actor.MANAGER], req) == {Actor.MANAGER}
    assert actor_kinds(people[Actor.SUPERMANAGER], req) == {Actor.SUPERMANAGER,
                                                             Actor.MANAGER}
    assert actor_kinds(people[Actor.ENGINEER], req) == {Actor.ENGINEER}
    for name in ("new_manager", "new_engineer"):
        assert actor_kinds(people[name], req) == set()


def test_available_moves_are_the_tables_in_table_order_once_each(people):
    for status in Status:
        req = stored_request(people, status)
        for kind in Actor:
            kinds = actor_kinds(people[kind], req)
            want = []
            for move in MOVES:
                if status in move.sources and kinds & set(move.actors) \
                        and move.action not in want:
                    want.append(move.action)
            assert [m.action for m in available_moves(req, people[kind])] == want
    submitted = stored_request(people, Status.SUBMITTED)
    assert [m.action for m in available_moves(submitted, people[Actor.SUPERMANAGER])] == [
        "cancel", "assign"]
    assert [m.action for m in available_moves(submitted, people[Actor.PARTNER])] == [
        "cancel"]
    # the partner's cancel needs no comment, the manager's does: each gets its own move
    assert not available_moves(submitted, people[Actor.PARTNER])[0].comment_required
    assert available_moves(submitted, people[Actor.MANAGER])[0].comment_required


@pytest.mark.parametrize("action", sorted(SETS_MANAGER | SETS_ENGINEER))
def test_a_move_that_names_someone_needs_the_choice(people, action):
    source = {"assign": Status.SUBMITTED, "reassign": Status.ASSIGNED,
              "schedule": Status.ASSIGNED, "reschedule": Status.SCHEDULED}[action]
    req = stored_request(people, source)
    with pytest.raises(WorkflowError):
        transition(req, action, people[Actor.SUPERMANAGER], "why")
    assert (req.status, req.manager_id, req.engineer_id) == (
        source, people[Actor.MANAGER].id, people[Actor.ENGINEER].id)
    assert db.session.query(StatusChange).count() == 0


@pytest.mark.parametrize("move", [m for m in MOVES if m.comment_required],
                         ids=lambda m: f"{m.action}-{m.sources[0]}")
def test_comment_required_moves_refuse_blank_comments(people, move):
    req = stored_request(people, move.sources[0])
    for blank in (None, "", "   "):
        with pytest.raises(WorkflowError):
            transition(req, move.action, people[Actor.MANAGER], blank)
    assert req.status == move.sources[0] and req.cancel_reason is None


def test_blank_comment_of_a_move_without_one_is_stored_as_none(people):
    req = stored_request(people, Status.SCHEDULED)
    change = transition(req, "start", people[Actor.ENGINEER], "   ")
    assert change.comment is None


def test_stale_version_is_a_conflict_the_current_one_as_text_is_not(people):
    req = stored_request(people, Status.SCHEDULED)
    with pytest.raises(ConflictError) as caught:
        transition(req, "start", people[Actor.ENGINEER], expected_version=req.version + 1)
    assert str(caught.value) == conflict_message()
    assert ConflictError("other").args == ("other",)
    assert req.status == Status.SCHEDULED
    transition(req, "start", people[Actor.ENGINEER], expected_version=str(req.version))
    assert req.status == Status.IN_PROGRESS


def test_delivery_needs_payment_when_the_setting_says_so_and_always_a_package(people):
    req = stored_request(people, Status.READY)
    manager = people[Actor.MANAGER]
    add_package(req, manager)
    with pytest.raises(WorkflowError):  # unpaid
        transition(req, "deliver", manager)
    set_setting("payment_before_delivery", False)
    empty = stored_request(people, Status.READY, author=people["member"])
    empty.payment_state = PAYMENT_PAID
    with pytest.raises(WorkflowError):  # paid, but nothing to deliver
        transition(empty, "deliver", manager)
    transition(req, "deliver", manager)  # unpaid is fine now
    assert (req.status, empty.status) == (Status.DELIVERED, Status.READY)


def test_assign_manager_assigns_then_reassigns_keeping_the_status(people):
    sm = people[Actor.SUPERMANAGER]
    req = stored_request(people, Status.SUBMITTED)
    first = assign_manager(req, people["new_manager"], sm, expected_version=req.version)
    assert (first.action, req.status, req.manager_id) == (
        "assign", Status.ASSIGNED, people["new_manager"].id)
    second = assign_manager(req, sm, sm)  # a supermanager may take it over
    assert (second.action, second.comment, req.status, req.manager_id) == (
        "reassign", sm.get_full_name(), Status.ASSIGNED, sm.id)
    third = assign_manager(req, people[Actor.MANAGER], sm, "  holiday ")
    assert (third.action, third.comment) == ("reassign", "holiday")
    assert first.comment is None


def test_assign_manager_refuses_non_managers_and_blocked_ones(people):
    sm = people[Actor.SUPERMANAGER]
    req = stored_request(people, Status.SUBMITTED)
    blocked = people["new_manager"]
    blocked.active = False
    for wrong in (people[Actor.ENGINEER], people[Actor.PARTNER], blocked):
        with pytest.raises(WorkflowError):
            assign_manager(req, wrong, sm)
    with pytest.raises(NotAllowed):
        assign_manager(req, people[Actor.MANAGER], people[Actor.MANAGER])
    assert (req.status, req.manager_id) == (Status.SUBMITTED, people[Actor.MANAGER].id)


def test_one_move_per_action_even_when_two_moves_of_it_fit_the_user(people):
    # a partner who is also a supermanager: both cancels of a submitted request fit
    both = people[Actor.PARTNER]
    both.roles.append(find_role(SUPERMANAGER))
    req = stored_request(people, Status.SUBMITTED)
    moves = available_moves(req, both)
    assert [m.action for m in moves] == ["cancel", "assign"]
    assert not moves[0].comment_required  # the first in the table: the partner's


def test_move_buttons_and_once_only_moves_by_hand():
    assert button_actions((Actor.PARTNER,)) == PARTNER_BUTTONS == {"submit", "cancel",
                                                                   "close"}
    assert button_actions(STAFF_ACTORS) == STAFF_BUTTONS == {
        "cancel", "ask_info", "start", "submit_review", "accept", "return", "deliver",
        "close"}
    assert button_actions((Actor.ENGINEER,)) == {"start", "submit_review"}
    assert button_actions([Actor.SYSTEM]) == {"close"}
    assert button_actions(()) == frozenset()
    assert ONCE_ONLY == {"deliver"}


def test_assign_manager_passes_the_comment_and_the_pages_version(people):
    sm = people[Actor.SUPERMANAGER]
    req = stored_request(people, Status.SUBMITTED)
    with pytest.raises(ConflictError):
        assign_manager(req, people["new_manager"], sm, expected_version=req.version + 1)
    change = assign_manager(req, people["new_manager"], sm, " urgent ", str(req.version))
    assert (change.action, change.comment) == ("assign", "urgent")
    with pytest.raises(ConflictError):
        assign_manager(req, people[Actor.MANAGER], sm, expected_version=req.version - 1)
    assert req.manager_id == people["new_manager"].id
    assign_manager(req, people[Actor.MANAGER], sm, expected_version=req.version)
    assert req.manager_id == people[Actor.MANAGER].id


@pytest.mark.parametrize("source", [Status.IN_PROGRESS, Status.REWORK])
def test_the_work_goes_to_review_with_its_files_only(people, source):
    """An empty review was accepted (the partner told the documents were on their way)."""
    req = stored_request(people, source)
    db.session.commit()
    engineer = people[Actor.ENGINEER]
    assert waiting_reasons(req, available_moves(req, engineer)) == {
        Action.SUBMIT_REVIEW: "Загрузите файлы работы, прежде чем сдавать её на проверку."}
    with pytest.raises(WorkflowError, match="Загрузите файлы работы"):
        transition(req, "submit_review", engineer, None, req.version)
    db.session.rollback()
    req = db.session.get(Request, req.id)
    assert req.status == source and not req.history
    add_work(req, engineer)
    assert waiting_reasons(req, available_moves(req, engineer)) == {}
    transition(req, "submit_review", engineer, None, req.version)
    assert req.status == Status.ON_REVIEW


def test_delivery_waits_saying_every_reason_at_once(people):
    """Unpaid and without a package, the button named the payment only; the package came
    as a second surprise after paying."""
    from app.settings import set_setting

    set_setting("payment_before_delivery", True)
    req = stored_request(people, Status.READY)
    db.session.commit()
    manager = people[Actor.MANAGER]
    waiting = waiting_reasons(req, available_moves(req, manager))[Action.DELIVER]
    assert "не оплачена" in waiting and "загрузите пакет документов" in waiting
    req.payment_state = PAYMENT_PAID
    assert waiting_reasons(req, available_moves(req, manager))[Action.DELIVER] == \
        "Перед выдачей загрузите пакет документов."
