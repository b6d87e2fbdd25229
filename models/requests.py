"""Requests, their service lines, status history, messages and attachments."""

from contextvars import ContextVar

from sqlalchemy import (JSON, Boolean, Column, Computed, Date, DateTime, ForeignKey, Index,
                        Integer, Numeric, String, Text, UniqueConstraint, bindparam, event,
                        select, text, update)
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import relationship, validates

from models.base import Model, created_at_column, postgresql_only, user_fk, utcnow
from models.request_status import MOVES, OPEN_STATUSES, Action, Status

PAYMENT_UNPAID = "unpaid"
PAYMENT_PARTIAL = "partial"
PAYMENT_PAID = "paid"

ATTACH_INPUT = "input"  # partner's plans, photos, documents
ATTACH_WORK = "work"  # engineer's work for review
ATTACH_DELIVERABLE = "deliverable"  # released document package (versioned)
ATTACH_MESSAGE = "message"  # staff files sent to the partner with a thread message
ATTACHMENT_KINDS = (ATTACH_INPUT, ATTACH_WORK, ATTACH_DELIVERABLE, ATTACH_MESSAGE)
ATTACHMENT_KIND_LABELS = {ATTACH_INPUT: _l("Partner files"), ATTACH_WORK: _l("Engineer work"),
                          ATTACH_DELIVERABLE: _l("Document package"),
                          ATTACH_MESSAGE: _l("Files sent to the partner")}

OBJECT_TYPES = ("apartment", "house", "commercial", "office")
BUILDING_TYPES = ("panel", "brick", "monolith", "block", "wood", "other")
BUILDING_LABELS = {"panel": _l("Panel"), "brick": _l("Brick"), "monolith": _l("Monolith"),
                   "block": _l("Block"), "wood": _l("Wood"), "other": _l("Other")}

# statuses in which the request waits for the partner's answer (app.request_rules has the same)
WAITING_STATUSES = tuple(s.value for m in MOVES if m.action == Action.ANSWER for s in m.sources)


