"""Exactly one cron runner: two schedulers at the same period enqueue each job once, and an
SLA reminder goes out once (a private redis-server, real RQ jobs)."""

import threading
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler

from app import jobs as jobs_module
from app.cron_lock import claim_key, enqueue_due
from app.extensions import db
from app.periodic import PERIODIC
from app.worker import run_worker
from models.base import utcnow
from rq.utils import now as aware_now
from models.notifications import Notification
from models.request_status import Status
from tests.factories import Staff, make_partner, make_request
from tests.jobs.servers import RedisServer, redis_binary


@pytest.fixture
def redis_server(app, monkeypatch):
    server = RedisServer(redis_binary())
    server.start()
    monkeypatch.setitem(app.config, "REDIS_URL", server.url.replace("/0", "/6"))
    yield server
    server.stop()


def scheduler_at(url: str, slot) -> CronScheduler:
    """A scheduler like `flask replan worker` starts, with every job due at `slot`."""
    scheduler = CronScheduler(connection=Redis.from_url(url))
    for name, (func, cron) in PERIODIC.items():
        job = scheduler.register(func, jobs_module.QUEUE_NAME, cron=cron, name=name)
        job.next_enqueue_time = slot
    return scheduler


def both_at_once(schedulers) -> list[list[str]]:
    barrier, results = threading.Barrier(len(schedulers)), {}

    def run(index, scheduler):
        barrier.wait()
        results[index] = [job.name for job in enqueue_due(scheduler)]

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(schedulers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return [results[i] for i in range(len(schedulers))]


def test_two_schedulers_enqueue_each_periodic_job_once_per_period(app, redis_server):
    url = app.config["REDIS_URL"]
    slot = (aware_now() - timedelta(seconds=5)).replace(second=0, microsecond=0)
    first, second = both_at_once([scheduler_at(url, slot), scheduler_at(url, slot)])
    assert sorted(first + second) == sorted(PERIODIC)  # every job exactly once, no duplicate
    assert Queue("default", connection=Redis.from_url(url)).count == len(PERIODIC)
    assert Redis.from_url(url).ttl(claim_key("sla", slot)) > 3600


def test_the_next_period_runs_again(app, redis_server):
    url = app.config["REDIS_URL"]
    slot = (aware_now() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    one = scheduler_at(url, slot)
    assert len(enqueue_due(one)) == len(PERIODIC)
    assert enqueue_due(one) == []  # not due again within the period
    later = scheduler_at(url, slot + timedelta(minutes=15))
    assert len(enqueue_due(later)) == len(PERIODIC)


def test_a_failed_enqueue_gives_the_slot_back(app, redis_server, monkeypatch):
    url = app.config["REDIS_URL"]
    slot = (aware_now() - timedelta(seconds=5)).replace(second=0, microsecond=0)
    scheduler = scheduler_at(url, slot)
    job = scheduler.get_jobs()[0]
    monkeypatch.setattr(type(job), "enqueue", lambda self, connection: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        enqueue_due(scheduler)
    assert not Redis.from_url(url).exists(claim_key(job.name, slot))


def test_two_schedulers_send_an_sla_reminder_once(app, redis_server):
    staff = Staff()
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    req.status_changed_at = utcnow() - timedelta(days=30)  # far past every SLA threshold
    db.session.query(Notification).delete()
    db.session.commit()
    url = app.config["REDIS_URL"]
    slot = (aware_now() - timedelta(seconds=5)).replace(second=0, microsecond=0)
    both_at_once([scheduler_at(url, slot), scheduler_at(url, slot)])
    run_worker(burst=True, with_cron=False, simple=True)
    db.session.expire_all()
    sla = db.session.query(Notification).filter(Notification.kind == "sla").all()
    assert sorted(n.user_id for n in sla) == sorted({staff.manager.id, staff.supermanager.id})
