"""Per-user limits on the cabinet's actions that send e-mail on a user's word.

A partner could invite colleagues to any address, change their e-mail to any address or post
messages (each an e-mail to the manager) as fast as they could send the form: dozens of
e-mails a minute, to addresses of their choosing. Each action here has a budget per user in
the rate-limit storage (Redis, shared by every worker; per process without it), as the
sign-in lockout (app.login_lockout) and the API tokens (app.api_tokens) have. The use case
spends it before it acts; over it, RateLimited says when to try again and nothing is done.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from flask_babel import gettext as _
from limits import parse

from app.errors import RateLimited
from app.login_lockout import enabled, limiter_call

# action → its budget per user (a setting may replace one: ACTION_LIMITS = {action: "…"})
LIMITS = {
    "team_invite": "20 per hour",  # each an e-mail with a login to an address typed
    "email_change": "5 per hour",  # each a confirmation link to an address typed
    "partner_message": "60 per 10 minutes",  # each an e-mail to the manager
}


def spend(user, action: str) -> None:
    """Count one `action` of `user`; RateLimited (nothing done) once the budget is spent."""
    if not enabled():
        return
    wording = (current_app.config.get("ACTION_LIMITS") or {}).get(action) or LIMITS[action]
    limit = parse(wording)
    key = str(getattr(user, "id", None))
    if limiter_call("hit", limit, "replan-action", action, key):
        return
    reset_at = limiter_call("get_window_stats", limit, "replan-action", action, key).reset_time
    seconds = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(_("Too many at once: this can be done again in %(n)s min.",
                        n=max(1, math.ceil(seconds / 60))), retry_after=seconds)
