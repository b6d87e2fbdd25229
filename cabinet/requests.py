"""Cabinet request list (filters + keyset pages), detail page and file downloads."""

from __future__ import annotations

from typing import NamedTuple

from flask import abort, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Integer, Select, bindparam, literal, tuple_
from sqlalchemy.orm import aliased

from app.extensions import db
from app.access import get_request_or_404, is_company_owner
from app.errors import InvalidInput
from app.exports import check_period_args
from app.input_guard import arg_int
from app.pg_connections import plan_once, planned_once
from app.permissions import role_names
from app.request_filters import column_rows, statement_rows
from app.money import money
from app.notifications import read_on_page
from app.status_labels import partner_group_of, partner_groups
from app.storage import send_stored
from app.request_records import PAGE_OPTIONS, load_records
from app.request_rules import DOCUMENT_LABELS, awaiting_payment, rules_for
from app.request_conversation import history_for, partner_files, partner_may_download
from app.templating import partner_status_of
from app.thread import thread_of
from app.timefmt import format_day
from app.typed_input import show_page_at, typed_text
from app.uow import commit_after_rendering
from cabinet import bp
from cabinet.access import partner_required
from cabinet.choices import object_type_choices, service_choices
from cabinet.forms import MessageForm, ReasonForm
from models.request_status import ACTION_LABELS, PARTNER_BUTTONS
from models.partners import EndClient
from models.requests import Attachment, Request
from reports.sources import partner_filters, partner_period_column, partner_requests

PAGE_SIZE = 20
# written into the statement, not sent as a value: PostgreSQL plans a statement with a
# parameter LIMIT for 10 % of the rows, so a prepared page never got a plan kept for any
# partner (app.pg_connections); with the limit known, one plan serves every page
PAGE_LIMIT = literal(PAGE_SIZE + 1, literal_execute=True)


# the list's columns only, as plain rows (no ORM objects: a page of full requests with their
# users and profiles cost more Python than the rest of the page); aliases, so the client
# search's own subquery on end_client is never correlated with the joined client
_CLIENT, _AUTHOR, _FILER = aliased(EndClient), aliased(User), aliased(User)
LIST_COLUMNS = (Request.id, Request.number, Request.object_address, Request.status,
                Request.total_kopecks, Request.payment_state, Request.created_at,
                Request.filed_by_id, _CLIENT.name.label("client"),
                _FILER.first_name.label("filer_first"), _FILER.last_name.label("filer_last"))
AUTHOR_COLUMNS = (_AUTHOR.id.label("author_user_id"),
                  _AUTHOR.first_name.label("author_first"),
                  _AUTHOR.last_name.label("author_last"))


class ListRow(NamedTuple):
    """One row of the list as the partner reads it: every label, sum and date worked out in
    Python, so the template's loop only writes values (a row with four filters and a
    translation cost Jinja ~40 µs; a page has 20)."""

    id: int
    number: str
    filer: str | None  # "Filed by manager …" when a manager filed it on the partner's behalf
    address: str
    client: str
    author: str | None  # the owner's column: who filed it (None: not shown)
    group: str  # the status group's CSS class
    status: str
    total: str
    created: str


def shown_rows(rows, show_author: bool) -> list[ListRow]:
    """The list's rows (list_rows) as ListRow; each status's label worked out once a page."""
    statuses: dict[tuple[str, bool], tuple[str, str]] = {}
    shown = []
    for r in rows:
        key = (r.status, awaiting_payment(r))
        status = statuses.get(key)
        if status is None:
            status = statuses[key] = (partner_group_of(r.status), partner_status_of(r))
        shown.append(ListRow(
            r.id, r.number,
            _("Filed by manager %(name)s", name=f"{r.filer_first} {r.filer_last}")
            if r.filed_by_id else None,
            r.object_address, r.client if r.client is not None else "—",
            (f"{r.author_first} {r.author_last}" if r.author_user_id else "—")
            if show_author else None,
            status[0], status[1], money(r.total_kopecks), format_day(r.created_at)))
    return shown


def list_rows(query, show_author: bool):
    """`query` (over Request) as the list's rows: one statement with the client, the
    on-behalf filer and (for the owner) the author joined."""
    columns = LIST_COLUMNS + (AUTHOR_COLUMNS if show_author else ())
    query = query.with_entities(*columns) \
        .outerjoin(_CLIENT, _CLIENT.id == Request.end_client_id) \
        .outerjoin(_FILER, _FILER.id == Request.filed_by_id)
    if show_author:
        query = query.outerjoin(_AUTHOR, _AUTHOR.id == Request.author_id)
    return query


PLAIN_KEPT = 1024  # statements kept per process (three shapes a signed-in partner)
_plain: dict[tuple, Select] = {}


def plain_statement(user, show_author: bool, newer: bool, cursor: bool) -> Select:
    """The unfiltered list's statement for `user`: newest first, or past a cursor id (its one
    parameter, `cursor`) older or newer. Built once per process for each scope and shape:
    built anew, the page's Query and SQLAlchemy's cache key of it cost ~0.6 ms of a ~6 ms
    page (at 1M), and a kept statement keeps its key. The key holds everything the scope
    is made of (app.access.request_scope), so a change of company, role or ownership makes
    a new one."""
    # show_author is is_company_owner(user): owner or member is in the key through it
    key = (user.id, user.profile.partner_company_id, frozenset(role_names(user)),
           show_author, newer, cursor)
    found = _plain.get(key)
    if found is None:
        query = list_rows(partner_requests(user, {}), show_author)
        if cursor:
            at = bindparam("cursor", type_=Integer)
            query = query.filter(Request.id > at if newer else Request.id < at)
        found = query.order_by(Request.id.asc() if newer else Request.id.desc()) \
            .limit(PAGE_LIMIT).statement
        if len(_plain) >= PLAIN_KEPT:
            _plain.clear()
        _plain[key] = found
    return found


