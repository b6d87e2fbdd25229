"""Per-user session generation: logout, password change and blocking end every session."""

from __future__ import annotations

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.web_security import STATIC_ENDPOINTS
from models.security import SessionEpoch

SESSION_KEY = "_replan_gen"


def current_generation(user_id: int) -> int:
    """The user's session generation (0 when no row exists yet)."""
    value = db.session.query(SessionEpoch.generation).filter(
        SessionEpoch.user_id == user_id).scalar()
    return value or 0


def end_all_sessions(user_id: int) -> None:
    """Bump the user's generation in the caller's transaction (the caller commits)."""
    bump = update(SessionEpoch).where(SessionEpoch.user_id == user_id).values(
        generation=SessionEpoch.generation + 1).execution_options(synchronize_session=False)
    if db.session.execute(bump).rowcount:
        return
    try:  # the first bump; a concurrent one may create the row first, then we bump it
        with db.session.begin_nested():
            db.session.add(SessionEpoch(user_id=user_id, generation=1))
    except IntegrityError:
        db.session.execute(bump)


def stamp_session(sender, user, **extra) -> None:
    """On login remember the generation this session belongs to."""
    session[SESSION_KEY] = current_generation(user.id)


def session_is_current() -> bool:
    """False when the signed-in user's sessions were ended after this one began."""
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, int):
        return False
    loaded = getattr(current_user, "replan_generation", None)  # read with the user
    if loaded is None:
        loaded = current_generation(current_user.id)
    return stored >= loaded


def end_stale_session():
    """before_request: log out a session (or remember-me cookie) older than the user's row."""
    if request.endpoint is None or request.endpoint in STATIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated or session_is_current():
        return None
    logout_user()
    session.clear()
    g.user = None
    return redirect(url_for("ReplanAuthDBView.login"))


def install_session_generation(app: Flask) -> None:
    """Stamp sessions on login and check them on every request (after FAB loads the user)."""
    user_logged_in.connect(stamp_session, app)
    app.before_request(end_stale_session)
