#!/usr/bin/env python3
"""Multi-process smoke test: Replan deployed as it runs in production, without containers.

Starts a fresh PostgreSQL database, a private redis-server (AOF on, so a restart keeps the
queue, as in compose.yaml), an SMTP sink, gunicorn with 2 workers, one RQ worker with the cron
scheduler and one without (the Procfile's web / scheduler / worker). Then, over HTTP with real
logins and CSRF tokens, runs a request from the partner through the supermanager, the manager
and the engineer to delivery; meanwhile it SIGKILLs the plain worker and restarts Redis. At the
end every e-mail of the outbox must have arrived exactly once, every status must be right and
/readyz must answer 200. Exits non-zero on any failure; always stops what it started.

    .venv/bin/python tools/smoke.py            # PostgreSQL on 127.0.0.1:5432 (trust auth)
    SMOKE_KEEP=1 .venv/bin/python tools/smoke.py   # keep the logs folder for reading
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from tests.jobs.servers import redis_binary  # noqa: E402
from tools.smoke_http import Browser  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
WEB_PORT = int(os.environ.get("SMOKE_WEB_PORT", "5085"))
REDIS_PORT = int(os.environ.get("SMOKE_REDIS_PORT", "5086"))
REDIS_HOST = "127.0.0.1"  # tools/compose_smoke.py: the compose project's Redis container
SMTP_PORT = int(os.environ.get("SMOKE_SMTP_PORT", "5087"))
PG_SERVER = os.environ.get("SMOKE_PG", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("SMOKE_DB", "deploy_smoke")
PASSWORD = "replan-demo-2026"  # app.demo.DEMO_PASSWORD
MINI_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
            b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


class Sink:
    """The SMTP sink: every message received, by Message-ID."""

    def __init__(self):
        self.messages: list[tuple[str, str, str]] = []  # (Message-ID, To, Subject)

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append((str(message["Message-ID"]), str(message["To"]),
                              str(message["Subject"])))
        return "250 OK"


class Stack:
    """The processes of one run; stop() ends every one of them (process groups)."""

    def __init__(self, logs: Path):
        self.logs, self.procs = logs, {}
        self.env = dict(os.environ, FLASK_APP="run.py", REPLAN_ENV="development",
                        DATABASE_URL=f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{DB_NAME}",
                        REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
                        SECRET_KEY=secrets.token_urlsafe(48),
                        REPLAN_BASE_URL=f"http://127.0.0.1:{WEB_PORT}",
                        MAIL_ENABLED="1", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(SMTP_PORT),
                        REPLAN_UPLOAD_DIR=str(logs / "uploads"),
                        REPLAN_EXPORT_DIR=str(logs / "exports"),
                        REPLAN_STATIC_BUILD_DIR=str(logs / "static-build"),
                        LOG_FORMAT="json", PYTHONUNBUFFERED="1")

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def run(self, *argv: str) -> None:
        subprocess.run([PY, "-m", "flask", *argv], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)

    def start_redis(self) -> None:
        data = self.logs / "redis"
        data.mkdir(exist_ok=True)
        self.start("redis", [redis_binary(), "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
                             "--dir", str(data), "--appendonly", "yes", "--save", "",
                             "--protected-mode", "no"])
        wait(lambda: _redis_ping(), 20, "redis to answer")

    def web(self):
        self.start("web", [PY, "-m", "gunicorn", "--workers", "2", "--bind",
                           f"127.0.0.1:{WEB_PORT}", "--graceful-timeout", "20",
                           "--no-control-socket", "run:app"])

    def worker(self, name: str, cron: bool):
        self.start(name, [PY, "-m", "flask", "replan", "worker", *([] if cron else ["--no-cron"])])


def _redis_ping() -> bool:
    from redis import Redis

    try:
        return bool(Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def fresh_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def sql(query: str, *params):
    with psycopg.connect(f"{PG_SERVER}/{DB_NAME}", autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def request_status(request_id: int) -> str:
    return sql("SELECT status FROM request WHERE id = %s", request_id)[0][0]


def queue_idle() -> bool:
    """Nothing waiting or running in RQ: the moment a worker can die without a job in hand."""
    from redis import Redis
    from rq import Queue

    queue = Queue("default", connection=Redis(host=REDIS_HOST, port=REDIS_PORT))
    return queue.count == 0 and queue.started_job_registry.count == 0


def move(browser: Browser, request_id: int, action: str, comment: str = "") -> None:
    page = browser.get(f"/desk/{request_id}")
    form = browser.form(page, rf"/desk/{request_id}/move/{action}$")
    response = browser.submit(page, form, {"comment": comment} if comment else {})
    assert response.status == 200, (action, response.status)


def upload(browser: Browser, request_id: int, kind: str, name: str) -> None:
    page = browser.get(f"/desk/{request_id}")
    form = browser.form(page, rf"/desk/{request_id}/upload/{kind}$")
    response = browser.submit(page, form, files={"files": (name, MINI_PDF, "application/pdf")})
    assert response.status == 200, (kind, response.status)


def service_field_values(form, service_id: str) -> dict:
    """A plausible answer to every required question of the service's own form."""
    sample = {"numeric": "3", "decimal": "52.5", "date": "2027-01-20", "tel": "+7 900 000-00-02",
              "email": "smoke@example.com"}
    values = {}
    for key, info in form.service_fields.items():
        if service_id not in info["services"] or not info["required"]:
            continue
        choices = [c for c in info["choices"] if c]
        if info["kind"] in ("select", "multiselect", "checkbox") and choices:
            values[key] = choices[0] if info["kind"] == "select" else [choices[0]]
        elif key in ("address", "object_address"):
            values[key] = "Москва, Тверская 1, кв. 2"
        else:
            values[key] = sample.get(info["kind"], "Смок-тест")
    return values


