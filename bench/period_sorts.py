"""The staff request list with each date filter against each sort a user can pick, served
in-process on a bench dataset: the median time of each page, slowest first.

    .venv/bin/python bench/period_sorts.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m \\
        [--redis-url redis://127.0.0.1:6379/8] [--samples 5] [--before 2025-11-01]

Five periods (created or submitted before or after a day a year back, created this month)
by the sorts of the list's headers (and none), as the supermanager: 35 pages, ~1 min at 1M.
A page is timed as bench/sql_time.py times it (the whole request in the test client, and
the time inside the driver's execute calls), after two warm-up requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

VIEW = "RequestStaffView"
SORTS = [("", ""), ("number", "asc"), ("number", "desc"), ("created_at", "asc"),
         ("created_at", "desc"), ("status", "asc"), ("object_address", "asc")]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--login", default="supermanager")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--before", default=(date.today() - timedelta(days=365))
                        .replace(day=1).isoformat())
    args = parser.parse_args(argv)

    import pages as bench_pages  # the dataset's password
    import sql_time

    app, spent = sql_time.build(args.database_url, args.redis_url, True)
    client = sql_time.signed_in(app, args.login, bench_pages.PASSWORD)
    month = date.today().replace(day=1).isoformat()
    periods = [f"_flt_2_created_at={args.before}", f"_flt_1_created_at={args.before}",
               f"_flt_2_submitted_at={args.before}", f"_flt_1_submitted_at={args.before}",
               f"_flt_1_created_at={month}"]
    results = []
    for period in periods:
        for column, direction in SORTS:
            path = f"/requests/list/?{period}" + (
                f"&_oc_{VIEW}={column}&_od_{VIEW}={direction}" if column else "")
            for _ in range(2):
                sql_time.one(client, spent, path)
            timed = [sql_time.one(client, spent, path) for _ in range(args.samples)]
            results.append((statistics.median(t[0] for t in timed),
                            statistics.median(t[1] for t in timed), period,
                            f"{column} {direction}" if column else "unsorted"))
    print("| period | sort | page ms | SQL ms |")
    print("|---|---|---:|---:|")
    for page_ms, sql_ms, period, sort in sorted(results, reverse=True):
        print(f"| `{period}` | {sort} | {page_ms:.1f} | {sql_ms:.1f} |")


if __name__ == "__main__":
    main()