def filtered_page(filters: dict, show_author: bool, after: int | None, before: int | None):
    """(rows in the statement's order, a newer page?, past a cursor?) of a filtered list.
    With a period the order is (that date, id), the cursor the id of the edge row (looked
    up among the partner's own filtered requests: a foreign id gives the first page)."""
    scoped = partner_requests(current_user, filters)
    query = list_rows(scoped, show_author)
    column = partner_period_column(filters)
    keys = (column, Request.id) if column is not None else (Request.id,)

    def beyond(rid: int, older: bool):
        """The rows past the cursor row `rid` in the list's order (None: no such row)."""
        if column is None:
            return Request.id < rid if older else Request.id > rid
        edge = scoped.filter(Request.id == rid).with_entities(column).first()
        if edge is None:
            return None
        mine, at = tuple_(*keys), tuple_(literal(edge[0], column.type), literal(rid))
        return mine < at if older else mine > at

    newer_rows = beyond(before, older=False) if before else None
    if newer_rows is not None:
        return column_rows(query.filter(newer_rows).order_by(*(key.asc() for key in keys))
                           .limit(PAGE_LIMIT)), True, True
    older_rows = beyond(after, older=True) if after and not before else None
    if older_rows is not None:
        query = query.filter(older_rows)
    return column_rows(query.order_by(*(key.desc() for key in keys)).limit(PAGE_LIMIT)), \
        False, older_rows is not None


def unfiltered() -> bool:
    """The list as it opens (or paged by a cursor id alone): newest first by id."""
    return not partner_filters(request.args)


@bp.route("/requests")
@partner_required
@planned_once(unfiltered)
def request_list():
    """Newest first; keyset pages (?after=id / ?before=id) stay fast at any depth. The
    owner, who sees the whole company's requests, also sees who filed each one."""
    show_author = is_company_owner(current_user)
    filters = partner_filters(request.args)
    reversed_period = False
    try:
        check_period_args(request.args, listed=True)
    except InvalidInput as error:  # said, not an unexplained empty list (and no export)
        flash(str(error), "danger")
        reversed_period = True
    after, before = arg_int("after"), arg_int("before")
    if not filters:
        # newest first by id (or past a cursor id): the company's (company_id, id) index is
        # the best plan for every company, so it is planned once (app.pg_connections)
        plan_once()
        cursor = before or after
        statement = plain_statement(current_user, show_author, newer=bool(before),
                                    cursor=bool(cursor))
        rows = statement_rows(statement, **({"cursor": cursor} if cursor else {}))
        newer, past_cursor = bool(before), bool(cursor)
    else:
        rows, newer, past_cursor = filtered_page(filters, show_author, after, before)
    if newer:
        has_more_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        has_older = True
    else:
        has_older = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_more_newer = past_cursor
    args = {k: v for k, v in request.args.items() if k not in ("after", "before")}
    return render_template(
        "cabinet/request_list.html", rows=shown_rows(rows, show_author), args=args,
        groups=partner_groups(), object_types=object_type_choices(),
        services=service_choices(),
        show_author=show_author, reversed_period=reversed_period,
        older=rows[-1].id if rows and has_older else None,
        newer=rows[0].id if rows and has_more_newer else None)


@bp.route("/requests/<int:request_id>")
@partner_required
def request_detail(request_id: int):
    req = get_request_or_404(current_user, request_id, *PAGE_OPTIONS)
    read = read_on_page(current_user, req.id)  # seen: the bell drops (committed below)
    show_page_at(url_for("cabinet.request_detail", request_id=req.id))  # drawn by a refused move
    records = load_records(req)  # messages, files and history: one statement each
    messages = thread_of(req, records)  # the one conversation: data requests, answers, files
    inputs, released = partner_files(req, records)
    page = render_template(
        "cabinet/request_detail.html", req=req, timeline=history_for(current_user, req, records),
        messages=messages, inputs=inputs, released=released,
        rules=rules_for(current_user, req), document_labels=DOCUMENT_LABELS,
        action_labels=ACTION_LABELS,
        # a message refused in its own POST (request_message draws this page): as typed
        message_form=MessageForm(formdata=None, body=typed_text(
            url_for("cabinet.request_message", request_id=req.id), "body")
            or session.pop(f"message_draft_{req.id}", "")),
        # a move refused in its own POST (request_move renders this page): the comment as
        # typed, the stored version (app.typed_input), so the corrected move goes through
        reason_form=ReasonForm(formdata=None, version=req.version,
                               comment=typed_comment(req.id)))
    if read:
        commit_after_rendering()
    return page


def typed_comment(request_id: int) -> str:
    """The comment typed into a move's form (the cancel reason) that this POST refused."""
    for action in PARTNER_BUTTONS:
        typed = typed_text(url_for("cabinet.request_move", request_id=request_id,
                                   action=action), "comment")
        if typed:
            return typed
    return ""


@bp.route("/files/<int:attachment_id>")
@partner_required
def download(attachment_id: int):
    """Own inputs, files staff sent in the thread and released deliverables only; the
    original name is kept."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    req = get_request_or_404(current_user, attachment.request_id)
    if not partner_may_download(req, attachment):
        abort(404)
    return send_stored(attachment.stored_name, attachment.original_name,
                       attachment.content_type)
