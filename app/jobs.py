"""Background jobs: one enqueue helper (RQ with Redis, inline without) and the worker."""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)


def redis_connection():
    """A Redis client for REDIS_URL, or None when jobs run inline."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    return Redis.from_url(url)


def get_queue(name: str = "default"):
    from rq import Queue

    return Queue(name, connection=redis_connection())


def enqueue(func, *args, retries: int = 3, **kwargs):
    """Run `func(*args)` on an RQ worker when Redis is configured, inline otherwise.

    Call it after the transaction that created the job's data has committed.
    """
    connection = redis_connection()
    if connection is None:
        return func(*args, **kwargs)
    from rq import Queue, Retry

    queue = Queue("default", connection=connection)
    intervals = current_app.config.get("JOB_RETRY_INTERVALS", [10, 60, 300])
    retry = Retry(max=retries, interval=list(intervals)[:retries]) if retries else None
    return queue.enqueue(func, *args, retry=retry, **kwargs)


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
