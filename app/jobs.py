"""Enqueueing background jobs: RQ with Redis, inline without. A leaf: imports only app.logs.

Every job carries the request id of the request (or job) that enqueued it in job.meta, so
the worker's log lines for it can be matched with the web request (app.logs).
Enqueueing happens inside web requests, so it uses a Redis client with short timeouts and
no retries (REDIS_ENQUEUE_TIMEOUT): a hung or stopped Redis costs one short wait and an
exception the caller catches, never a hung request. The periodic sweeps catch up later.
The worker that runs the jobs, with the periodic ones, is app.worker.
"""

from __future__ import annotations

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry

from app.logs import current_request_id

DEFAULT_ENQUEUE_TIMEOUT = 0.5  # seconds: connect and each reply
QUEUE_NAME = "default"


def redis_connection():
    """A Redis client for REDIS_URL (workers, cron), or None when jobs run inline."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    return Redis.from_url(url)


def enqueue_connection():
    """A Redis client for enqueueing: short timeouts, no retries; None when jobs run inline."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return redis_connection()  # None, or the in-process Redis a test installed
    timeout = float(current_app.config.get("REDIS_ENQUEUE_TIMEOUT") or DEFAULT_ENQUEUE_TIMEOUT)
    return Redis.from_url(url, health_check_interval=0, **fail_fast_options(timeout))


def fail_fast_options(timeout: float) -> dict:
    """Redis client options for the request path: short timeouts, no retries."""
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout,
            "retry": RedisRetry(NoBackoff(), 0)}


def _retry(retries: int):
    intervals = current_app.config.get("JOB_RETRY_INTERVALS", [10, 60, 300])
    return Retry(max=retries, interval=list(intervals)[:retries]) if retries else None


def _meta() -> dict:
    request_id = current_request_id()
    return {"request_id": request_id} if request_id else {}


def enqueue(func, *args, retries: int = 3, **kwargs):
    """Run `func(*args)` on an RQ worker when Redis is configured, inline otherwise.

    Call it after the transaction that created the job's data has committed. With Redis
    unreachable it raises redis.RedisError within about REDIS_ENQUEUE_TIMEOUT seconds.
    """
    connection = enqueue_connection()
    if connection is None:
        return run_inline(func, *args, **kwargs)
    queue = Queue(QUEUE_NAME, connection=connection)
    return queue.enqueue(func, *args, retry=_retry(retries), meta=_meta(), **kwargs)


def run_inline(func, *args, **kwargs):
    """Without Redis a job runs at once, but as a worker runs it (app.worker): in an app
    context of its own, so with its own database session. It sees what was committed, not
    the caller's unsaved changes, and its commits leave the caller's loaded rows alone (in
    the caller's session each commit of a job expired every row the caller had loaded: the
    demo's 361 e-mails cost ~6 s so)."""
    with current_app.app_context():
        return func(*args, **kwargs)


def enqueue_each(func, arg_list: list, retries: int = 0) -> int:
    """Enqueue `func(arg)` for every arg in one Redis round trip (inline without Redis).

    One attempt for the whole batch: a Redis error is raised once, never per item.
    """
    connection = enqueue_connection()
    if connection is None:
        for arg in arg_list:
            run_inline(func, arg)
        return len(arg_list)
    if not arg_list:
        return 0
    queue = Queue(QUEUE_NAME, connection=connection)
    batch = [Queue.prepare_data(func, (arg,), retry=_retry(retries), meta=_meta())
             for arg in arg_list]
    return len(queue.enqueue_many(batch))  # one pipeline, executed once
