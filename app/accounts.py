"""Accounts: creating users with their Replan profile, e-mail identity, password changes."""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func

from app.extensions import db
from models.partners import UserProfile


ONE_TIME_PASSWORD_DAYS = 7  # an invitation or approval mail's password expires after this


class AccountError(ValueError):
    """A user could not be created (duplicate login or e-mail)."""


def normal_email(address: str | None) -> str:
    """The comparable form of an address: trimmed and lower-cased."""
    return (address or "").strip().lower()


def users_with_email(address: str):
    """Query of users whose e-mail equals `address` exactly, ignoring case (never LIKE)."""
    from flask_appbuilder.security.sqla.models import User

    return db.session.query(User).filter(func.lower(User.email) == normal_email(address))


def find_user_by_email(address: str):
    """The one user with this e-mail (case-insensitive, exact), or None."""
    from flask_appbuilder.security.sqla.models import User

    if not normal_email(address):
        return None
    return users_with_email(address).order_by(User.id).first()


def email_taken(address: str, except_user_id: int | None = None) -> bool:
    """True when another account already uses this address."""
    from flask_appbuilder.security.sqla.models import User

    query = users_with_email(address)
    if except_user_id is not None:
        query = query.filter(User.id != except_user_id)
    return db.session.query(query.exists()).scalar()


def find_role(name: str):
    role = current_app.appbuilder.sm.find_role(name)
    if role is None:
        raise AccountError(f"Role {name} does not exist: run `flask replan sync-roles`")
    return role


def create_user(username: str, email: str, first_name: str, last_name: str,
                roles: list[str], password: str, *, phone: str | None = None,
                company=None, partner_role: str | None = None, locale: str = "ru",
                must_change_password: bool = False):
    """Add a user and profile in the current transaction (the caller commits)."""
    sm = current_app.appbuilder.sm
    if sm.find_user(username=username) or email_taken(email):
        raise AccountError("duplicate username or e-mail")
    user = sm.add_user(username, first_name, last_name, normal_email(email),
                       [find_role(r) for r in roles], password=password, commit=False)
    if not user:
        raise AccountError("could not create the user")
    db.session.flush()
    db.session.add(UserProfile(
        user_id=user.id, phone=phone, partner_company_id=getattr(company, "id", None),
        partner_role=partner_role, locale=locale, must_change_password=must_change_password,
        notify_prefs={}))
    db.session.flush()
    db.session.refresh(user)
    return user


def user_locale(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.locale if profile is not None else None) or "ru"


def before_password_change(user) -> None:
    """Whatever a new password implies, in the caller's transaction.

    Unused reset links stop working and every session of the user ends; a user setting their
    own password (or using a reset link) is no longer asked to change it.
    """
    from app.audit import record
    from app.auth_tokens import invalidate_tokens
    from app.sessions import end_all_sessions
    from models.security import TOKEN_PASSWORD_RESET

    actor = _signed_in_user()
    invalidate_tokens(user.id, TOKEN_PASSWORD_RESET)
    end_all_sessions(user.id)
    if (actor is None or actor.id == user.id) and user.profile is not None:
        user.profile.must_change_password = False
    record("password_change", actor or user, user)


def one_time_password_expired(user) -> bool:
    """An invitation's one-time password signs in only for ONE_TIME_PASSWORD_DAYS."""
    from datetime import datetime, timedelta

    profile = getattr(user, "profile", None)
    if profile is None or not profile.must_change_password or user.created_on is None:
        return False
    age = datetime.now() - user.created_on  # FAB stores created_on in local time
    return age > timedelta(days=ONE_TIME_PASSWORD_DAYS)


def keep_this_session(user) -> None:
    """After changing one's own password, this session carries the new generation."""
    from app.sessions import SESSION_KEY, current_generation

    actor = _signed_in_user()
    if actor is not None and actor.id == user.id:
        session[SESSION_KEY] = current_generation(user.id)


def _signed_in_user():
    if has_request_context() and current_user.is_authenticated:
        return current_user
    return None


def block_user(user) -> None:
    """Deactivate the account and end all its sessions (the caller commits)."""
    from app.sessions import end_all_sessions

    user.active = False
    end_all_sessions(user.id)


