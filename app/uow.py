"""The unit of work: the one commit of request handling and jobs.

A use case adds, changes and flushes; it never commits. Its caller (a thin route, a job)
wraps it in `unit_of_work()`, which commits once and then hands over what the transaction
produced: the e-mails queued in the outbox (app.mail) and the jobs registered with
`after_commit`. On any exception everything is rolled back and nothing is handed over.

    with unit_of_work():
        change = requests.submit(user, request_id, version)
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import flash, g, has_app_context
from sqlalchemy.orm.exc import StaleDataError

from app.errors import Conflict, DomainError
from app.extensions import db
from app.mail import flush_outbox

log = logging.getLogger(__name__)
_AFTER_COMMIT = "uow_after_commit"
_AFTER_ROLLBACK = "uow_after_rollback"


def after_commit(func, *args) -> None:
    """Run `func(*args)` once the current unit of work has committed (dropped on rollback)."""
    g.setdefault(_AFTER_COMMIT, []).append((func, args))


def keep_after_rollback(func, *args) -> None:
    """Run `func(*args)` and commit it if the current unit of work is rolled back: what a
    refused use case must still keep (a wrong confirmation code uses up a try)."""
    if has_app_context():
        g.setdefault(_AFTER_ROLLBACK, []).append((func, args))


def _keep_refused() -> None:
    for func, args in g.pop(_AFTER_ROLLBACK, []) if has_app_context() else []:
        try:
            func(*args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.warning("after-rollback %s failed", getattr(func, "__name__", func),
                        exc_info=True)


def commit() -> None:
    """Commit, then enqueue this transaction's e-mails and after-commit work (never raises
    for the hand-over: the outbox sweep and the task pages catch up on a Redis error).
    A row changed by someone else since it was read (version column) is a Conflict."""
    try:
        db.session.commit()
    except StaleDataError:
        rollback()
        raise Conflict() from None
    if has_app_context():
        g.pop(_AFTER_ROLLBACK, None)  # committed with the rest
    _hand_over()


def commit_after_rendering() -> None:
    """Commit what a page wrote while it was shown (its notifications read) once it is
    rendered, keeping what it loaded: nothing is read again for the hooks after it."""
    session = db.session()
    session.expire_on_commit = False
    try:
        commit()
    finally:
        session.expire_on_commit = True


def rollback() -> None:
    db.session.rollback()
    if has_app_context():
        g.pop(_AFTER_COMMIT, None)


@contextmanager
def unit_of_work():
    """Commit what the block did, or roll all of it back if it raises (a stale version
    found while flushing becomes a Conflict)."""
    try:
        yield db.session
    except StaleDataError:
        rollback()
        raise Conflict() from None
    except BaseException:
        rollback()
        _keep_refused()
        raise
    commit()


def run_use_case(work, done_message=None, refused_suffix: str = "") -> bool:
    """What a surface does with a use case: run `work()` in a unit of work and flash the
    outcome; True when it was stored. A DomainError (a Conflict included) keeps nothing and
    is flashed with `refused_suffix`. `done_message` may be a callable, evaluated after
    the commit. The back office and the cabinet both use this one handler."""
    try:
        with unit_of_work():
            work()
    except DomainError as error:
        flash(str(error) + refused_suffix, "danger")
        return False
    if done_message is not None:
        flash(done_message() if callable(done_message) else done_message, "success")
    return True


def _hand_over() -> None:
    callbacks = g.pop(_AFTER_COMMIT, []) if has_app_context() else []
    try:
        flush_outbox()
    except Exception:  # the periodic sweep sends it later; the change is saved
        log.warning("outbox hand-over failed", exc_info=True)
    for func, args in callbacks:
        try:
            func(*args)
        except Exception:
            log.warning("after-commit %s failed", getattr(func, "__name__", func),
                        exc_info=True)
