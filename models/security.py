"""Security state: one-time tokens (reset, e-mail change), used form nonces, session epochs."""

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from models.base import Model, created_at_column, user_fk

TOKEN_PASSWORD_RESET = "reset"
TOKEN_EMAIL_CHANGE = "email_change"


class AuthToken(Model):
    """A single-use, expiring token sent by e-mail; only its SHA-256 is stored."""

    __tablename__ = "auth_token"
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False, ondelete="CASCADE")
    purpose = Column(String(20), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    payload = Column(String(200))  # e.g. the new e-mail address of an e-mail change
    created_at = created_at_column()
    expires_at = Column(DateTime, nullable=False, index=True)
    used_at = Column(DateTime)


class UsedFormNonce(Model):
    """A one-time form token already consumed: the second post of the same form is refused."""

    __tablename__ = "used_form_nonce"
    nonce = Column(String(64), primary_key=True)
    user_id = user_fk(ondelete="CASCADE")
    created_at = created_at_column()


class SessionEpoch(Model):
    """Per-user session generation: bumping it ends every session signed before."""

    __tablename__ = "session_epoch"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    generation = Column(Integer, nullable=False, default=0)
