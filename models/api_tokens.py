"""Personal API tokens: a user's key for /api/v1, shown once, stored as SHA-256 only."""

from sqlalchemy import Column, DateTime, Integer, String

from models.base import Model, created_at_column, user_fk

SCOPE_READ = "read"
SCOPE_WRITE = "write"
SCOPES = (SCOPE_READ, SCOPE_WRITE)


class ApiToken(Model):
    """One personal token. The secret is 32 random bytes (token_urlsafe), so SHA-256 is the
    right digest: a slow password hash (bcrypt, scrypt) defends guessable secrets against
    brute force, and a 256-bit random secret cannot be guessed; a fast digest keeps every API
    request to one indexed lookup. `prefix` (8 random characters, also part of the token)
    only names the token in lists and logs; it grants nothing."""

    __tablename__ = "api_token"
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False, ondelete="CASCADE")
    name = Column(String(100), nullable=False)
    prefix = Column(String(8), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    scope = Column(String(10), nullable=False, default=SCOPE_READ)
    created_at = created_at_column()
    expires_at = Column(DateTime, nullable=False)
    last_used_at = Column(DateTime)
    last_used_ip = Column(String(45))  # an IPv6 address in full is 45 characters at most
    revoked_at = Column(DateTime)
    revoked_reason = Column(String(40))
