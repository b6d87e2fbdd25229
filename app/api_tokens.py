"""Personal API tokens: create (the secret shown once), revoke, authenticate, rate-limit.

A token reads `rpl_<prefix>_<secret>`: 8 random characters that name it in lists, then
`secrets.token_urlsafe(32)`. Only the SHA-256 of the whole token is stored (see
models.api_tokens for why a fast digest is right for a random secret). Use cases here never
commit; the caller's unit of work does (app.uow).

A token authenticates only while it is unexpired and unrevoked, its user is active and the
user's partner company (if any) is not blocked: blocking a user or a company and every new
password also revoke the user's tokens (revoke_all_for, called beside end_all_sessions).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import string
import time
from datetime import timedelta

from flask import current_app, g, has_app_context
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy import or_, update

from app import login_lockout
from app.errors import InvalidInput, NotFound, RateLimited, Refused, Unauthorized
from app.extensions import db
from models.api_tokens import SCOPE_READ, SCOPE_WRITE, SCOPES, ApiToken
from models.base import utcnow

TOKEN_PREFIX = "rpl_"
PREFIX_LENGTH = 8
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
EXPIRY_DAYS = (30, 90, 365)
NAME_MAX = 100
MAX_ACTIVE_TOKENS = 20
MAX_HEADER_LENGTH = 200  # a token is 4 + 8 + 1 + 43 = 56 characters
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at/ip written at most once a minute a token
DEFAULT_LIMITS = {SCOPE_READ: "120 per minute", SCOPE_WRITE: "60 per minute"}

# why a token was revoked (revoked_reason)
BY_OWNER, USER_BLOCKED, COMPANY_BLOCKED, PASSWORD_CHANGED = (
    "owner", "user_blocked", "company_blocked", "password_changed")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def list_tokens(user) -> list[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones too)."""
    return db.session.query(ApiToken).filter(ApiToken.user_id == user.id).order_by(
        ApiToken.created_at.desc(), ApiToken.id.desc()).all()


def is_active(token: ApiToken) -> bool:
    return token.revoked_at is None and token.expires_at > utcnow()


def create_token(user, name, scope, days) -> tuple[ApiToken, str]:
    """A new token of `user`: (the row, the secret to show once; never stored)."""
    name = " ".join(str(name or "").split())
    if not name or len(name) > NAME_MAX or "\x00" in name:
        raise InvalidInput(_l("Give the token a name of 1 to %(n)s characters.", n=NAME_MAX))
    if scope not in SCOPES:
        raise InvalidInput(_l("Choose what the token may do: read, or read and write."))
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if days not in EXPIRY_DAYS:
        raise InvalidInput(_l("Choose how long the token works: 30, 90 or 365 days."))
    active = sum(1 for token in list_tokens(user) if is_active(token))
    if active >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(_l("You have %(n)s working tokens already: revoke one first.",
                              n=MAX_ACTIVE_TOKENS))
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=digest(secret),
                   scope=scope, created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    return row, secret


def revoke_token(user, token_id) -> ApiToken:
    """The owner revokes one of their tokens; another user's token is NotFound."""
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if token is None or token.user_id != user.id:
        raise NotFound(_l("No such token."))
    if token.revoked_at is None:
        token.revoked_at, token.revoked_reason = utcnow(), BY_OWNER
        db.session.flush()
    return token


def revoke_all_for(user_id: int, reason: str) -> int:
    """Revoke every working token of the user (in the caller's transaction); how many."""
    return db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)).rowcount


def authenticate(header_value, remote_addr) -> User:
    """The user of an `Authorization: Bearer rpl_…` header, or Unauthorized.

    The token itself is kept in g.api_token (the scope check and the rate limit need it).
    last_used_at/ip are written at most once a minute, so a busy client costs no write per
    request; the caller's unit of work commits that touch.
    """
    raw = _bearer(header_value)
    token = db.session.query(ApiToken).filter(ApiToken.token_hash == digest(raw)).one_or_none() \
        if raw else None
    if token is None:
        raise Unauthorized(_l("The API token is missing or not valid. Send it as "
                              "“Authorization: Bearer <token>”."))
    user = db.session.get(User, token.user_id)
    if has_app_context():
        g.api_token_user = user  # the owner's language for the error, even when refused
    if token.revoked_at is not None:
        raise Unauthorized(_l("The API token was revoked."))
    now = utcnow()
    if token.expires_at <= now:
        raise Unauthorized(_l("The API token has expired. Create a new one in your profile."))
    if user is None or not user.active:
        raise Unauthorized(_l("The account is blocked."))
    profile = getattr(user, "profile", None)
    company = profile.partner_company if profile is not None else None
    if company is not None and company.is_blocked:
        raise Unauthorized(_l("Your company's access is suspended. Contact the bureau."))
    _touch(token, now, (remote_addr or "")[:45] or None)
    if has_app_context():
        g.api_token = token
    return user


def _bearer(header_value) -> str | None:
    value = str(header_value or "")
    if len(value) > MAX_HEADER_LENGTH or "\x00" in value:
        return None
    scheme, _, raw = value.strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX):
        return None
    return raw


def _touch(token: ApiToken, now, ip) -> None:
    """Record use when the last record is a minute old (one conditional UPDATE)."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id, or_(
            ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now, last_used_ip=ip).execution_options(synchronize_session=False))
    token.last_used_at, token.last_used_ip = now, ip


def require_scope(token: ApiToken, needed: str) -> None:
    """A write endpoint calls require_scope(token, SCOPE_WRITE): a read token is Refused."""
    if needed == SCOPE_WRITE and token.scope != SCOPE_WRITE:
        raise Refused(_l("This token may only read. Create a read-and-write token to change "
                         "data."))


def check_rate(token: ApiToken, writing: bool) -> None:
    """Count one request of the token; RateLimited (with Retry-After seconds) over the limit.

    Reading and writing requests have their own counters (API_RATE_LIMIT_READ / _WRITE),
    kept in the storage of the login lockout: Redis shared by all workers, memory without
    Redis (and per process while Redis is unreachable). On with RATELIMIT_ENABLED.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    kind = SCOPE_WRITE if writing else SCOPE_READ
    limit = parse(current_app.config.get(f"API_RATE_LIMIT_{kind.upper()}")
                  or DEFAULT_LIMITS[kind])
    key = f"{token.id}:{kind}"
    # the lockout's shared limiter and its fallback (app.login_lockout.limiter_call)
    allowed = login_lockout.limiter_call("hit", limit, "replan-api", key)
    stats = login_lockout.limiter_call("get_window_stats", limit, "replan-api", key)
    wait = max(1, math.ceil(stats.reset_time - time.time()))
    # the client paces itself by these (IETF RateLimit header fields; app.api adds them)
    g.api_rate = {"RateLimit-Limit": str(limit.amount),
                  "RateLimit-Remaining": str(max(0, stats.remaining)),
                  "RateLimit-Reset": str(wait)}
    if not allowed:
        raise RateLimited(_l("Too many requests with this token. Try again in %(s)s s.",
                             s=wait), wait)
