"""Time in SQL per page, with statements kept prepared from page to page and without
(app/pg_connections.py, REPLAN_PG_PREPARED): the same pages as bench/pages.py, served
in-process by two apps on the same PostgreSQL database, one request of each in turn.

    .venv/bin/python bench/sql_time.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m \\
        [--samples 40] [--only p_list,s_list] [--redis-url redis://127.0.0.1:6379/8]

“SQL” is the wall time spent inside the driver's execute calls of one request (the round
trips, the server's parse, plan and execute), summed; “page” is the whole request in the
test client. Both are medians over --samples requests after five warm-up requests per app
(psycopg prepares a statement the fifth time a connection runs it). SQL time is the figure
this change moves; the page time is printed beside it for scale, with Python's noise in it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WARM_UP = 6


def build(database_url: str, redis_url: str | None, prepared: bool):
    os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from config import Config

    settings = {"PG_PREPARED_STATEMENTS": prepared, "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_ENABLED": False, "REDIS_URL": redis_url}
    app = create_app(type("BenchConfig", (Config,), settings))
    spent: list[tuple[str, float]] = []  # (statement, seconds) since the caller emptied it
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, many):
        context._bench_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, many):
        spent.append((statement, time.perf_counter() - context._bench_started))

    return app, spent


def signed_in(app, login: str, password: str):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    answer = client.post("/login/", data={"username": login, "password": password,
                                          "csrf_token": token.group(1) if token else ""})
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        sys.exit(f"Could not sign in as {login}")
    return client


def one(client, spent, path: str) -> tuple[float, float]:
    spent.clear()
    started = time.perf_counter()
    answer = client.get(path)
    if answer.status_code != 200:
        sys.exit(f"{path}: HTTP {answer.status_code}")
    return (time.perf_counter() - started) * 1000, sum(s for _, s in spent) * 1000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)

    import pages as bench_pages  # bench/pages.py: the dataset's logins and the page list

    wanted = {k for k in args.only.split(",") if k}
    chosen = [p for p in bench_pages.pages(bench_pages.discover(args.database_url))
              if p.login and (not wanted or p.key in wanted)]
    apps = {kept: build(args.database_url, args.redis_url, kept) for kept in (True, False)}
    clients: dict = {}
    print("| page | SQL ms, prepared kept | SQL ms, nothing prepared | page ms, kept | "
          "page ms, nothing prepared |")
    print("|---|---:|---:|---:|---:|")
    for page in chosen:
        figures = {True: [], False: []}
        for kept, (app, spent) in apps.items():
            key = (kept, page.login)
            if key not in clients:
                clients[key] = signed_in(app, page.login, bench_pages.PASSWORD)
            for _ in range(WARM_UP):
                one(clients[key], spent, page.path)
        for _ in range(args.samples):
            for kept, (app, spent) in apps.items():
                figures[kept].append(one(clients[(kept, page.login)], spent, page.path))
        med = {kept: (statistics.median(f[1] for f in figures[kept]),
                      statistics.median(f[0] for f in figures[kept])) for kept in figures}
        print(f"| {page.title} | {med[True][0]:.1f} | {med[False][0]:.1f} | "
              f"{med[True][1]:.1f} | {med[False][1]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
