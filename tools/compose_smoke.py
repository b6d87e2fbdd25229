#!/usr/bin/env python3
"""The smoke journey of tools/smoke.py against Replan started by `docker compose up`.

Run after `docker compose up -d` (the demo loaded by the migrate service): the partner →
supermanager → manager → engineer → delivery journey over HTTP on the web container, while
the compose project's first plain worker is killed (SIGKILL) and its Redis restarted; then
every e-mail of the journey must have reached the mail catcher (Mailpit's API) exactly once,
every status must be right and /readyz must answer 200. The database and Redis are reached
on the containers' own addresses (the project's network), as the journey checks statuses in
SQL. Exits non-zero on any failure. Changes nothing but the demo data of that deployment.

    docker compose up -d
    .venv/bin/python tools/compose_smoke.py [--project replan] [--web http://127.0.0.1:8000] \\
        [--mailpit http://127.0.0.1:8025]

docs/deploy.md ("Checking a compose deployment") says what was verified with it and how.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import smoke  # noqa: E402
from tools.smoke_http import Browser  # noqa: E402


def docker(*argv: str) -> str:
    return subprocess.run(["docker", *argv], check=True, capture_output=True,
                          text=True).stdout.strip()


class ComposeStack:
    """What the journey does to the deployment's processes, done to its containers."""

    def __init__(self, project: str):
        self.project = project

    def container(self, service: str) -> str:
        """The first running container of a service (compose v1 and v2 name them apart)."""
        found = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={self.project}",
                       "--filter", f"label=com.docker.compose.service={service}").split()
        if not found:
            raise AssertionError(f"no running container of the service {service!r}")
        return sorted(found)[0]

    def address(self, service: str) -> str:
        return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} "
                      "{{end}}", self.container(service)).split()[0]

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        if name == "redis":  # a clean stop (the append-only file flushed), started again
            self._redis = self.container("redis")
            docker("stop", "-t", "30", self._redis)
            return
        docker("kill", "--signal", "KILL" if sig == signal.SIGKILL else "TERM",
               self.container(name))

    def start_redis(self) -> None:
        docker("start", self._redis)
        smoke.REDIS_HOST = self.address("redis")  # may change with the restart
        smoke.wait(smoke._redis_ping, 30, "redis to answer")


class MailpitInbox:
    """The mail catcher's messages as tools/smoke.py's check reads its sink's: (Message-ID,
    To, Subject) — read from Mailpit's API each time they are asked for."""

    def __init__(self, url: str):
        self.url = url

    @property
    def messages(self) -> list[tuple[str, str, str]]:
        with urlopen(f"{self.url}/api/v1/messages?limit=5000", timeout=10) as answer:
            listed = json.load(answer)["messages"]
        return [(f"<{m['MessageID'].strip('<>')}>", str(m.get("To")), m.get("Subject", ""))
                for m in listed]


def check_mailpit(mailpit: str, since_id: int) -> None:
    """Every outbox row of the journey sent, each received by the mail catcher exactly once
    (tools/smoke.py's check, on the mail catcher's messages)."""
    smoke.check_mail(MailpitInbox(mailpit), since_id)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default="replan")
    parser.add_argument("--web", default="http://127.0.0.1:8000")
    parser.add_argument("--mailpit", default="http://127.0.0.1:8025")
    parser.add_argument("--pg-password", default=os.environ.get("POSTGRES_PASSWORD", "replan"))
    args = parser.parse_args(argv)
    stack = ComposeStack(args.project)
    try:
        smoke.PG_SERVER = f"postgresql://replan:{args.pg_password}@{stack.address('postgres')}:5432"
        smoke.DB_NAME = "replan"
        smoke.REDIS_HOST, smoke.REDIS_PORT = stack.address("redis"), 6379
        host, _, port = args.web.removeprefix("http://").partition(":")
        smoke.WEB_PORT = int(port or 80)
        assert host in ("127.0.0.1", "localhost"), "the journey's browser speaks to 127.0.0.1"
        print(f"compose smoke: project {args.project}, web {args.web}, mail {args.mailpit}")
        browser = Browser(args.web, timeout=5)
        smoke.wait(lambda: smoke._ready(browser), 120, "the web container to answer /readyz")
        since_id = smoke.sql("SELECT coalesce(max(id), 0) FROM outbox_message")[0][0]
        smoke.journey(stack)
        check_mailpit(args.mailpit, since_id)
        ready = browser.get("/readyz")
        assert ready.status == 200, ready.text
        assert json.loads(ready.text)["checks"] == {"database": "ok", "redis": "ok"}
        stack.container("scheduler")  # still running
        print("compose smoke: PASSED")
        return 0
    except Exception as error:
        print(f"compose smoke: FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
