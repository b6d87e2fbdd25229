"""A worker that stops on an error is replaced (app.worker.supervise): after a Redis restart
RQ's worker quit on “Redis is loading the dataset” and no worker was left to send e-mail
(the multi-process smoke test, 27 Nov). A worker asked to stop, or a burst, is not."""

from __future__ import annotations

import pytest
from redis.exceptions import BusyLoadingError, ConnectionError as RedisConnectionError
from rq.exceptions import StopRequested

from app import worker as worker_module
from app.worker import RESTART_AFTER, supervise


class FakeWorker:
    """work() ends as scripted: "error" (RQ logged an unexpected error and returned),
    "stop" (a SIGTERM), or an exception raised out of work()."""

    def __init__(self, outcome):
        self.outcome = outcome
        self._shutdown_requested_date = None
        self.worked = 0

    def work(self, with_scheduler, burst):
        self.worked += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        if self.outcome == "stop":
            self._shutdown_requested_date = "now"


def run(outcomes, burst=False, sleep_raises=None):
    built, slept = [], []

    def build():
        built.append(FakeWorker(outcomes[len(built)]))
        return built[-1]

    def sleep(seconds):
        slept.append(seconds)
        if sleep_raises:
            raise sleep_raises

    supervise(build, burst, sleep=sleep)
    return built, slept


def test_a_worker_that_stops_on_an_error_is_replaced_until_one_is_asked_to_stop():
    built, slept = run(["error", BusyLoadingError("loading"), "error", "error", "error",
                        "error", "stop"])
    assert len(built) == 7 and all(w.worked == 1 for w in built)
    assert slept == [1, 2, 5, 10, 30, 30] == list(RESTART_AFTER) + [30]


def test_a_stop_request_ends_it_at_once():
    built, slept = run(["stop"])
    assert len(built) == 1 and slept == []


def test_a_stop_request_while_waiting_ends_it():
    built, slept = run(["error", "error"], sleep_raises=StopRequested())
    assert len(built) == 1 and slept == [1]


def test_a_burst_runs_once_and_its_errors_reach_the_caller():
    built, slept = run(["error"], burst=True)
    assert len(built) == 1 and slept == []
    with pytest.raises(RedisConnectionError):
        run([RedisConnectionError("refused")], burst=True)


def test_run_worker_goes_through_the_supervisor(monkeypatch):
    seen = []
    monkeypatch.setattr(worker_module, "supervise", lambda build, burst: seen.append(burst))
    monkeypatch.setattr(worker_module.jobs, "redis_connection", lambda: object())
    from flask import Flask
    with Flask(__name__).app_context():
        worker_module.run_worker(with_cron=False)
    assert seen == [False]
