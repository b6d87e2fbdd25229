"""Keyset ("seek") pages for large back-office lists (issue 14): a page starts after (or
before) the sort value and id of a row, so page 2 000 reads as few index entries as page 1.

A cursor is signed with the app's secret (itsdangerous) and carries the sort, the filters'
fingerprint and the page size it was made for: a cursor from another sort or filter silently
starts at the first page; a damaged one starts there too with a message, never a 500. The
sort columns are NOT NULL and each has an index on (column, id) (or is unique), so the page
is one row comparison `(column, id) < (:value, :id)` the index answers in order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, flash, g, request, url_for
from flask_appbuilder.models.sqla.filters import (FilterEqual, FilterGreater, FilterSmaller,
                                                  set_value_to_type)
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import false, func, literal, select, tuple_, union_all

from app.extensions import db
from app.request_filters import (by_keys, column_rows, first_keys, many_matches,
                                 search_candidates)
from models import day_bounds
from views import base

# the first pages are also reachable by number (FAB's ?page_<View>=N, by OFFSET: cheap that
# close to the start); deeper pages only by cursor
NUMBERED_PAGES = 5
SALT = "replan-list-cursor"
# keys a walk of a broad search's candidates reads at a time (KeysetPages._walked)
CANDIDATE_BATCH = 200


class KeysetListWidget(ListWidget):
    """FAB's list with a first / previous / next pager and the shown range."""

    template = "appbuilder/general/widgets/keyset_list.html"


@dataclass
class Pager:
    """What the pager shows: the page's number and rows' range, and the links."""

    number: int
    first_row: int
    last_row: int
    count: int
    count_limit: int
    first_url: str | None
    prev_url: str | None
    next_url: str | None
    numbered: list[tuple[int, str | None]]
    # the date the rows are ordered by, newest first, when the list chose it (the label)
    dated_by: str | None = None

    @property
    def more_than(self) -> bool:
        return self.count > self.count_limit


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def _encode(value):
    if isinstance(value, datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return value


def _decode(value, column):
    """A cursor value back to the column's Python type; ValueError when it does not fit."""
    python_type = column.type.python_type
    if isinstance(value, list) and len(value) == 2 and value[0] in ("dt", "d"):
        parsed = (datetime if value[0] == "dt" else date).fromisoformat(value[1])
        if not isinstance(parsed, python_type):
            raise ValueError(value)
        return parsed
    if python_type is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if python_type is str and isinstance(value, str):
        return value
    raise ValueError(value)


# columns in the order rows are added (ids, numbers and creation times grow together)
TIME_ORDERED = frozenset({"id", "number", "created_at"})
DATE_FILTERED = ("created_at", "submitted_at")


def against_the_grain(filters, order) -> bool:
    """Whether the list's date filter keeps rows that lie at the far end of its sort: the
    sort is by a column that grows with time, and the filter asks for the older rows of a
    newest-first sort, the newer rows of an oldest-first one, or one moment. The planner
    takes the filter and the sort for unrelated and walks the sort's index past every row
    outside the period (~950 000 at 1M: ~2 s). `filters`: FAB's joined filters; `order`:
    (column, "asc" | "desc")."""
    column, direction = order
    if column not in TIME_ORDERED or db.engine.dialect.name != "postgresql":
        return False
    for flt in filters.filters:
        if flt.column_name == column or flt.column_name not in DATE_FILTERED:
            continue
        if isinstance(flt, FilterEqual) or \
                isinstance(flt, FilterGreater) and direction == "asc" or \
                isinstance(flt, FilterSmaller) and direction == "desc":
            return True
    return False


# a row passed by a walk of the sort's index (read from the table) against one read from
# the date's covering index for the bounds: ~2 µs and ~0.3 µs at 1M
WALK_ROW_COST, BOUND_ROW_COST = 2.0, 0.3


def walk_is_cheaper(query) -> bool:
    """Whether walking the sort's index past the rows outside the period costs less than
    reading the period's rows for `bounded`: a period of nearly every row (“older than last
    month”, newest first) passes few others. By the planner's estimates (a date range: its
    histogram) of the matches and of the whole table, in one EXPLAIN; the scope is ignored
    (a smaller scope has fewer matches to read too)."""
    table = query.column_descriptions[0]["entity"].__table__
    statement = union_all(query.with_entities(literal(1)).order_by(None).statement,
                          select(literal(1)).select_from(table))
    compiled = statement.compile(dialect=db.engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}",
                                                   compiled.params).scalar()[0]["Plan"]
    arms = plan.get("Plans", [])
    if plan["Node Type"] != "Append" or len(arms) != 2:
        return False  # not the expected plan: read the bound (never the slow walk)
    return cheaper_to_walk(arms[1]["Plan Rows"], arms[0]["Plan Rows"])


