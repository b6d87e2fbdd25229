"""Per-process caches of small, rarely edited tables, checked against a stamp in Redis.

Every page needs the bureau's settings, the admin's text overrides and FAB's permissions of
the user's roles. Each process keeps them in memory beside the stamp they were read under;
a request reads all stamps in one Redis round trip (MGET) and uses a kept value only if its
stamp is unchanged. Any commit that touched those tables bumps the stamps after it
(a SQLAlchemy after_commit hook on every session, so FAB's own saves count too), so the
next request of every process reads the table again.

Never stale, never a 500: without REDIS_URL, with Redis unreachable or a stamp missing
(a restarted Redis: the stamp is recreated from the clock, never reused), and inside a
transaction that has changed the table itself, the value is read from the database as
before. Outside a request (jobs, CLI) nothing is cached.
"""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

from flask import current_app, g, has_app_context, has_request_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

SETTINGS, TEXTS, PERMISSIONS, CHOICES = "settings", "texts", "permissions", "choices"
CATALOGUE = "catalogue"
NAMES = (SETTINGS, TEXTS, PERMISSIONS, CHOICES, CATALOGUE)
# table -> the cache it feeds (FAB's role and permission tables feed the permission sets;
# the list filters' selects (views.search_widget) show companies, users and end clients
# found on the requests a user sees)
TABLES = {"setting": SETTINGS, "text_override": TEXTS, "ab_role": PERMISSIONS,
          "ab_permission_view": PERMISSIONS, "ab_permission_view_role": PERMISSIONS,
          "ab_permission": PERMISSIONS, "ab_view_menu": PERMISSIONS,
          "partner_company": CHOICES, "ab_user": CHOICES, "end_client": CHOICES,
          "request": CHOICES,
          # the services and price rules offered on forms and named on lists (app.request_form)
          "service": CATALOGUE, "price_rule": CATALOGUE,
          # and each service's form fields, document checklist and approval steps
          # (app.service_fields, app.document_slots, app.approvals; a checklist links
          # knowledge-base examples)
          "service_field": CATALOGUE, "document_slot": CATALOGUE, "kb_article": CATALOGUE,
          "approval_step": CATALOGUE}
KEY = "replan:stamp:"
TIMEOUT = 0.2  # seconds: connect and reply; past that the page reads the database
# seconds a kept value serves at most, even under an unchanged stamp: bounds the staleness
# when a bump was lost (Redis unreachable right after the commit) or a row changed by raw SQL
MAX_AGE = 60.0
_clock = time.monotonic  # a test moves it
_TOUCHED = "replan_touched_caches"
_STAMPS = "replan_cache_stamps"


def stamp_client():
    """The Redis client for stamps (a test may install its own), or None without Redis."""
    ext = current_app.extensions
    if "replan_stamp_redis" not in ext:
        url = current_app.config.get("REDIS_URL")
        ext["replan_stamp_redis"] = Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT,
            health_check_interval=0) if url else None
    return ext["replan_stamp_redis"]


def _stamps() -> dict | None:
    """This request's stamps (one MGET, then kept in g); None when Redis can't tell."""
    if _STAMPS not in g:
        stamps = None
        client = stamp_client()
        if client is not None:
            try:
                values = client.mget([KEY + name for name in NAMES])
                missing = [n for n, v in zip(NAMES, values) if v is None]
                for name in missing:  # a new or restarted Redis: a stamp never used before
                    client.set(KEY + name, time.time_ns(), nx=True)
                stamps = {n: v for n, v in zip(NAMES, values) if v is not None}
            except (RedisError, OSError) as error:  # each request says so, without a trace
                log.warning("cache stamps unreadable (%s): reading the database", error)
        setattr(g, _STAMPS, stamps)
    return getattr(g, _STAMPS)


def cached(name: str, key, loader):
    """`loader()` kept per process under (name, key) while the stamp `name` is unchanged."""
    if not has_request_context():
        return loader()
    session = db.session
    if name in session.info.get(_TOUCHED, ()) or \
            ((session.new or session.deleted or session.dirty) and name in _touched_by(session)):
        return loader()  # this transaction changed it (flushed or still pending): its own view
    stamps = _stamps()
    stamp = stamps.get(name) if stamps else None
    if stamp is None:
        return loader()
    store = current_app.extensions.setdefault("replan_shared_cache", {})
    kept, now = store.get((name, key)), _clock()
    if kept is not None and kept[0] == stamp and now - kept[2] < MAX_AGE:
        return kept[1]
    value = loader()
    store[(name, key)] = (stamp, value, now)
    return value


def plain_row(row, **extra) -> SimpleNamespace:
    """A copy of a row's column values (plus `extra`) that can be kept across requests: an
    ORM object outlives its session badly (detached, expired), a copy does not."""
    values = {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}
    return SimpleNamespace(**values, **extra)


def bump(*names: str) -> None:
    """Tell every process to read these tables again (after the commit that changed them)."""
    if not has_app_context():
        return
    g.pop(_STAMPS, None)
    client = stamp_client()
    if client is None:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                # after a flush or a Redis restart a stamp starts again from the clock, never
                # from 1: a value kept under an earlier "1" would otherwise look current
                pipe.set(KEY + name, time.time_ns(), nx=True)
                pipe.incr(KEY + name)
            pipe.execute()
    except (RedisError, OSError):
        # other processes may keep the old value until Redis answers again: drop ours and
        # make Redis forget the stamps on the next try (then everyone reads the database)
        current_app.extensions.pop("replan_shared_cache", None)
        log.error("cache stamps not bumped for %s", names, exc_info=True)


def _touched_by(session: Session) -> set[str]:
    found = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in TABLES and not (obj in session.dirty and table in SHOWN_ATTRIBUTES
                                    and not _changed(obj, SHOWN_ATTRIBUTES[table])):
            found.add(TABLES[table])
    return found


# an edited row of these tables changes a cache only through these attributes: a role is
# dirty too when a user joins it (FAB's backref role.user), a user at every sign-in
# (last_login, login_count: no select shows them)
SHOWN_ATTRIBUTES = {"ab_role": ("name", "permissions"),
                    "ab_user": ("first_name", "last_name", "active", "roles")}


def _changed(obj, names) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names if name in attrs)


@event.listens_for(Session, "before_flush")
def _note_changes(session, flush_context, instances) -> None:
    found = _touched_by(session)
    if found:
        session.info.setdefault(_TOUCHED, set()).update(found)


@event.listens_for(Session, "after_bulk_update")
@event.listens_for(Session, "after_bulk_delete")
def _note_bulk(update_context) -> None:
    table = getattr(getattr(update_context.mapper, "local_table", None), "name", None)
    if table in TABLES:
        update_context.session.info.setdefault(_TOUCHED, set()).add(TABLES[table])


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session) -> None:
    found = session.info.pop(_TOUCHED, None)
    if found:
        bump(*sorted(found))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, previous_transaction) -> None:
    if session.info.get(_TOUCHED) and not session.in_transaction():
        session.info.pop(_TOUCHED, None)
