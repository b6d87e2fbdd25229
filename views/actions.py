"""The back office's handler of POST actions: app.uow.run_use_case plus the form token."""

from __future__ import annotations

from flask import g

from app.form_nonce import require_fresh_form
from app.uow import run_use_case as _run


def run_use_case(work, done_message=None, once: bool = False,
                 refused_suffix: str = "") -> bool:
    """app.uow.run_use_case, consuming the page's one-time form token first (required when
    `once`), so a form posted twice keeps nothing the second time."""
    def guarded():
        require_fresh_form(g.user.id, required=once)
        work()
    return _run(guarded, done_message, refused_suffix)