def errors(response) -> str:
    """The form's error messages on a re-rendered page, for the failure report."""
    found = re.findall(r'class="errors"[^>]*>(.*?)</ul>', response.text, re.S)
    return " | ".join(re.sub(r"<[^>]+>", " ", e).strip() for e in found)[:800]


def journey(stack: Stack) -> int:
    """Partner → supermanager → manager → engineer → delivery; returns the request id."""
    base = f"http://127.0.0.1:{WEB_PORT}"
    partner = Browser(base)
    partner.login("partner1", PASSWORD)
    page = partner.get("/cabinet/requests/new")
    form = partner.form(page, r"/cabinet/requests/new|^$")
    service = str(sql("SELECT id FROM service WHERE is_active ORDER BY id LIMIT 1")[0][0])
    values = {"services": [service], "urgency": "normal", "end_client_id": "0",
              "new_client_name": "Смок Тест", "new_client_phone": "+7 900 000-00-01",
              "description": "Смок-тест", "wanted_date": "2027-01-20", "submit_now": "1"}
    values.update(service_field_values(form, service))
    response = partner.submit(page, form, values)
    match = re.search(r"/cabinet/requests/(\d+)$", response.url)
    assert match, f"the request was not saved (status {response.status}): {errors(response)}"
    request_id = int(match.group(1))
    assert request_status(request_id) == "submitted"
    print(f"  partner submitted request {request_id}")

    chief = Browser(base)
    chief.login("supermanager", PASSWORD)
    manager_id = sql("SELECT id FROM ab_user WHERE username = 'manager1'")[0][0]
    page = chief.get("/distribution/")
    chief.submit(page, chief.form(page, r"/distribution/assign$"),
                 {"request_id": str(request_id), "manager_id": str(manager_id)})
    assert request_status(request_id) == "assigned"
    print("  supermanager assigned it to manager1")

    wait(queue_idle, 300, "the queue to drain before a worker is killed")
    stack.kill("worker")  # SIGKILL, no goodbye: the scheduler's worker carries on alone
    print("  killed the plain RQ worker (SIGKILL)")

    manager = Browser(base)
    manager.login("manager1", PASSWORD)
    page = manager.get(f"/desk/{request_id}")
    book = manager.form(page, rf"/desk/{request_id}/book$")
    engineer_id = dict(book.fields)["engineer_id"]
    manager.submit(page, book)
    assert request_status(request_id) == "scheduled"
    engineer_name = sql("SELECT username FROM ab_user WHERE id = %s", int(engineer_id))[0][0]
    print(f"  manager1 booked {engineer_name}")

    engineer = Browser(base)
    engineer.login(engineer_name, PASSWORD)
    move(engineer, request_id, "start")
    upload(engineer, request_id, "work", "обмеры.pdf")
    move(engineer, request_id, "submit_review")
    assert request_status(request_id) == "on_review"
    print(f"  {engineer_name} started, uploaded the work and sent it for review")

    move(manager, request_id, "accept")
    upload(manager, request_id, "deliverable", "Проект.pdf")
    assert request_status(request_id) == "ready"
    print("  manager1 accepted and uploaded the deliverable")

    stack.kill("redis", signal.SIGTERM)  # AOF flushed on a clean stop, as in production
    stack.start_redis()
    print("  restarted Redis")

    admin = Browser(base)
    admin.login("admin", PASSWORD)
    total = sql("SELECT total_kopecks FROM request WHERE id = %s", request_id)[0][0]
    page = admin.get(f"/desk/{request_id}")
    admin.submit(page, admin.form(page, rf"/desk/{request_id}/payment$"), {
        "amount": f"{total / 100:.2f}", "paid_on": time.strftime("%Y-%m-%d"),
        "document": "п/п 1"})
    assert sql("SELECT count(*) FROM payment WHERE request_id = %s", request_id)[0][0] == 1
    print("  admin recorded the payment")

    move(manager, request_id, "deliver")
    assert request_status(request_id) == "delivered"
    detail = partner.get(f"/cabinet/requests/{request_id}")
    assert detail.status == 200 and "Проект.pdf" in detail.text
    print("  manager1 delivered; the partner sees the deliverable")
    return request_id


