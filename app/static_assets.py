"""Static files under content-hashed URLs, precompressed, cached for ever; pages compressed.

Each static folder (Replan's app/static and Flask-AppBuilder's static/appbuilder) gets a
version: a hash of the content of every file it serves. `url_for('static', filename=f)` and
`url_for('appbuilder.static', filename=f)` give `/static/<version>/f`, so a changed file
changes every URL of its folder, and relative URLs inside CSS (fonts, images) stay valid.
The served files are copied once per version into STATIC_BUILD_DIR with gzip and brotli
variants (WhiteNoise's compressor), and WhiteNoise serves them in front of Flask with
`Cache-Control: max-age=315360000, public, immutable` (ten years) and the variant
the browser accepts (brotli, gzip or none).
Unversioned URLs (`/static/f`) still work through Flask, revalidated on each use.
Pages (HTML, JSON) are compressed on the fly by Flask-Compress (brotli or gzip).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

ONE_DAY = 24 * 3600
# FAB ships files Replan never loads: 18 Bootswatch themes, Swagger UI (the API docs are
# off), source maps, IE-era fonts. Not copied, not versioned (their URLs stay unversioned).
SKIP_DIRS = {"themes", "swagger"}
SKIP_SUFFIXES = (".map", ".eot", ".ttf", ".scss", ".less", ".py", ".pyc")
SKIP_FILES = {"swagger-ui-bundle.js", "google_charts.js", ".DS_Store"}
COMPRESS_MIMETYPES = ["text/html", "text/css", "text/plain", "text/javascript",
                      "application/javascript", "application/json", "image/svg+xml"]


def served_files(folder: Path) -> list[str]:
    """Relative POSIX paths of the files of `folder` that are served versioned."""
    names = []
    for dirpath, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name in SKIP_FILES or name.endswith(SKIP_SUFFIXES) or name.startswith("."):
                continue
            names.append((Path(dirpath) / name).relative_to(folder).as_posix())
    return names


def folder_version(folder: Path, names: list[str]) -> str:
    """A hash of every served file's path and bytes: 12 hex digits."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


def build(folder: Path, names: list[str], target: Path) -> None:
    """Copy the files to `target` with .gz/.br variants (once: an existing build is kept)."""
    if target.is_dir():
        os.utime(target)  # in use: a newer build of the folder prunes only builds idle a day
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    compressor = Compressor(quiet=True)
    for name in names:
        dest = tmp / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / name, dest)
        if compressor.should_compress(name):
            compressor.compress(str(dest))
    try:
        tmp.rename(target)  # atomic: another process building the same version may win
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not target.is_dir():
            raise
    log.info("static files of %s built in %s", folder, target)
    prune(target)


def prune(target: Path, older_than: float = 24 * 3600) -> None:
    """Remove builds of other versions of the same folder not touched for a day."""
    stem = target.name.rpartition("-")[0]
    limit = time.time() - older_than
    same_folder = re.compile(re.escape(stem) + r"-[0-9a-f]{12}")  # not static-appbuilder-…
    for other in target.parent.iterdir():
        if (other != target and same_folder.fullmatch(other.name) and other.is_dir()
                and other.stat().st_mtime < limit):
            shutil.rmtree(other, ignore_errors=True)


def static_folders(app: Flask) -> dict[str, tuple[Path, str]]:
    """endpoint -> (folder, URL prefix without slashes) for the app's and FAB's static."""
    folders = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.endswith("static") or not rule.rule.endswith("/<path:filename>"):
            continue
        name = rule.endpoint.rpartition(".")[0]
        owner = app.blueprints[name] if name else app
        if owner.static_folder:
            prefix = rule.rule[:-len("/<path:filename>")].strip("/")
            folders[rule.endpoint] = (Path(owner.static_folder), prefix)
    return folders


def install_static_assets(app: Flask) -> None:
    """Versioned, precompressed static files through WhiteNoise; Flask-Compress for pages."""
    build_dir = Path(app.config["STATIC_BUILD_DIR"])
    # every file WhiteNoise serves is under a versioned prefix (immutable), but /favicon.ico
    whitenoise = WhiteNoise(app.wsgi_app, max_age=ONE_DAY, autorefresh=False,
                            immutable_file_test=lambda path, url: url != "/favicon.ico",
                            add_headers_function=_nosniff)
    manifest: dict[str, tuple[str, frozenset[str]]] = {}
    for endpoint, (folder, prefix) in static_folders(app).items():
        names = served_files(folder)
        version = folder_version(folder, names)
        target = build_dir / f"{prefix.replace('/', '-')}-{version}"
        build(folder, names, target)
        whitenoise.add_files(str(target), prefix=f"{prefix}/{version}/")
        manifest[endpoint] = (version, frozenset(names))
    favicon = Path(app.static_folder) / "favicon.ico"
    if favicon.exists():  # for clients that ask for it without reading the page
        whitenoise.add_file_to_dictionary("/favicon.ico", str(favicon))
    app.wsgi_app = whitenoise
    app.extensions["replan_static_versions"] = {e: v for e, (v, _) in manifest.items()}

    @app.url_defaults
    def versioned_static_url(endpoint: str, values: dict) -> None:
        entry = manifest.get(endpoint)
        filename = values.get("filename")
        if entry and filename in entry[1]:
            values["filename"] = f"{entry[0]}/{filename}"

    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # a page is compressed on every request: the cheapest levels (nginx's default gzip
    # level is 1 too). An 18 KB page: brotli 4 → 1 is 0.90 → 0.18 ms for 8.1 → 9.0 KB,
    # gzip 6 → 1 is 0.76 → 0.44 ms for 7.9 → 8.7 KB; static files are compressed once, at
    # build, by whitenoise
    app.config.setdefault("COMPRESS_BR_LEVEL", 1)
    app.config.setdefault("COMPRESS_LEVEL", 1)
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    Compress(app)


def _nosniff(headers, path, url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
