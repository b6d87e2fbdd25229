"""Graceful worker shutdown: SIGTERM while a job runs lets the job finish, then the worker
exits; nothing is lost. A real `flask replan worker` process on a private redis-server."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.job import Job, JobStatus

from config import BASE_DIR
from tests.deploy.sample_jobs import slow_touch
from tests.jobs.servers import RedisServer, redis_binary


@pytest.fixture
def redis_server():
    server = RedisServer(redis_binary())
    server.start()
    yield server
    server.stop()


def start_worker(app, redis_url: str, tmp_path: Path) -> subprocess.Popen:
    env = dict(os.environ, REDIS_URL=redis_url, FLASK_APP="run.py", REPLAN_ENV="development",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="worker-shutdown-test-" + "k9Xq2Lm7Vb4Rt8Wz" * 2,
               REPLAN_UPLOAD_DIR=str(tmp_path / "uploads"),
               REPLAN_EXPORT_DIR=str(tmp_path / "exports"),
               REPLAN_STATIC_BUILD_DIR=str(tmp_path / "static"),
               PYTHONPATH=str(BASE_DIR))
    return subprocess.Popen([sys.executable, "-m", "flask", "replan", "worker", "--no-cron"],
                            cwd=BASE_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(predicate, seconds: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigterm_lets_the_running_job_finish_keeps_the_next_queued_and_exits(app, redis_server,
                                                                            tmp_path):
    """One worker process (its start is the slow part): SIGTERM while a job runs."""
    connection = Redis.from_url(redis_server.url)
    worker = start_worker(app, redis_server.url, tmp_path)
    try:
        wait_for(lambda: Worker.all(connection=connection), what="the worker to register")
        queue = Queue("default", connection=connection)
        target = tmp_path / "job-output"
        running = queue.enqueue(slow_touch, str(target), 1.5)
        waiting = queue.enqueue(slow_touch, str(tmp_path / "second"), 0.1)
        wait_for(Path(str(target) + ".started").exists, what="the job to start")
        worker.send_signal(signal.SIGTERM)  # what `docker stop` / systemd send to the main process
        output = worker.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert worker.returncode == 0, output
    assert target.read_text() == "done"  # the running job ran to its end
    assert Job.fetch(running.id, connection=connection).get_status() == JobStatus.FINISHED
    assert "Warm shut down requested" in output or "warm shut down" in output.lower(), output
    # the job behind it was not started and not lost: the next worker takes it
    assert Job.fetch(waiting.id, connection=connection).get_status() == JobStatus.QUEUED
    assert waiting.id in queue.job_ids
    assert not (tmp_path / "second.started").exists()
