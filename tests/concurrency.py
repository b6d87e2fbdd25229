"""Two writers at the same moment: each in its own thread, app context, session and
connection, one unit of work each (the race tests of booking and of partner applications)."""

from __future__ import annotations

import threading

from app.extensions import db
from app.uow import unit_of_work


def pause_after(module, name: str, monkeypatch) -> None:
    """Make module.name wait (a second at most) for the other thread after it returns: both
    threads pass their check before either writes, unless a lock holds the second back."""
    both = threading.Barrier(2)
    original = getattr(module, name)

    def then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        try:
            both.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(module, name, then_wait)


def at_once(app, work, refusals: tuple, done: str = "done") -> list:
    """Run work(0) and work(1) at once; per thread `done`, a refusal's text, or the repr of
    anything else (a 500 waiting to happen), for the test's assertion."""
    results = [None, None]

    def run(k):
        with app.app_context():
            try:
                with unit_of_work():
                    work(k)
                results[k] = done
            except refusals as error:
                results[k] = str(error)
            except Exception as error:  # noqa: BLE001 — reported by the assertion
                results[k] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    return results
