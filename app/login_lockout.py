"""Per-account lockout: after repeated failed sign-ins the account refuses even the right password.

Failures are counted per account (or per typed login when no account matches, so the answer
never tells which logins exist) in the rate-limit storage: Redis in production, shared by every
worker; memory without Redis. On with RATELIMIT_ENABLED, like the per-address limits.
"""

from __future__ import annotations

import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.jobs import fail_fast_options

log = logging.getLogger(__name__)
DEFAULT_LIMIT = "5 per 15 minutes"
_EXTENSION = "replan_login_lockout"


def _strategies() -> tuple[FixedWindowRateLimiter, FixedWindowRateLimiter]:
    """(shared, fallback) limiters for this app, built once."""
    pair = current_app.extensions.get(_EXTENSION)
    if pair is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        options = {} if uri.startswith("memory") else _redis_options()
        pair = (FixedWindowRateLimiter(storage_from_string(uri, **options)),
                FixedWindowRateLimiter(MemoryStorage()))
        current_app.extensions[_EXTENSION] = pair
    return pair


def _redis_options() -> dict:
    """Short timeouts and no retries: a hung Redis costs a sign-in one second, not minutes."""
    return fail_fast_options(1)


def limiter_call(method: str, *args):
    """Call a limiter method on the shared storage; on a storage outage, per process."""
    shared, fallback = _strategies()
    try:
        return getattr(shared, method)(*args)
    except Exception:  # Redis down: keep protecting, per process, rather than fail open
        log.warning("login lockout storage unreachable; counting per process", exc_info=True)
        return getattr(fallback, method)(*args)


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _limit():
    return parse(current_app.config.get("LOGIN_FAILURE_LIMIT") or DEFAULT_LIMIT)


def account_key(login: str) -> str:
    """The counter's name: the matching account's id, else the normalised login typed."""
    login = (login or "").strip().lower()[:200]
    sm = current_app.appbuilder.sm
    user = (sm.find_user(username=login) or sm.find_user(email=login)) if login else None
    return f"user:{user.id}" if user is not None else f"login:{login}"


def minutes_locked(key: str) -> int:
    """Minutes until the account takes sign-ins again; 0 when it is not locked."""
    if not enabled():
        return 0
    limit = _limit()
    if limiter_call("test", limit, "replan-login", key):
        return 0
    reset_at = limiter_call("get_window_stats", limit, "replan-login", key).reset_time
    return max(1, math.ceil((reset_at - time.time()) / 60))


def record_failure(key: str) -> bool:
    """Count one failed sign-in (or wrong current password); True when it locked the account."""
    if not enabled():
        return False
    limiter_call("hit", _limit(), "replan-login", key)
    if limiter_call("test", _limit(), "replan-login", key):
        return False
    if key.startswith("user:"):  # the owner hears about it (once: locked tries aren't counted)
        # deferred: app.accounts imports this module (cycle); the notice is its job
        from app.accounts import run_job, send_lockout_notice

        run_job(send_lockout_notice, int(key.removeprefix("user:")), minutes_locked(key))
    return True


def clear_failures(key: str) -> None:
    """A successful sign-in starts the count again."""
    if enabled():
        limiter_call("clear", _limit(), "replan-login", key)
