"""PDF documents (xhtml2pdf) with DejaVu Sans embedded, so Cyrillic never turns into boxes."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path

from flask import render_template
from num2words import num2words
from xhtml2pdf import pisa

from app.timefmt import local_today
from app.translations import locale_name

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONTS = {"regular": FONT_DIR / "DejaVuSans.ttf", "bold": FONT_DIR / "DejaVuSans-Bold.ttf"}
DOCUMENTS = ("invoice", "act", "card")


class PdfError(RuntimeError):
    """The document could not be rendered (a missing font is an error, not black boxes)."""


def amount_in_words(kopecks: int) -> str:
    """12345 → 'Сто двадцать три рубля 45 копеек' (in the current language): roubles in
    words, kopecks in two digits, as payment documents write them ('… рублей 00 копеек',
    never 'ноль копеек')."""
    lang = "ru" if locale_name("") == "ru" else "en"
    text = num2words(Decimal(kopecks) / 100, lang=lang, to="currency", currency="RUB",
                     cents=False)
    roubles, sep, kopeks = text.rpartition(", ")  # the words' own commas stay (en)
    text = f"{roubles} {kopeks}" if sep else text
    return text[:1].upper() + text[1:]


def _fonts() -> dict[str, str]:
    missing = [str(p) for p in FONTS.values() if not p.is_file()]
    if missing:
        raise PdfError(f"PDF font missing: {', '.join(missing)}")
    return {name: path.as_uri() for name, path in FONTS.items()}


def _link_callback(uri: str, rel: str) -> str:
    """Only our own font files may be loaded: no network, no other paths."""
    for path in FONTS.values():
        if uri in (path.as_uri(), str(path)):
            return str(path)
    raise PdfError(f"Refusing to load {uri!r} into a PDF")


def render_pdf(template: str, **context) -> bytes:
    """Render reports/templates/pdf/<template> to PDF bytes."""
    html = render_template(f"pdf/{template}", fonts=_fonts(), today=local_today(),
                           in_words=amount_in_words, **context)
    out = BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_link_callback)
    if status.err:
        raise PdfError(f"xhtml2pdf reported {status.err} errors for {template}")
    return out.getvalue()
