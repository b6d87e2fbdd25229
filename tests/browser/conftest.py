"""A live server on loopback and Debian's Chromium driven by Playwright."""

import os
import shutil
import socket
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.jobs.servers import serve_in_thread

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def server_url(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    serve_in_thread(server)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item.failed_call = outcome.get_result().failed


@pytest.fixture
def shots(request):
    """`shots(page, name)` at each step of a journey: with REPLAN_SCREENSHOTS=1 a full-page
    screenshot per step (to look at the pages); otherwise only the page of the last step,
    and only when the test fails (a full-page screenshot costs ~0.3 s: 9 a journey were a
    fifth of the browser tests' time)."""
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    every_step = os.environ.get("REPLAN_SCREENSHOTS") == "1"
    last = {}

    def save(page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def shot(page, name: str) -> None:
        if every_step:
            save(page, name)
        else:
            last.update(page=page, name=name)

    yield shot
    if last and getattr(request.node, "failed_call", False) and not last["page"].is_closed():
        save(last["page"], f"failed-after-{last['name']}")
