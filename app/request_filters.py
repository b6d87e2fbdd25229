"""Staff request-list filters: parsed from a query string, checked against the user's scope.

Every choice a filter offers (companies, managers, engineers) is taken from the requests the
user may see (app.access.request_scope), so a select never lists a company or a colleague
outside that scope. Partner words follow app.visibility: engineers get neither the company
nor the end-client filter, and such parameters are dropped. A value that does not parse or is
not among the user's choices is ignored and reported, never an error page.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Integer, String, Text, and_, any_, case, cast, exists, false, func,
                        literal, literal_column, or_, select, true)
from sqlalchemy.dialects.postgresql import ARRAY

from app.access import request_scope
from app.extensions import db
from app.pg_connections import plan_for_values
from app.shared_cache import CHOICES, cached
from app.input_guard import bounded_int
from app.request_rules import PAYMENT_LABELS
from app.timefmt import day_bounds_utc
from app.visibility import reads_partner_words
from models.partners import EndClient, PartnerCompany
from models.requests import Request, searched_column
from models.service_fields import ServiceField

DATE_FIELDS = {"created": _l("Created"), "submitted": _l("Submitted")}
CLIENT_MAX = 100
SEARCH_MAX = 100  # characters of a search text that are used (a VIN, a phone, a name)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
_TEXT_ARRAY = ARRAY(String)
JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # characters JSON text writes escaped
ID_FILTERS = {"company": Request.company_id, "manager": Request.manager_id,
              "engineer": Request.engineer_id}


@dataclass
class RequestFilters:
    """What the user asked for, already checked; `ignored` names the values dropped."""

    company: int | None = None
    manager: int | None = None
    engineer: int | None = None
    payment: str | None = None
    client: str = ""
    date_by: str = "created"
    start: date | None = None
    end: date | None = None
    ignored: list[str] = field(default_factory=list)
    swapped: bool = False  # the period came reversed (its start after its end)

    def active(self) -> bool:
        return any((self.company, self.manager, self.engineer, self.payment, self.client,
                    self.start, self.end))

    def args(self) -> dict:
        """The filters as query-string arguments (for page and sort links)."""
        found = {"company": self.company, "manager": self.manager, "engineer": self.engineer,
                 "payment": self.payment, "client": self.client,
                 "from": self.start and self.start.isoformat(),
                 "to": self.end and self.end.isoformat()}
        found = {k: v for k, v in found.items() if v}
        if self.start or self.end:
            found["date_by"] = self.date_by
        return found


def partner_side_allowed(user) -> bool:
    """Company and end-client filters only for those who read partner words (not engineers)."""
    return reads_partner_words(user)


def _scoped_ids(user, column):
    return select(column).where(request_scope(user), column.is_not(None))


def filter_choices(user) -> dict[str, list[tuple[int, str]]]:
    """(id, name) choices of each select, only values found on requests the user may see;
    kept per process for the user under the shared-cache stamp "choices" (app.shared_cache:
    any commit that changed a company, a user's name, an end client or a request moves it)."""
    return cached(CHOICES, ("request-filters", user.id), lambda: _filter_choices(user))


def _filter_choices(user) -> dict[str, list[tuple[int, str]]]:
    choices = {}
    if partner_side_allowed(user):
        choices["company"] = [(c.id, c.name) for c in db.session.query(PartnerCompany).filter(
            PartnerCompany.id.in_(_scoped_ids(user, Request.company_id)))
            .order_by(PartnerCompany.name, PartnerCompany.id)]
    for name in ("manager", "engineer"):
        users = db.session.query(User).filter(
            User.id.in_(_scoped_ids(user, ID_FILTERS[name]))).order_by(
            User.last_name, User.first_name, User.id)
        found = [(u.id, u.get_full_name()) for u in users]
        if [key for key, _ in found] != [user.id]:  # a manager's "manager" is only himself
            choices[name] = found
    return choices


def _day(value: str) -> date | None | bool:
    """A yyyy-mm-dd day, None when empty, False when it does not parse."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return False
    return day if FIRST_DAY <= day <= LAST_DAY else False  # 0001-01-01 overflows in UTC


def parse_filters(args, user, choices: dict) -> RequestFilters:
    """The filters among `args` that parse and lie inside the user's choices."""
    found = RequestFilters()
    for name in ("company", "manager", "engineer"):
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        number = bounded_int(raw)
        if number is not None and number in {key for key, _ in choices.get(name, ())}:
            setattr(found, name, number)
        else:
            found.ignored.append(name)
    payment = args.get("payment") or ""
    if payment in PAYMENT_LABELS:
        found.payment = payment
    elif payment:
        found.ignored.append("payment")
    client = (args.get("client") or "").strip()
    if client and partner_side_allowed(user):
        found.client = client[:CLIENT_MAX]
    elif client:
        found.ignored.append("client")
    found.date_by = args.get("date_by") if args.get("date_by") in DATE_FIELDS else "created"
    for attr, name in (("start", "from"), ("end", "to")):
        day = _day((args.get(name) or "").strip())
        if day is False:
            found.ignored.append(name)
        else:
            setattr(found, attr, day)
    if found.start and found.end and found.start > found.end:  # read as meant, and said
        found.start, found.end, found.swapped = found.end, found.start, True
    return found


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern with '\\' as the escape character (no user wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# words in nearly every address: their trigrams are in nearly every row, so a pg_trgm index
# asked for them reads a posting list of every row (~50 ms each at 1M requests)
COMMON_WORDS = frozenset((
    "улица", "дом", "квартира", "город", "корп", "корпус", "стр", "строение", "просп",
    "проспект", "пер", "переулок", "шоссе", "наб", "набережная", "площадь", "бульвар", "обл",
    "область", "мкр", "пос", "street", "apt", "ave", "bld"))  # “ул.”, “д.”: under 3 letters
WORD = re.compile(r"[^\W_]{3,}")  # letters and digits: the parts pg_trgm takes trigrams of
INDEX_WORDS = 2  # the longest telling words are given to the index, the rest is a recheck


def contains(column, text: str, indexed: bool = True):
    """SQL: `column` contains `text` (any case, no wildcards from the user).

    On PostgreSQL the pg_trgm index is asked only for the text's telling words
    (`index_condition`) and the whole text is checked on the rows it finds: the same rows,
    found without reading the index's lists of the trigrams nearly every row holds.
    `indexed=False`: a check of rows another index walks or finds (no trigram scan; see
    text_clause)."""
    like = f"%{escape_like(text)}%"
    if db.engine.dialect.name == "sqlite":  # its LIKE folds ASCII only (app.sqlite_functions)
        return func.replan_lower(column).like(like.lower(), escape="\\")
    whole = column.ilike(like, escape="\\")
    if db.engine.dialect.name != "postgresql":
        return whole
    if not indexed:  # ILIKE's own folding (lower() of both); the planner has no estimate
        # for it (ILIKE's is ~0.2 per letter: “Школьная” 3e-6, so it read whole ranges)
        return func.strpos(func.lower(column), func.lower(literal(text))) > 0
    if not telling_words(text):
        return whole
    # `column || ''` is no indexed expression: the whole text is a recheck, not an index scan
    return and_(index_condition(column, text), column.concat("").ilike(like, escape="\\"))


def telling_words(text: str) -> list[str]:
    """The words of `text` a trigram index is asked for: the longest two of at least 3
    letters or digits that are not address boilerplate such as “ул.” or “д.”; [] when the
    index should rather be asked for the whole text (no such word, or the text is one)."""
    lowered = text.lower()
    words = [w for w in dict.fromkeys(WORD.findall(lowered)) if w not in COMMON_WORDS]
    words = sorted(words, key=len, reverse=True)[:INDEX_WORDS]
    return [] if words == [lowered] else words


def index_condition(indexed, text: str, lowered: bool = False):
    """SQL: what a pg_trgm index over the expression `indexed` is asked for `text`: each
    telling word, or the whole text (the caller checks the whole text on the rows found).
    `lowered`: `indexed` is stored lowered (models.requests.searched_column), so it is
    matched by LIKE against the words lowered by the database's own lower() (a constant the
    planner folds): ILIKE would lower every row it checks again."""
    words = telling_words(text) or [text]
    if lowered:
        return and_(*(indexed.like(func.lower(literal(f"%{escape_like(word)}%")), escape="\\")
                      for word in words))
    return and_(*(indexed.ilike(f"%{escape_like(word)}%", escape="\\") for word in words))


def search_text(text) -> str:
    """A typed search text as it is searched: NUL and control characters dropped, trimmed,
    at most SEARCH_MAX characters ("" when nothing is left)."""
    cleaned = "".join(ch for ch in str(text or "") if ch >= " " or ch == "\t")
    return cleaned.strip()[:SEARCH_MAX].strip()


def contact_keys():
    """SQL: the field keys some service marks as contact data (hidden from engineers)."""
    return select(ServiceField.key).where(ServiceField.is_contact.is_(True)).distinct()


def public_keys():
    """SQL: the field keys some service asks without marking them contact data. An engineer
    searches only these (and never a contact key): a value stored under a key no field has
    any more (a renamed contact field) is not shown to him, so it must not find either."""
    return select(ServiceField.key).where(ServiceField.is_contact.is_(False)).distinct()


def field_value_clause(text: str, user, indexed: bool = True):
    """SQL: one of the request's field values (app.service_fields) contains `text` (any
    case, no wildcards from the user). Values only, never keys; for a user who may not read
    partner words (engineers) contact fields are not searched: they cannot find a request
    by a phone they are not shown. SQLite walks the JSON (json_tree), PostgreSQL the JSONB
    (jsonb_each)."""
    text = search_text(text)
    if not text:
        return false()
    like = f"%{escape_like(text)}%"
    hidden = None if reads_partner_words(user) else contact_keys()
    if db.engine.dialect.name == "postgresql":
        each = func.jsonb_each(Request.field_values).table_valued("key", "value").alias("fv")
        # each value, or each item of a list (lax $[*]: a scalar is its own only item)
        items = func.jsonb_path_query(each.c.value, literal_column("'lax $[*]'::jsonpath")) \
            .table_valued("value").render_derived(name="item")
        item_text = items.c.value.op("#>>")(literal([], type_=_TEXT_ARRAY))  # as text
        found = select(literal(1)).select_from(each).join(items, true()).where(
            func.jsonb_typeof(items.c.value).in_(("string", "number")),
            item_text.ilike(like, escape="\\"))
        if hidden is not None:
            found = found.where(each.c.key.not_in(hidden), each.c.key.in_(public_keys()))
        if JSON_ESCAPED.search(text):
            return exists(found)
        # the values as JSON text contain the text too: a pg_trgm index finds those rows,
        # the exact walk then runs on them only (a text JSON escapes cannot be prefiltered)
        return and_(contains(cast(Request.field_values, Text), text, indexed), exists(found))
    tree = func.json_tree(Request.field_values).table_valued(
        "key", "atom", "type", "path").alias("fv")
    found = select(literal(1)).select_from(tree).where(
        tree.c.type.in_(("text", "integer", "real")), contains(tree.c.atom, text))
    if hidden is not None:
        # the value's field: its own key at the top, else its list's path ($.extras or
        # $."owner_phones": SQLite quotes a key with "_" in it)
        top = case((tree.c.path == "$", tree.c.key),
                   else_=func.trim(func.substr(tree.c.path, 3), '"'))
        found = found.where(top.not_in(hidden), top.in_(public_keys()))
    return exists(found)


def text_clause(text: str, user, indexed: bool = True):
    """SQL: the request's number, title (object_address) or a field value contains `text`.
    The one text search of the lists (cabinet list, staff list, desk); None when empty.

    `indexed=False` when the text is known to be found in many rows (a word of thousands of
    addresses) and the caller reads them in another index's order: each row is checked as
    it is walked, with a test the planner neither serves from the trigram indexes nor
    estimates as rare (it would read every row of the range and sort them)."""
    text = search_text(text)
    if not text:
        return None
    plan_for_values()  # the trigram indexes, partial ones too, for these words
    if _CANDIDATES.get() and db.engine.dialect.name == "postgresql" \
            and not JSON_ESCAPED.search(text):
        # every match's stored search text holds the words: the test an index carrying that
        # text answers alone; the rows it passes are checked with the whole clause after
        return searched_prefilter(text)
    if indexed and db.engine.dialect.name == "postgresql" and not JSON_ESCAPED.search(text):
        # one trigram index over the three (models.requests.searched_column) finds the rows,
        # each column is checked on them: the number and the title as they are, the field
        # values as JSON text and then value by value (keys and hidden fields never match).
        # A text JSON escapes is not in the values' JSON text as typed: the ORed columns below.
        return and_(searched_prefilter(text),
                    or_(contains(Request.number, text, indexed=False),
                        contains(Request.object_address, text, indexed=False),
                        field_value_clause(text, user, indexed=False)))
    return or_(contains(Request.number, text, indexed),
               contains(Request.object_address, text, indexed),
               field_value_clause(text, user, indexed))


def searched_prefilter(text: str):
    """SQL (PostgreSQL): the stored search text holds `text`, which every match must. Asked of
    the trigram index for the telling words; in a walk of another index (many_matches) as a
    plain substring test of the whole text, lowered as the column holds it: per row walked
    it is ~20 % cheaper than LIKE, and the index is not what is read."""
    if _MANY.get():
        return func.strpos(searched_column(), func.lower(literal(text))) > 0
    return index_condition(searched_column(), text, lowered=True)


FEW_MATCHES = 2_000  # matches read by key (more: the search stays one statement)


def column_rows(query) -> list:
    """The rows of `query`, a Query of columns (no entities), read through its session's
    connection: the ORM's handling of a row cost ~3 µs (a broad search's 2 001 keys: ~5 ms
    of the page at 1M), a plain result's ~0.5. Pending changes are flushed first, as the
    query itself would (its session's autoflush)."""
    return statement_rows(query.statement, session=query.session)


def statement_rows(statement, session=None, **params) -> list:
    """The rows of a Core `statement` (with its `params`) through the session's connection,
    pending changes flushed first as an ORM query would (column_rows)."""
    session = session if session is not None else db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params).all()


def first_keys(query, key, limit: int) -> list:
    """The keys of at most `limit` rows of `query`, in no order: the matches of a costly
    filter (a text search's trigram scans) found once, by the indexes alone."""
    return [found for (found,) in column_rows(query.with_entities(key).order_by(None)
                                              .limit(limit))]


def by_keys(query, key, keys: list):
    """`query` narrowed to the rows with these integer keys: one array parameter on
    PostgreSQL (`= ANY(...)`, an index condition), IN on SQLite."""
    if db.engine.dialect.name == "postgresql":
        return query.filter(key == any_(literal(keys, ARRAY(Integer))))
    return query.filter(key.in_(keys))


def narrowed_by_text(query, clause):
    """`query` (over Request) narrowed by a text search `clause` (text_clause, client_clause).

    On PostgreSQL the matches are found first by the trigram indexes alone (their ids, at
    most FEW_MATCHES + 1) and, when that few, the query reads those rows by id. In one
    statement with the caller's scope the planner ANDs the scope's whole index range into
    the trigram scans (a large company's ~200 000 rows: ~60 ms of a ~160 ms search at a
    million requests) to spare fetches of the few hundred rows the text finds."""
    if db.engine.dialect.name == "postgresql":
        keys = first_keys(db.session.query(Request.id).filter(clause), Request.id,
                          FEW_MATCHES + 1)
        if len(keys) <= FEW_MATCHES:
            return by_keys(query, Request.id, keys)
    return query.filter(clause)


# set while a page reads the rows of a search known to match many (views.keyset: more than
# its NARROW_ROWS keys): client_clause then checks each row as an index walks it
_MANY: ContextVar[bool] = ContextVar("replan_many_matches", default=False)


@contextmanager
def many_matches():
    """Build a search's clauses for a read that walks another index (a list's order) and
    checks each row, because the search matched too many rows to collect first."""
    token = _MANY.set(True)
    try:
        yield
    finally:
        _MANY.reset(token)


# set while a list walks its sort's index for a page's candidates (views.keyset: a broad
# search sorted by an index that carries the stored search text)
_CANDIDATES: ContextVar[bool] = ContextVar("replan_search_candidates", default=False)


@contextmanager
def search_candidates():
    """Build a search's clauses as a superset of its matches that an index holding the
    stored search text (models.requests: ix_request_address_cover) answers without the
    table: on PostgreSQL the text search becomes that text's substring test alone (a word
    found only in a field's name, or in a field the user may not see, passes it). The
    caller checks the rows found with the whole clauses."""
    token = _CANDIDATES.set(True)
    try:
        yield
    finally:
        _CANDIDATES.reset(token)


def client_clause(text: str, company_id: int | None = None):
    """SQL: the request's end client's name contains `text` (any case, no wildcards from the
    user; a pg_trgm index on PostgreSQL). `company_id`: only that company's clients (a
    partner's search: the same rows in scope, without the namesakes of 200 other companies
    that made a common name's matches too many to read by key)."""
    clients = select(EndClient.id).where(contains(EndClient.name, text))
    if company_id is not None:
        clients = clients.where(EndClient.company_id == company_id)
    if db.engine.dialect.name == "postgresql" and _MANY.get():
        # a common surname: ~9 000 clients, ~50 000 requests at 1M. Collected first they
        # were read and sorted whole (~580 ms a page); checked per row while the list's
        # order index is walked, a page reads a few hundred rows (~10 ms)
        return exists(clients.where(EndClient.id == Request.end_client_id))
    if db.engine.dialect.name == "postgresql":
        # = ANY(ARRAY(...)): an index condition, so an OR with the other text columns stays a
        # BitmapOr of indexes (IN (subquery) made it a filter over every row)
        return Request.end_client_id == func.any(func.array(clients.scalar_subquery()))
    return Request.end_client_id.in_(clients)


def apply_filters(query, filters: RequestFilters):
    """`query` over Request narrowed by the checked filters (the caller keeps the scope)."""
    for name, column in ID_FILTERS.items():
        if getattr(filters, name):
            query = query.filter(column == getattr(filters, name))
    if filters.payment:
        query = query.filter(Request.payment_state == filters.payment)
    if filters.client:
        query = query.filter(client_clause(filters.client))
    column = Request.submitted_at if filters.date_by == "submitted" else Request.created_at
    if filters.start and filters.end and filters.start > filters.end:
        return query.filter(false())
    # the days as the bureau lives them (the lists show times in its zone)
    if filters.start:
        query = query.filter(column >= day_bounds_utc(filters.start, filters.start)[0])
    if filters.end:
        query = query.filter(column <= day_bounds_utc(filters.end, filters.end)[1])
    return query

