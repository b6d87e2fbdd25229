"""The lists' text search (app.request_filters.contains / narrowed_by_text) finds exactly the
requests whose number, address, field values or client contain the typed text, however it is
asked of the database: on PostgreSQL the trigram indexes get only the text's telling words
(no “ул.”, “д.” boilerplate) and the whole text is rechecked; the matches are read by id
first when they are few. Same rows in both dialects, either way."""

from __future__ import annotations

import pytest
import sqlalchemy

from app import request_filters
from app.extensions import db
from app.intake import legacy_values, store_values
from models.request_status import Status
from reports.sources import partner_requests
from tests.factories import make_partner, make_request

ADDRESSES = ("г. Москва, ул. Школьная, д. 150, кв. 3", "г. Москва, ул. Школьная, д. 1500",
             "г. Москва, ул. Школьная д. 150", "г. Москва, пр-т Мира, д. 150",
             "Школьная_150% угол")
SEARCHES = ("ул. Школьная, д. 150", "Школьная", "д. 150", "Школьная д. 150", "150",
            "Школьная_150%", "ул.", "Мира, д. 150", "Москва, ул. Школьная, д. 1500",
            "ул. Садовая, д. 150")


@pytest.fixture
def addressed(app):
    partner = make_partner()
    found = {make_request(partner, Status.SUBMITTED if k % 2 else Status.DRAFT,
                          object_address=address).id: address
             for k, address in enumerate(ADDRESSES)}
    other = make_partner()  # another company's matching request is never found
    make_request(other, Status.DRAFT, object_address=ADDRESSES[0])
    db.session.commit()
    return partner, found


def expected(found: dict, text: str) -> set[int]:
    return {rid for rid, address in found.items() if text.lower() in address.lower()}


@pytest.mark.parametrize("few", [request_filters.FEW_MATCHES, 0])
def test_search_finds_exactly_the_rows_containing_the_text(addressed, monkeypatch, few):
    """`few` 0: more matches than are read by id — the search stays one statement."""
    monkeypatch.setattr(request_filters, "FEW_MATCHES", few)
    partner, found = addressed
    for text in SEARCHES:
        rows = {r.id for r in partner_requests(partner, {"q": text})}
        assert rows == expected(found, text), text


def test_any_case_finds_the_same_in_both_dialects(addressed):
    """Cyrillic in any case: PostgreSQL's ILIKE folds it; SQLite's LIKE folds ASCII only, so
    there the search compares replan_lower (app.sqlite_functions) of both sides."""
    partner, found = addressed
    for text in ("УЛ. ШКОЛЬНАЯ, Д. 150", "школьная д. 150", "мира", "МОСКВА, УЛ."):
        rows = {r.id for r in partner_requests(partner, {"q": text})}
        assert rows == expected(found, text), text


