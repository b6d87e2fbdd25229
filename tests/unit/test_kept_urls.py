"""app.templating.kept_url_for: templates' url_for keeps the paths it built, and gives exactly
what Flask's url_for gives (versioned static files, values, mount points); what depends on
more than that is built by Flask each time."""

from __future__ import annotations

import contextvars

import pytest
from flask import has_request_context, render_template_string, url_for
from werkzeug.routing import BuildError

import app.templating as templating
from app.templating import kept_url_for

CASES = [("cabinet.request_list", {}), ("cabinet.request_list", {"after": 7, "q": "Арбат"}),
         ("cabinet.request_detail", {"request_id": 12}),
         ("static", {"filename": "css/replan.css"}), ("LocaleView.index", {"locale": "en"})]


def test_the_same_paths_as_flask_and_kept(app):
    """Under two mount points in turn (the same process behind two prefixes): each gets its
    own paths, the second never the first's kept ones."""
    templating._URLS.clear()
    for script_root in ("", "/replan", ""):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
            for endpoint, values in CASES:
                expected = url_for(endpoint, **values)
                assert expected.startswith(f"{script_root}/")
                assert kept_url_for(endpoint, **values) == expected
                assert kept_url_for(endpoint, **values) == expected  # now a kept one
            assert url_for("static", filename="css/replan.css").count("/") > 3  # versioned
            assert render_template_string("{{ url_for('cabinet.request_list', after=7) }}") \
                == url_for("cabinet.request_list", after=7)
    assert len(templating._URLS) == 2 * (len(CASES) + 1)  # and the rendered one


def test_what_depends_on_more_is_built_each_time(app):
    templating._URLS.clear()
    with app.test_request_context("/"):
        assert kept_url_for("cabinet.request_list", _external=True).startswith("http")
        assert kept_url_for("cabinet.request_list", _anchor="top").endswith("#top")
        assert kept_url_for("cabinet.request_list", services=[1, 2]) == \
            url_for("cabinet.request_list", services=[1, 2])
        with pytest.raises(BuildError):
            kept_url_for("no.such_endpoint")
    assert templating._URLS == {}

    def in_a_job():  # an e-mail rendered by a job: no request, Flask's own rules
        with app.app_context():
            assert not has_request_context()
            return kept_url_for("cabinet.request_list"), url_for("cabinet.request_list")

    app.config["SERVER_NAME"], server = "replan.test", app.config.get("SERVER_NAME")
    try:
        kept, flask_s = contextvars.Context().run(in_a_job)  # none of the tests' contexts
    finally:
        app.config["SERVER_NAME"] = server
    assert kept == flask_s == "http://replan.test/cabinet/requests"
    assert templating._URLS == {}


def test_kept_paths_are_bounded(app, monkeypatch):
    templating._URLS.clear()
    monkeypatch.setattr(templating, "KEPT_URLS", 5)
    with app.test_request_context("/"):
        for page in range(12):
            assert kept_url_for("cabinet.request_list", after=page).endswith(f"after={page}")
            assert len(templating._URLS) <= 5
