"""One error hierarchy for every use case: str(error) is a translated message for the user.

Surfaces handle DomainError once: the back office and the cabinet flash it (views.base /
cabinet helpers), the API (next) answers problem+json with `status`. Nothing else is caught
by handlers; anything that is not a DomainError is a bug and reaches the 500 page.

    DomainError
    ├── Refused        403  the move, upload or change is not allowed (now, or for this user)
    ├── Conflict       409  someone changed it first, or the form was sent twice
    ├── NotFound       404  not there, or outside the user's scope (never say which)
    └── InvalidInput   422  the values entered are wrong; nothing was stored
"""

from __future__ import annotations

from flask_babel import gettext as _


class DomainError(Exception):
    """A use case refused the request; nothing of it was stored."""

    status = 400
    kind = "domain-error"


class Refused(DomainError):
    status = 403
    kind = "refused"


class Conflict(DomainError):
    status = 409
    kind = "conflict"

    def __init__(self, message: str | None = None):
        super().__init__(message or conflict_message())


def conflict_message() -> str:
    """The one text for a lost race (moves, desk actions, draft edits, stale versions)."""
    return _("The request was changed by someone else. Reload the page and try again.")


class NotFound(DomainError):
    """Answered exactly as a 404 of routing or abort(404) (the same type and text), so that
    a missing object and one outside the user's scope read alike."""

    status = 404
    kind = "404"

    def __init__(self, message: str | None = None):
        super().__init__(message or _("The page does not exist or is not available to you."))


class InvalidInput(DomainError, ValueError):
    status = 422
    kind = "invalid-input"


class Unauthorized(DomainError):
    """No usable token: missing, unknown, expired, revoked, or its user may not sign in."""

    status = 401
    kind = "unauthorized"


class RateLimited(DomainError):
    status = 429
    kind = "rate-limited"

    def __init__(self, message, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
