"""The week page's entry chips, built in Python (views.schedule.chip_renderer)."""

from flask_babel import force_locale

from app.week_schedule import Shown
from markupsafe import Markup

from views.schedule import chip_renderer, hours_renderer


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


def test_a_days_hours_read_as_people_write_them_in_each_language(app):
    """views.schedule.hours_renderer: the unit translated once a page, the figure in the
    language's decimal format, escaped."""
    with app.test_request_context("/"), force_locale("en"):
        hours = hours_renderer()
        assert str(hours(7.5)) == "7.5 h" and str(hours(0)) == "0 h"
    with app.test_request_context("/"), force_locale("ru"):
        hours = hours_renderer()
        assert str(hours(7.5)) == "7,5 ч" and str(hours(12.0)) == "12 ч"
    assert isinstance(hours(1), Markup)


def test_the_same_kind_and_times_escape_once_and_stay_right_for_every_chip(app):
    with app.test_request_context("/"), force_locale("en"):
        chips = chip_renderer("/desk/{}", "/schedule/entry/{}")
        odd = _chip(css='visit" onclick="x', times="<b>9</b>")
        html = str(chips([odd, odd, _chip(id=3)]))
    assert html.count('class="replan-entry visit&#34; onclick=&#34;x"') == 2
    assert html.count("&lt;b&gt;9&lt;/b&gt;") == 2 and "<b>" not in html
    assert html.count('<span class="replan-entry visit">09:00–11:00 Visit</span>') == 1
