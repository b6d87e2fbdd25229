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
import unicodedata
from functools import lru_cache
from pathlib import Path

import flask_appbuilder
from babel.support import Translations
from flask_babel import gettext as _

from app.extensions import db
from app.status_labels import overrides
from app.texts import TemplateRefused
from models.texts import KIND_UI

log = logging.getLogger(__name__)

CATALOG_DIRS = (  # as Flask-AppBuilder sets Flask-Babel up: its catalog, then ours over it
    Path(flask_appbuilder.__file__).resolve().parent / "translations",
    Path(__file__).resolve().parent.parent / "babel" / "translations")
PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")
UI_TEXT_LIMIT = 2000
SEARCH_LIMIT = 60
BRAND = "brand"  # app.translations.with_brand fills it in any text
SOFT_HYPHEN = "\u00ad"


def text_key(msgid: str) -> str:
    """The TextOverride key of an interface text: its msgid's SHA-1 (msgids are long)."""
    return hashlib.sha1(msgid.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def catalog(locale: str) -> Translations:
    """The compiled catalog of a language as shipped (never the admin's wording):
    Flask-AppBuilder's own texts (its list, filter and security pages) and ours."""
    merged = Translations()
    for folder in CATALOG_DIRS:
        merged.merge(Translations.load(str(folder), [locale]))
    return merged


@lru_cache(maxsize=1)
def msgids() -> dict[str, str]:
    """key → msgid of every text of the interface (the singular ones of the catalogs)."""
    return {text_key(m): m for m in catalog("ru")._catalog if isinstance(m, str) and m}


def default_text(msgid: str, locale: str) -> str:
    """The shipped translation of a text (the msgid itself in English)."""
    return catalog(locale).ugettext(msgid)


def placeholders(msgid: str) -> dict[str, set[str]]:
    """name → its conversions ("s", "d") as the code fills them in, in order of appearance."""
    found: dict[str, set[str]] = {}
    for name, conversion in PLACEHOLDER.findall(msgid):
        found.setdefault(name, set()).add(conversion)
    return found


def fills(msgid: str) -> list[str]:
    """The placeholders an admin may write in this text, as written: the msgid's, then the
    product's name where the text can take it."""
    written = [f"%({name}){c}" for name, kinds in placeholders(msgid).items()
               for c in sorted(kinds, reverse=True)]
    return written if _never_formatted(msgid) else [*written, f"%({BRAND})s"]


def _never_formatted(msgid: str) -> bool:
    """A shipped text with a lone percent sign ("Discount, %") is never %-formatted."""
    return "%" in PLACEHOLDER.sub("", msgid).replace("%%", "")


def _formatted(msgid: str) -> bool:
    """A text the code always %-formats: it has placeholders or writes its sign as %%."""
    return bool(placeholders(msgid)) or "%%" in msgid


def checked_ui_text(msgid: str, body: str | None) -> str:
    """The admin's wording, trimmed (line breaks as "\\n"), or TemplateRefused naming what
    is wrong: whatever is stored renders on every page that shows the text."""
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    _check_characters(body)
    used = PLACEHOLDER.findall(body)
    _check_placeholders(msgid, used)
    _check_percent_signs(msgid, body, used)
    return body


def _check_characters(body: str) -> None:
    if not body:
        raise TemplateRefused(_("The text cannot be empty: “Reset to default” brings the "
                                "default back."))
    if len(body) > UI_TEXT_LIMIT:
        raise TemplateRefused(_("A text has at most %(n)s characters.", n=UI_TEXT_LIMIT))
    if any((ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 for ch in body):
        raise TemplateRefused(_("The text cannot contain control characters."))
    if any(unicodedata.category(ch) == "Cf" and ch != SOFT_HYPHEN for ch in body):
        raise TemplateRefused(_("The text cannot contain invisible characters or ones that "
                                "turn the writing direction."))
    if "<" in body or ">" in body:
        raise TemplateRefused(_("Interface texts are plain text: “<” and “>” cannot be "
                                "used."))


def _check_placeholders(msgid: str, used: list[tuple[str, str]]) -> None:
    """Only the values the code fills in, each as it fills it (a number as %(n)d or %(n)s,
    a text never as %(name)d), and the product's name where the text is %-formatted."""
    shipped = placeholders(msgid)
    for name, conversion in used:
        if name == BRAND and not _never_formatted(msgid):
            continue
        if name not in shipped:
            raise TemplateRefused(_("“%%(%(name)s)%(kind)s” is not filled in this text; "
                                    "these are: %(names)s.", name=name, kind=conversion,
                                    names=", ".join(fills(msgid)) or "—"))
        if conversion == "d" and "d" not in shipped[name]:
            raise TemplateRefused(_("Write “%%(%(name)s)s”: this value is not a number.",
                                    name=name))


def _check_percent_signs(msgid: str, body: str, used: list[tuple[str, str]]) -> None:
    rest = PLACEHOLDER.sub("", body)
    if _never_formatted(msgid):
        return  # shown as it is, a lone percent sign too
    if not (_formatted(msgid) or any(name == BRAND for name, _kind in used)):
        if "%" in rest:
            raise TemplateRefused(_("This text cannot contain a percent sign: write the "
                                    "word instead."))
        return
    if "%" in rest.replace("%%", ""):
        raise TemplateRefused(_("A percent sign here starts a placeholder such as "
                                "%(example)s; write %%%% for the sign itself.",
                                example=fills(msgid)[0]))
    try:
        body % {name: 1 if "d" in kinds else "x"
                for name, kinds in {**placeholders(msgid), BRAND: {"s"}}.items()}
    except (ValueError, TypeError, KeyError) as error:
        raise TemplateRefused(_("The text cannot be filled in: %(error)s.",
                                error=error)) from None


def preview(msgid: str, body: str, product: str) -> str:
    """The text as a page shows it, each value written as ‹its name›."""
    if _never_formatted(msgid) or not (_formatted(msgid) or f"%({BRAND})s" in body):
        return body
    values = {name: (1 if "d" in kinds else f"‹{name}›")
              for name, kinds in placeholders(msgid).items()}
    return body % {**values, BRAND: product}


def shown(msgid: str, text: str, product: str) -> str:
    """A text as the pages show it, for the lists of texts ("Загрузка инженеров, %" where
    the catalog writes "%%"; each value as ‹its name›)."""
    try:
        return preview(msgid, text, product)
    except (ValueError, TypeError, KeyError):  # a shipped text the code never formats so
        return text


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


def orphaned_texts(locale: str) -> list[tuple[str, str]]:
    """(key, text) of the bureau's wordings whose text the interface no longer has (its
    English original changed in a new version): shown apart, so they can be deleted."""
    keys = msgids()
    return sorted(((key, row.body) for (kind, key, row_locale), row in overrides().items()
                   if kind == KIND_UI and row_locale == locale and key not in keys),
                  key=lambda row: row[1].casefold())


def edited_texts(locale: str) -> list[tuple[str, str, str]]:
    """(key, msgid, text) of every interface text the bureau words its own way."""
    return sorted(((text_key(m), m, text) for m, text in interface_texts(locale).items()),
                  key=lambda row: row[2].casefold())
