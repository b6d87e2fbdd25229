"""The cabinet's one handler of refusals: run a use case in a unit of work, flash the outcome."""

from __future__ import annotations

from flask import flash
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.uow import rollback, unit_of_work
from app.workflow import conflict_message


def run_use_case(work, done_message=None, refused_suffix: str = "") -> bool:
    """Run `work()` and commit once; True when it was stored.

    A DomainError or a concurrent change (StaleDataError at flush or commit) keeps nothing
    and is flashed (with `refused_suffix` appended). `done_message` may be a callable,
    evaluated after the commit.
    """
    try:
        with unit_of_work():
            work()
    except StaleDataError:
        rollback()
        flash(conflict_message() + refused_suffix, "danger")
        return False
    except DomainError as error:
        rollback()
        flash(str(error) + refused_suffix, "danger")
        return False
    if done_message is not None:
        flash(done_message() if callable(done_message) else done_message, "success")
    return True