def _quoted(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


# the open requests (migrations 0027_open_text_indexes and 0028_one_text_index write the same
# list)
OPEN_CONDITION = f"status IN ({_quoted(s.value for s in OPEN_STATUSES)})"
# the desk's filter columns (app.request_filters.apply_filters but the client, which has
# its own index) carried by the open requests' two order indexes (0031_open_desk_indexes)
OPEN_FILTERED = ("submitted_at", "payment_state", "company_id", "manager_id", "engineer_id")


def _trigram(name: str, column: str, **where):
    """A pg_trgm GIN index: ILIKE '%text%' on the column uses it (PostgreSQL only)."""
    return postgresql_only(Index(name, column, postgresql_using="gin",
                                 postgresql_ops={column: "gin_trgm_ops"}, **where))


# what a request is searched in (number, title and the field values as JSON text in one
# string), lowered: the column `searched` (migration 0029_stored_search_text)
SEARCHED_SQL = "lower(number || ' ' || object_address || ' ' || CAST(field_values AS TEXT))"


# True only inside app.workflow while it writes a status
status_writer: ContextVar[bool] = ContextVar("status_writer", default=False)


class RequestCounter(Model):
    """Per-year sequence for human-friendly request numbers (2026-00042)."""

    __tablename__ = "request_counter"
    year = Column(Integer, primary_key=True, autoincrement=False)
    last_value = Column(Integer, nullable=False, default=0)


class Request(Model):
    """A partner's service request moving through the workflow."""

    __tablename__ = "request"
    __table_args__ = (
        Index("ix_request_company_id_id", "company_id", "id"),
        Index("ix_request_author_id_id", "author_id", "id"),
        # the pages' queries (issue 14; EXPLAIN-checked in tests/unit/test_query_plans.py)
        Index("ix_request_company_status_author", "company_id", "status", "author_id"),
        Index("ix_request_manager_id_id", "manager_id", "id"),
        Index("ix_request_engineer_id_id", "engineer_id", "id"),
        # the address sort carries what a broad text search and the staff's scopes test, so
        # a walk of it finds a page's candidates without the table (views.keyset; 0037)
        Index("ix_request_address_cover", "object_address", "id",
              postgresql_include=["searched", "status", "manager_id", "engineer_id"]),
        # the dates carry the list's time-ordered sort keys: a period sorted against its
        # order reads its bounds from these alone (views.keyset.bounded; 0032)
        Index("ix_request_created_cover", "created_at", "status",
              postgresql_include=["id", "number"]),
        Index("ix_request_submitted_cover", "submitted_at",
              postgresql_include=["status", "id", "number", "created_at"]),
        Index("ix_request_waiting", "company_id", "status_changed_at",
              postgresql_where=text(f"status IN ({_quoted(WAITING_STATUSES)})"),
              sqlite_where=text(f"status IN ({_quoted(WAITING_STATUSES)})")),
        Index("ix_request_queue", "submitted_at", "id",
              postgresql_where=text("status = 'submitted'"),
              sqlite_where=text("status = 'submitted'")),
        # the staff list's keyset pages sorted by status (views.keyset; 0023_staff_keyset)
        Index("ix_request_status_id", "status", "id"),
        Index("ix_request_engineer_status_id", "engineer_id", "status", "id"),
        # a manager's filter choices: companies and engineers of his requests (EXISTS probes)
        Index("ix_request_manager_company", "manager_id", "company_id"),
        Index("ix_request_manager_engineer", "manager_id", "engineer_id"),
        # the partner list with a period, ordered by that date then id (0024_company_period)
        Index("ix_request_company_created_id", "company_id", "created_at", "id"),
        # the staff list filtered by a partner and sorted by title (a company's addresses
        # share a city: the title index walked past ~380 000 others' first), and by payment
        # state ("not paid" is a sixth of the requests, "partially" rarer) (0030_filter_sorts)
        Index("ix_request_company_address_id", "company_id", "object_address", "id"),
        # (the status carried for the scope's "no drafts": counts need not read the table)
        Index("ix_request_payment_cover", "payment_state", "id",
              postgresql_include=["status"]),
        # an object type, the bureau's or a manager's (0033_filter_covers)
        Index("ix_request_object_type_id", "object_type", "id", postgresql_include=["status"]),
        Index("ix_request_manager_type_id", "manager_id", "object_type", "id"),
        # a status sorted by number or by creation: a status's requests lie together in
        # time (the submitted ones are the newest), so walking the number or date index
        # from the oldest read ~940 000 others first (~3 s)
        Index("ix_request_status_number", "status", "number"),
        Index("ix_request_status_created_id", "status", "created_at", "id"),
        # the desk's client filter: the open requests of clients of a common name (~9 000
        # clients, ~50 000 requests, ~3 000 of them open at 1M) without reading the others
        Index("ix_request_open_end_client", "end_client_id",
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        # the desk's work list: one range per (status, overdue or not), oldest first
        Index("ix_request_status_changed", "status", "status_changed_at", "id"),
        # ... and with the desk's filters, read from these alone (the open requests with the
        # filtered columns): the planner misjudges how a status and a payment state or a
        # period go together, and a wrong guess no longer reads the table (0031)
        Index("ix_request_open_changed", "status", "status_changed_at", "id",
              postgresql_include=["created_at", *OPEN_FILTERED],
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        Index("ix_request_open_created", "status", "created_at", "id",
              postgresql_include=["status_changed_at", *OPEN_FILTERED],
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        Index("ix_request_manager_status_changed", "manager_id", "status",
              "status_changed_at", "id"),
        # the staff list's own number and title filters (FAB's "contains" and the like);
        # the text search has one index over both and the field values (`searched`)
        _trigram("ix_request_number_trgm", "number"),
        _trigram("ix_request_object_address_trgm", "object_address"),
        # the text search's prefilter over every request, and over the open ones (the desk's)
        _trigram("ix_request_searched_trgm", "searched"),
        _trigram("ix_request_open_searched_trgm", "searched",
                 postgresql_where=text(OPEN_CONDITION)),
        {"sqlite_autoincrement": True},  # a deleted request's id is never handed out again
    )
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)
    company_id = Column(Integer, ForeignKey("partner_company.id"), nullable=False)
    author_id = user_fk(nullable=False, index=False)
    # a manager or supermanager who filed it on the partner's behalf (None: the partner did)
    filed_by_id = Column(Integer, ForeignKey("ab_user.id", name="fk_request_filed_by_id_ab_user"))
    manager_id = user_fk(index=False)
    # no index of its own, nor on status or created_at: each leads a wider index below
    # (engineer, id), (status, id), (created_at, status) that serves the same queries
    # (0034_drop_prefix_indexes)
    engineer_id = user_fk(index=False)
    end_client_id = Column(Integer, ForeignKey("end_client.id"), index=True)
    quote_id = Column(Integer, ForeignKey("quote.id"))
    source_request_id = Column(Integer, ForeignKey("request.id"))
    status = Column(String(20), nullable=False, default=Status.DRAFT)
    version = Column(Integer, nullable=False, default=1)
    # the services' form values, typed ({key: value}, app.service_fields validates and shows
    # them); the five columns below are mirrors of the keys of the same name written from
    # them (object_address: the request's one-line title), kept for lists, search, pricing
    field_values = Column(JSON().with_variant(JSONB, "postgresql"), nullable=False, default=dict)
    object_address = Column(String(300), nullable=False)
    object_type = Column(String(40))
    area = Column(Numeric(10, 2))
    floor = Column(Integer)
    building_type = Column(String(40))
    urgency = Column(String(40), nullable=False, default="normal")
    options = Column(JSON, default=list)  # calculator options (keys of option price rules)
    description = Column(Text)
    wanted_date = Column(Date)
    total_kopecks = Column(Integer, nullable=False, default=0)
    paid_kopecks = Column(Integer, nullable=False, default=0)
    payment_state = Column(String(10), nullable=False, default=PAYMENT_UNPAID)
    # the VAT mode (app.settings VAT_MODES) its first invoice or payment was made under: a
    # later change of the setting leaves what was invoiced and paid as it was (None: the
    # bureau's current mode applies)
    vat_mode = Column(String(20))
    cancel_reason = Column(Text)
    created_at = created_at_column(index=False)
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    submitted_at = Column(DateTime)
    status_changed_at = Column(DateTime, default=utcnow, nullable=False, index=True)
    # SEARCHED_SQL, written by the database on every insert and update: the text search's
    # trigram indexes are on it, and the rows they name are checked on this one lowered
    # string (~0.5 µs a row) instead of number, title and the field values' JSON written out
    # and lowered again for each (~5 µs). PostgreSQL stores it; SQLite (no pg_trgm, its
    # search walks the JSON) computes it only if read. Not mapped: never loaded or written
    # by the ORM (models.requests.searched_column()).
    searched = Column(Text, Computed(SEARCHED_SQL, persisted=True))

    __mapper_args__ = {"version_id_col": version, "exclude_properties": ["searched"]}

    company = relationship("PartnerCompany")
    author = relationship("User", foreign_keys=[author_id])
    filed_by = relationship("User", foreign_keys="Request.filed_by_id")
    manager = relationship("User", foreign_keys=[manager_id])
    engineer = relationship("User", foreign_keys=[engineer_id])
    end_client = relationship("EndClient")
    lines = relationship("RequestService", back_populates="request",
                         cascade="all, delete-orphan", order_by="RequestService.id")

    @validates("status")
    def _only_workflow_writes_status(self, key, value):
        # no exception, not even for drafts: a new request is a draft by the column default
        if not status_writer.get():
            raise RuntimeError("Request.status is written only by app.workflow")
        return value

    def __repr__(self) -> str:
        return self.number


def searched_column():
    """The column `searched` (SEARCHED_SQL: number, title and field values as JSON text in one
    lowered string): one pg_trgm index over it finds a word in any of them (one bitmap where
    three, ~25 ms each for a street in 50 000 addresses at 1M, were ORed);
    app.request_filters.text_clause asks it and checks each column on the rows found."""
    return Request.__table__.c.searched


class RequestService(Model):
    """One service line of a request with its price at the time of filing."""

    __tablename__ = "request_service"
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    service_id = Column(Integer, ForeignKey("service.id"))  # None for an option surcharge
    title = Column(String(200), nullable=False)
    price_kopecks = Column(Integer, nullable=False, default=0)
    estimated_hours = Column(Numeric(6, 1), nullable=False, default=0)

    request = relationship(Request, back_populates="lines")
    service = relationship("Service")


class StatusChange(Model):
    """One entry of a request's status history (also manager reassignments)."""

    __tablename__ = "status_change"
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request.id"), nullable=False, index=True)
    actor_id = user_fk()  # None = system
    action = Column(String(30), nullable=False)
    from_status = Column(String(20))
    to_status = Column(String(20), nullable=False)
    comment = Column(Text)
    created_at = created_at_column()

    request = relationship(Request, backref="history")
    actor = relationship("User")


class Message(Model):
    """A message in a request thread; internal notes never reach partners."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_request_id_id", "request_id", "id"),)
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request.id"), nullable=False)
    author_id = user_fk(nullable=False)
    body = Column(Text, nullable=False)
    is_internal = Column(Boolean, nullable=False, default=False)
    created_at = created_at_column()

    request = relationship(Request, backref="messages")
    author = relationship("User")


class RequestThread(Model):
    """A request's latest message the partner side may read (not an internal note), kept by
    the Message insert hook below: the partner dashboard's "latest messages" walks the
    partner's requests by it through an index instead of every message (cabinet.dashboard).

    A table of its own (0035_request_thread), not a column of the request: an indexed column
    of the request changed by every message made every post write an entry into each of the
    request table's ~36 indexes (its trigram indexes among them: an update that changes an
    indexed column is never a HOT update). The company and author are the request's, copied
    for the index; the dashboard joins the request on all three, so a copy that ever differed
    would hide a row, never show another's."""

    __tablename__ = "request_thread"
    __table_args__ = (
        Index("ix_request_thread_company_last", "company_id", "last_public_message_id"),
        Index("ix_request_thread_author_last", "author_id", "last_public_message_id"),
    )
    request_id = Column(Integer, ForeignKey("request.id", ondelete="CASCADE"),
                        primary_key=True, autoincrement=False)
    company_id = Column(Integer, nullable=False)
    author_id = Column(Integer, nullable=False)
    last_public_message_id = Column(Integer, nullable=False)


# written out, not built with the dialects' insert().on_conflict_do_update(): SQLAlchemy
# cannot cache that construct (app.rollups: every post would compile it again); the same SQL
# runs on PostgreSQL and SQLite (3.24+; the SELECT's WHERE settles SQLite's upsert parse)
_NOTE_THREAD = text(
    "INSERT INTO request_thread (request_id, company_id, author_id, last_public_message_id)"
    " SELECT id, company_id, author_id, :message FROM request WHERE id = :request"
    " ON CONFLICT (request_id) DO UPDATE SET last_public_message_id = CASE"
    " WHEN excluded.last_public_message_id > request_thread.last_public_message_id"
    " THEN excluded.last_public_message_id ELSE request_thread.last_public_message_id END"
).bindparams(bindparam("message", type_=Integer), bindparam("request", type_=Integer))


@event.listens_for(Message, "after_insert")
def _note_public_message(_mapper, connection, message) -> None:
    """Keep RequestThread: one upsert of the narrow row (the request's own row, and so its
    version, the optimistic lock of open forms, is not touched). Two posts racing keep the
    newer id."""
    if message.is_internal:
        return
    connection.execute(_NOTE_THREAD, {"message": message.id, "request": message.request_id})


class Attachment(Model):
    """A stored file of a request: partner input, engineer work or deliverable."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("stored_name", name="uq_attachment_stored_name"),)
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request.id"), nullable=False, index=True)
    message_id = Column(Integer, ForeignKey("message.id"))
    uploaded_by_id = user_fk(nullable=False)
    kind = Column(String(20), nullable=False, default=ATTACH_INPUT)
    version = Column(Integer, nullable=False, default=1)
    original_name = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    is_released = Column(Boolean, nullable=False, default=False)
    # the document slot a partner input file fills (models.document_slots); None: other files
    slot_key = Column(String(40))
    created_at = created_at_column()

    request = relationship(Request, backref="attachments")
    message = relationship(Message, backref="attachments")
    uploaded_by = relationship("User")


def next_request_number(session, year: int) -> str:
    """Reserve the next number of the year; the row lock serialises concurrent callers."""
    updated = session.execute(
        update(RequestCounter).where(RequestCounter.year == year)
        .values(last_value=RequestCounter.last_value + 1)
    ).rowcount
    if not updated:
        with session.begin_nested():
            session.add(RequestCounter(year=year, last_value=1))
        return f"{year}-{1:05d}"
    value = session.execute(
        select(RequestCounter.last_value).where(RequestCounter.year == year)
    ).scalar_one()
    return f"{year}-{value:05d}"
