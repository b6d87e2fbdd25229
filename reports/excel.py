"""Streaming Excel writer (openpyxl write_only): typed columns, frozen header, set widths.

Cells are typed for people, not for programs: money in roubles with a rouble format, moments
as real dates in the bureau's time zone, yes/no as words, nothing as an empty cell. Codes
become labels in the sources (reports.registry, reports.sources, views.base), which know
whose labels they are (staff or partner).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from app.timefmt import bureau_zone, to_local

MONEY_FORMAT = '#,##0.00 "₽"'
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
PROGRESS_EVERY = 2000
# OWASP CSV/formula injection: text starting with these is read as a formula by spreadsheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"[+-][\d ().-]*\d[\d ().-]*")  # a phone, a signed number


@dataclass(frozen=True)
class Column:
    header: str
    # text | int | number | money (kopecks in) | date | datetime (stored UTC, written in the
    # bureau's zone) | wall_datetime (a wall-clock time such as a schedule entry: as stored)
    kind: str = "text"
    width: int = 18


def safe_text(text: str) -> str:
    """Text as inert cell content: control characters dropped, formula starts quoted — but
    a phone or a signed number ("+7 916 100-20-00"): digits, spaces, brackets and dashes
    cannot call a function or name a cell, and its quote showed in every cell."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text.startswith(FORMULA_STARTS) and not NUMBER_LIKE.fullmatch(text):
        return "'" + text
    return text


def _cell(sheet, value, kind: str, zone=None):
    """Every data cell passes here: numbers and dates stay typed, every string is made safe."""
    if value is None or value == "":
        return None
    if kind == "money":
        cell = WriteOnlyCell(sheet, value=Decimal(value) / 100)
        cell.number_format = MONEY_FORMAT
        return cell
    if kind in ("date", "datetime", "wall_datetime") and isinstance(value, (date, datetime)):
        if kind == "datetime" and isinstance(value, datetime):
            value = to_local(value, zone)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT if kind == "date" else DATETIME_FORMAT
        return cell
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if kind == "number" and isinstance(value, Decimal):
        return float(value)
    if kind == "text" and not isinstance(value, str):
        value = str(value)
    return safe_text(value) if isinstance(value, str) else value


def sheet_title(title) -> str:
    """A title Excel accepts: no []:*?/\\, at most 31 characters, never empty."""
    text = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31].strip()
    return text or "Sheet"


def write_xlsx(target, title: str, columns: list[Column], rows: Iterable[tuple],
               progress: Callable[[int], None] | None = None) -> int:
    """Write rows as they come (never held in memory); returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F5")
    header = []
    for column in columns:
        # headers can be admin-typed field labels: made inert like any cell ("=…" was a formula)
        cell = WriteOnlyCell(sheet, value=safe_text(str(column.header)))
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    count, zone = 0, bureau_zone()  # the zone read once for the whole file
    for row in rows:
        sheet.append([_cell(sheet, value, column.kind, zone)
                      for value, column in zip(row, columns)])
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    workbook.save(target)
    if progress:
        progress(count)
    return count
