"""One-time form tokens: a form posted twice (double click, reload, back + resend) acts once.

issue_nonce() renders a random, server-signed token into a hidden `form_nonce` field;
consume_nonce() records it in UsedFormNonce inside the caller's transaction, so a refused
action (rolled back) frees the token again and two simultaneous posts cannot both pass:
the primary key lets exactly one insert win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from flask import current_app, request
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict
from app.extensions import db
from app.uow import commit
from models.base import utcnow
from models.security import UsedFormNonce

FIELD = "form_nonce"
KEEP_USED = timedelta(days=1)
VALID_FOR = timedelta(hours=20)  # shorter than KEEP_USED: a purged token is already stale


class FormReplayed(Conflict, ValueError):
    """The form was already submitted (or its token is missing); str() is for the user."""


def _signature(raw: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"form-nonce:" + raw.encode(), hashlib.sha256).hexdigest()[:24]


def issue_nonce() -> str:
    """A fresh token for one rendering of a form: issue time, random part, signature."""
    raw = f"{int(time.time()):x}-{secrets.token_urlsafe(16)}"
    return f"{raw}.{_signature(raw)}"


def is_valid_nonce(value) -> bool:
    """Issued by this server less than VALID_FOR ago (shape, signature, age)."""
    if not isinstance(value, str) or len(value) > 64 or value.count(".") != 1:
        return False
    raw, signature = value.split(".")
    if not hmac.compare_digest(signature, _signature(raw)):
        return False
    issued = int(raw.split("-", 1)[0], 16)  # signed by us, so well formed
    return 0 <= time.time() - issued <= VALID_FOR.total_seconds()


def consume_nonce(value, user_id: int | None) -> bool:
    """Use the token up (in the caller's transaction); False if invalid or already used."""
    if not is_valid_nonce(value):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(UsedFormNonce(nonce=value, user_id=user_id))
    except IntegrityError:
        return False
    return True


def require_fresh_form(user_id: int | None, required: bool = True) -> None:
    """Consume the posted token or raise FormReplayed; without `required` a form lacking
    the field passes (older pages, API clients)."""
    value = request.form.get(FIELD)
    if not value and not required:
        return
    if not is_valid_nonce(value):
        raise FormReplayed(_("This form is out of date. Reload the page and try again."))
    if not consume_nonce(value, user_id):
        raise FormReplayed(_("This form was already submitted; nothing was changed."))


def nonce_field() -> Markup:
    """The hidden input for templates: {{ form_nonce_field() }}."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(issue_nonce())}">')


def purge_used_nonces() -> int:
    """Forget tokens used more than a day ago (periodic job)."""
    count = db.session.query(UsedFormNonce).filter(
        UsedFormNonce.created_at < utcnow() - KEEP_USED).delete(synchronize_session=False)
    commit()  # a periodic job: its own unit of work
    return count


def install_form_nonce(app) -> None:
    """Make {{ form_nonce_field() }} available in every template."""
    app.add_template_global(nonce_field, "form_nonce_field")
