"""Background jobs: one enqueue helper (RQ with Redis, inline without) and the worker.

Enqueueing happens inside web requests, so it uses a Redis client with short timeouts and
no retries (REDIS_ENQUEUE_TIMEOUT): a hung or stopped Redis costs one short wait and an
exception the caller catches, never a hung request. The periodic sweeps catch up later.
"""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)
DEFAULT_ENQUEUE_TIMEOUT = 0.5  # seconds: connect and each reply


def redis_connection():
    """A Redis client for REDIS_URL (workers, cron), or None when jobs run inline."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url)


def enqueue_connection():
    """A Redis client for enqueueing: short timeouts, no retries; None when jobs run inline."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return redis_connection()  # None, or the in-process Redis a test installed
    from redis import Redis

    timeout = float(current_app.config.get("REDIS_ENQUEUE_TIMEOUT") or DEFAULT_ENQUEUE_TIMEOUT)
    return Redis.from_url(url, health_check_interval=0, **fail_fast_options(timeout))


def fail_fast_options(timeout: float) -> dict:
    """Redis client options for the request path: short timeouts, no retries."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": timeout, "socket_timeout": timeout,
            "retry": Retry(NoBackoff(), 0)}


def get_queue(name: str = "default"):
    from rq import Queue

    return Queue(name, connection=enqueue_connection())


def _retry(retries: int):
    from rq import Retry

    intervals = current_app.config.get("JOB_RETRY_INTERVALS", [10, 60, 300])
    return Retry(max=retries, interval=list(intervals)[:retries]) if retries else None


def enqueue(func, *args, retries: int = 3, **kwargs):
    """Run `func(*args)` on an RQ worker when Redis is configured, inline otherwise.

    Call it after the transaction that created the job's data has committed. With Redis
    unreachable it raises redis.RedisError within about REDIS_ENQUEUE_TIMEOUT seconds.
    """
    connection = enqueue_connection()
    if connection is None:
        return func(*args, **kwargs)
    from rq import Queue

    queue = Queue("default", connection=connection)
    return queue.enqueue(func, *args, retry=_retry(retries), **kwargs)


def enqueue_each(func, arg_list: list, retries: int = 0) -> int:
    """Enqueue `func(arg)` for every arg in one Redis round trip (inline without Redis).

    One attempt for the whole batch: a Redis error is raised once, never per item.
    """
    connection = enqueue_connection()
    if connection is None:
        for arg in arg_list:
            func(arg)
        return len(arg_list)
    if not arg_list:
        return 0
    from rq import Queue

    queue = Queue("default", connection=connection)
    batch = [Queue.prepare_data(func, (arg,), retry=_retry(retries)) for arg in arg_list]
    return len(queue.enqueue_many(batch))  # one pipeline, executed once


def run_worker(burst: bool = False, with_cron: bool = True, simple: bool = False) -> None:
    """Run an RQ worker with the scheduler inside the current app context.

    `simple` runs jobs in this process (no fork): for tests against an in-process Redis.
    """
    from rq import SimpleWorker, Worker

    from app.extensions import db

    class AppWorker(Worker):
        """Work horses are forked: give each a fresh DB connection pool."""

        def main_work_horse(self, *args, **kwargs):
            db.engine.dispose(close=False)  # never reuse the parent's sockets
            with app.app_context():  # and never its session
                return super().main_work_horse(*args, **kwargs)

    app = current_app._get_current_object()
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline, no worker is needed")
    worker = (SimpleWorker if simple else AppWorker)(["default"], connection=connection)
    if with_cron and not burst:
        start_cron(connection)
    worker.work(with_scheduler=True, burst=burst)


def start_cron(connection) -> None:
    """Enqueue app.periodic.PERIODIC on their cron schedules from a background thread."""
    import threading
    import time

    from rq.cron import CronScheduler

    from app.periodic import PERIODIC

    scheduler = CronScheduler(connection=connection, name=f"replan-{id(connection)}")
    for name, (func, cron) in PERIODIC.items():
        scheduler.register(func, "default", cron=cron, name=name)

    def loop():
        while True:
            try:
                scheduler.enqueue_jobs()
            except Exception:  # Redis blinked: try again on the next tick
                log.warning("cron enqueue failed", exc_info=True)
            time.sleep(max(1.0, min(60.0, scheduler.calculate_sleep_interval())))

    threading.Thread(target=loop, name="replan-cron", daemon=True).start()
