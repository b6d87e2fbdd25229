"""Module-level jobs for the deployment tests (RQ imports them by name)."""

import logging
import time
from pathlib import Path


def log_line(text: str) -> str:
    """A job that logs one line: the worker's handler adds the request id."""
    logging.getLogger("replan.test.job").warning(text)
    return text


def slow_touch(path: str, seconds: float) -> str:
    """Mark the start, work for `seconds`, then write `path`: a job a shutdown can interrupt."""
    Path(path + ".started").write_text("started")
    time.sleep(seconds)
    Path(path).write_text("done")
    return "done"
