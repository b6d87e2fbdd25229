"""WCAG 2.2 AA on every page kind (issue 16): axe-core, pinned through the PyPI package
`axe-playwright-python` (it bundles axe.min.js, so nothing is fetched at run time), in Debian's
Chromium, as each role, in Russian and English, at 375 and 1280 px. Any critical or serious
violation fails the test with the rule, the page and the element."""

from pathlib import Path

import pytest

from tests.page_kinds import build_world
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.audit]  # `make audit` (~1-3 min)

WIDTHS = (375, 1280)
LANGUAGES = ("ru", "en")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("critical", "serious")
# what the page itself must have, whatever axe's version checks
LANDMARKS = """() => ({
  lang: document.documentElement.lang,
  h1: document.querySelectorAll('h1').length,
  main: document.querySelectorAll('main').length,
  width: document.documentElement.scrollWidth,
})"""


def _sign_in(page, server_url, username):
    sign_in(page, server_url, username)
    page.wait_for_load_state()


def test_every_page_kind_has_no_serious_axe_violation(app, server_url, browser):
    import axe_playwright_python

    axe_js = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    visitors = build_world()
    failures, checked = [], 0
    for visitor in visitors:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        page = context.new_page()
        if visitor.username:
            _sign_in(page, server_url, visitor.username)
        for lang in LANGUAGES:
            page.goto(f"{server_url}/lang/{lang}")
            for url in visitor.urls:
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                response = page.goto(server_url + url)
                assert response.status == 200, f"{visitor.name} {url}: HTTP {response.status}"
                page.evaluate(axe_js)  # once a page load, then run at each width
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    where = f"{visitor.name} {url} [{lang}, {width} px]"
                    shape = page.evaluate(LANDMARKS)
                    if shape["lang"] != lang:
                        failures.append(f"{where}: <html lang={shape['lang']!r}>")
                    if shape["h1"] != 1 or shape["main"] != 1:
                        failures.append(f"{where}: {shape['h1']} h1 and {shape['main']} main")
                    # a sticky bottom bar (the request form's buttons) covers whatever scrolls
                    # under it; at the end of the page it sits in its own place and covers
                    # nothing (keyboard focus is kept clear of it by scroll-padding-bottom)
                    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                    results = page.evaluate("options => axe.run(document, options)", options)
                    checked += 1
                    for violation in results["violations"]:
                        if violation["impact"] not in FAILING:
                            continue
                        for node in violation["nodes"][:3]:
                            summary = " ".join(node.get("failureSummary", "").split())[:200]
                            failures.append(f"{where}: {violation['id']} ({violation['impact']}) "
                                            f"{node['target']}: {summary}")
        context.close()
    assert checked >= 4 * 30
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
