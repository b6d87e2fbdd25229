"""Partner onboarding: applications, approval into a company + owner, team invitations."""

from __future__ import annotations

import secrets

from flask import abort
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func

from app.access import require_role
from app.accounts import (
    ONE_TIME_PASSWORD_DAYS,
    AccountError,
    create_user,
    email_taken,
    find_user_by_email,
    normal_email,
    run_job,
    user_locale,
)
from app.api_tokens import COMPANY_BLOCKED, revoke_all_for
from app.audit import record
from app.errors import InvalidInput
from app.extensions import db
from app.mail import queue_mail
from app.notifications import announce
from app.permissions import ADMIN, PARTNER, has_role
from app.sessions import end_all_sessions
from app.uow import after_commit, commit
from app.web_security import external_url
from models.base import utcnow
from models.partners import (
    APPLICATION_APPROVED,
    APPLICATION_PENDING,
    APPLICATION_REJECTED,
    PARTNER_MEMBER,
    PARTNER_OWNER,
    PartnerApplication,
    PartnerCompany,
    UserProfile,
)

APPLICATION_FIELDS = ("company_name", "inn", "contact_name", "email", "phone", "city",
                      "comment")


class OnboardingError(InvalidInput):
    """Refused: str(error) is a message for the user."""


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def inn_problem(inn: str) -> str | None:
    """Why an application for this INN cannot be accepted, or None (exact match)."""
    pending = db.session.query(PartnerApplication.id).filter(
        PartnerApplication.status == APPLICATION_PENDING, PartnerApplication.inn == inn)
    if db.session.query(PartnerCompany.id).filter_by(inn=inn).first() or pending.first():
        return _("A company with this INN is already registered or under review.")
    return None


def file_application(values: dict) -> PartnerApplication:
    """A public application (consent given); the e-mail is screened by a job after commit,
    so the answer is the same whether the address is registered or not."""
    problem = inn_problem(values.get("inn"))
    if problem:
        raise OnboardingError(problem)
    application = PartnerApplication(consent=True, **{name: values.get(name)
                                                      for name in APPLICATION_FIELDS})
    application.email = normal_email(application.email)
    db.session.add(application)
    db.session.flush()
    record("application_filed", None, application, company=application.company_name)
    announce("application_filed", None, None, company=application.company_name)
    after_commit(run_job, screen_application, application.id)
    return application


def reviews_applications(user) -> bool:
    """Whether `user` reviews partner applications at all (the admin; the director only
    reads them)."""
    return has_role(user, ADMIN)


def may_review_application(user, application: PartnerApplication) -> bool:
    """Whether `user` may approve or reject `application` now: an admin, while it is under
    review. The back office's list offers the rejection by this answer; the use cases
    refuse anything else themselves (_pending_application)."""
    return reviews_applications(user) and application.status == APPLICATION_PENDING


def _pending_application(admin, application_id: int) -> PartnerApplication:
    require_role(admin, ADMIN)
    # locked until the decision commits: two admins deciding at once (approve and approve,
    # or approve and reject) made a 500 or both decisions; the second now reads it reviewed
    application = db.session.get(PartnerApplication, application_id, with_for_update=True)
    if application is None:
        abort(404)
    if application.status != APPLICATION_PENDING:
        raise OnboardingError(_("Application %(id)s was already reviewed.", id=application.id))
    return application


def screen_application(application_id: int) -> str:
    """Job: set aside an application whose e-mail has an account or a pending application.

    The form answers the same for every address; whether it is registered is told only to
    the mailbox itself (exact, case-insensitive match: no wildcards).
    """
    application = db.session.get(PartnerApplication, application_id)
    if application is None or application.status != APPLICATION_PENDING:
        return "skipped"
    email = normal_email(application.email)
    owner = find_user_by_email(email)
    earlier = db.session.query(PartnerApplication.id).filter(
        PartnerApplication.status == APPLICATION_PENDING, PartnerApplication.id < application.id,
        func.lower(PartnerApplication.email) == email).first()
    if owner is None and earlier is None:
        return "pending"
    with force_locale("ru"):  # the bureau's language, like the other stored reasons
        reason = (_("An account with e-mail %(email)s already exists.", email=email)
                  if owner is not None else
                  _("Duplicate of application %(id)s.", id=earlier[0]))
    application.status, application.reject_reason = APPLICATION_REJECTED, reason
    application.reviewed_at = utcnow()
    record("application_set_aside", None, application, reason=reason)
    if owner is not None:
        _already_registered_mail(owner)
    else:
        _already_pending_mail(email, application.contact_name)
    commit()  # a job: its own unit of work
    return reason


def _already_registered_mail(user) -> None:
    with force_locale(user_locale(user)):
        queue_mail(user.email, _("%(brand)s: partner application with your e-mail"), _(
            "Hello, %(name)s!\n\nSomeone filed a partner application with your e-mail "
            "address, which already has a %(brand)s account, so the application was not "
            "accepted.\n"
            "Sign in: %(login)s\nForgot the password? %(reset)s\n\n"
            "If it was not you, ignore this e-mail.\n", name=user.first_name,
            login=external_url("ReplanAuthDBView.login"),
            reset=external_url("cabinet.password_reset_request")), kind="application")


def _already_pending_mail(email: str, name: str) -> None:
    with force_locale("ru"):
        queue_mail(email, _("%(brand)s: your partner application"), _(
            "Hello, %(name)s!\n\nAn application with this e-mail address is already being "
            "reviewed; we will reply by e-mail.\n", name=name), kind="application")


