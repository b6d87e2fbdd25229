"""The bureau's time zone: the one place where a stored moment becomes local time.

Moments are stored as naive UTC (models.base.utcnow). People read them in the bureau's zone
(setting "time_zone", Europe/Moscow by default): Flask-Babel's format_datetime converts with
`bureau_zone_name` as its timezone selector, Excel cells get `to_local`. Dates without a time
(payment dates, wanted dates) are days, never converted. Schedule entries are wall-clock
times typed in the bureau's zone and stored as typed (WALL_CLOCK): shown as they are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import cache, lru_cache
from zoneinfo import available_timezones

import pytz
from flask import g, has_app_context
from babel.dates import format_date as babel_format_date
from flask_babel import format_datetime

from models.base import utcnow

from app.translations import context_store, locale_name

DEFAULT_ZONE = "Europe/Moscow"
# naive datetimes that are local wall-clock times already (model name -> columns)
WALL_CLOCK = {"ScheduleEntry": frozenset({"starts_at", "ends_at"})}
DATETIME_PATTERN = "dd.MM.yyyy HH:mm"
DATE_PATTERN = "dd.MM.yyyy"


def valid_zone(name: object) -> bool:
    """An IANA zone name zoneinfo knows ("Europe/Moscow"); not a path, not an offset."""
    return isinstance(name, str) and name in _known_zones()


@cache
def _known_zones() -> frozenset[str]:
    # Flask-Babel converts with pytz: a name both zoneinfo and pytz know
    return frozenset(available_timezones()) & frozenset(pytz.all_timezones_set)


def _stored_zone_name() -> str:
    # deferred: app.settings imports the database layer, which imports this package early
    from app.settings import get_setting

    name = get_setting("time_zone")
    return name if valid_zone(name) else DEFAULT_ZONE


def bureau_zone_name() -> str:
    """The configured zone's name, read once per request or job (default outside an app)."""
    store = context_store()  # g's dict: a list page asks ~40 times
    if store is None:
        return DEFAULT_ZONE
    name = store.get("bureau_zone_name")
    if name is None:
        name = store["bureau_zone_name"] = _stored_zone_name()
    return name


def bureau_zone() -> tzinfo:
    """The zone itself (pytz, as Flask-Babel converts: both give the same local time)."""
    return pytz.timezone(bureau_zone_name())


def forget_zone() -> None:
    """After the setting changed: the next read in this request sees the new zone."""
    if has_app_context():
        g.pop("bureau_zone_name", None)
        babel_context = getattr(g, "_flask_babel", None)
        if babel_context is not None and hasattr(babel_context, "babel_tzinfo"):
            del babel_context.babel_tzinfo


def to_local(moment: datetime | None, zone: tzinfo | None = None) -> datetime | None:
    """A stored moment (naive UTC, or aware) as naive local time in the bureau's zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = zone or bureau_zone()
    # pytz's fromutc picks the offset right, so no normalize() (~15 of ~22 µs a call; the
    # queue formats ~200 moments a page): tests/views/test_time_zone.py checks DST edges
    return moment.astimezone(zone).replace(tzinfo=None)


def day_bounds_utc(first: date, last: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) moments from the start of `first` to the end of `last`, days
    as the bureau lives them: a request made at 01:30 Moscow belongs to that Moscow day."""
    zone = bureau_zone()

    def utc(moment: datetime, beyond: datetime) -> datetime:
        try:
            return zone.localize(moment).astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999: the period simply has no edge there
            return beyond
    return (utc(datetime.combine(first, time.min), datetime.min),
            utc(datetime.combine(last, time.max), datetime.max))


def local_today() -> date:
    """Today's date in the bureau's zone (not the server's): the date documents carry, the
    dashboard's default period ends on, the week schedule opens at."""
    return to_local(utcnow()).date()


def local_now() -> datetime:
    """Now as the bureau's wall clock shows it (naive): what schedule entries are typed and
    stored in, so a booking's start is compared with it as it is."""
    return to_local(utcnow())


def _numeric(moment: datetime | date, pattern: str) -> str | None:
    """The two numeric patterns (the same in every language) written directly: Babel's
    formatter costs ~40 µs a call, and a list page shows hundreds of moments; None for any
    other pattern."""
    if pattern == DATETIME_PATTERN and isinstance(moment, datetime):
        return (f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d} "
                f"{moment.hour:02d}:{moment.minute:02d}")
    if pattern == DATE_PATTERN:
        return f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d}"
    return None


def format_moment(moment: datetime | None, pattern: str = DATETIME_PATTERN) -> str:
    """A stored moment as the bureau reads it ("27.03.2026 01:30"); "" for none."""
    if moment is None:
        return ""
    if isinstance(moment, datetime) and pattern in (DATETIME_PATTERN, DATE_PATTERN):
        return _numeric(to_local(moment), pattern)  # as Babel converts: the bureau's zone
    return format_datetime(moment, pattern)  # Babel converts with bureau_zone_name


def format_day(value: date | datetime | None, pattern: str = DATE_PATTERN) -> str:
    """A day; a stored moment becomes the bureau's local day first."""
    if value is None:
        return ""
    day = to_local(value).date() if isinstance(value, datetime) else value  # as Babel does
    if pattern == DATE_PATTERN:
        return _numeric(day, pattern)
    return _babel_day(day, pattern, locale_name())


@lru_cache(maxsize=4096)
def _babel_day(day: date, pattern: str, locale: str) -> str:
    """A day in a locale's pattern ("27 нояб. 2026 г."), remembered: a list shows 20-50 rows,
    mostly of a few days, each ~40 µs through Babel."""
    return babel_format_date(day, pattern, locale=locale)


def format_wall(moment: datetime | None, pattern: str = DATETIME_PATTERN) -> str:
    """A wall-clock time (a schedule entry) shown as stored, with no conversion."""
    if moment is None:
        return ""
    return _numeric(moment, pattern) or format_datetime(moment, pattern, rebase=False)


def wall_range(start: datetime, end: datetime | None) -> str:
    """A schedule entry's time (wall clock, as stored) in the numeric pattern every page
    uses, whatever the language: one day named once ("02.12.2026 10:00–13:00"), else both
    ends ("02.12.2026 10:00 – 04.12.2026 18:00"). Babel's "short" wrote "12/2/26, 9:00 AM"
    on English pages beside "02.12.2026 09:00"."""
    if end is None:
        return format_wall(start)
    if end.date() == start.date():
        return f"{format_wall(start)}–{end.hour:02d}:{end.minute:02d}"
    return f"{format_wall(start)} – {format_wall(end)}"


def is_wall_clock(model_name: str, column: str) -> bool:
    return column in WALL_CLOCK.get(model_name, ())
