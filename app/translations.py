"""Flask-Babel's translations looked up once per request and language, for every `_()`.

Flask-Babel's own lookup, on each `gettext` (templates, views, FAB's lazy labels: ~130 a
back-office list page), walks the request context three times and formats the locale's name
as a cache key. Here the translations found are kept in `g` with the locale object
Flask-Babel keeps for the request, so `force_locale` (e-mails in the recipient's language)
and a language switch (`refresh()`) get their own; the locale's name too (`locale_name`:
labels, money, dates and forms ask for it ~70 times a list page). `g` is read straight from
Flask's context variable: each use of the `g` proxy is a lookup of its own. A leaf: imports
only Flask and Flask-Babel.
"""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app
from flask_babel import Domain, get_babel, get_locale, get_translations

from app.branding import brand

BRAND = "%(brand)s"  # the product's name in a text (app.branding)

_KEPT = "replan_translations"
_NAME = "replan_locale_name"


def context_store() -> dict | None:
    """This app context's `g` as its dict (None outside one), without the proxy."""
    context = _cv_app.get(None)
    return None if context is None else context.g.__dict__


def locale_name(default: str = "ru") -> str:
    """The current locale's name ("ru", "en"), as str(get_locale()); `default` outside an
    app context. Kept with Flask-Babel's locale object of the request, like the
    translations: force_locale and a language switch get their own."""
    store = context_store()
    if store is None:
        return default
    locale = getattr(store.get("_flask_babel"), "babel_locale", None)
    if locale is None:
        locale = get_locale()  # worked out (and kept by Flask-Babel) the first time
        if locale is None:
            return default
    kept = store.get(_NAME)
    if kept is not None and kept[0] is locale:
        return kept[1]
    name = str(locale)
    store[_NAME] = (locale, name)
    return name


def _kept(store: dict):
    """The translations kept in this request's `g` for Flask-Babel's current locale object,
    or None."""
    kept = store.get(_KEPT)
    locale = getattr(store.get("_flask_babel"), "babel_locale", None)
    return kept[1] if kept is not None and locale is not None and kept[0] is locale else None


def reads_english() -> bool:
    """True when the reader's language is English."""
    return locale_name("") == "en"


def in_language(text, text_en, english: bool | None = None):
    """The bureau's two wordings of one thing (a name, a label, an article): `text_en` for an
    English reader, `text` for a Russian one, each falling back to the other when empty
    (`english`: the language already worked out, e.g. for a cache key)."""
    english = reads_english() if english is None else english
    return (text_en or text) if english else (text or text_en)


def request_translations():
    """The current locale's translations (Flask-Babel's), kept for the request."""
    store = context_store()
    found = _kept(store) if store is not None else None
    return found if found is not None else get_translations()  # through RequestDomain


def with_brand(text: str, variables: dict) -> dict:
    """The text's variables with the product's name when the text names it (app.branding):
    one rule for Python's gettext here and Jinja's _() (app.templating)."""
    if BRAND in text and "brand" not in variables:
        return {**variables, "brand": brand()}
    return variables


_text_overrides = None  # locale name -> {msgid: the admin's wording} (app.ui_texts)


def set_text_overrides(provider) -> None:
    """Put the admin's interface texts in front of every catalog (app.ui_texts installs it;
    this module stays a leaf)."""
    global _text_overrides
    _text_overrides = provider


class OverriddenTranslations:
    """A catalog with the admin's wording of some singular texts in front; the rest (plural
    forms, contexts, the catalog's metadata) is the catalog's."""

    __slots__ = ("base", "texts")

    def __init__(self, base, texts: dict[str, str]):
        self.base, self.texts = base, texts

    def ugettext(self, message):
        found = self.texts.get(message)
        return found if found is not None else self.base.ugettext(message)

    gettext = ugettext

    def __getattr__(self, name):
        return getattr(self.base, name)


def is_overridden(translations, message: str) -> bool:
    """Whether the text comes from the admin's wording (plain text), not the catalog."""
    return isinstance(translations, OverriddenTranslations) and message in translations.texts


def _with_overrides(found, locale):
    texts = _text_overrides(str(locale)) if _text_overrides is not None else None
    return OverriddenTranslations(found, texts) if texts else found


class RequestDomain(Domain):
    """Flask-Babel's default domain, its translations kept in `g` per request and locale;
    "%(brand)s" in a text is the product's name in this installation (app.branding)."""

    def gettext(self, string, **variables):
        text = self.get_translations().ugettext(string)
        variables = with_brand(text, variables)
        return text % variables if variables else text

    def get_translations(self):
        store = context_store()
        if store is None:
            return super().get_translations()
        found = _kept(store)
        if found is None:
            found = super().get_translations()  # works the locale out when not yet known
            locale = getattr(store.get("_flask_babel"), "babel_locale", None)
            if locale is not None:
                found = _with_overrides(found, locale)
                store[_KEPT] = (locale, found)
        return found


def install_request_domain(app: Flask, text_overrides=None) -> None:
    """Make RequestDomain the domain of `gettext`, `lazy_gettext` and Jinja's `_()` (after
    Flask-AppBuilder has set Flask-Babel up); `text_overrides(locale)` gives the admin's
    wording of interface texts (app.ui_texts)."""
    babel = get_babel(app)
    babel.instance.domain_instance = RequestDomain(domain=babel.default_domain)
    if text_overrides is not None:
        set_text_overrides(text_overrides)
