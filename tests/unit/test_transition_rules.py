"""The transition table against an independent statement of PRODUCT.md's lifecycle.

The expectations below are written out by hand, not derived from models.request_status, so a
change of the table (a move for the wrong actor, a lost comment rule, another target) fails
here. Every action × status × kind of user is checked through app.workflow.find_move.
"""

import pytest

from app.workflow import IllegalTransition, NotAllowed, find_move
from models.request_status import (OPEN_STATUSES, PARTNER_GROUP_OF, TERMINAL_STATUSES, Status)
from models.requests import Request, status_writer
from tests.factories import make_company, make_partner, make_user

S = Status
# (action, from status) -> (target, who may, comment required); nothing else is possible
LIFECYCLE = {
    ("submit", S.DRAFT): (S.SUBMITTED, {"partner"}, False),
    ("cancel", S.SUBMITTED): (S.CANCELLED, {"partner", "manager"}, None),  # see below
    ("cancel", S.ASSIGNED): (S.CANCELLED, {"manager"}, True),
    ("cancel", S.NEEDS_INFO): (S.CANCELLED, {"manager"}, True),
    ("assign", S.SUBMITTED): (S.ASSIGNED, {"supermanager"}, False),
    ("ask_info", S.ASSIGNED): (S.NEEDS_INFO, {"manager"}, True),
    ("answer", S.NEEDS_INFO): (S.ASSIGNED, {"partner"}, False),
    ("schedule", S.ASSIGNED): (S.SCHEDULED, {"manager"}, False),
    ("reschedule", S.SCHEDULED): (S.SCHEDULED, {"manager"}, False),
    ("start", S.SCHEDULED): (S.IN_PROGRESS, {"engineer"}, False),
    ("submit_review", S.IN_PROGRESS): (S.ON_REVIEW, {"engineer"}, False),
    ("submit_review", S.REWORK): (S.ON_REVIEW, {"engineer"}, False),
    ("accept", S.ON_REVIEW): (S.READY, {"manager"}, False),
    ("return", S.ON_REVIEW): (S.REWORK, {"manager"}, True),
    ("deliver", S.READY): (S.DELIVERED, {"manager"}, False),
    ("close", S.DELIVERED): (S.CLOSED, {"partner", "manager", "system"}, False),
}
ACTIONS = sorted({action for action, _ in LIFECYCLE})
# the kind of actor each user is on the test request; the supermanager also acts as a manager
KINDS = {"owner": {"partner"}, "author": {"partner"}, "colleague": set(), "stranger": set(),
         "manager": {"manager"}, "other_manager": set(), "supermanager": {"supermanager",
                                                                          "manager"},
         "engineer": {"engineer"}, "other_engineer": set(), "admin": set(), "director": set(),
         "system": {"system"}}


@pytest.fixture
def people(app):
    company = make_company()
    users = {"owner": make_partner(company), "author": make_partner(company, owner=False),
             "colleague": make_partner(company, owner=False), "stranger": make_partner(),
             "manager": make_user("Manager"), "other_manager": make_user("Manager"),
             "supermanager": make_user("Supermanager"), "engineer": make_user("Engineer"),
             "other_engineer": make_user("Engineer"), "admin": make_user("Admin"),
             "director": make_user("Director"), "system": None}
    return company, users


def request_in(status, company, users) -> Request:
    """An unsaved request of the author, assigned to the manager and the engineer."""
    token = status_writer.set(True)
    try:
        return Request(number="2026-T", company_id=company.id, status=status,
                       author_id=users["author"].id, manager_id=users["manager"].id,
                       engineer_id=users["engineer"].id)
    finally:
        status_writer.reset(token)


def expected(action, status, who):
    rule = LIFECYCLE.get((action, status))
    if rule is None:
        return None
    target, actors, comment = rule
    if not actors & KINDS[who]:
        return NotAllowed
    if comment is None:  # cancel while submitted: the partner without, staff with a reason
        comment = "partner" not in KINDS[who]
    return target, comment


def test_each_move_is_possible_exactly_as_the_lifecycle_says(people):
    """Every action on one set of people; fails listing each (action, status, who) whose
    move, refusal (IllegalTransition, NotAllowed) or comment rule differs from the lifecycle."""
    company, users = people
    wrong = []
    for action in ACTIONS:
        for status in Status:
            req = request_in(status, company, users)
            for who, user in users.items():
                want = expected(action, status, who)
                try:
                    move = find_move(req, action, user)
                    got = (move.target, move.comment_required)
                except (IllegalTransition, NotAllowed) as exc:
                    got = exc
                if want is None:
                    ok = isinstance(got, IllegalTransition)
                elif want is NotAllowed:
                    ok = isinstance(got, NotAllowed)
                else:
                    ok = got == want
                if not ok:
                    wrong.append((action, status, who, want, got))
    assert wrong == []


def test_what_partners_see_and_which_statuses_are_open():
    assert PARTNER_GROUP_OF == {
        S.DRAFT: "draft", S.SUBMITTED: "accepted", S.ASSIGNED: "processing",
        S.NEEDS_INFO: "action_required", S.SCHEDULED: "in_work", S.IN_PROGRESS: "in_work",
        S.ON_REVIEW: "in_work", S.REWORK: "in_work", S.READY: "ready",
        S.DELIVERED: "completed", S.CLOSED: "closed", S.CANCELLED: "cancelled"}
    assert set(OPEN_STATUSES) == set(Status) - {S.DRAFT, S.CLOSED, S.CANCELLED}
    assert set(TERMINAL_STATUSES) == {S.CLOSED, S.CANCELLED}
