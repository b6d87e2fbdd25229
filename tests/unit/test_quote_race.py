"""The same quote sent twice at the same moment is saved once: the API's "a quote that
repeats your newest one is not saved twice" held one at a time only (five identical
concurrent POST /quotes saved four copies)."""

from __future__ import annotations

from app import quotes
from app.demo import load_catalog
from app.extensions import db
from flask_appbuilder.security.sqla.models import User
from models.catalog import Quote, Service
from tests.concurrency import at_once, pause_after
from tests.factories import make_partner


def test_the_same_quote_sent_twice_at_once_is_saved_once(app, monkeypatch):
    load_catalog()
    partner = make_partner(username="p")
    db.session.commit()
    measure = db.session.query(Service).filter_by(code="measure").one().id
    partner_id = partner.id
    pause_after(quotes, "_same_as_last", monkeypatch)  # both checks before either writes
    created = []

    def save(_k):
        quote, new = quotes.save_or_reuse_quote(
            db.session.get(User, partner_id), [measure],
            {"area": "40", "object_type": "apartment"}, "normal")
        created.append(new)

    assert at_once(app, save, ()) == ["done", "done"]
    assert sorted(created) == [False, True]
    assert db.session.query(Quote).count() == 1