def cheaper_to_walk(total: float, matches: float) -> bool:
    """`total` rows, `matches` of them in the period: whether passing the others costs less
    than reading the matches."""
    return max(total - matches, 0) * WALK_ROW_COST < matches * BOUND_ROW_COST


def day_bounded(query, datamodel, filters, order):
    """`query` with its sort column kept at or past the period's first value, read from the
    per-day bounds (models.day_bounds: one row a day of the period, where `bounded` reads
    the period's rows), or None when the filters name no period of a date whose bounds are
    kept (or no request is dated in it: `bounded` then finds that as cheaply). A period's
    days hold every row of its moments and maybe more, so the value is a bound, never a row
    lost; the period is read a day wider at each end (a moment written with another zone's
    offset, a database session in another zone), so the walk from the bound passes at most
    the rows of those edge days (~1 400 a day at a million requests)."""
    column, direction = order
    if column not in day_bounds.BOUNDED:
        return None
    descending = direction == "desc"
    periods: dict[str, list] = {}
    for flt, values in zip(filters.filters, filters.values):
        kind = flt.column_name
        if kind == column or kind not in day_bounds.KINDS or not isinstance(
                flt, (FilterEqual, FilterGreater, FilterSmaller)):
            continue
        # FAB applies each value of a filter's list (?_flt_1_x=a&_flt_1_x=b: both hold)
        for value in values if isinstance(values, list) else [values]:
            moment = set_value_to_type(datamodel, kind, value)
            if not isinstance(moment, datetime):
                continue  # FAB leaves the query as it is
            first, last = periods.setdefault(kind, [None, None])
            day = moment.date()
            if not isinstance(flt, FilterSmaller):  # later than, or at, that moment
                first = day if first is None else max(first, day)
            if not isinstance(flt, FilterGreater):  # earlier than, or at, that moment
                last = day if last is None else min(last, day)
            periods[kind] = [first, last]
    day = timedelta(days=1)
    edges = [day_bounds.bound(db.session, kind, first and first - day, last and last + day,
                              column, descending)
             for kind, (first, last) in periods.items()]
    if not edges or None in edges:
        return None
    sort = getattr(datamodel.obj, column)
    if descending:
        return query.filter(sort <= min(edges))
    return query.filter(sort >= max(edges))


def bounded(query, column, descending: bool):
    """`query` with `column` kept at or below its greatest value among the query's rows
    (`descending`; else at or above its least): the same rows, but a walk of the column's
    index in that direction starts at the first of them. The value is read from the matches
    alone (a subquery the planner cannot merge, so it reads them by the filter's index,
    ix_request_created_cover or ix_request_submitted_cover: the index alone, ~0.3 µs a row,
    ~10–30 ms for 40 000–100 000 at 1M) and never by walking `column`'s index, which is what
    is being avoided."""
    found = query.with_entities(column.label("k")).order_by(None).offset(0).subquery()
    edge = db.session.execute(select((func.max if descending else func.min)(found.c.k))) \
        .scalar()
    if edge is None:
        return query.filter(false())
    return query.filter(column <= edge) if descending else query.filter(column >= edge)


