"""Python's cycle collector kept out of the requests' time (issue 14: p95 of the big pages).

A desk or week page allocates ~100 000 objects (ORM rows, template contexts) that live until
the page is done. With the collector's default thresholds a young collection runs every 700
allocations in the middle of the page: each promotes the page's live objects one generation
older, so they soon fill generation 2, and a full collection (25-50 ms at a million requests,
after `gc.freeze()` in run.py) landed in one request in about every 17 — the desks' and the
week's p95 was twice their median. Measured in-process on the manager's desk (80 requests):
p50 66 → 55 ms, p95 94 → 66 ms, no full collection instead of five.

`QuietCollector` wraps the served WSGI app (run.py: gunicorn, `make run`): while a request is
being served the first generation's threshold is raised to VALVE allocations (only a runaway
request still collects), and after its response was written (the body iterator's close(),
which gunicorn calls once the client has the bytes) the usual thresholds come back and the
young generations are collected — the request's garbage is dead by then, so that is ~1-3 ms
and promotes nothing of it. Every FULL_EVERY requests that collection is a full one, so
cycles that became garbage after reaching the old generation are freed too. Requests served
by threads of one process share the collector: the thresholds come back when the last one
in flight is done.
"""

from __future__ import annotations

import gc
import threading

from werkzeug.wsgi import ClosingIterator

VALVE = 1_000_000  # allocations before a collection during one request (a runaway request)
FULL_EVERY = 1000  # requests between full collections (one ~30 ms collection, amortised)


class QuietCollector:
    def __init__(self, app, full_every: int = FULL_EVERY, valve: int = VALVE):
        self.app, self.full_every, self.valve = app, full_every, valve
        self.normal = gc.get_threshold()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.served = 0
        self.since_full = 0  # requests done since the last full collection

    def __call__(self, environ, start_response):
        self._enter()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._leave()
            raise
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):
            # a file sent by the server itself (sendfile): wrapping would lose that
            self._leave()
            return body
        done = _Once(self._leave)
        return ClosingIterator(body, done)

    def _enter(self) -> None:
        with self.lock:
            if self.in_flight == 0:
                gc.set_threshold(self.valve, *self.normal[1:])
            self.in_flight += 1

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1
            self.served += 1
            self.since_full += 1
            if self.in_flight:
                return
            gc.set_threshold(*self.normal)
            # counted, not a multiple of served: with threads the last one out may come
            # after the thousandth
            full = self.since_full >= self.full_every
            if full:
                self.since_full = 0
        gc.collect(2 if full else 1)


class _Once:
    """A callback that runs once however often close() is called."""

    def __init__(self, callback):
        self.callback = callback

    def __call__(self) -> None:
        callback, self.callback = self.callback, None
        if callback is not None:
            callback()


def install(app) -> None:
    """Wrap the app's WSGI callable (the process that serves requests: run.py)."""
    app.wsgi_app = QuietCollector(app.wsgi_app)
