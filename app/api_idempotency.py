"""Idempotency-Key on REST API v1's creating POSTs: `@idempotent` on the route.

Without the header the route runs as usual. With it, the first request of a token with a key
claims the key (a committed row, unique per token and key) before the route runs and stores
the route's successful answer after; the same key with the same method, path and body within
KEEP replays that answer with `Idempotent-Replayed: true`; with another body it is refused
(422); while the first request still runs a second one gets 409 (also the loser of two
concurrent claims, through the unique constraint). A refused or failed first request frees the
key. Rows older than KEEP are deleted on each claim.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.uow import unit_of_work
from models.api_idempotency import KEY_MAX, ApiIdempotencyKey
from models.base import utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEEP = timedelta(hours=24)
KEY_RE = re.compile(r"[\x21-\x7e]{1,%d}" % KEY_MAX)  # visible ASCII, no spaces


def idempotent(view):
    """Make a creating POST route safe to repeat with an Idempotency-Key header."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY_RE.fullmatch(key):
            raise InvalidInput(_("The Idempotency-Key must be 1 to %(max)s visible ASCII "
                                 "characters.", max=KEY_MAX))
        fingerprint = _fingerprint()
        stored = _claim(key, fingerprint)
        if stored is not None:
            return _replay(stored)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            _release(key)
            raise
        if 200 <= response.status_code < 300:
            _store(key, response)
        else:
            _release(key)
        return response

    return wrapper


def _fingerprint() -> str:
    """SHA-256 of what the request sends: a JSON body as its value (the same object sent
    again with its keys in another order or indented is the same body), a multipart body as
    its fields and files (a client picks a new boundary on each try of the same upload), any
    other body as its bytes."""
    if request.mimetype == "application/json":
        try:
            value = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):  # refused by the operation: bytes as the key
            value = None
        if value is not None:
            canonical = json.dumps(value, sort_keys=True, ensure_ascii=False,
                                   separators=(",", ":"))
            return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    if request.mimetype != "multipart/form-data":
        return hashlib.sha256(request.get_data(cache=True)).hexdigest()
    digest = hashlib.sha256()
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(f"field\0{name}\0{value}\0".encode())
    for name, upload in request.files.items(multi=True):
        digest.update(f"file\0{name}\0{upload.filename}\0".encode())
        digest.update(hashlib.sha256(upload.stream.read()).digest())
        upload.stream.seek(0)
    return digest.hexdigest()


def _row(key: str):
    return db.session.query(ApiIdempotencyKey).filter_by(token_id=g.api_token.id,
                                                         key=key).first()


def _check_same(row: ApiIdempotencyKey, fingerprint: str) -> ApiIdempotencyKey | None:
    """The stored answer to replay; InvalidInput for another request, Conflict while running."""
    if (row.method, row.path, row.body_sha256) != (request.method, request.path, fingerprint):
        raise InvalidInput(_("This Idempotency-Key was used with another request; use a new "
                             "key for a new request."))
    if row.status_code is None:
        raise Conflict(_("A request with this Idempotency-Key is still being processed; "
                         "retry later."))
    return row


def _claim(key: str, fingerprint: str) -> ApiIdempotencyKey | None:
    """Claim the key (None) or return the stored answer of its first request."""
    with unit_of_work():
        db.session.query(ApiIdempotencyKey).filter(
            ApiIdempotencyKey.created_at < utcnow() - KEEP).delete(synchronize_session=False)
        row = _row(key)
        if row is not None:
            return _check_same(row, fingerprint)
    try:
        with unit_of_work():
            db.session.add(ApiIdempotencyKey(token_id=g.api_token.id, key=key,
                                             method=request.method, path=request.path[:300],
                                             body_sha256=fingerprint))
    except IntegrityError:  # a concurrent request with the key claimed it first
        db.session.rollback()
        raise Conflict(_("A request with this Idempotency-Key is still being processed; "
                         "retry later.")) from None
    return None


def _store(key: str, response) -> None:
    with unit_of_work():
        row = _row(key)
        if row is not None:
            row.status_code = response.status_code
            row.response_body = response.get_data(as_text=True)
            row.response_type = response.mimetype
            row.location = response.headers.get("Location")


def _release(key: str) -> None:
    db.session.rollback()
    with unit_of_work():
        db.session.query(ApiIdempotencyKey).filter_by(
            token_id=g.api_token.id, key=key, status_code=None).delete(synchronize_session=False)


def _replay(row: ApiIdempotencyKey):
    response = current_app.response_class(row.response_body, status=row.status_code,
                                          mimetype=row.response_type or "application/json")
    if row.location:
        response.headers["Location"] = row.location
    response.headers[REPLAYED] = "true"
    return response
