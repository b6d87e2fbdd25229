"""Lighthouse (mobile preset) scores per page kind, signed in as each role.

Needs Node with Lighthouse 12.2.3 installed outside the repository and Debian's Chromium:

    npm i --prefix /tmp/light-npm -E lighthouse@12.2.3
    CHROME_PATH=/usr/bin/chromium .venv/bin/python bench/lighthouse.py \
        --base http://127.0.0.1:5000 --lighthouse /tmp/light-npm/node_modules/.bin/lighthouse

Each page kind of bench/page_weight.py is audited once (performance, accessibility, best
practices) with the session cookie of its role passed as a header; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_weight import CHROMIUM, CHROMIUM_ARGS, PAGES, resolve, sign_in  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices")


def cookies_by_role(base):
    states, headers = {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role in {r for _, r, _ in PAGES if r}:
            context = browser.new_context(locale="ru-RU")
            sign_in(context.new_page(), base, role)
            states[role] = context.storage_state()
            headers[role] = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
            context.close()
        paths = [(kind, role, resolve(browser, base, states, role, path))
                 for kind, role, path in PAGES]
        browser.close()
    return headers, paths


def audit(lighthouse, url, cookie):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [lighthouse, url, "--quiet", "--output=json", f"--output-path={out}",
                   f"--only-categories={','.join(CATEGORIES)}",
                   "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                   "--locale=ru"]
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROMIUM)}
        for attempt in range(3):  # a loaded machine sometimes loses the trace (NO_NAVSTART)
            if subprocess.run(command, env=env).returncode == 0:
                break
        else:
            raise SystemExit(f"Lighthouse failed three times on {url}")
        report = json.loads(out.read_text(encoding="utf-8"))
    scores = [round(report["categories"][c]["score"] * 100) for c in CATEGORIES]
    audits = report["audits"]
    lcp = audits["largest-contentful-paint"]["numericValue"] / 1000
    return scores, lcp


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--lighthouse", default="/tmp/light-npm/node_modules/.bin/lighthouse")
    parser.add_argument("--kind", action="append", default=[],
                        help="audit only page kinds containing this text (repeatable)")
    args = parser.parse_args(argv)
    base = args.base.rstrip("/")
    headers, paths = cookies_by_role(base)
    print("| page kind | as | performance | accessibility | best practices | LCP, s |", flush=True)
    print("|---|---|---:|---:|---:|---:|")
    for kind, role, path in paths:
        if args.kind and not any(k in kind for k in args.kind):
            continue
        (perf, a11y, practices), lcp = audit(args.lighthouse, base + path, headers.get(role))
        print(f"| {kind} | {role or 'anonymous'} | {perf} | {a11y} | {practices} | {lcp:.1f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
