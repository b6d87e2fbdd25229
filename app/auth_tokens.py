"""One-time e-mailed tokens: random, stored only as SHA-256, single use, expiring.

The link carries `secrets.token_urlsafe(32)`; nothing in it is derived from the user or the
password hash, and the database holds only its digest, so a leaked table gives no usable link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from models.base import utcnow
from models.security import TOKEN_EMAIL_CHANGE, TOKEN_PASSWORD_RESET, AuthToken

LIFETIME = {TOKEN_PASSWORD_RESET: timedelta(hours=1), TOKEN_EMAIL_CHANGE: timedelta(hours=24)}
MAX_TOKEN_LENGTH = 100  # token_urlsafe(32) is 43 characters; anything far longer is junk

VALID, USED, EXPIRED, UNKNOWN = "valid", "used", "expired", "unknown"


def digest(raw: str) -> str:
    """The stored form of a token: hex SHA-256 of the raw value."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user_id: int, purpose: str, payload: str | None = None) -> str:
    """A new token for `purpose`; earlier unused ones of the same user and purpose stop working."""
    invalidate_tokens(user_id, purpose)
    raw = secrets.token_urlsafe(32)
    db.session.add(AuthToken(user_id=user_id, purpose=purpose, token_hash=digest(raw),
                             payload=payload, expires_at=utcnow() + LIFETIME[purpose]))
    db.session.flush()
    return raw


def invalidate_tokens(user_id: int, purpose: str) -> None:
    """Mark every unused token of the user for `purpose` as used (in the caller's transaction)."""
    db.session.execute(
        update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.purpose == purpose,
                                AuthToken.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))


def look_up(raw: str, purpose: str) -> tuple[str, AuthToken | None]:
    """(state, token): VALID with the row, or USED / EXPIRED / UNKNOWN."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH or "\x00" in raw:
        return UNKNOWN, None
    token = db.session.query(AuthToken).filter(AuthToken.token_hash == digest(raw),
                                               AuthToken.purpose == purpose).one_or_none()
    if token is None:
        return UNKNOWN, None
    if token.used_at is not None:
        return USED, token
    if token.expires_at <= utcnow():
        return EXPIRED, token
    return VALID, token


def consume(token: AuthToken) -> bool:
    """Mark the token used; False when a concurrent request used it first."""
    claimed = db.session.execute(
        update(AuthToken).where(AuthToken.id == token.id, AuthToken.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    return claimed == 1
