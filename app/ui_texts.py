"""Interface texts by data: the admin's wording of any text of the interface, per language.

A bureau that is not a redevelopment bureau words its own trade ("Эксперт" for "Инженер",
"Осмотр" for "Выезд"): Administration → Texts and labels → Interface texts finds a text by
a word of it (in either language) and stores the bureau's wording as a TextOverride of kind
"ui" keyed by the SHA-1 of the text's msgid. Every gettext — Python's, Jinja's `_()`,
Flask-AppBuilder's and WTForms' labels — reads the catalog through app.translations, which
puts these texts in front of the compiled catalog (set_text_overrides below). With no
interface text stored the catalog is used as it is: nothing is wrapped.

A stored text keeps the msgid's placeholders (%(number)s …) and may add %(brand)s; a
placeholder the msgid does not fill, a stray percent sign or markup is refused when it is
saved, so a text can never break a page.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path

from babel.support import Translations
from flask_babel import gettext as _

from app.extensions import db
from app.status_labels import overrides
from app.texts import TemplateRefused
from models.texts import KIND_UI

log = logging.getLogger(__name__)

CATALOG_DIR = Path(__file__).resolve().parent.parent / "babel" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
UI_TEXT_LIMIT = 2000
SEARCH_LIMIT = 60
BRAND = "brand"  # app.translations.with_brand fills it in any text


def text_key(msgid: str) -> str:
    """The TextOverride key of an interface text: its msgid's SHA-1 (msgids are long)."""
    return hashlib.sha1(msgid.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def catalog(locale: str) -> Translations:
    """The compiled catalog of a language, as shipped (never the admin's wording)."""
    return Translations.load(str(CATALOG_DIR), [locale])


@lru_cache(maxsize=1)
def msgids() -> dict[str, str]:
    """key → msgid of every text of the interface (the singular ones of the catalog)."""
    return {text_key(m): m for m in catalog("ru")._catalog if isinstance(m, str) and m}


def default_text(msgid: str, locale: str) -> str:
    """The shipped translation of a text (the msgid itself in English)."""
    return catalog(locale).ugettext(msgid)


def placeholders(msgid: str) -> list[str]:
    """The names the code fills into this text, in order of appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(msgid)))


def checked_ui_text(msgid: str, body: str | None) -> str:
    """The admin's wording, trimmed, or TemplateRefused naming what is wrong."""
    body = (body or "").strip()
    if not body:
        raise TemplateRefused(_("The text cannot be empty: “Reset to default” brings the "
                                "default back."))
    if len(body) > UI_TEXT_LIMIT:
        raise TemplateRefused(_("A text has at most %(n)s characters.", n=UI_TEXT_LIMIT))
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in body):
        raise TemplateRefused(_("The text cannot contain control characters."))
    if "<" in body or ">" in body:
        raise TemplateRefused(_("Interface texts are plain text: “<” and “>” cannot be "
                                "used."))
    allowed = set(placeholders(msgid)) | {BRAND}
    used = PLACEHOLDER.findall(body)
    unknown = [name for name in used if name not in allowed]
    if unknown:
        raise TemplateRefused(_("“%%(%(name)s)s” is not filled in this text; these are: "
                                "%(names)s.", name=unknown[0],
                                names=", ".join(f"%({n})s" for n in sorted(allowed))))
    # the code %-formats a text with placeholders (and the shipped "…, %%" ones it writes so)
    formatted = bool(placeholders(msgid)) or "%%" in msgid or BRAND in used
    rest = PLACEHOLDER.sub("", body)
    if formatted and "%" in rest.replace("%%", ""):
        raise TemplateRefused(_("A percent sign here starts a placeholder such as "
                                "%(example)s; write %%%% for the sign itself.",
                                example=f"%({sorted(allowed)[0]})s"))
    if not formatted and "%" in rest:
        raise TemplateRefused(_("This text cannot contain a percent sign."))
    return body


def interface_texts(locale: str) -> dict[str, str]:
    """msgid → the admin's wording in `locale`, kept with the overrides (app.status_labels:
    once per request, per process while the stamp is unchanged). {} when none is stored or
    the database cannot be read (an error page must still render)."""
    try:
        with db.session.no_autoflush:  # asked from inside any use case's _()
            texts = overrides()
    except Exception:  # noqa: BLE001 — the shipped catalog serves meanwhile
        log.warning("interface texts unreadable; the shipped catalog serves", exc_info=True)
        return {}
    found = texts.interface.get(locale)
    if found is None:
        keys = msgids()
        found = texts.interface[locale] = {
            keys[key]: row.body for (kind, key, row_locale), row in texts.items()
            if kind == KIND_UI and row_locale == locale and key in keys}
    return found


def search(words: str, locale: str) -> list[tuple[str, str, str, bool]]:
    """(key, msgid, text now in `locale`, edited) of the texts containing `words` in either
    language or in the admin's wording, shortest first (a role's name before the sentences
    that use it); at most SEARCH_LIMIT."""
    needle = (words or "").strip().casefold()
    if len(needle) < 2:
        return []
    edited = interface_texts(locale)
    found = []
    for key, msgid in msgids().items():
        now = edited.get(msgid) or default_text(msgid, locale)
        if any(needle in text.casefold() for text in
               (msgid, default_text(msgid, "ru"), now)):
            found.append((key, msgid, now, msgid in edited))
    found.sort(key=lambda row: (len(row[2]), row[2]))
    return found[:SEARCH_LIMIT]


def edited_texts(locale: str) -> list[tuple[str, str, str]]:
    """(key, msgid, text) of every interface text the bureau words its own way."""
    return sorted(((text_key(m), m, text) for m, text in interface_texts(locale).items()),
                  key=lambda row: row[2].casefold())