def approve_application(admin, application_id: int):
    """Create the company and its owner with a one-time password; e-mail the login."""
    application = _pending_application(admin, application_id)
    problem = duplicate_problem_for_approval(application)
    if problem:
        raise OnboardingError(problem)
    company = PartnerCompany(name=application.company_name, inn=application.inn,
                             city=application.city, phone=application.phone,
                             email=application.email)
    owner = open_company(company, application.contact_name, application.email,
                         application.phone)
    application.status, application.company_id = APPLICATION_APPROVED, company.id
    application.reviewed_by_id, application.reviewed_at = admin.id, utcnow()
    record("application_approved", admin, application, company=company.name)
    return owner


PATRONYMIC_ENDINGS = ("вич", "вна", "ична", "инична", "оглы", "кызы", "улы", "уулу")


def split_full_name(text: str) -> tuple[str, str]:
    """(first name, last name) of a contact as people type it. Russian writes the surname
    first before a patronymic ("Петрова Ольга Сергеевна": Ольга Сергеевна, Петрова); a name
    and patronymic alone have no surname ("-"); otherwise "Ольга Петрова" reads first, last."""
    words = (text or "").split()
    if not words:
        return "-", "-"
    if len(words) >= 3 and words[-1].lower().endswith(PATRONYMIC_ENDINGS):
        return " ".join(words[1:]), words[0]
    if len(words) == 2 and words[1].lower().endswith(PATRONYMIC_ENDINGS):
        return " ".join(words), "-"
    return words[0], " ".join(words[1:]) or "-"


def open_company(company: PartnerCompany, contact_name: str, email: str, phone: str | None):
    """Add the company and its owner with a one-time password, e-mailed to the owner (an
    approved application, a company imported by the admin)."""
    db.session.add(company)
    db.session.flush()
    password = one_time_password()
    first, last = split_full_name(contact_name)
    owner = create_user(_free_username(email), normal_email(email), first, last,
                        [PARTNER], password, phone=phone, company=company,
                        partner_role=PARTNER_OWNER, must_change_password=True)
    _credentials_mail(owner, password)
    return owner


def duplicate_problem_for_approval(application: PartnerApplication) -> str | None:
    if email_taken(application.email):
        return _("An account with e-mail %(email)s already exists.", email=application.email)
    if db.session.query(PartnerCompany.id).filter_by(inn=application.inn).first():
        return _("A company with INN %(inn)s already exists.", inn=application.inn)
    return None


def reject_application(admin, application_id: int, reason: str) -> PartnerApplication:
    """Reject with a reason and e-mail it to the applicant."""
    application = _pending_application(admin, application_id)
    if not (reason or "").strip():
        raise OnboardingError(_("Enter the reason for the rejection."))
    application.status, application.reject_reason = APPLICATION_REJECTED, reason.strip()
    application.reviewed_by_id, application.reviewed_at = admin.id, utcnow()
    record("application_rejected", admin, application, reason=reason)
    with force_locale("ru"):
        queue_mail(application.email, _("%(brand)s: your partner application"),
                   _("Hello, %(name)s!\n\nUnfortunately we cannot accept the application of "
                     "%(company)s.\nReason: %(reason)s\n", name=application.contact_name,
                     company=application.company_name, reason=reason.strip()),
                   kind="application")
    return application


def invite_member(company: PartnerCompany, owner, first_name: str, last_name: str,
                  email: str, phone: str | None = None):
    """An owner adds a colleague: account with a one-time password, credentials by e-mail."""
    password = one_time_password()
    try:
        member = create_user(_free_username(email), normal_email(email), first_name, last_name,
                             [PARTNER], password, phone=phone, company=company,
                             partner_role=PARTNER_MEMBER, must_change_password=True,
                             locale=owner.profile.locale)
    except AccountError:
        raise OnboardingError(_("A user with this e-mail already exists.")) from None
    record("member_invited", owner, member, company=company.name)
    _credentials_mail(member, password)
    return member


def _free_username(email: str) -> str:
    base = email.split("@")[0].lower()[:50] or "partner"
    candidate, n = base, 1
    while db.session.query(User.id).filter_by(username=candidate).first():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _credentials_mail(user, password: str) -> None:
    with force_locale(user.profile.locale if user.profile else "ru"):
        queue_mail(user.email, _("%(brand)s: your login"), _(
            "Hello, %(name)s!\n\nYour %(brand)s partner account is ready.\n"
            "Login: %(login)s\nOne-time password: %(password)s\nSign in: %(url)s\n\n"
            "The one-time password works for %(days)s days; you will be asked to set your "
            "own password at first sign-in.\n",
            name=user.first_name, login=user.username, password=password,
            days=ONE_TIME_PASSWORD_DAYS,
            url=external_url("ReplanAuthDBView.login")), kind="credentials",
            sensitive=True)  # a one-time password: erased from the outbox once sent


def update_company(admin, company: PartnerCompany) -> None:
    """Check a company edited in the back office (FAB's form saves it and audits the old →
    new values, views.audited); a block ends every session of the company's users in the
    same transaction."""
    require_role(admin, ADMIN)
    if company.discount_percent is not None and not 0 <= company.discount_percent <= 100:
        raise OnboardingError(_("The discount must be between 0 and 100 %."))
    if company.is_blocked:
        end_company_sessions(company)


def end_company_sessions(company: PartnerCompany) -> None:
    """A blocked company: every session and API token of each of its users ends (the caller
    commits)."""
    for (user_id,) in db.session.query(UserProfile.user_id).filter(
            UserProfile.partner_company_id == company.id):
        end_all_sessions(user_id)
        revoke_all_for(user_id, COMPANY_BLOCKED)
