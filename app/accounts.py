"""Accounts: creating users with their Replan profile, e-mail identity, password changes."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context, session
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from werkzeug.security import check_password_hash, generate_password_hash

from app import login_lockout
from app.action_limits import spend
from app.api_tokens import PASSWORD_CHANGED, USER_BLOCKED, revoke_all_for
from app.audit import record
from app.auth_tokens import consume, invalidate_tokens, issue_token
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import enqueue, enqueue_connection
from app.mail import queue_mail
from app.sessions import SESSION_KEY, current_generation, end_all_sessions
from app.signatures import PURPOSE_CONTACT, check_confirmation, contact_payload
from app.uow import commit
from app.web_security import external_url
from models.partners import UserProfile
from models.security import TOKEN_EMAIL_CHANGE, TOKEN_PASSWORD_RESET

ONE_TIME_PASSWORD_DAYS = 7  # an invitation or approval mail's password expires after this


class AccountError(InvalidInput):
    """Refused account data; str() is for the user, `field` names the form field if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normal_email(address: str | None) -> str:
    """The comparable form of an address: trimmed and lower-cased."""
    return (address or "").strip().lower()


def email_is(address: str):
    """SQL: the user's e-mail equals `address` exactly, ignoring case (never LIKE)."""
    return func.lower(User.email) == normal_email(address)


def users_with_email(address: str):
    """Query of users whose e-mail equals `address` exactly, ignoring case (never LIKE)."""
    return db.session.query(User).filter(email_is(address))


def find_user_by_email(address: str):
    """The one user with this e-mail (case-insensitive, exact), or None."""
    if not normal_email(address):
        return None
    return users_with_email(address).order_by(User.id).first()


def email_taken(address: str, except_user_id: int | None = None) -> bool:
    """True when another account already uses this address."""
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
                roles: list[str], password: str | None, *, phone: str | None = None,
                company=None, partner_role: str | None = None, locale: str = "ru",
                must_change_password: bool = False):
    """Add a user and profile in the current transaction (the caller commits).

    What FAB's add_user does (fields, roles, the password hashed by FAB's settings; no
    password: a random secret), in one lookup for a taken login or address and one flush,
    with the profile (FAB's add_user flushed the user alone, then the profile followed).
    """
    if login_or_email_taken(username, email):
        raise AccountError("duplicate username or e-mail")
    user = current_app.appbuilder.sm.user_model(
        username=username, first_name=first_name, last_name=last_name,
        email=normal_email(email), active=True, roles=[find_role(r) for r in roles],
        password=hash_password(password or secrets.token_urlsafe(32)))
    user.profile = UserProfile(
        phone=phone, partner_company=company,
        partner_role=partner_role, locale=locale, must_change_password=must_change_password,
        notify_prefs={})
    db.session.add(user)
    db.session.flush()
    return user


def login_or_email_taken(username: str, email: str) -> bool:
    """Another account has this login (compared as FAB's find_user compares it) or this
    e-mail (ignoring case)."""
    sm = current_app.appbuilder.sm
    login = (func.lower(User.username) == username.lower() if sm.auth_username_ci
             else User.username == username)
    taken = db.session.query(User.id).filter(or_(login, email_is(email)))
    return db.session.query(taken.exists()).scalar()


