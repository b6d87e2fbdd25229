"""Creating users with their Replan profile."""

from __future__ import annotations

from flask import current_app

from app.extensions import db
from models.partners import UserProfile


class AccountError(ValueError):
    """A user could not be created (duplicate login or e-mail)."""


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
    if sm.find_user(username=username) or sm.find_user(email=email):
        raise AccountError("duplicate username or e-mail")
    user = sm.add_user(username, first_name, last_name, email,
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
