"""app/collector.py: no cycle collection while a request is served, the young generations
collected after its response is written, a full collection every FULL_EVERY requests."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading

import pytest

from app.collector import VALVE, QuietCollector
from config import BASE_DIR


@pytest.fixture
def collections():
    """The generations collected while the test runs, in order."""
    seen = []

    def record(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's defaults, as served (conftest raises them)
    gc.collect()  # from an empty young generation
    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)
    gc.set_threshold(*saved)


def garbage_app(cycles: int = 20_000):
    """A WSGI app that builds many objects in reference cycles (as ORM rows and template
    contexts do) and notes the collector's threshold it ran under."""
    during = []

    def app(environ, start_response):
        during.append(gc.get_threshold()[0])
        kept = []
        for _ in range(cycles):
            node = {}
            node["self"] = node
            kept.append(node)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return app, during


def serve(wrapped) -> list[bytes]:
    body = wrapped({}, lambda status, headers: None)
    chunks = list(body)
    if hasattr(body, "close"):
        body.close()
    return chunks


def test_nothing_is_collected_during_a_request_and_the_young_after_it(collections):
    app, during = garbage_app()
    normal = gc.get_threshold()
    wrapped = QuietCollector(app, full_every=1000)
    body = wrapped({}, lambda status, headers: None)
    assert list(body) == [b"ok"]
    assert during == [VALVE]
    assert collections == []  # 20 000 cycles built, no collection in the request's time
    assert gc.get_threshold()[0] == VALVE  # until the server has written the response
    body.close()
    assert gc.get_threshold() == normal
    assert collections == [1]  # once, the young generations, after the response


def test_without_it_the_same_request_collects_in_its_own_time(collections):
    app, _during = garbage_app()
    serve(lambda environ, start_response: app(environ, start_response))
    assert len(collections) > 10  # what the wrapper keeps out of the request's time


def test_every_nth_request_collects_everything(collections):
    app, _during = garbage_app(10)
    wrapped = QuietCollector(app, full_every=3)
    for _ in range(6):
        serve(wrapped)
    assert collections == [1, 1, 2, 1, 1, 2]


def test_a_failing_app_or_a_second_close_restores_once(collections):
    normal = gc.get_threshold()

    def failing(environ, start_response):
        raise RuntimeError("the page failed")

    wrapped = QuietCollector(failing, full_every=1000)
    with pytest.raises(RuntimeError):
        wrapped({}, lambda status, headers: None)
    assert gc.get_threshold() == normal and wrapped.in_flight == 0

    app, _during = garbage_app(10)
    wrapped = QuietCollector(app, full_every=1000)
    body = wrapped({}, lambda status, headers: None)
    body.close()
    body.close()
    assert wrapped.in_flight == 0 and wrapped.served == 1 and collections == [1, 1]


def test_threads_in_flight_keep_it_quiet_until_the_last_is_done(collections):
    normal = gc.get_threshold()
    release = threading.Event()
    started = threading.Barrier(3)

    def slow(environ, start_response):
        started.wait(5)
        release.wait(5)
        start_response("200 OK", [])
        return [b"ok"]

    wrapped = QuietCollector(slow, full_every=1000)
    bodies = []
    threads = [threading.Thread(target=lambda: bodies.append(
        wrapped({}, lambda status, headers: None))) for _ in range(2)]
    for thread in threads:
        thread.start()
    started.wait(5)
    assert wrapped.in_flight == 2 and gc.get_threshold()[0] == VALVE
    release.set()
    for thread in threads:
        thread.join(5)
    bodies[0].close()
    assert gc.get_threshold()[0] == VALVE and collections == []  # one still in flight
    bodies[1].close()
    assert gc.get_threshold() == normal and collections == [1]


def test_a_full_collection_comes_even_when_the_nth_request_ends_in_company(collections):
    """With threads the request that makes the count may not be the last one out: the next
    time none is in flight the collection is a full one."""
    app, _during = garbage_app(10)
    wrapped = QuietCollector(app, full_every=2)
    first = wrapped({}, lambda status, headers: None)
    second = wrapped({}, lambda status, headers: None)
    first.close()  # one done, one in flight: nothing collected yet
    third = wrapped({}, lambda status, headers: None)
    second.close()  # two done, the third still in flight
    assert collections == []
    third.close()
    assert collections == [2]


def test_a_file_sent_by_the_server_is_not_wrapped(collections):
    class FileWrapper:
        def __init__(self, data):
            self.data = data

        def __iter__(self):
            return iter([self.data])

    def sendfile(environ, start_response):
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](b"file")

    wrapped = QuietCollector(sendfile, full_every=1000)
    body = wrapped({"wsgi.file_wrapper": FileWrapper}, lambda status, headers: None)
    assert isinstance(body, FileWrapper)  # the server can still use sendfile
    assert wrapped.in_flight == 0 and collections == [1]


def test_the_served_app_is_wrapped(tmp_path):
    """run.py (gunicorn run:app, make run) installs it."""
    env = {**os.environ, "REPLAN_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite'}"}
    env.pop("REDIS_URL", None)
    code = ("import run; from app.collector import QuietCollector; "
            "print(type(run.app.wsgi_app).__name__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "QuietCollector", out.stderr[-2000:]
