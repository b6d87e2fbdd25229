"""The bureau's time zone: stored UTC moments are shown in it on the desk, the cabinet, the
generated lists and the Excel files; the admin changes it; an unknown zone is refused."""

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.settings import get_setting, set_setting
from app.timefmt import day_bounds_utc, forget_zone, format_wall, local_today, to_local, valid_zone
from models.audit import AuditEvent
from models.request_status import Status
from models.requests import StatusChange
from tests.factories import (Staff, as_user, make_partner, make_request, make_user,
                             settings_fields)
from tests.pdftext import pdf_text

LATE = datetime(2026, 3, 10, 22, 30)  # naive UTC, as stored
MOSCOW, YEKATERINBURG = "11.03.2026 01:30", "11.03.2026 03:30"
UTC_TEXT = "10.03.2026 22:30"


@pytest.fixture
def late_request(app):
    """A request created, moved and stamped at 22:30 UTC."""
    staff = Staff()
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    req.created_at = req.status_changed_at = req.submitted_at = LATE
    for change in db.session.query(StatusChange).filter_by(request_id=req.id):
        change.created_at = LATE
    db.session.commit()
    return req, staff, partner


def _pages(app, req, staff, partner) -> dict[str, str]:
    director = as_user(app, make_user("Director"))
    return {
        "desk list": as_user(app, staff.manager).get("/desk/").get_data(as_text=True),
        "desk card": director.get(f"/desk/{req.id}").get_data(as_text=True),
        "cabinet": as_user(app, partner).get(f"/cabinet/requests/{req.id}")
        .get_data(as_text=True),
        "generated list": director.get("/requests/list/").get_data(as_text=True),
        "history list": director.get("/status-history/list/").get_data(as_text=True),
    }


def test_the_request_card_pdf_shows_moscow_time(app, late_request):
    req, staff, partner = late_request
    text = pdf_text(as_user(app, make_user("Director")).get(f"/desk/{req.id}/pdf/card").data)
    assert MOSCOW in text and UTC_TEXT not in text




def test_moments_are_shown_in_moscow_by_default(app, late_request):
    assert get_setting("time_zone") == "Europe/Moscow"
    for name, html in _pages(app, *late_request).items():
        assert MOSCOW in html, name
        assert UTC_TEXT not in html, name


def test_admin_changes_the_zone_and_every_page_follows(app, late_request):
    admin = as_user(app, make_user("Admin"))
    page = admin.get("/settings/").get_data(as_text=True)
    assert 'list="time-zones"' in page and 'value="Asia/Yekaterinburg"' in page
    fields = settings_fields(admin)
    assert fields["time_zone"] == "Europe/Moscow"
    fields["time_zone"] = "Asia/Yekaterinburg"
    saved = admin.post("/settings/", data=fields, follow_redirects=True)
    assert saved.status_code == 200 and "Настройки сохранены" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert get_setting("time_zone") == "Asia/Yekaterinburg"
    for name, html in _pages(app, *late_request).items():
        assert YEKATERINBURG in html, name
        assert MOSCOW not in html, name
    # the Excel export of the list follows the setting too
    ws = load_workbook(io.BytesIO(admin.get("/requests/export").data)).active
    header = [c.value for c in ws[1]]
    created = ws.cell(row=2, column=header.index("Создана") + 1
                      if "Создана" in header else len(header))
    assert created.value == datetime(2026, 3, 11, 3, 30)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "+03:00", "moscow",
                                  "Europe/Moscow; DROP", "x" * 300])
