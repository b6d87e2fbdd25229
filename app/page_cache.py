"""Short-lived figures shared by every web worker: JSON in Redis for a few seconds.

A dashboard's figures cost the database the same for everyone who opens it within a minute;
they are computed once and read from Redis meanwhile (DASHBOARD_CACHE_SECONDS, default 60;
0 turns the cache off). Without Redis, or when Redis fails, the figures are computed each
time: a slower page, never an error page. Figures whose first computation is slow (the
director's default period, the managers' loads) are kept ahead by the periodic job
"dashboard-figures" (reports.dashboard.refresh_figures), so no reader waits for them.
"""

from __future__ import annotations

import json
import logging
from typing import Callable

from flask import current_app
from redis.exceptions import RedisError

from app.jobs import enqueue_connection

log = logging.getLogger(__name__)
DEFAULT_SECONDS = 60
PREFIX = "replan:figures:"


def _seconds() -> int:
    return int(current_app.config.get("DASHBOARD_CACHE_SECONDS", DEFAULT_SECONDS) or 0)


def cached_figures(key: str, compute: Callable[[], object]):
    """`compute()` (JSON-serialisable), kept in Redis under `key` for a short time."""
    seconds = _seconds()
    connection = enqueue_connection() if seconds > 0 else None  # short timeouts, no retries
    if connection is not None:
        try:
            stored = connection.get(PREFIX + key)
            if stored is not None:
                return json.loads(stored)
        except (RedisError, OSError, ValueError):
            log.warning("figure cache unreachable; computing %s", key, exc_info=True)
            connection = None
    value = compute()
    if connection is not None:
        _store(connection, key, value, seconds)
    return value


def keep(key: str, value, seconds: int) -> bool:
    """Store figures computed ahead (a periodic job) for `seconds`, longer than the job's
    interval so a reader never meets a gap; False without Redis or with the cache off."""
    connection = enqueue_connection() if _seconds() > 0 else None
    return connection is not None and _store(connection, key, value, seconds)


def _store(connection, key: str, value, seconds: int) -> bool:
    try:
        connection.set(PREFIX + key, json.dumps(value), ex=seconds)
        return True
    except (RedisError, OSError):
        log.warning("figure cache unreachable; %s not kept", key, exc_info=True)
        return False


def forget(key: str) -> None:
    """Drop the figures kept under `key` (after a change their reader must see at once)."""
    connection = enqueue_connection() if _seconds() > 0 else None
    if connection is None:
        return
    try:
        connection.delete(PREFIX + key)
    except (RedisError, OSError):
        log.warning("figure cache unreachable; %s not dropped", key, exc_info=True)
