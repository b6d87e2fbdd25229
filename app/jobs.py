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
    retry = Retry(max=retries, interval=[10, 60, 300][:retries]) if retries else None
    return queue.enqueue(func, *args, retry=retry, **kwargs)


def run_worker(burst: bool = False) -> None:
    """Run an RQ worker with the scheduler inside the current app context."""
    from rq import Worker

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
    worker = AppWorker(["default"], connection=connection)
    worker.work(with_scheduler=True, burst=burst)
