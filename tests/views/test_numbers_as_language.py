"""Figures on a page are written as its language writes them: the booking block's estimated
hours (“7,5 ч”, not “7.5 ч” or “20.0 ч”) and file sizes (“1,5 КБ”, not “1.5 KB”, on a
Russian page). Found by the exploratory session: “73 B” and “20.0 ч” on Russian pages."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import render_template_string
from flask_babel import force_locale

from models.request_status import Status
from app.extensions import db
from tests.factories import as_user, make_partner, make_request


def test_the_booking_block_writes_hours_as_the_language_does(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    req.lines[0].estimated_hours = Decimal("7.5")
    db.session.commit()
    manager = as_user(app, staff.manager)
    heading = re.search(r'id="booking"><div class="panel-heading">([^<]*)</div>',
                        manager.get(f"/desk/{req.id}").get_data(as_text=True)).group(1)
    assert heading.endswith("· оценка 7,5 ч"), heading
    manager.get("/lang/en")
    heading = re.search(r'id="booking"><div class="panel-heading">([^<]*)</div>',
                        manager.get(f"/desk/{req.id}").get_data(as_text=True)).group(1)
    assert heading.endswith("· estimated 7.5 h"), heading


def test_file_sizes_in_each_language(app):
    shown = {}
    with app.test_request_context():
        for locale in ("ru", "en"):
            with force_locale(locale):
                shown[locale] = [render_template_string("{{ n|filesize }}", n=n)
                                 for n in (None, 73, 1023, 1536, 1024 * 1024 * 5 // 2)]
    assert shown["ru"] == ["0 Б", "73 Б", "1023 Б", "1,5 КБ", "2,5 МБ"]
    assert shown["en"] == ["0 B", "73 B", "1023 B", "1.5 KB", "2.5 MB"]
