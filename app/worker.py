"""The RQ worker with the scheduler and the periodic jobs (`flask replan worker`).

Kept apart from app.jobs (enqueueing, a leaf every use case may import) because it needs
the periodic-job registry, which imports the use cases themselves.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from app import jobs
from app.cron_lock import enqueue_due
from app.extensions import db
from app.logs import JobLogContext
from app.periodic import PERIODIC

log = logging.getLogger(__name__)
# seconds before a worker that stopped on an error is replaced (then every 30 s)
RESTART_AFTER = (1, 2, 5, 10, 30)


def run_worker(burst: bool = False, with_cron: bool = True, simple: bool = False) -> None:
    """Run an RQ worker with the scheduler inside the current app context.

    `simple` runs jobs in this process (no fork): for tests against an in-process Redis.
    """
    app = current_app._get_current_object()

    class AppWorker(JobLogContext, Worker):
        """Work horses are forked: give each a fresh DB connection pool."""

        def main_work_horse(self, *args, **kwargs):
            db.engine.dispose(close=False)  # never reuse the parent's sockets
            with app.app_context():  # and never its session
                return super().main_work_horse(*args, **kwargs)

    connection = jobs.redis_connection()  # looked up on the module: tests swap it
    if connection is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline, no worker is needed")

    class AppSimpleWorker(JobLogContext, SimpleWorker):
        """Jobs in this process; log lines carry the job's request id too."""

    def build():
        worker = (AppSimpleWorker if simple else AppWorker)([jobs.QUEUE_NAME],
                                                             connection=connection)
        if burst:  # a burst run ends when the queue is empty: no command channel to listen on
            worker.subscribe = lambda: None  # (its thread costs ~0.5 s to stop at the end)
        return worker

    if with_cron and not burst:
        start_cron(connection)
    supervise(build, burst)


def supervise(build, burst: bool = False, sleep=time.sleep) -> None:
    """Run workers from `build()` until one stops because it was asked to (SIGTERM, Ctrl+C)
    or, in a burst, ran out of jobs. RQ's worker quits on an error it does not expect — a
    Redis restart answered “loading the dataset” (BusyLoadingError) while it read a job's
    status: the scheduler's worker quit, no worker was left and nothing was sent (the
    multi-process smoke test, 27 Nov). Such a worker is replaced after RESTART_AFTER."""
    failures = 0
    while True:
        worker = build()
        try:
            worker.work(with_scheduler=True, burst=burst)
        except RedisError:  # Redis still down or loading while the worker starts up
            if burst:
                raise
            log.exception("the RQ worker could not start")
        else:
            if burst or worker._shutdown_requested_date is not None:
                return
        wait = RESTART_AFTER[min(failures, len(RESTART_AFTER) - 1)]
        failures += 1
        log.error("the RQ worker stopped on an error; a new one starts in %s s", wait)
        try:
            sleep(wait)  # a SIGTERM now reaches the stopped worker's handler
        except StopRequested:
            return


def start_cron(connection) -> None:
    """Enqueue app.periodic.PERIODIC on their cron schedules from a background thread.

    Each run is claimed in Redis first (app.cron_lock): two schedulers never enqueue the same
    job for the same period.
    """
    scheduler = CronScheduler(connection=connection, name=f"replan-{id(connection)}")
    for name, (func, cron) in PERIODIC.items():
        scheduler.register(func, jobs.QUEUE_NAME, cron=cron, name=name)

    def loop():
        while True:
            try:
                enqueue_due(scheduler)
            except Exception:  # Redis blinked: try again on the next tick
                log.warning("cron enqueue failed", exc_info=True)
            time.sleep(max(1.0, min(60.0, scheduler.calculate_sleep_interval())))

    threading.Thread(target=loop, name="replan-cron", daemon=True).start()