class KeysetPages:
    """Keyset paging of one ModelView's list (views.keyset.KeysetListMixin)."""

    def __init__(self, view):
        self.view = view
        self.name = view.__class__.__name__
        self.arg = f"cursor_{self.name}"

    def keys(self, order_column: str) -> list:
        """The sort's columns: the column, then the id as the tie-breaker (a unique column
        alone)."""
        model = self.view.datamodel.obj
        if order_column == "id":
            return [model.id]
        column = getattr(model, order_column)
        return [column] if column.property.columns[0].unique else [column, model.id]

    def fingerprint(self) -> str:
        """The filters of the request (FAB's _flt_ arguments) as a short digest."""
        items = sorted((k, v) for k, v in request.args.items(multi=True)
                       if k.startswith("_flt_"))
        return hashlib.sha256(repr(items).encode()).hexdigest()[:16]

    def read_cursor(self, order, page_size: int):
        """(values, backwards, page number) of the URL's cursor, or None for the first page."""
        token = request.args.get(self.arg)
        if not token:
            return None
        try:
            data = _serializer().loads(token)
            if data.get("o") != list(order) or data.get("f") != self.fingerprint() \
                    or data.get("s") != page_size:
                return None  # another sort, filter or page size: start again
            keys = self.keys(order[0])
            values = data["k"]
            if not isinstance(values, list) or len(values) != len(keys):
                raise ValueError(values)
            number = data["p"]
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise ValueError(number)
            return ([_decode(v, k) for v, k in zip(values, keys)], bool(data["b"]), number)
        except (BadData, ValueError, KeyError, TypeError, AttributeError):
            flash(_("The page link is damaged or out of date: the first page is shown."),
                  "warning")
            return None

    def cursor_url(self, order, page_size: int, row, backwards: bool, number: int) -> str:
        keys = self.keys(order[0])
        token = _serializer().dumps({
            "o": list(order), "f": self.fingerprint(), "s": page_size, "b": backwards,
            "p": number, "k": [_encode(getattr(row, k.key)) for k in keys]})
        return self.url(**{self.arg: token})

    def url(self, **extra) -> str:
        """This list's URL with its sort, filters and page size, without a page position."""
        kept = [(k, v) for k, v in request.args.items(multi=True)
                if k not in (self.arg, f"page_{self.name}")]
        args: dict = {}
        for key, value in kept + list(extra.items()):
            args.setdefault(key, []).append(value)
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def page(self, query, order, page_size: int, offset_page: int | None, candidates=None):
        """(rows, page number, has previous, has next) of `query` (filtered, unordered).

        `candidates`: a superset of `query`'s rows that the sort's index answers alone (a
        broad search's prefilter, views.keyset.KeysetListMixin): the page's rows are found by
        walking it and checking what it passes against `query` (`_walked`)."""
        keys = self.keys(order[0])
        descending = order[1] == "desc"

        def read(seek, descending: bool, offset: int):
            if candidates is None:
                return self._ordered(query.filter(*seek), keys, descending).offset(offset) \
                    .limit(page_size + 1).all()
            return self._walked(query, candidates, seek, keys, descending, offset,
                                page_size + 1)

        cursor = self.read_cursor(order, page_size)
        if cursor is None:
            number = offset_page + 1 if offset_page and 0 < offset_page < NUMBERED_PAGES else 1
            rows = read((), descending, (number - 1) * page_size)
            return rows[:page_size], number, number > 1, len(rows) > page_size
        values, backwards, number = cursor
        row, bound = tuple_(*keys), tuple_(*values)
        rows = read(((row < bound) if descending != backwards else (row > bound),),
                    descending != backwards, 0)
        more = len(rows) > page_size
        rows = rows[:page_size]
        if not backwards:
            return rows, number, number > 1, more
        if not more:  # stepped back to the start: the first page as it is now
            rows = read((), descending, 0)
            return rows[:page_size], 1, False, len(rows) > page_size
        return list(reversed(rows)), max(number, 2), True, True

    def _walked(self, query, candidates, seek, keys, descending: bool, offset: int,
                limit: int) -> list:
        """Rows `offset` to `offset + limit` of `query` in the keys' order, found by walking
        `candidates` in that order a batch of keys at a time (from the index alone) and
        keeping the keys `query` holds (read by key: a batch is one statement). A broad word
        sorted by address: ~66 000 candidates passed before a first page at a million
        requests, each of them read from the table when `query` itself was walked."""
        key = self.view.datamodel.obj.id
        wanted = offset + limit
        size = max(CANDIDATE_BATCH, 2 * wanted)
        columns = [*keys, key] if key not in keys else keys
        found: list = []
        beyond = ()
        while len(found) < wanted:
            batch = column_rows(self._ordered(
                candidates.filter(*seek, *beyond).with_entities(*columns),
                keys, descending).limit(size))
            if not batch:
                break
            held = set(first_keys(by_keys(query, key, [r[-1] for r in batch]), key,
                                  len(batch)))
            found += [r[-1] for r in batch if r[-1] in held]
            if len(batch) < size:
                break
            row, last = tuple_(*keys), tuple_(*batch[-1][:len(keys)])
            beyond = ((row < last) if descending else (row > last),)
        chosen = found[offset:wanted]
        rows = {r.id: r for r in by_keys(query, key, chosen)} if chosen else {}
        return [rows[k] for k in chosen if k in rows]

    @staticmethod
    def _ordered(query, keys, descending: bool):
        return query.order_by(*[k.desc() if descending else k.asc() for k in keys])

    def pager(self, order, page_size: int, rows, number: int, has_prev: bool, has_next: bool,
              count: int, count_limit: int) -> Pager:
        """The pager's numbers and links for a page of `rows`."""
        first_row = (number - 1) * page_size + 1 if rows else 0
        numbered = []
        if number <= NUMBERED_PAGES:  # near the start: the numbered pages there are
            known = -(-min(count, count_limit) // page_size)
            for n in range(1, min(NUMBERED_PAGES, known) + 1):
                link = None if n == number else (
                    self.url() if n == 1 else self.url(**{f"page_{self.name}": n - 1}))
                numbered.append((n, link))
        return Pager(
            number=number, first_row=first_row, last_row=first_row + len(rows) - 1 if rows
            else 0, count=count, count_limit=count_limit,
            first_url=self.url() if has_prev else None,
            prev_url=self.cursor_url(order, page_size, rows[0], True, number - 1)
            if has_prev and rows else None,
            next_url=self.cursor_url(order, page_size, rows[-1], False, number + 1)
            if has_next and rows else None,
            numbered=numbered)


class KeysetListMixin:
    """A ReplanModelView whose list pages by keyset: put it before the view's base class.
    Sorts offered are the view's `order_columns` (each NOT NULL with a (column, id) index)."""

    list_widget = KeysetListWidget

    # filters whose matches are few and costly to find (a text search's trigram scans): the
    # matching keys are read once, counted, and the page is read by them
    narrow_filters: tuple = ()
    NARROW_ROWS = 2_000
    # sorts whose index carries what those filters' prefilter and the scopes test (the
    # address: models.requests ix_request_address_cover): a broad search sorted by one walks
    # that index alone for a page's candidates (KeysetPages._walked)
    candidate_orders: tuple = ()

    # date columns a list left unsorted is read newest first by when it is filtered by one
    # (each leads an index; rows without the date never pass a filter on it)
    dated_orders: tuple = ()

    def list_order(self) -> tuple[str, str]:
        """The sort the user picked, else the view's default, newest first by id; but a list
        filtered by a date of `dated_orders` and left unsorted reads newest first by that
        date (the same “newest first”): its index starts at the period's newest row (~0.2 ms
        at 1M), where the id's index was walked to the period's first row or its bound read
        from the period's rows (“created before” half the table: ~75 ms; “submitted before”
        ~170 ms)."""
        order = super().list_order()
        if order != tuple(self.base_order) or order[0] != "id":
            return order  # a sort the user picked (the id is no column he can pick)
        # a filter whose value is empty or no date is not in the arguments any more
        # (app.input_guard drops it before the view)
        for column in self.dated_orders:
            pattern = re.compile(rf"_flt_\d+_{column}")
            if any(pattern.fullmatch(name) for name in request.args):
                return column, "desc"
        return order

    def _counted(self, query, joined, order):
        """(bounded count, the count's bound, the query the page reads, the candidates the
        page walks or None). With a narrow filter
        the matches are found once (their keys, at most NARROW_ROWS + 1) and, when that few,
        counted and the page reads those rows by key: one scan of the text indexes instead
        of two (count and page; ~45 ms each at a million requests). More matches are shown
        as “more than NARROW_ROWS”: counting a broad word's 10 001 matches was ~320 ms at 1M
        (the trigram scans' rechecks), and the page itself walks its sort's index: for a sort
        of `candidate_orders`, its candidates from that index alone."""
        datamodel = self.datamodel
        if not any(isinstance(flt, self.narrow_filters) for flt in joined.filters):
            count = datamodel.query_count(datamodel.session.query(datamodel.obj), joined)
            return count, base.COUNT_LIMIT, query, None
        key = datamodel.obj.__mapper__.primary_key[0]
        keys = first_keys(query, key, self.NARROW_ROWS + 1)
        if len(keys) > self.NARROW_ROWS:  # the filters again, for a walk of the sort's index
            with many_matches():
                broad = datamodel.apply_all(datamodel.session.query(datamodel.obj), joined)
                candidates = None
                if order[0] in self.candidate_orders:
                    with search_candidates():
                        candidates = datamodel.apply_all(
                            datamodel.session.query(datamodel.obj), joined)
            return len(keys), self.NARROW_ROWS, broad, candidates
        return len(keys), self.NARROW_ROWS, by_keys(datamodel.session.query(datamodel.obj),
                                                    key, keys), None

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        widgets = widgets or {}
        page_size = max(1, min(int(page_size or self.page_size), base.MAX_PAGE_SIZE))
        order = self.list_order()
        datamodel = self.datamodel
        joined = filters.get_joined_filters(self._base_filters)
        query = datamodel.apply_all(datamodel.session.query(datamodel.obj), joined)
        count, count_limit, query, candidates = self._counted(query, joined, order)
        if getattr(datamodel, "eager", ()):
            query = query.options(*datamodel.eager_options())
        pages = KeysetPages(self)
        if against_the_grain(joined, order):
            kept = day_bounded(query, datamodel, joined, order)
            if kept is not None:
                query = kept
            elif not walk_is_cheaper(query):
                query = bounded(query, pages.keys(order[0])[0], order[1] == "desc")
        rows, number, has_prev, has_next = pages.page(query, order, page_size, page,
                                                      candidates)
        pager = pages.pager(order, page_size, rows, number, has_prev, has_next, count,
                            count_limit)
        if order != super().list_order():  # newest first by the filter's date (list_order)
            pager.dated_by = str(self.label_columns.get(order[0], order[0]))
        columns = self.list_columns_for(g.user)
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns, include_columns=columns,
            value_columns=datamodel.get_values(rows, columns),
            order_columns=self.sortable_columns, formatters_columns=self.formatters_columns,
            page=number - 1, page_size=page_size, count=count,
            pks=datamodel.get_keys(rows), actions=actions or self.actions, filters=filters,
            modelview_name=self.__class__.__name__, pager=pager, **kwargs)
        return widgets
