"""Flask-Babel's translations looked up once per request and language, for every `_()`.

Flask-Babel's own lookup, on each `gettext` (templates, views, FAB's lazy labels: ~130 a
back-office list page), walks the request context three times and formats the locale's name
as a cache key. Here the translations found are kept in `g` with the locale object
Flask-Babel keeps for the request, so `force_locale` (e-mails in the recipient's language)
and a language switch (`refresh()`) get their own. A leaf: imports only Flask and
Flask-Babel.
"""

from __future__ import annotations

from flask import Flask, g, has_app_context
from flask_babel import Domain, get_babel, get_translations

_KEPT = "replan_translations"


def _kept(store: dict):
    """The translations kept in this request's `g` for Flask-Babel's current locale object,
    or None."""
    kept = store.get(_KEPT)
    locale = getattr(store.get("_flask_babel"), "babel_locale", None)
    return kept[1] if kept is not None and locale is not None and kept[0] is locale else None


def request_translations():
    """The current locale's translations (Flask-Babel's), kept for the request."""
    found = _kept(g.__dict__) if has_app_context() else None
    return found if found is not None else get_translations()  # through RequestDomain


class RequestDomain(Domain):
    """Flask-Babel's default domain, its translations kept in `g` per request and locale."""

    def get_translations(self):
        if not has_app_context():
            return super().get_translations()
        store = g.__dict__
        found = _kept(store)
        if found is None:
            found = super().get_translations()  # works the locale out when not yet known
            locale = getattr(store.get("_flask_babel"), "babel_locale", None)
            if locale is not None:
                store[_KEPT] = (locale, found)
        return found


def install_request_domain(app: Flask) -> None:
    """Make RequestDomain the domain of `gettext`, `lazy_gettext` and Jinja's `_()` (after
    Flask-AppBuilder has set Flask-Babel up)."""
    babel = get_babel(app)
    babel.instance.domain_instance = RequestDomain(domain=babel.default_domain)
