"""The back office's one handler of refusals for POST actions (FAB views)."""

from __future__ import annotations

from flask import flash, g
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.form_nonce import require_fresh_form
from app.uow import rollback, unit_of_work
from app.workflow import conflict_message


def run_use_case(work, done_message=None, once: bool = False) -> bool:
    """Run `work()` in a unit of work and flash the outcome; True when it was stored.

    A DomainError, a concurrent change (StaleDataError at flush or commit) or a form posted
    twice keeps nothing and flashes why. The page's form token is consumed when sent, and
    required when `once`. `done_message` may be a callable, evaluated after the commit.
    """
    try:
        with unit_of_work():
            require_fresh_form(g.user.id, required=once)
            work()
    except StaleDataError:
        rollback()
        flash(conflict_message(), "danger")
        return False
    except DomainError as error:
        rollback()
        flash(str(error), "danger")
        return False
    if done_message is not None:
        flash(done_message() if callable(done_message) else done_message, "success")
    return True