def send_password_reset(address: str) -> str:
    """Job: e-mail a one-hour reset link if the address is an active account's; else nothing.

    Runs in a job for existing and unknown addresses alike, so the form's answer (and its
    time) tells nothing about which addresses are registered.
    """
    from app.audit import record
    from app.auth_tokens import issue_token
    from app.mail import queue_mail
    from app.web_security import external_url
    from models.security import TOKEN_PASSWORD_RESET

    user = find_user_by_email(address)
    if user is None or not user.active or company_blocked(user):
        return "ignored"
    link = external_url("cabinet.password_reset", token=issue_token(user.id,
                                                                     TOKEN_PASSWORD_RESET))
    with force_locale(user_locale(user)):
        queue_mail(user.email, _("Replan: password reset"), _(
            "To set a new password open this link within an hour:\n%(link)s\n\n"
            "If you did not ask for it, ignore this e-mail.\n", link=link),
            kind="password_reset", sensitive=True)
    record("password_reset_requested", None, user)
    commit_and_send()
    return "sent"


def send_lockout_notice(user_id: int, minutes: int) -> str:
    """Job: tell an account's owner that repeated wrong passwords paused signing in."""
    from flask_appbuilder.security.sqla.models import User

    from app.mail import queue_mail
    from app.web_security import external_url

    user = db.session.get(User, user_id)
    if user is None or not user.email or not user.active:
        return "ignored"
    link = external_url("cabinet.password_reset_request")
    with force_locale(user_locale(user)):
        queue_mail(user.email, _("Replan: sign-in paused after wrong passwords"), _(
            "Several wrong passwords were entered for your Replan account, so signing in "
            "is paused for %(minutes)s min.\n\nIf it was not you, set a new password:\n"
            "%(link)s\n", minutes=minutes, link=link), kind="security")
    commit_and_send()
    return "sent"


def commit_and_send() -> None:
    """Commit a job's work and hand its e-mails to the outbox (the sweep retries failures)."""
    from app.mail import flush_outbox

    db.session.commit()
    try:
        flush_outbox()
    except Exception:  # the periodic sweep sends it later
        logging.getLogger(__name__).warning("outbox flush failed", exc_info=True)


def company_blocked(user) -> bool:
    profile = getattr(user, "profile", None)
    company = profile.partner_company if profile is not None else None
    return bool(company is not None and company.is_blocked)


def run_job(func, *args) -> None:
    """Hand a job to the queue (inline without Redis); if Redis is down, run it here."""
    from app.jobs import enqueue, enqueue_connection

    if enqueue_connection() is None:
        func(*args)
        return
    try:
        enqueue(func, *args)
    except Exception:  # Redis unreachable: better a slower answer than a lost request
        logging.getLogger(__name__).warning("enqueue failed; running %s here", func.__name__,
                                            exc_info=True)
        func(*args)


def request_email_change(user, new_email: str) -> None:
    """Mail a confirmation link to the new address (a notice instead when it is taken)."""
    from app.audit import record
    from app.auth_tokens import issue_token
    from app.mail import queue_mail
    from app.web_security import external_url
    from models.security import TOKEN_EMAIL_CHANGE

    record("email_change_requested", user, user, new_email=new_email)
    with force_locale(user_locale(user)):
        if email_taken(new_email, except_user_id=user.id):
            queue_mail(new_email, _("Replan: e-mail change"), _(
                "Someone asked to use this address for a Replan account, but it already "
                "belongs to another account, so nothing was changed.\n"), kind="email_change")
            return
        link = external_url("cabinet.confirm_email",
                            token=issue_token(user.id, TOKEN_EMAIL_CHANGE, payload=new_email))
        queue_mail(new_email, _("Replan: confirm your new e-mail"), _(
            "Hello, %(name)s!\n\nTo use this address for your Replan account, open this link "
            "within 24 hours while signed in:\n%(link)s\n\nIf you did not ask for it, ignore "
            "this e-mail.\n", name=user.first_name, link=link),
            kind="email_change", sensitive=True)


def apply_email_change(user, token) -> str | None:
    """Switch to the confirmed address and tell the old one; a reason when refused."""
    from app.audit import record
    from app.auth_tokens import consume
    from app.mail import queue_mail

    if not consume(token):
        return _("The confirmation link has expired or was already used. Change the e-mail "
                 "again to get a new one.")
    new_email, old_email = normal_email(token.payload), user.email
    if email_taken(new_email, except_user_id=user.id):
        return _("This address now belongs to another account; the e-mail was not changed.")
    user.email = new_email
    record("email_changed", user, user, old_email=old_email, new_email=new_email)
    with force_locale(user_locale(user)):
        queue_mail(old_email, _("Replan: your e-mail was changed"), _(
            "Hello, %(name)s!\n\nThe e-mail of your Replan account was changed from this "
            "address to %(new)s. If you did not do it, contact the bureau at once.\n",
            name=user.first_name, new=new_email), kind="email_change")
    return None
