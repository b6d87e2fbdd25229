"""Page weight: requests and bytes transferred per page kind, first load and next page.

Runs Debian's Chromium through Playwright against a running Replan with the demo data
(`make demo`; every demo user's password is replan-demo-2026) and counts what the browser
really fetches over the network (Chrome DevTools Protocol: a request served from the HTTP
cache is not counted; transferred = encoded body + headers, as DevTools shows it).

- *first load*: the page in a fresh browser profile (empty cache), signed in;
- *next page*: the same page kind opened right after another page of the same role
  (the role's start page) in the same profile, so assets cached by the first page are reused.

    .venv/bin/python bench/page_weight.py --base http://127.0.0.1:5000 [--write-docs]

--write-docs replaces the "Page weight" section of docs/benchmarks.md with the table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
PASSWORD = "replan-demo-2026"
SECTION = "## Page weight"

# (page kind, role's demo login or None for anonymous, path; {desk}, {request}, {cabinet}
# are filled with the first matching link found on the role's start page)
PAGES = [
    ("public: home", None, "/"),
    ("public: sign in", None, "/login/"),
    ("public: partner registration", None, "/cabinet/apply"),
    ("staff: my requests (desk)", "manager1", "/desk/"),
    ("staff: request card (desk)", "manager1", "{desk}"),
    ("staff: new requests (distribution)", "supermanager", "/distribution/"),
    ("staff: schedule", "supermanager", "/schedule/"),
    ("staff: all requests (list)", "supermanager", "/requests/list/"),
    ("staff: request (show)", "supermanager", "{request}"),
    ("staff: service (edit form)", "admin", "/services/edit/1"),
    ("staff: background jobs", "admin", "/jobs/"),
    ("staff: audit log (list)", "admin", "/audit/list/"),
    ("staff: dashboard", "director", "/dashboard/"),
    ("staff: Excel reports", "director", "/reports/"),
    ("cabinet: home", "partner1", "/cabinet/"),
    ("cabinet: requests", "partner1", "/cabinet/requests"),
    ("cabinet: request", "partner1", "{cabinet}"),
    ("cabinet: new request", "partner1", "/cabinet/requests/new"),
    ("cabinet: calculator", "partner1", "/cabinet/calculator"),
    ("cabinet: knowledge base", "partner1", "/cabinet/kb"),
]
# the page opened before the measured one for "next page" (the first that is not that page)
START = {None: ("/", "/login/"), "manager1": ("/desk/", "/schedule/"),
         "supermanager": ("/desk/", "/schedule/"), "admin": ("/jobs/", "/services/list/"),
         "director": ("/dashboard/", "/reports/"), "partner1": ("/cabinet/", "/cabinet/kb")}
LINKS = {"{desk}": ("/desk/", r"^/desk/\d+$"),
         "{request}": ("/requests/list/", r"^/requests/show/\d+"),
         "{cabinet}": ("/cabinet/requests", r"^/cabinet/requests/\d+$")}


class Meter:
    """Counts network requests and transferred bytes of one page through CDP."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        self.reset()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", self._cached)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def reset(self):
        self.requests, self.from_cache, self.bytes = set(), set(), 0

    def _sent(self, event):
        if not event["request"]["url"].startswith("data:"):
            self.requests.add(event["requestId"])

    def _cached(self, event):
        self.from_cache.add(event["requestId"])

    def _response(self, event):
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            self.from_cache.add(event["requestId"])

    def _finished(self, event):
        if event["requestId"] in self.requests:
            self.bytes += event.get("encodedDataLength", 0)

    def result(self):
        return len(self.requests - self.from_cache), self.bytes


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def measure(browser, base, states, role, path, prime=None):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU",
                                  storage_state=states.get(role))
    page = context.new_page()
    meter = Meter(context, page)
    if prime:
        page.goto(base + prime, wait_until="networkidle")
        meter.reset()
    response = page.goto(base + path, wait_until="networkidle")
    if response is None or response.status != 200:
        raise SystemExit(f"{path} as {role}: HTTP {response and response.status}")
    result = meter.result()
    context.close()
    return result


def resolve(browser, base, states, role, path):
    if path not in LINKS:
        return path
    listing, pattern = LINKS[path]
    context = browser.new_context(storage_state=states.get(role))
    page = context.new_page()
    page.goto(base + listing)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    context.close()
    for href in hrefs:
        if re.match(pattern, href):
            return href
    raise SystemExit(f"no link matching {pattern} on {listing} as {role}")


def run(base):
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        states = {}
        for role in {r for _, r, _ in PAGES if r}:
            context = browser.new_context(locale="ru-RU")
            page = context.new_page()
            sign_in(page, base, role)
            states[role] = context.storage_state()
            context.close()
        for kind, role, path in PAGES:
            path = resolve(browser, base, states, role, path)
            first = measure(browser, base, states, role, path)
            start = next(p for p in START[role] if p != path)
            following = measure(browser, base, states, role, path, prime=start)
            rows.append((kind, role or "anonymous", path, first, following))
        browser.close()
    return rows


def table(rows):
    lines = ["| page kind | as | first load: requests | first load: KiB | next page: requests "
             "| next page: KiB |", "|---|---|---:|---:|---:|---:|"]
    for kind, role, _path, (req1, bytes1), (req2, bytes2) in rows:
        lines.append(f"| {kind} | {role} | {req1} | {bytes1 / 1024:.1f} | {req2} "
                     f"| {bytes2 / 1024:.1f} |")
    return "\n".join(lines)


EXPLAINED = """*First load*: the page in a fresh browser profile (empty cache), signed in as
the role. *Next page*: the same page right after the role's start page in the same profile.
Requests served from the browser cache are not counted; KiB are the bytes on the wire
(compressed bodies and headers, as DevTools counts them); these counts do not depend on
machine load. Targets (issue 16): every staff page at most 250 KiB on first load and 30 KiB
on the next page.
"""


def write_docs(text):
    docs = DOCS.read_text(encoding="utf-8")
    start = docs.find(SECTION)
    if start < 0:
        docs = docs.rstrip("\n") + "\n\n" + text + "\n"
    else:
        end = docs.find("\n## ", start + len(SECTION))
        docs = docs[:start] + text + ("\n" + docs[end:] if end >= 0 else "\n")
    DOCS.write_text(docs, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--write-docs", action="store_true",
                        help="replace the 'Page weight' section of docs/benchmarks.md")
    parser.add_argument("--intro", default="", help="text put above the table in the docs")
    args = parser.parse_args(argv)
    rows = run(args.base.rstrip("/"))
    result = table(rows)
    print(result)
    if args.write_docs:
        when = datetime.date.today().isoformat()
        head = (f"{SECTION}\n\nProduced by `.venv/bin/python bench/page_weight.py --base "
                f"{args.base} --write-docs` on {when} ({platform.system()} "
                f"{platform.machine()}, {os.cpu_count()} cores, Debian's Chromium through "
                "Playwright, gunicorn with 2 workers, the demo data of `make demo`).\n\n"
                + EXPLAINED)
        write_docs(head + ("\n" + args.intro.strip() + "\n" if args.intro else "")
                   + "\n" + result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
