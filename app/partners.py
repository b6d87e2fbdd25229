"""Partner onboarding: applications, approval into a company + owner, team invitations."""

from __future__ import annotations

import secrets

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.accounts import AccountError, create_user
from app.audit import record
from app.extensions import db
from app.mail import queue_mail
from app.permissions import PARTNER
from models.base import utcnow
from models.partners import (APPLICATION_APPROVED, APPLICATION_PENDING, APPLICATION_REJECTED,
                             PARTNER_MEMBER, PARTNER_OWNER, PartnerApplication, PartnerCompany)


class OnboardingError(ValueError):
    """Refused: str(error) is a message for the user."""


def one_time_password() -> str:
    return secrets.token_urlsafe(9)


def duplicate_problem(email: str, inn: str) -> str | None:
    """Why an application with this e-mail / INN cannot be accepted, or None."""
    from flask_appbuilder.security.sqla.models import User

    email = email.strip().lower()
    if db.session.query(User.id).filter(User.email.ilike(email)).first():
        return _("An account with this e-mail already exists. Sign in or reset the password.")
    pending = db.session.query(PartnerApplication.id).filter(
        PartnerApplication.status == APPLICATION_PENDING)
    if pending.filter(PartnerApplication.email.ilike(email)).first():
        return _("An application with this e-mail is already being reviewed.")
    if db.session.query(PartnerCompany.id).filter_by(inn=inn).first() or \
            pending.filter(PartnerApplication.inn == inn).first():
        return _("A company with this INN is already registered or under review.")
    return None


def approve_application(application: PartnerApplication, admin):
    """Create the company and its owner with a one-time password; e-mail the login."""
    if application.status != APPLICATION_PENDING:
        raise OnboardingError(_("Application %(id)s was already reviewed.", id=application.id))
    problem = duplicate_problem_for_approval(application)
    if problem:
        raise OnboardingError(problem)
    company = PartnerCompany(name=application.company_name, inn=application.inn,
                             city=application.city, phone=application.phone,
                             email=application.email)
    db.session.add(company)
    db.session.flush()
    password = one_time_password()
    first, _sep, last = application.contact_name.strip().partition(" ")
    owner = create_user(_free_username(application.email), application.email.lower(), first,
                        last or "-", [PARTNER], password, phone=application.phone,
                        company=company, partner_role=PARTNER_OWNER, must_change_password=True)
    application.status, application.company_id = APPLICATION_APPROVED, company.id
    application.reviewed_by_id, application.reviewed_at = admin.id, utcnow()
    record("application_approved", admin, application, company=company.name)
    _credentials_mail(owner, password)
    return owner


def duplicate_problem_for_approval(application: PartnerApplication) -> str | None:
    from flask_appbuilder.security.sqla.models import User

    if db.session.query(User.id).filter(User.email.ilike(application.email)).first():
        return _("An account with e-mail %(email)s already exists.", email=application.email)
    if db.session.query(PartnerCompany.id).filter_by(inn=application.inn).first():
        return _("A company with INN %(inn)s already exists.", inn=application.inn)
    return None


def reject_application(application: PartnerApplication, admin, reason: str) -> None:
    """Reject with a reason and e-mail it to the applicant."""
    if application.status != APPLICATION_PENDING:
        raise OnboardingError(_("Application %(id)s was already reviewed.", id=application.id))
    if not (reason or "").strip():
        raise OnboardingError(_("Enter the reason for the rejection."))
    application.status, application.reject_reason = APPLICATION_REJECTED, reason.strip()
    application.reviewed_by_id, application.reviewed_at = admin.id, utcnow()
    record("application_rejected", admin, application, reason=reason)
    with force_locale("ru"):
        queue_mail(application.email, _("Replan: your partner application"),
                   _("Hello, %(name)s!\n\nUnfortunately we cannot accept the application of "
                     "%(company)s.\nReason: %(reason)s\n", name=application.contact_name,
                     company=application.company_name, reason=reason.strip()),
                   kind="application")


def invite_member(company: PartnerCompany, owner, first_name: str, last_name: str,
                  email: str, phone: str | None = None):
    """An owner adds a colleague: account with a one-time password, credentials by e-mail."""
    password = one_time_password()
    try:
        member = create_user(_free_username(email), email.lower(), first_name, last_name,
                             [PARTNER], password, phone=phone, company=company,
                             partner_role=PARTNER_MEMBER, must_change_password=True,
                             locale=owner.profile.locale)
    except AccountError:
        raise OnboardingError(_("A user with this e-mail already exists.")) from None
    record("member_invited", owner, member, company=company.name)
    _credentials_mail(member, password)
    return member


def _free_username(email: str) -> str:
    from flask_appbuilder.security.sqla.models import User

    base = email.split("@")[0].lower()[:50] or "partner"
    candidate, n = base, 1
    while db.session.query(User.id).filter_by(username=candidate).first():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _credentials_mail(user, password: str) -> None:
    with force_locale(user.profile.locale if user.profile else "ru"):
        queue_mail(user.email, _("Replan: your login"), _(
            "Hello, %(name)s!\n\nYour Replan partner account is ready.\n"
            "Login: %(login)s\nOne-time password: %(password)s\nSign in: %(url)s\n\n"
            "You will be asked to set your own password at first sign-in.\n",
            name=user.first_name, login=user.username, password=password,
            url=url_for("ReplanAuthDBView.login", _external=True)), kind="credentials",
            sensitive=True)  # a one-time password: erased from the outbox once sent
