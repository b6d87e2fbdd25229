"""Page benchmark (issue 14): p50 / p95 / requests per second of every main page at
concurrency 1 and 8, per role, with the SQL statements each page runs, side by side with a
minimal Flask + SQLAlchemy Core page serving the same partner list (bench/baseline.py).

    .venv/bin/python bench/pages.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_replan \\
        [--port 5107] [--baseline-port 5117] [--url http://host:port] [--redis-url redis://…/8] \\
        [--samples 20] [--budget 15] [--runs 1] [--concurrency 1,8] [--only KEY,KEY] \\
        [--label "100k requests"] [--note "before the speed work"] [--app-dir DIR] [--write-docs]

The database must hold a dataset of `flask replan bench-data --requests N` (logins and ids
are taken from it). Without --url the script starts the app itself with gunicorn -w 2 on
--port (REPLAN_SQL_COUNT=1 for the X-SQL-Count header, rate limits off) and the baseline on
--baseline-port, and stops both at the end. With --url the app given is measured (start it
with REPLAN_SQL_COUNT=1 and REPLAN_RATE_LIMIT=0 to get SQL counts and no 429s); the baseline
is still started locally unless --no-baseline.

With --redis-url the periodic job "dashboard-figures" runs before the queue and director
pages (the deployment's scheduler runs it every minute), so the director's default period and the
managers' loads are kept ahead as in production.

Each page: one warm-up request (its status, size and SQL count are reported), then at
concurrency 1 up to --samples requests one after another, at concurrency 8 up to 2 × --samples
requests from 8 threads, each phase stopping early after --budget seconds (at least 3
requests). --runs R repeats the concurrency-1 phase R times and reports the medians.
Prints a markdown table; --write-docs puts it into docs/benchmarks.md in the section of its
--label (replaced when it is there, else appended).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
PASSWORD = "replan-demo-2026"  # app.demo.DEMO_PASSWORD: every bench-data login has it
PAGE_SIZE = 20
DEEP_PAGES = 1000


@dataclass
class Page:
    key: str
    title: str
    login: str | None  # None: the baseline (no login)
    path: str
    compare: str | None = None  # key of the baseline page it is compared with


@dataclass
class Result:
    page: Page
    status: int = 0
    size: int = 0
    sql: str = "—"
    c: dict = field(default_factory=dict)  # concurrency → (p50, p95, rps, n)


# ---- the dataset: logins and ids to visit ---------------------------------------------------

def discover(database_url: str) -> dict:
    """Ids, cursors and search words from the bench dataset."""
    engine = create_engine(database_url)
    q = {}
    with engine.connect() as conn:
        one = lambda sql, **kw: conn.execute(text(sql), kw).scalar()  # noqa: E731
        company = one("SELECT id FROM partner_company WHERE inn = '9900000001'")
        if company is None:
            sys.exit("This database holds no bench dataset: run `flask replan bench-data`.")
        q["company"] = company
        q["company_requests"] = one("SELECT count(*) FROM request WHERE company_id = :c",
                                    c=company)
        q["requests"] = one("SELECT count(*) FROM request")
        depth = max(1, min(DEEP_PAGES, q["company_requests"] // PAGE_SIZE - 1))
        q["depth"] = depth
        q["deep_after"] = one("SELECT id FROM request WHERE company_id = :c ORDER BY id DESC "
                              "LIMIT 1 OFFSET :o", c=company, o=depth * PAGE_SIZE - 1)
        q["partner_request"] = one(
            "SELECT max(id) FROM request WHERE company_id = :c AND status = 'closed'", c=company)
        manager = one("SELECT id FROM ab_user WHERE username = 'manager1'")
        q["desk_request"] = one(
            "SELECT max(id) FROM request WHERE manager_id = :m AND status = 'in_progress'",
            m=manager) or one("SELECT max(id) FROM request WHERE manager_id = :m", m=manager)
        # an address the partner would type (street and house), a client's name
        address = one("SELECT object_address FROM request WHERE company_id = :c ORDER BY id "
                      "LIMIT 1", c=company)
        q["address_term"] = ", ".join(address.split(", ")[1:3]) if address else "Тверская"
        # a word of that address found in very many requests (the street's name)
        q["broad_term"] = max(q["address_term"].replace(",", " ").split(), key=len)
        q["client_term"] = one("SELECT name FROM end_client WHERE company_id = :c ORDER BY id "
                               "LIMIT 1", c=company) or "Иванов"
        # a client's surname alone: the clients of many companies bear it
        q["surname"] = q["client_term"].split()[0]
        q["year"] = date.today().year - 1
        # a month a year back (the list walked every newer request to reach it before 0024)
        month = (date.today() - timedelta(days=365)).replace(day=1)
        q["period"] = (month.isoformat(),
                       ((month + timedelta(days=32)).replace(day=1) - timedelta(days=1))
                       .isoformat())
        q["month_start"] = date.today().replace(day=1).isoformat()
        q["counts"] = {t: one(f'SELECT count(*) FROM "{t}"') for t in (
            "partner_company", "ab_user", "end_client", "request", "status_change", "message",
            "schedule_entry", "payment")}
        q["server"] = " ".join(conn.execute(text("SELECT version()")).scalar().split()[:2]) \
            if engine.dialect.name == "postgresql" else "SQLite"
    engine.dispose()
    return q


def pages(q: dict) -> list[Page]:
    quote = requests.utils.quote
    deep, addr, client = q["deep_after"], quote(q["address_term"]), quote(q["client_term"])
    broad, surname = quote(q["broad_term"]), quote(q["surname"])
    sort = "_oc_RequestStaffView=object_address&_od_RequestStaffView=asc"
    c = q["company"]
    return [
        Page("p_dash", "partner dashboard", "partner1", "/cabinet/"),
        Page("p_list", "partner list, page 1", "partner1", "/cabinet/requests", "b_list"),
        Page("p_deep", f"partner list, {q['depth']} pages deep", "partner1",
             f"/cabinet/requests?after={deep}", "b_deep"),
        Page("p_addr", "partner list, search address", "partner1",
             f"/cabinet/requests?q={addr}", "b_addr"),
        Page("p_client", "partner list, search client", "partner1",
             f"/cabinet/requests?q={client}", "b_client"),
        Page("p_period", f"partner list, period {q['period'][0]}…{q['period'][1]}", "partner1",
             f"/cabinet/requests?from={q['period'][0]}&to={q['period'][1]}"),
        Page("p_detail", "request detail (partner)", "partner1",
             f"/cabinet/requests/{q['partner_request']}"),
        Page("d_detail", "request detail (desk, manager)", "manager1",
             f"/desk/{q['desk_request']}"),
        Page("s_list", "staff list, page 1 (supermanager)", "supermanager", "/requests/list/"),
        Page("s_sort", "staff list sorted by address", "supermanager", f"/requests/list/?{sort}"),
        Page("s_status", "staff list sorted by status", "supermanager",
             "/requests/list/?_oc_RequestStaffView=status&_od_RequestStaffView=desc"),
        Page("s_search", "staff list, text search", "supermanager",
             f"/requests/list/?_flt_0_field_values={addr}"),
        Page("s_broad", f"staff list, text search for a broad word ({q['broad_term']})",
             "supermanager", f"/requests/list/?_flt_0_field_values={broad}"),
        # filter and sort pairs a user can pick (a partner by title, a status by number, a
        # client's surname, a payment state; the desk's client, payment and a year)
        Page("s_company_addr", "staff list, the big partner sorted by address", "supermanager",
             f"/requests/list/?_flt_0_company={c}&{sort}"),
        Page("s_status_number", "staff list, submitted sorted by number", "supermanager",
             "/requests/list/?_flt_0_status=submitted"
             "&_oc_RequestStaffView=number&_od_RequestStaffView=asc"),
        Page("s_client", f"staff list, client's surname ({q['surname']})", "supermanager",
             f"/requests/list/?_flt_0_client_name={surname}"),
        Page("s_unpaid", "staff list, not paid", "supermanager",
             "/requests/list/?_flt_0_payment_state=unpaid"),
        Page("s_broad_addr", "staff list, broad word sorted by address", "supermanager",
             f"/requests/list/?_flt_0_field_values={broad}&{sort}"),
        # a period sorted against its order in time: older than the period's month newest
        # first (the default sort), this month's by number from the oldest (0032)
        Page("s_older", f"staff list, created before {q['period'][0]}, newest first",
             "supermanager", f"/requests/list/?_flt_2_created_at={q['period'][0]}"),
        Page("s_submitted_older", f"staff list, submitted before {q['period'][0]}, newest first",
             "supermanager", f"/requests/list/?_flt_2_submitted_at={q['period'][0]}"),
        Page("s_month_number", "staff list, created this month, by number",
             "supermanager", f"/requests/list/?_flt_1_created_at={q['month_start']}"
             "&_oc_RequestStaffView=number&_od_RequestStaffView=asc"),
        Page("s_dclient", "supermanager desk, client's surname", "supermanager",
             f"/desk/?client={surname}"),
        Page("s_dunpaid", "supermanager desk, not paid", "supermanager", "/desk/?payment=unpaid"),
        Page("s_dyear", f"supermanager desk, created in {q['year']}", "supermanager",
             f"/desk/?from={q['year']}-01-01&to={q['year']}-12-31"),
        Page("m_list", "staff list, page 1 (manager)", "manager1", "/requests/list/"),
        Page("m_desk", "my requests (manager desk)", "manager1", "/desk/"),
        Page("s_desk", "work list (supermanager desk: every open request)", "supermanager",
             "/desk/"),
        Page("m_dsearch", "manager desk, search address", "manager1", f"/desk/?q={addr}"),
        Page("m_dbroad", "manager desk, search a broad word", "manager1", f"/desk/?q={broad}"),
        Page("s_dsearch", "supermanager desk, search address", "supermanager",
             f"/desk/?q={addr}"),
        Page("s_dbroad", "supermanager desk, search a broad word", "supermanager",
             f"/desk/?q={broad}"),
        Page("e_list", "staff list, page 1 (engineer)", "engineer1", "/requests/list/"),
        Page("a_list", "staff list, page 1 (admin)", "admin", "/requests/list/"),
        Page("queue", "distribution queue", "supermanager", "/distribution/"),
        Page("week", "week schedule (all engineers)", "supermanager", "/schedule/"),
        Page("e_week", "week schedule (engineer)", "engineer1", "/schedule/"),
        Page("director", "director dashboard, default period", "director", "/dashboard/"),
        Page("b_list", "baseline: partner list, page 1", None, f"/requests?company={c}"),
        Page("b_deep", f"baseline: {q['depth']} pages deep", None,
             f"/requests?company={c}&after={deep}"),
        Page("b_addr", "baseline: search address", None, f"/requests?company={c}&q={addr}"),
        Page("b_client", "baseline: search client", None, f"/requests?company={c}&q={client}"),
    ]


# ---- servers ------------------------------------------------------------------------------

def start(args: list[str], env: dict, probe: str, log: Path, cwd=ROOT) -> subprocess.Popen:
    """Start a server and wait until `probe` answers (up to 90 s)."""
    try:
        requests.get(probe, timeout=5)
        sys.exit(f"Something already answers at {probe}: stop it or pick another port.")
    except requests.RequestException:
        pass
    out = log.open("w")
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{args[0]} exited; see {log}")
        try:
            if requests.get(probe, timeout=5).status_code < 500:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.terminate()
    sys.exit(f"{probe} did not answer in 90 s; see {log}")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=60)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    answer = session.post(f"{base}/login/", data={
        "username": username, "password": PASSWORD,
        "csrf_token": token.group(1) if token else ""}, allow_redirects=False, timeout=60)
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        sys.exit(f"Could not sign in as {username} ({answer.status_code})")
    return session


# ---- measuring -----------------------------------------------------------------------------

def _clone(session: requests.Session | None) -> requests.Session:
    clone = requests.Session()
    if session is not None:
        clone.cookies.update(session.cookies)
    return clone


def phase(url: str, session, concurrency: int, limit: int, budget: float):
    """(p50 ms, p95 ms, requests/s, n) of up to `limit` GETs from `concurrency` threads."""
    times: list[float] = []
    lock = threading.Lock()
    began = time.monotonic()

    def worker():
        own = _clone(session)
        while True:
            with lock:
                if len(times) >= limit or (len(times) >= 3 and
                                           time.monotonic() - began > budget):
                    return
                times.append(0.0)
                slot = len(times) - 1
            t = time.perf_counter()
            own.get(url, timeout=300, allow_redirects=False).content  # noqa: B018
            times[slot] = time.perf_counter() - t

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    done = sorted(x for x in times if x)
    if not done:
        return None
    p95 = done[min(len(done) - 1, int(round(0.95 * (len(done) - 1))))]
    return statistics.median(done) * 1000, p95 * 1000, len(done) / elapsed, len(done)


def measure(page: Page, base: str, session, levels, samples, budget, runs) -> Result:
    result = Result(page)
    url = base + page.path
    first = _clone(session).get(url, timeout=300, allow_redirects=False)
    result.status, result.size = first.status_code, len(first.content)
    result.sql = first.headers.get("X-SQL-Count", "—")
    for level in levels:
        if level == 1 and runs > 1:
            found = [phase(url, session, 1, samples, budget) for _ in range(runs)]
            found = [f for f in found if f]
            result.c[1] = (statistics.median(f[0] for f in found),
                           statistics.median(f[1] for f in found),
                           statistics.median(f[2] for f in found), sum(f[3] for f in found))
        else:
            result.c[level] = phase(url, session, level, samples * (2 if level > 1 else 1),
                                    budget)
    return result


# ---- report --------------------------------------------------------------------------------

def table(results: list[Result], levels) -> str:
    by_key = {r.page.key: r for r in results}
    head = "| page | login | HTTP | SQL |" + "".join(
        f" c{n} p50 / p95, ms | c{n} req/s |" for n in levels) + " vs baseline (c1 p50) |"
    lines = [head, "|---|---|---:|---:|" + "---:|---:|" * len(levels) + "---|"]
    for r in results:
        cells = []
        for n in levels:
            m = r.c.get(n)
            cells += [f"{m[0]:,.0f} / {m[1]:,.0f}", f"{m[2]:.1f}"] if m else ["—", "—"]
        ratio = ""
        other = by_key.get(r.page.compare or "")
        if other and other.c.get(1) and r.c.get(1):
            ratio = f"{other.c[1][0] / r.c[1][0]:.2f}× ({other.c[1][0]:,.0f} ms bare)"
        lines.append(f"| {r.page.title} | {r.page.login or 'none'} | {r.status} | {r.sql} | "
                     + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores{memory}, "
            f"load average {load:.1f} at the start; Python {platform.python_version()}")


def section(label: str, note: str, q: dict, command: str, body: str, started: datetime) -> str:
    counts = ", ".join(f"{t} {n:,}" for t, n in q["counts"].items())
    title = f"## Pages: {label}" + (f" — {note}" if note else "")
    return "\n".join([
        f"<!-- bench-pages:{label} -->", title, "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; database: {q['server']}.",
        f"Dataset: `flask replan bench-data --requests {q['requests']:,}`: {counts}; the big "
        f"company has {q['company_requests']:,} requests. Search words: address "
        f"“{q['address_term']}”, client “{q['client_term']}”, broad word “{q['broad_term']}”.", "",
        f"Command: `{command}`", "", body, f"<!-- /bench-pages:{label} -->"])


def write_docs(label: str, text_: str) -> None:
    old = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- bench-pages:{re.escape(label)} -->.*?"
                         rf"<!-- /bench-pages:{re.escape(label)} -->", re.S)
    new = pattern.sub(lambda _m: text_, old) if pattern.search(old) else \
        old.rstrip("\n") + "\n\n" + text_ + "\n"
    DOCS.write_text(new)


KEPT_AHEAD = {"queue", "director"}  # pages whose figures the periodic job keeps ahead


def kept_ahead(app_dir: str, env: dict) -> None:
    """Run the periodic job that keeps the director's default period and the managers' loads
    in Redis, as the deployment's scheduler does every minute (an older tree without the job
    computes them at the first look, as it did)."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "replan", "run",
                           "dashboard-figures"], cwd=app_dir, env=env, capture_output=True,
                          text=True, timeout=600)
    print(f"dashboard-figures: {(done.stdout or done.stderr).strip()[-200:]}", file=sys.stderr)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--url", help="measure this running app instead of starting one")
    parser.add_argument("--app-dir", default=str(ROOT),
                        help="run the app from this source tree (e.g. an older commit's "
                             "`git archive`), default: this one")
    parser.add_argument("--port", type=int, default=5107)
    parser.add_argument("--baseline-port", type=int, default=5117)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--budget", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--only", help="comma-separated page keys (see pages())")
    parser.add_argument("--label", default="")
    parser.add_argument("--note", default="")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    levels = [int(x) for x in args.concurrency.split(",")]
    started = datetime.now(UTC)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # still stop the servers
    q = discover(args.database_url)
    label = args.label or f"{q['requests']:,} requests"
    env = dict(os.environ, DATABASE_URL=args.database_url, REPLAN_SQL_COUNT="1",
               REPLAN_RATE_LIMIT="0", PYTHONPATH=args.app_dir)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    common = ["-w", str(args.workers), "--timeout", "300", "--no-control-socket"]
    app_proc = base_proc = None
    logs = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        base = args.url
        if not base:
            base = f"http://127.0.0.1:{args.port}"
            app_proc = start([gunicorn, *common, "-b", f"127.0.0.1:{args.port}",
                              "--chdir", args.app_dir, "run:app"],
                             env, f"{base}/login/", logs / f"bench-pages-app-{args.port}.log",
                             cwd=args.app_dir)
        bare = f"http://127.0.0.1:{args.baseline_port}"
        if not args.no_baseline:
            base_proc = start([gunicorn, *common, "-b", f"127.0.0.1:{args.baseline_port}",
                               "--pythonpath", str(ROOT / "bench"), "baseline:app"], env,
                              f"{bare}/requests?company={q['company']}",
                              logs / f"bench-pages-baseline-{args.baseline_port}.log")
        only = set(args.only.split(",")) if args.only else None
        chosen = [p for p in pages(q) if (only is None or p.key in only)
                  and (p.login or not args.no_baseline)]
        sessions = {name: login(base, name) for name in {p.login for p in chosen if p.login}}
        results = []
        for page in chosen:
            if page.key in KEPT_AHEAD and args.redis_url and not args.url:
                kept_ahead(args.app_dir, env)  # as the scheduler does every minute
            result = measure(page, base if page.login else bare, sessions.get(page.login),
                             levels, args.samples, args.budget, args.runs)
            results.append(result)
            c1 = result.c.get(1)
            print(f"{page.key:<9} {result.status} sql={result.sql:<4} "
                  f"c1 p50={c1[0] if c1 else 0:,.0f} ms  {page.title}", file=sys.stderr)
    finally:
        stop(app_proc)
        stop(base_proc)
    body = table(results, levels)
    command = "python bench/pages.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    text_ = section(label, args.note, q, command, body, started)
    print(text_)
    if args.write_docs:
        write_docs(label, text_)


if __name__ == "__main__":
    main()
