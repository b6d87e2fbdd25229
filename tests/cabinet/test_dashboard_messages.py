"""The partner dashboard's “Latest messages”: the newest messages others wrote in the threads
of the requests the partner may see (cabinet.dashboard.latest_messages), never his own, never
an internal note, never another member's or company's request; found by rounds over the
requests' latest public messages, one statement a round."""

import itertools

import pytest

import cabinet.dashboard as dashboard
from app.extensions import db
from models.request_status import Status
from models.requests import Message
from tests.factories import Staff, make_company, make_partner, make_request, sign_in, statements

_clock = itertools.count(1)


def say(req, author, internal: bool = False) -> Message:
    message = Message(request_id=req.id, author_id=author.id, is_internal=internal,
                      body=f"message {next(_clock)} by {author.username}")
    db.session.add(message)
    db.session.commit()
    return message


def expected(user, requests, limit=dashboard.LATEST) -> list[int]:
    """Brute force: every message of those requests, the newest `limit` others wrote."""
    ids = {r.id for r in requests}
    rows = db.session.query(Message).filter(Message.request_id.in_(ids),
                                            Message.is_internal.is_(False),
                                            Message.author_id != user.id).all()
    return sorted((m.id for m in rows), reverse=True)[:limit]


@pytest.fixture
def company(app):
    staff = Staff()
    firm = make_company("Dashboard Realty")
    owner, member = make_partner(firm), make_partner(firm, owner=False)
    other = make_partner()  # another company's threads never show
    mine = [make_request(owner, Status.SUBMITTED, staff) for _ in range(4)]
    members = [make_request(member, Status.SUBMITTED, staff) for _ in range(2)]
    foreign = make_request(other, Status.SUBMITTED, staff)
    return staff, owner, member, other, mine, members, foreign


def test_the_newest_messages_of_others_only_in_the_users_own_requests(company):
    staff, owner, member, other, mine, members, foreign = company
    say(mine[0], staff.manager)
    say(members[0], staff.manager)
    say(mine[1], member)
    say(foreign, staff.manager)
    say(members[1], owner)
    say(mine[2], staff.manager, internal=True)  # an internal note: staff only
    say(mine[3], owner)  # his own
    say(foreign, other)
    found = [m.id for m in dashboard.latest_messages(owner)]
    assert found == expected(owner, mine + members)  # the owner: the company's threads
    assert len(found) == 3  # the manager's two and the member's; not his own, not the note
    found = [m.id for m in dashboard.latest_messages(member)]
    assert found == expected(member, members)  # a member: his own requests' threads
    assert [m.author_id for m in dashboard.latest_messages(member)] == \
        [owner.id, staff.manager.id]


def test_a_partner_who_wrote_last_in_many_threads_still_sees_older_replies(company,
                                                                          monkeypatch):
    """The requests of his latest messages come first; the replies are further on: later
    rounds find them, each a statement, and they are the same as by brute force."""
    staff, owner, _member, _other, mine, members, _foreign = company
    monkeypatch.setattr(dashboard, "FIRST_ROUND", 2)
    monkeypatch.setattr(dashboard, "GROWTH", 2)
    replied = [make_request(owner, Status.SUBMITTED, staff) for _ in range(3)]
    for req in replied:
        say(req, staff.manager)
    chatty = mine + members + [make_request(owner, Status.SUBMITTED, staff) for _ in range(6)]
    for req in chatty:
        say(req, owner)  # he wrote last: the latest public message of 12 requests is his
    with statements() as seen:
        found = [m.id for m in dashboard.latest_messages(owner)]
    everything = mine + members + replied + chatty
    assert found == expected(owner, everything) and len(found) == 3
    # rounds of 2, 4, 8 and 16 requests (the 3 replied come after the 12 he wrote last in),
    # then the messages found loaded (the rest: his roles and profile, loaded for the scope)
    queries = [s for s in seen if "row_number()" in s or "FROM message" in s]
    assert sum("row_number()" in s for s in queries) == 4, seen
    assert len(queries) == 5, seen


def test_the_dashboard_shows_them(app, client, company):
    staff, owner, _member, _other, mine, _members, _foreign = company
    reply = say(mine[0], staff.manager)
    own = say(mine[1], owner)
    note = say(mine[2], staff.manager, internal=True)
    sign_in(client, owner)
    html = client.get("/cabinet/").get_data(as_text=True)
    assert reply.body in html
    assert own.body not in html and note.body not in html


def test_a_round_that_holds_the_answer_is_the_last(company, monkeypatch):
    """Requests by latest public message: A (m3), B (m2), C (m0). Two messages wanted, rounds
    of two requests: A and B give m3 and m2, both newer than C's latest (m0), so C is never
    read — one round. Reading only A would have answered m3 and m1 (A's older message), which
    is wrong: m2 is newer."""
    staff, owner, _member, _other, _mine, _members, _foreign = company
    monkeypatch.setattr(dashboard, "FIRST_ROUND", 2)
    a, b, c = (make_request(owner, Status.SUBMITTED, staff) for _ in range(3))
    m0 = say(c, staff.manager)
    m1 = say(a, staff.manager)
    m2 = say(b, staff.manager)
    m3 = say(a, staff.manager)
    with statements() as seen:
        found = [m.id for m in dashboard.latest_messages(owner, limit=2)]
    assert found == [m3.id, m2.id]
    assert m1.id not in found and m0.id not in found
    assert sum("row_number()" in s for s in seen) == 1, seen  # one round


def test_a_post_writes_the_threads_row_and_keeps_the_newer_message(company):
    """The Message insert hook upserts RequestThread; a post that arrives with an older id
    (two posts racing, the later id committed first) never moves it back."""
    from types import SimpleNamespace

    from models.requests import RequestThread, _note_public_message

    staff, owner, _member, _other, mine, _members, _foreign = company
    req = mine[0]
    first = say(req, staff.manager)
    assert db.session.get(RequestThread, req.id).last_public_message_id == first.id
    note = say(req, staff.manager, internal=True)
    assert db.session.get(RequestThread, req.id).last_public_message_id == first.id
    newer = say(req, owner)
    db.session.expire_all()
    assert db.session.get(RequestThread, req.id).last_public_message_id == newer.id
    connection = db.session.connection()
    _note_public_message(None, connection, SimpleNamespace(
        is_internal=False, request_id=req.id, id=first.id))  # an older id, late
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(RequestThread, req.id)
    assert (row.last_public_message_id, row.company_id, row.author_id) == \
        (newer.id, req.company_id, owner.id)
    assert note.id > first.id
