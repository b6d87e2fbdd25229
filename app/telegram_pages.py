"""The Telegram parts of the staff profile and the partner cabinet profile.

Both surfaces call these: the profile form gains one Telegram switch per notification kind
(a fieldset next to the e-mail switches, saved with them into UserProfile.notify_prefs as
"telegram:<kind>"), the page gains the "Telegram" section (telegram/_section.html: link or
unlink), and "Link Telegram" answers with the one-time deep link, rendered once in the
answer to the POST (never stored nor put in the session). Without a bot configured
(app.telegram.enabled) there are no switches, no section, and the two POSTs are 404.
"""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField

from app.notifications import KINDS, wants_email
from app.telegram import (LINK_TOKEN_MINUTES, active_chat, create_link_token, deep_link, enabled,
                          pref_key, unlink_user, wants_telegram)
from app.uow import run_use_case, unit_of_work


def field_name(kind: str) -> str:
    return f"telegram_{kind}"


def pref_fields(kinds) -> dict:
    """Extra form fields: a Telegram switch per kind (none when the bot is off)."""
    if not enabled():
        return {}
    return {field_name(kind): BooleanField(KINDS[kind].label) for kind in kinds}


def fill_prefs(form, user, kinds) -> None:
    """Show the user's Telegram switches (a kind not set yet follows its e-mail switch)."""
    if enabled():
        for kind in kinds:
            getattr(form, field_name(kind)).data = wants_telegram(
                user, kind, wants_email(user, kind))


def posted_prefs(form, kinds) -> dict:
    """{"telegram:<kind>": bool} from the posted form, for app.accounts.update_profile."""
    if not enabled():
        return {}
    return {pref_key(kind): bool(getattr(form, field_name(kind)).data) for kind in kinds}


def page_context(form, kinds, link_url: str, unlink_url: str) -> dict:
    """What the profile templates need: the section (None when off) and the switches."""
    if not enabled():
        return {"telegram": None, "telegram_fields": []}
    return {"telegram": {"chat": active_chat(current_user), "link_url": link_url,
                         "unlink_url": unlink_url},
            "telegram_fields": [getattr(form, field_name(kind)) for kind in kinds]}


def start_link() -> dict:
    """"Link Telegram": a new one-time token; what the link page shows (404 when off)."""
    if not enabled():
        abort(404)
    with unit_of_work():
        raw, _row = create_link_token(current_user)
    return {"deep_link": deep_link(raw), "minutes": LINK_TOKEN_MINUTES}


def unlink() -> None:
    """"Unlink": the chat hears nothing more (flashed; 404 when off)."""
    if not enabled():
        abort(404)
    run_use_case(lambda: unlink_user(current_user),
                 _l("Telegram is unlinked: notifications no longer go there."))
