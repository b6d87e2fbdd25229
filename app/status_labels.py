"""Status labels as people read them: the admin's wording (models.texts.TextOverride) where
set, else the code's default (models.request_status). Every screen, list, filter, document,
export, e-mail and notification asks here.

The overrides are read once per request or job (one query for the whole small table, kept in
`g`); a save forgets them (app.texts). Each process keeps them between requests while the
stamp in Redis is unchanged (app.shared_cache: a commit that changes them bumps it), and the
labels worked out from them are kept with them: a partner list asks for ~30 labels a page,
each a translation lookup the first time.
"""

from __future__ import annotations

from flask import g, has_app_context

from app.extensions import db
from app.shared_cache import TEXTS, cached
from app.translations import context_store, locale_name
from models.request_status import PARTNER_GROUP_OF, PARTNER_GROUPS, STAFF_LABELS, Status
from models.texts import KIND_PARTNER_LABEL, KIND_STAFF_LABEL, TextOverride

LOCALES = ("ru", "en")
_CACHE = "text_overrides"


def current_locale() -> str:
    locale = locale_name()
    return locale if locale in LOCALES else "ru"


class Overrides(dict):
    """(kind, key, locale) → the admin's text; `labels` keeps the labels worked out from this
    very mapping, so they are forgotten with it (a save, a changed stamp)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.labels: dict[tuple[str, str, str], str] = {}
        self.interface: dict[str, dict[str, str]] = {}  # locale -> {msgid: text} (app.ui_texts)


def overrides() -> Overrides:
    """(kind, key, locale) → the admin's text, loaded once per request or job."""
    store = context_store()  # g's dict: asked for each label
    if store is None:
        return _load()
    found = store.get(_CACHE)
    if found is None:
        found = store[_CACHE] = cached(TEXTS, None, _load)
    return found


def _load() -> Overrides:
    rows = db.session.query(TextOverride.kind, TextOverride.key, TextOverride.locale,
                            TextOverride.subject, TextOverride.body).all()
    return Overrides({(r.kind, r.key, r.locale): r for r in rows})


def forget_overrides() -> None:
    """After a save: the next label is read from the database again."""
    if has_app_context():
        g.pop(_CACHE, None)


def _label(kind: str, key: str, default) -> str:
    """The admin's wording of a label or the code's, worked out once per language for as
    long as the overrides are kept (a list page asks for it on every row)."""
    locale = current_locale()
    texts = overrides()
    found = texts.labels.get((kind, key, locale))
    if found is None:
        row = texts.get((kind, key, locale))
        found = texts.labels[(kind, key, locale)] = (
            row.body if row is not None else default(key))
    return found


def override_of(kind: str, key: str, locale: str | None = None):
    return overrides().get((kind, key, locale or current_locale()))


def default_staff_label(status) -> str:
    return str(STAFF_LABELS[Status(status)])


def default_partner_label(group: str) -> str:
    return str(PARTNER_GROUPS[group][0])


def staff_label(status) -> str:
    """The staff's name of a status in the current language."""
    return _label(KIND_STAFF_LABEL, str(status), default_staff_label)


def partner_group_of(status_or_group: str) -> str:
    """A partner group key for a status value or a group key."""
    if status_or_group in PARTNER_GROUPS:
        return status_or_group
    return PARTNER_GROUP_OF[Status(status_or_group)]


def partner_label(status_or_group: str) -> str:
    """What the partner reads for a status (or a partner group) in the current language."""
    return _label(KIND_PARTNER_LABEL, partner_group_of(status_or_group), default_partner_label)


def staff_labels() -> dict[str, str]:
    """{status: label} for every status (lists and filters look statuses up in it)."""
    return {status: staff_label(status) for status in Status}


def partner_groups() -> dict[str, tuple[str, tuple]]:
    """PARTNER_GROUPS with the labels as the partner reads them now."""
    return {key: (partner_label(key), statuses)
            for key, (_label, statuses) in PARTNER_GROUPS.items()}