def check_mail(sink, since_id: int) -> None:
    """Every outbox row of the run sent, each delivered to the sink exactly once (`sink`:
    anything with `messages`, (Message-ID, To, Subject) each; compose_smoke's MailpitInbox)."""
    def all_sent():
        rows = sql("SELECT status, count(*) FROM outbox_message WHERE id > %s GROUP BY status",
                   since_id)
        return rows and {status for status, _ in rows} == {"sent"}
    wait(all_sent, 420, "every e-mail to be sent (the outbox sweep runs every 5 minutes)")
    rows = sql("SELECT id, recipient FROM outbox_message WHERE id > %s", since_id)
    time.sleep(2)  # a duplicate delivery would arrive now
    ids = [m[0] for m in sink.messages]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    expected = {f"<outbox-{row_id}." for row_id, _ in rows}
    received = {i.split(".")[0] + "." for i in ids}
    assert expected <= received, f"never arrived: {sorted(expected - received)}"
    partner_email = sql("SELECT email FROM ab_user WHERE username = 'partner1'")[0][0]
    to_partner = [row_id for row_id, recipient in rows if recipient == partner_email]
    assert to_partner, "the partner got no e-mail about the request"
    print(f"  {len(rows)} e-mails of the journey sent, each received exactly once "
          f"({len(to_partner)} to the partner)")


def main() -> int:
    logs = Path(tempfile.mkdtemp(prefix="replan-smoke-"))
    stack, sink = Stack(logs), Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    ok = False
    try:
        print(f"smoke: PostgreSQL {PG_SERVER}/{DB_NAME}, Redis :{REDIS_PORT}, "
              f"SMTP :{SMTP_PORT}, web :{WEB_PORT}; logs in {logs}")
        fresh_database()
        subprocess.run([PY, "-m", "babel.messages.frontend", "compile", "-d",
                        "babel/translations"], cwd=ROOT, check=True, capture_output=True)
        stack.start_redis()
        smtp.start()
        stack.run("db", "upgrade", "heads")
        stack.run("replan", "sync-roles")
        stack.run("replan", "demo")
        since_id = sql("SELECT coalesce(max(id), 0) FROM outbox_message")[0][0]
        stack.web()
        stack.worker("scheduler", cron=True)
        stack.worker("worker", cron=False)
        browser = Browser(f"http://127.0.0.1:{WEB_PORT}", timeout=5)
        wait(lambda: _ready(browser), 90, "gunicorn to answer /readyz")
        journey(stack)
        check_mail(sink, since_id)
        ready = browser.get("/readyz")
        assert ready.status == 200, ready.text
        assert json.loads(ready.text)["checks"] == {"database": "ok", "redis": "ok"}
        assert stack.procs["scheduler"].poll() is None, "the scheduler's worker died"
        web_ids = request_ids(logs / "web.log")
        job_ids = request_ids(logs / "worker.log") | request_ids(logs / "scheduler.log")
        assert web_ids & job_ids, "no worker log line carries the id of a web request"
        print(f"  {len(web_ids & job_ids)} request ids of web requests appear in worker logs")
        ok = True
        print("smoke: PASSED")
    except Exception as error:  # report, show the logs' tails, fail
        print(f"smoke: FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        for log in sorted(logs.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name} (last lines)\n" + "\n".join(tail), file=sys.stderr)
    finally:
        stack.stop()
        smtp.stop()
        if ok and not os.environ.get("SMOKE_KEEP"):
            shutil.rmtree(logs, ignore_errors=True)
    return 0 if ok else 1


def request_ids(log: Path) -> set[str]:
    """The request ids on the JSON lines of a process's log."""
    found = set()
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        if line.startswith("{"):
            found.add(json.loads(line).get("request_id"))
    return found - {None}


def _ready(browser: Browser) -> bool:
    try:
        return browser.get("/readyz").status == 200
    except OSError:
        return False


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # cleanup runs in `finally`
    sys.exit(main())