def test_the_index_is_asked_for_telling_words_only(app):
    """The words given to the trigram index: the two longest of 3+ letters or digits,
    never address boilerplate; the whole text is a recheck (`|| ''`: no index matches it)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no trigram index: one plain LIKE")
    from models.requests import Request

    def sql_of(text: str) -> str:  # psycopg's paramstyle doubles each % of a literal
        return str(request_filters.contains(Request.object_address, text).compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})).replace("%%", "%")

    sql = sql_of("г. Москва, ул. Школьная, д. 150")
    assert "'%школьная%'" in sql and "'%москва%'" in sql, sql
    assert "'%150%'" not in sql and "'%ул%'" not in sql, sql  # shorter than the two longest
    assert "|| '') ILIKE '%г. Москва, ул. Школьная, д. 150%'" in sql, sql
    plain = sql_of("ул. д.")
    assert plain.count("ILIKE") == 1 and "||" not in plain, plain  # nothing telling: as typed


def test_a_partners_client_search_reads_only_his_companys_clients(app):
    """The client part of a partner's search names his company's clients only: the same
    rows (the scope keeps to the company anyway), without every namesake of other companies
    (at 1M requests a common name's ~4 000 requests elsewhere were read and dropped)."""
    from sqlalchemy import event

    from models.partners import EndClient

    partner, other = make_partner(), make_partner()
    requests = {}
    for who, tag in ((partner, "mine"), (other, "theirs")):
        company = who.profile.partner_company_id
        client = EndClient(company_id=company, name="Новиков Михаил")
        db.session.add(client)
        db.session.flush()
        requests[tag] = make_request(who, Status.SUBMITTED, end_client_id=client.id).id
    db.session.commit()
    assert {r.id for r in db.session.query(request_filters.Request).filter(
        request_filters.client_clause("новиков", other.profile.partner_company_id))} \
        == {requests["theirs"]}
    seen = []

    def listener(conn, cursor, statement, params, context, executemany):
        if "FROM end_client" in statement:  # the clients read (not request.end_client_id)
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = {r.id for r in partner_requests(partner, {"q": "Новиков"})}
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert rows == {requests["mine"]}
    assert seen and all("end_client.company_id" in sql for sql in seen), seen


def test_a_changed_request_is_found_by_its_new_text_only(app):
    """What the search reads on PostgreSQL is the database's own copy of the text (the
    generated column request.searched, migration 0029): the title and the field values
    written after filing are found at once, and the old ones no longer."""
    partner = make_partner()
    req = make_request(partner, Status.SUBMITTED, object_address="ул. Школьная, д. 7")
    db.session.commit()
    assert [r.id for r in partner_requests(partner, {"q": "школьная"})] == [req.id]
    values = {**legacy_values({"object_address": "Проспект Мира, д. 9"}),
              "cadastral": "77:01:0004012:3345"}
    store_values(req, [line.service_id for line in req.lines], values)
    db.session.commit()
    for text, found in (("школьная", []), ("ПРОСПЕКТ МИРА", [req.id]),
                        ("0004012:3345", [req.id])):
        assert [r.id for r in partner_requests(partner, {"q": text})] == found, text
    if db.engine.dialect.name == "postgresql":
        stored = db.session.execute(sqlalchemy.text(
            "SELECT searched FROM request WHERE id = :id"), {"id": req.id}).scalar()
        assert "проспект мира, д. 9" in stored and "школьная" not in stored, stored


def test_a_walk_checks_the_stored_text_as_a_substring_and_finds_the_same(addressed):
    """A search with many matches walks the list's order index and checks each row
    (many_matches): the stored search text is tested with strpos, not with the LIKE the
    trigram index is asked (cheaper per row walked); the rows found are the same."""
    from sqlalchemy import select

    from app.access import request_scope
    from models.requests import Request

    partner, found = addressed

    def ids(text: str) -> set[int]:
        return set(db.session.scalars(select(Request.id).where(
            request_scope(partner), request_filters.text_clause(text, partner))))

    for text in SEARCHES:
        with request_filters.many_matches():
            walked = ids(text)
        assert walked == ids(text) == expected(found, text), text
    if db.engine.dialect.name != "postgresql":
        return
    with request_filters.many_matches():
        clause = request_filters.text_clause("Школьная", partner)
    sql = str(clause.compile(dialect=db.engine.dialect,
                             compile_kwargs={"literal_binds": True}))
    assert "strpos(request.searched, lower('Школьная'))" in sql, sql
    assert "request.searched LIKE" not in sql, sql
    indexed = str(request_filters.text_clause("Школьная", partner).compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    assert "request.searched LIKE" in indexed, indexed


def test_first_keys_sees_the_sessions_pending_changes_as_the_query_would(app):
    """first_keys reads its rows past the ORM (app.request_filters.column_rows) yet flushes
    first, as the query itself would: a change not yet flushed is found; inside
    no_autoflush it is not, as with the ORM's own read."""
    from models.requests import Request
    req = make_request(make_partner(), Status.SUBMITTED)
    db.session.commit()
    req.number = "Z-PENDING-1"
    query = db.session.query(Request).filter(Request.number == "Z-PENDING-1")
    with db.session.no_autoflush:
        assert request_filters.first_keys(query, Request.id, 5) == []
        assert query.with_entities(Request.id).all() == []
    assert request_filters.first_keys(query, Request.id, 5) == [req.id]
    db.session.rollback()
    assert request_filters.first_keys(query, Request.id, 5) == []
