"""Streaming Excel writer (openpyxl write_only): typed columns, frozen header, set widths."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

MONEY_FORMAT = '#,##0.00\\ "₽"'
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
PROGRESS_EVERY = 2000
# OWASP CSV/formula injection: text starting with these is read as a formula by spreadsheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | int | number | money (kopecks in) | date | datetime
    width: int = 18


def safe_text(text: str) -> str:
    """Text as inert cell content: control characters dropped, formula starts quoted."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(sheet, value, kind: str):
    """Every data cell passes here: numbers and dates stay typed, every string is made safe."""
    if value is None:
        return None
    if kind == "money":
        cell = WriteOnlyCell(sheet, value=float(Decimal(value) / 100))
        cell.number_format = MONEY_FORMAT
        return cell
    if kind in ("date", "datetime") and isinstance(value, (date, datetime)):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT if kind == "datetime" else DATE_FORMAT
        return cell
    if kind == "number" and isinstance(value, Decimal):
        return float(value)
    if kind == "text" and not isinstance(value, str):
        value = str(value)
    return safe_text(value) if isinstance(value, str) else value


def write_xlsx(target, title: str, columns: list[Column], rows: Iterable[tuple],
               progress: Callable[[int], None] | None = None) -> int:
    """Write rows as they come (never held in memory); returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F5")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value, column.kind) for value, column in zip(row, columns)])
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    workbook.save(target)
    if progress:
        progress(count)
    return count
