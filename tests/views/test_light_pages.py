"""Issue 16, light pages: hashed static URLs cached for a year, compressed responses, only the
assets a back-office page uses, meta descriptions on public pages."""

import gzip
import os
import re

import brotli
import pytest

from app.static_assets import build, folder_version, served_files
from tests.factories import as_user, make_partner, make_user
from tools.icon_font import OUT, used_icons

ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')
VERSIONED = re.compile(r"^/static/(appbuilder/)?[0-9a-f]{12}/")
# parts of Flask-AppBuilder's bundle a back-office page no longer loads
REMOVED = ("select2.min", "select2-bootstrap", "bootstrap-datepicker", "css/fontawesome/",
           "flags16", "/js/ab.js", "bootstrap-theme", "google_charts")
STAFF_PAGES = {"Manager": ("/desk/", "/schedule/", "/requests/list/"),
               "Supermanager": ("/distribution/",),
               "Admin": ("/jobs/", "/services/list/", "/services/add", "/audit/list/"),
               "Director": ("/dashboard/", "/reports/")}
YEAR = 365 * 24 * 3600


def assets(html: str) -> list[str]:
    return ASSET.findall(html)


@pytest.mark.parametrize("role", sorted(STAFF_PAGES))
def test_staff_pages_load_only_versioned_assets_and_no_removed_bundle(app, role):
    client = as_user(app, make_user(role))
    for path in STAFF_PAGES[role]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        urls = assets(html)
        assert any("bootstrap.min.css" in u for u in urls)
        assert any("vendor/fontawesome/icons.css" in u for u in urls)
        for url in urls:
            assert VERSIONED.match(url), (path, url)
        for part in REMOVED:
            assert part not in html, (path, part)


def test_a_static_file_is_cached_for_a_year_and_sent_compressed(app):
    client = as_user(app, make_user("Manager"))
    urls = assets(client.get("/desk/").get_data(as_text=True))
    css = next(u for u in urls if u.endswith("bootstrap.min.css"))
    js = next(u for u in urls if u.endswith("jquery-latest.js"))
    plain = client.get(css)
    assert plain.status_code == 200 and b".btn" in plain.data
    assert "Content-Encoding" not in plain.headers
    for url in (css, js):
        for encoding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            response = client.get(url, headers={"Accept-Encoding": encoding})
            assert response.status_code == 200
            assert response.headers["Content-Encoding"] == encoding, url
            assert "Accept-Encoding" in response.headers["Vary"]
            cache = response.headers["Cache-Control"]
            assert "immutable" in cache and "public" in cache
            assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= YEAR
            assert len(response.data) < len(plain.data) / 3 or url == js
            if url == css:
                assert decompress(response.data) == plain.data
    font = client.get(css.replace("css/bootstrap.min.css",
                                  "fonts/glyphicons-halflings-regular.woff2"))
    assert font.status_code == 200 and "immutable" in font.headers["Cache-Control"]


def test_an_unversioned_static_url_still_works_and_is_revalidated(app):
    response = app.test_client().get("/static/css/backoffice.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_are_compressed_when_the_browser_asks(app, encoding):
    decompress = brotli.decompress if encoding == "br" else gzip.decompress
    # per request, so at the cheapest levels (app.static_assets)
    assert app.config["COMPRESS_BR_LEVEL"] == app.config["COMPRESS_LEVEL"] == 1
    client = as_user(app, make_user("Manager"))
    for path in ("/login/", "/desk/"):
        page_client = app.test_client() if path == "/login/" else client
        response = page_client.get(path, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding, path
        assert response.headers["Cache-Control"] == "no-store"  # pages are never cached
        assert "<html" in decompress(response.data).decode()
    assert "Content-Encoding" not in client.get("/desk/").headers  # none asked, none given


def test_a_changed_file_gets_a_new_url(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a{color:red}")
    (tmp_path / "x.css.map").write_text("{}")  # not served versioned
    names = served_files(tmp_path)
    assert names == ["css/a.css"]
    before = folder_version(tmp_path, names)
    (tmp_path / "css" / "a.css").write_text("a{color:blue}")
    assert folder_version(tmp_path, names) != before


def test_a_new_build_removes_builds_older_than_a_day(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.css").write_text("a{color:red}" * 100)
    out = tmp_path / "out"
    old, recent, other = (out / "static-000000000000", out / "static-111111111111",
                          out / "static-appbuilder-000000000000")  # another folder's build
    for folder in (old, recent, other):
        folder.mkdir(parents=True)
        os.utime(folder, (0, 0) if folder != recent else None)
    build(source, ["a.css"], out / "static-222222222222")
    assert sorted(p.name for p in out.iterdir()) == [
        "static-111111111111", "static-222222222222", "static-appbuilder-000000000000"]
    assert (tmp_path / "out" / "static-222222222222" / "a.css.br").exists()


def test_favicon_is_served(app):
    client = app.test_client()
    icon = client.get("/favicon.ico")  # a fixed URL: cached for a day, not for ever
    assert icon.status_code == 200 and icon.headers["Cache-Control"] == "max-age=86400, public"
    html = client.get("/login/").get_data(as_text=True)
    assert re.search(r'<link rel="icon"[^>]+href="/static/[0-9a-f]{12}/favicon.svg"', html)


@pytest.mark.parametrize("path", ["/login/", "/cabinet/apply"])
def test_public_pages_have_a_meta_description(app, path):
    html = app.test_client().get(path).get_data(as_text=True)
    match = re.search(r'<meta name="description" content="([^"]+)"', html)
    assert match and len(match.group(1)) > 50, path
    assert re.search(r'<link rel="icon"', html)


def test_cabinet_pages_keep_their_own_light_assets(app):
    client = as_user(app, make_partner())
    html = client.get("/cabinet/").get_data(as_text=True)
    urls = assets(html)
    assert urls and all(VERSIONED.match(u) for u in urls)
    assert "bootstrap" not in html and "jquery" not in html


def test_every_icon_in_use_is_in_the_icon_subset():
    css = (OUT / "icons.css").read_text(encoding="utf-8")
    defined = set(re.findall(r"\.fa-([a-z0-9-]+):before", css))
    # a name Font Awesome does not have is no icon (FAB's templates mention a few)
    missing = used_icons() - defined - {"envelop", "feature", "google-plus"}
    assert not missing, f"run tools/icon_font.py: {sorted(missing)}"
    assert (OUT / "icons.woff2").stat().st_size < 20_000