def test_an_unknown_zone_is_refused_and_nothing_is_saved(app, zone):
    admin = as_user(app, make_user("Admin"))
    fields = settings_fields(admin)
    fields.update({"time_zone": zone, "upload_max_mb": "7"})
    response = admin.post("/settings/", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ничего не сохранено" in html
    assert re.search(r'has-error[^>]*><label[^>]*for="time_zone"', html)
    db.session.expire_all()
    assert get_setting("time_zone") == "Europe/Moscow" and get_setting("upload_max_mb") == 20


def test_the_use_case_refuses_an_unknown_zone_too(app):
    from app.errors import InvalidInput
    from app.settings import DEFAULTS, save_settings

    values = {key: get_setting(key) for key in DEFAULTS}
    values["time_zone"] = "Nowhere/Atlantis"
    with pytest.raises(InvalidInput):
        save_settings(make_user("Admin"), values)
    db.session.rollback()
    assert db.session.query(AuditEvent).filter_by(action="settings_update").count() == 0


def test_conversion_helpers(app):
    with app.test_request_context():
        assert to_local(LATE) == datetime(2026, 3, 11, 1, 30)
        assert to_local(None) is None
        set_setting("time_zone", "Asia/Vladivostok")
        db.session.commit()
    with app.test_request_context():  # read once per request: a new request sees it
        forget_zone()
        assert to_local(LATE) == datetime(2026, 3, 11, 8, 30)
        # a schedule time is a wall-clock time: shown as stored
        assert format_wall(datetime(2026, 3, 11, 9, 0)) == "11.03.2026 09:00"
        assert isinstance(local_today(), date)
        # the first and last days there are have no overflowing edges
        assert day_bounds_utc(date(1, 1, 1), date(9999, 12, 31)) == (
            datetime.min, datetime(9999, 12, 31, 13, 59, 59, 999999))
        assert day_bounds_utc(date(2026, 3, 11), date(2026, 3, 11)) == (  # Vladivostok
            datetime(2026, 3, 10, 14, 0), datetime(2026, 3, 11, 13, 59, 59, 999999))
    assert valid_zone("Europe/Kaliningrad") and not valid_zone("Europe/Atlantis")
    assert not valid_zone(None) and not valid_zone("")


@pytest.mark.parametrize("zone", ["Europe/Moscow", "America/New_York", "Asia/Kolkata",
                                  "Australia/Lord_Howe"])
def test_the_direct_formatting_equals_babels(app, zone):
    """format_moment / format_day / format_wall write the numeric patterns themselves (a list
    shows hundreds): the same text as Babel's, across DST changes and half-hour zones, in
    both languages, for naive UTC and aware moments alike."""
    from datetime import UTC, timedelta

    from flask_babel import force_locale, format_date, format_datetime

    from app.timefmt import DATE_PATTERN, DATETIME_PATTERN, format_day, format_moment

    set_setting("time_zone", zone)
    db.session.commit()
    moments = [datetime(2026, 1, 1) + timedelta(hours=h * 59, minutes=h * 13)
               for h in range(0, 150)] + [datetime(1, 1, 2, 3, 4), datetime(9999, 12, 30)]
    with app.test_request_context():
        forget_zone()
        for locale in ("ru", "en"):
            with force_locale(locale):
                for moment in moments:
                    for value in (moment, moment.replace(tzinfo=UTC)):
                        assert format_moment(value) == format_datetime(value, DATETIME_PATTERN)
                        assert format_moment(value, DATE_PATTERN) == \
                            format_datetime(value, DATE_PATTERN)
                        assert format_day(value) == format_date(value, DATE_PATTERN)
                        for named in ("medium", "long"):  # remembered per day and language
                            assert format_day(value, named) == format_date(value, named)
                    assert format_wall(moment) == format_datetime(moment, DATETIME_PATTERN,
                                                                  rebase=False)
                    assert format_day(moment.date()) == format_date(moment.date(),
                                                                    DATE_PATTERN)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Europe/Berlin"])
def test_to_local_gives_the_local_time_across_clock_changes(app, zone):
    """to_local converts without pytz's normalize(): the same local time as normalize()
    gives, hourly through 2026 and every 5 minutes for two hours around each clock change
    (Lord Howe's shifts by half an hour)."""
    from datetime import UTC, timedelta

    import pytz
    tz = pytz.timezone(zone)
    changes = [t for t in tz._utc_transition_times if t.year == 2026]
    assert len(changes) == 2
    moments = [datetime(2026, 1, 1) + timedelta(minutes=61 * k) for k in range(8_700)]
    moments += [t + timedelta(minutes=5 * k) for t in changes for k in range(-12, 13)]
    for moment in moments:
        expected = tz.normalize(moment.replace(tzinfo=UTC).astimezone(tz)).replace(tzinfo=None)
        assert to_local(moment, tz) == expected, moment
