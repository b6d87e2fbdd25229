"""What a write costs at scale: a partner's message on a request (the cabinet's form, the
use case, its notifications queued), posted in-process on a bench dataset, with the SQL
statements of the posts alone and their time.

    .venv/bin/python bench/writes.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m \\
        [--redis-url redis://127.0.0.1:6379/8] [--login partner1] [--posts 40]

Each post goes to another open request of the partner's company, picked at random (its
index pages are as cold as a real partner's next request would find them); the request's
page is read first, as the browser does, and is not timed. The messages stay in the
database (a bench dataset only: `flask replan bench-data` builds a new one). Without
--redis-url the notifications' jobs run inline, inside the post's time.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

OPEN = ("assigned", "scheduled", "in_progress")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--login", default="partner1")
    parser.add_argument("--posts", type=int, default=40)
    args = parser.parse_args(argv)

    from sqlalchemy import bindparam, text

    import sql_time  # bench/sql_time.py: the app in-process, signed in
    from app.extensions import db
    from app.form_nonce import issue_nonce
    from pages import PASSWORD

    app, spent = sql_time.build(args.database_url, args.redis_url, True)
    client = sql_time.signed_in(app, args.login, PASSWORD)
    with app.app_context():
        ids = list(db.session.execute(text(
            "SELECT r.id FROM request r JOIN user_profile p ON p.partner_company_id = "
            "r.company_id JOIN ab_user u ON u.id = p.user_id WHERE u.username = :login "
            "AND r.status IN :open ORDER BY random() LIMIT :n").bindparams(
                bindparam("open", expanding=True)),
            {"login": args.login, "n": args.posts, "open": list(OPEN)}).scalars())
    if not ids:
        sys.exit(f"{args.login} has no open requests")

    by_statement = collections.defaultdict(list)
    posts = []
    for rid in ids:
        page = client.get(f"/cabinet/requests/{rid}").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        with app.test_request_context():
            nonce = issue_nonce()
        spent.clear()
        started = time.perf_counter()
        answer = client.post(f"/cabinet/requests/{rid}/message", data={
            "body": "Проверка записи (bench/writes.py)", "csrf_token": token,
            "form_nonce": nonce})
        posts.append((time.perf_counter() - started) * 1000)
        for statement, seconds in spent:
            by_statement[" ".join(statement.split())[:60]].append(seconds * 1000)
        if answer.status_code != 302:
            sys.exit(f"request {rid}: HTTP {answer.status_code}")
    posts.sort()
    print(f"message post, {len(posts)} requests of {args.login}, Redis "
          f"{'on' if args.redis_url else 'off (jobs inline)'}: p50 "
          f"{statistics.median(posts):.0f} ms, p90 {posts[int(len(posts) * 0.9)]:.0f} ms, "
          f"max {posts[-1]:.0f} ms")
    print("| statement | ms a post | runs a post |")
    print("|---|---:|---:|")
    for total, key, runs in sorted(((sum(v), k, len(v)) for k, v in by_statement.items()),
                                   reverse=True)[:10]:
        print(f"| `{key}…` | {total / len(posts):.1f} | {runs / len(posts):.1f} |")


if __name__ == "__main__":
    os.environ.setdefault("REPLAN_RATE_LIMIT", "0")
    main()
