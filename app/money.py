"""Money typed by people: roubles as written in Russia or in English, stored as kopecks."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.errors import InvalidInput
from app.translations import locale_name

MAX_KOPECKS = 100_000_000 * 100  # one hundred million roubles: far above any request
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def money(kopecks: int | None) -> str:
    """12345678 → '123 456,78 ₽' (ru) or '123,456.78 ₽' (en)."""
    value = Decimal(kopecks or 0) / 100
    text = f"{value:,.2f}"
    if locale_name("") == "ru":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return f"{text}\u00a0₽"


class MoneyText:
    """An amount that writes itself in the language current when it is written out (money):
    a notification or an e-mail about an amount is worded in each reader's language, and a
    string formatted by the actor's ("84,345.75 ₽" for a Russian reader) read as 84 roubles."""

    __slots__ = ("kopecks",)

    def __init__(self, kopecks: int):
        self.kopecks = kopecks

    def __str__(self) -> str:
        return money(self.kopecks)

    def __repr__(self) -> str:
        return f"MoneyText({self.kopecks})"


def format_roubles(kopecks: int | None, english: bool = False) -> str:
    """1500050 → '15 000,50' (English: '15 000.50', a point as English writes kopecks, the
    thousands still by spaces, which parse_roubles reads back): how an amount is put back
    into a form field."""
    value = Decimal(kopecks or 0) / 100
    text = f"{value:,.2f}".replace(",", " ")
    return text if english else text.replace(".", ",")


def parse_roubles(text: str | None, allow_zero: bool = False) -> int:
    """'10 000,50', '10000.50', '10 000' → kopecks (1000050, 1000050, 1000000).

    Spaces (also non-breaking) and apostrophes group thousands; a comma or a point
    separates kopecks (at most two digits). Refused with a clear message: both a comma
    and a point ('1,000.50' is read differently by different people), letters, more than
    two decimals, zero or negative amounts, and amounts above MAX_KOPECKS.
    """
    raw = _SPACES.sub("", (text or "").strip().removesuffix("₽").removesuffix("руб.").strip())
    raw = _SPACES.sub("", raw)
    if not raw:
        raise InvalidInput(_("Enter the amount in roubles, e.g. 10 000,50."))
    if "," in raw and "." in raw:
        raise InvalidInput(_("Write kopecks after a comma or a point, not both: "
                             "10 000,50."))
    raw = raw.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", raw):
        raise InvalidInput(_("“%(text)s” is not an amount in roubles (e.g. 10 000,50).",
                             text=(text or "")[:40]))
    try:
        kopecks = int((Decimal(raw) * 100).to_integral_exact())
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        raise InvalidInput(_("Enter the amount in roubles, e.g. 10 000,50.")) from None
    if kopecks < 0 or (kopecks == 0 and not allow_zero):
        raise InvalidInput(_("The amount must not be negative.") if allow_zero
                           else _("The amount must be positive."))
    if kopecks > MAX_KOPECKS:
        raise InvalidInput(_("The amount must not exceed 100,000,000 ₽."))
    return kopecks
