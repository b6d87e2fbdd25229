"""Idempotency keys of REST API v1's creating POSTs (app/api_idempotency.py).

One row per (token, Idempotency-Key): the request it was first used with (method, path,
SHA-256 of the body) and, once answered, the answer to replay. A row without a status is a
request still running (a second one with the key gets 409). Rows live 24 hours.
"""

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint

from models.base import Model, created_at_column

KEY_MAX = 200


class ApiIdempotencyKey(Model):
    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),)
    id = Column(Integer, primary_key=True)
    token_id = Column(Integer, ForeignKey("api_token.id", ondelete="CASCADE"), nullable=False)
    key = Column(String(KEY_MAX), nullable=False)
    method = Column(String(10), nullable=False)
    path = Column(String(300), nullable=False)
    body_sha256 = Column(String(64), nullable=False)
    status_code = Column(Integer)  # None while the first request runs
    response_body = Column(Text)
    response_type = Column(String(100))
    location = Column(String(500))
    created_at = created_at_column()