def hash_password(password: str) -> str:
    """A password hashed as FAB hashes it (FAB_PASSWORD_HASH_METHOD, salt length)."""
    config = current_app.config
    return generate_password_hash(
        password, method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def locked_message(minutes: int) -> str:
    """The notice shown while an account refuses sign-ins after repeated failures."""
    return _("Too many failed attempts for this account. Try again in %(minutes)s min. "
             "or reset the password.", minutes=minutes)


def check_current_password(user, password: str) -> str | None:
    """Why the typed current password is refused (wrong, or the account is locked), or None."""
    key = f"user:{user.id}"
    minutes = login_lockout.minutes_locked(key)
    if minutes:
        return locked_message(minutes)
    if not check_password_hash(user.password or "", password or ""):
        login_lockout.record_failure(key)
        return _("The current password is wrong.")
    return None


def user_locale(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.locale if profile is not None else None) or "ru"


def before_password_change(user) -> None:
    """Whatever a new password implies, in the caller's transaction.

    Unused reset links stop working and every session of the user ends; a user setting their
    own password (or using a reset link) is no longer asked to change it.
    """
    actor = _signed_in_user()
    invalidate_tokens(user.id, TOKEN_PASSWORD_RESET)
    end_all_sessions(user.id)
    revoke_all_for(user.id, PASSWORD_CHANGED)  # API tokens end with the sessions
    if (actor is None or actor.id == user.id) and user.profile is not None:
        user.profile.must_change_password = False
    record("password_change", actor or user, user)


def one_time_password_expired(user) -> bool:
    """An invitation's one-time password signs in only for ONE_TIME_PASSWORD_DAYS."""
    profile = getattr(user, "profile", None)
    if profile is None or not profile.must_change_password or user.created_on is None:
        return False
    age = datetime.now() - user.created_on  # FAB stores created_on in local time
    return age > timedelta(days=ONE_TIME_PASSWORD_DAYS)


def keep_this_session(user) -> None:
    """After changing one's own password, this session carries the new generation."""
    actor = _signed_in_user()
    if actor is not None and actor.id == user.id:
        session[SESSION_KEY] = current_generation(user.id)


def _signed_in_user():
    if has_request_context() and current_user.is_authenticated:
        return current_user
    return None


def block_user(user) -> None:
    """Deactivate the account and end all its sessions (the caller commits)."""
    user.active = False
    end_all_sessions(user.id)
    revoke_all_for(user.id, USER_BLOCKED)


def send_password_reset(address: str) -> str:
    """Job: e-mail a one-hour reset link if the address is an active account's; else nothing.

    Runs in a job for existing and unknown addresses alike, so the form's answer (and its
    time) tells nothing about which addresses are registered.
    """
    user = find_user_by_email(address)
    if user is None or not user.active or company_blocked(user):
        return "ignored"
    link = external_url("cabinet.password_reset", token=issue_token(user.id,
                                                                     TOKEN_PASSWORD_RESET))
    with force_locale(user_locale(user)):
        queue_mail(user.email, _("%(brand)s: password reset"), _(
            "To set a new password open this link within an hour:\n%(link)s\n\n"
            "If you did not ask for it, ignore this e-mail.\n", link=link),
            kind="password_reset", sensitive=True)
    record("password_reset_requested", None, user)
    commit()  # a job: its own unit of work
    return "sent"


def send_lockout_notice(user_id: int, minutes: int) -> str:
    """Job: tell an account's owner that repeated wrong passwords paused signing in."""
    user = db.session.get(User, user_id)
    if user is None or not user.email or not user.active:
        return "ignored"
    link = external_url("cabinet.password_reset_request")
    with force_locale(user_locale(user)):
        queue_mail(user.email, _("%(brand)s: sign-in paused after wrong passwords"), _(
            "Several wrong passwords were entered for your %(brand)s account, so signing in "
            "is paused for %(minutes)s min.\n\nIf it was not you, set a new password:\n"
            "%(link)s\n", minutes=minutes, link=link), kind="security")
    commit()  # a job: its own unit of work
    return "sent"


def company_blocked(user) -> bool:
    profile = getattr(user, "profile", None)
    company = profile.partner_company if profile is not None else None
    return bool(company is not None and company.is_blocked)


def run_job(func, *args) -> None:
    """Hand a job to the queue (inline without Redis); if Redis is down, run it here."""
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
    spend(user, "email_change")
    record("email_change_requested", user, user, new_email=new_email)
    with force_locale(user_locale(user)):
        if email_taken(new_email, except_user_id=user.id):
            queue_mail(new_email, _("%(brand)s: e-mail change"), _(
                "Someone asked to use this address for a %(brand)s account, but it already "
                "belongs to another account, so nothing was changed.\n"), kind="email_change")
            return
        link = external_url("cabinet.confirm_email",
                            token=issue_token(user.id, TOKEN_EMAIL_CHANGE, payload=new_email))
        queue_mail(new_email, _("%(brand)s: confirm your new e-mail"), _(
            "Hello, %(name)s!\n\nTo use this address for your %(brand)s account, open this link "
            "within 24 hours while signed in:\n%(link)s\n\nIf you did not ask for it, ignore "
            "this e-mail.\n", name=user.first_name, link=link),
            kind="email_change", sensitive=True)


def apply_email_change(user, token) -> str | None:
    """Switch to the confirmed address and tell the old one; a reason when refused."""
    if not consume(token):
        return _("The confirmation link has expired or was already used. Change the e-mail "
                 "again to get a new one.")
    new_email, old_email = normal_email(token.payload), user.email
    if email_taken(new_email, except_user_id=user.id):
        return _("This address now belongs to another account; the e-mail was not changed.")
    user.email = new_email
    record("email_changed", user, user, old_email=old_email, new_email=new_email)
    with force_locale(user_locale(user)):
        queue_mail(old_email, _("%(brand)s: your e-mail was changed"), _(
            "Hello, %(name)s!\n\nThe e-mail of your %(brand)s account was changed from this "
            "address to %(new)s. If you did not do it, contact the bureau at once.\n",
            name=user.first_name, new=new_email), kind="email_change")
    return None


def set_password(user, password: str) -> None:
    """Store a new password (hashed as FAB does) with all it implies; the caller commits."""
    before_password_change(user)
    user.password = hash_password(password)
    keep_this_session(user)


def change_own_password(user, current_password: str, new_password: str) -> None:
    """The signed-in user's new password: the current one first; other sessions end."""
    problem = check_current_password(user, current_password)
    if problem:
        raise AccountError(problem, "current_password")
    if new_password == current_password:
        raise AccountError(_("Choose a password different from the old one."), "new_password")
    set_password(user, new_password)


def reset_forgotten_password(token, user, new_password: str) -> None:
    """A new password from an e-mailed link, which works once."""
    if not consume(token):
        raise AccountError(_("The reset link was already used. Ask for a new one."))
    set_password(user, new_password)


def update_profile(user, phone, locale: str, notify_prefs: dict, names=None, email=None,
                   current_password=None, confirmation_code: str | None = None) -> str | None:
    """Own phone, language, e-mail copies (and names); a new e-mail needs the password and
    is only requested: the address to confirm is returned (None when unchanged). A new
    e-mail or phone needs a one-time code when the admin asks for one (app.signatures)."""
    new_email = _email_change(user, email, current_password)
    profile = db.session.get(UserProfile, user.id)
    if profile is None:  # staff created in FAB's user screens have none yet
        profile = UserProfile(user_id=user.id)
        db.session.add(profile)
    if new_email or (phone or "") != (profile.phone or ""):
        check_confirmation(user, PURPOSE_CONTACT,
                           contact_payload(user, new_email or user.email, phone),
                           confirmation_code, user)
    if names is not None:
        user.first_name, user.last_name = names
    profile.phone, profile.locale = phone, locale
    profile.notify_prefs = {kind: bool(notify_prefs.get(kind)) for kind in notify_prefs}
    record("profile_update", user, user)
    if new_email:
        request_email_change(user, new_email)
    return new_email


def _email_change(user, email, current_password) -> str | None:
    if email is None or normal_email(email) == normal_email(user.email):
        return None
    if not current_password:
        raise AccountError(_("Enter your current password to change the e-mail."),
                           "current_password")
    problem = check_current_password(user, current_password)
    if problem:
        raise AccountError(problem, "current_password")
    return normal_email(email)
