"""Exactly one run of each periodic job per period, however many schedulers are started.

Each scheduler computes the same slots from the same cron expressions (the due time of a
run). Before enqueueing a run it claims `replan:cron:NAME:SLOT` in Redis with SET NX: the first
scheduler wins and enqueues, every other one skips that slot. The claim expires after a day,
so Redis never fills up; the periodic jobs stay idempotent in the database (app.periodic
markers), which covers the one case the claim cannot: Redis restarting (without persistence)
between two schedulers' claims of the same slot.
"""

from __future__ import annotations

import logging

from rq.cron import CronJob, CronScheduler
from rq.utils import now

log = logging.getLogger(__name__)
CLAIM_TTL_SECONDS = 24 * 60 * 60


def claim_key(name: str, slot) -> str:
    return f"replan:cron:{name}:{slot.strftime('%Y%m%dT%H%M')}"


def claim(connection, job: CronJob) -> bool:
    """True when this scheduler is the first to claim the job's current slot."""
    key = claim_key(job.name, job.next_enqueue_time)
    return bool(connection.set(key, "1", nx=True, ex=CLAIM_TTL_SECONDS))


def enqueue_due(scheduler: CronScheduler) -> list[CronJob]:
    """Enqueue every due job whose slot this scheduler claims; skip (but advance) the rest."""
    started, enqueued = now(), []
    for job in scheduler.get_jobs():
        if not job.should_run():
            continue
        if claim(scheduler.connection, job):
            try:
                job.enqueue(scheduler.connection)
            except Exception:  # give the slot back: the next tick (here or elsewhere) retries
                scheduler.connection.delete(claim_key(job.name, job.next_enqueue_time))
                raise
            enqueued.append(job)
        else:
            log.info("cron %s: this period was claimed by another scheduler", job.name)
        job.set_enqueue_time(started)
    return enqueued
