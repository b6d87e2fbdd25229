"""The week page's entry chips, built in Python (views.schedule.chip_renderer)."""

from flask_babel import force_locale

from app.week_schedule import Shown
from views.schedule import chip_renderer


def _chip(**changes):
    values = dict(id=7, kind="visit", note=None, request_id=None, number=None,
                  times="09:00–11:00", css="visit", clash=False, own=False)
    values.update(changes)
    return Shown(**values)


def test_chips_escape_link_label_and_mark_conflicts_and_own_entries(app):
    with app.test_request_context("/"), force_locale("en"):
        chips = chip_renderer("/desk/{}", "/schedule/entry/{}")
        html = str(chips([
            _chip(request_id=5, number="2026-00005"),
            _chip(id=8, kind="busy", css="busy conflict", clash=True, own=True,
                  note='<script>alert("x")</script>', times="all day"),
            _chip(id=9, kind="vacation", css="vacation")]))
    assert html.count('<span class="replan-entry') == 3
    assert '<span class="replan-entry visit">09:00–11:00 <a href="/desk/5">2026-00005</a></span>' \
        in html
    assert 'title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in html
    assert "<script>" not in html
    assert ('data-conflict="8"><strong class="text-danger">⚠ Conflict:</strong> all day Busy '
            '<a href="/schedule/entry/8" title="Edit">✎</a>') in html
    assert "09:00–11:00 Vacation</span>" in html
    with app.test_request_context("/"), force_locale("ru"):
        assert "Отпуск" in str(chip_renderer("/d/{}", "/e/{}")([_chip(kind="vacation")]))
