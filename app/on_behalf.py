"""Requests filed by staff on a partner's behalf (issue 11): the cabinet's own draft use case
with the staff member recorded as `filed_by`; the partner owns the result and continues it.

Who may file: app.permissions.FILER_ROLES. For which partner: an active, not blocked company
and an active partner user of that company (its owner by default). Submitting goes through
the workflow's `submit` move as the filer (Actor.FILER); a manager who submits what he filed
takes the request through the `assign` move, a supermanager or administrator leaves it in the
distribution queue (docs: README "Requests on a partner's behalf").
"""

from __future__ import annotations

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _

from app.drafts import DraftInput, create_request_draft
from app.errors import InvalidInput, Refused
from app.extensions import db
from app.notifications import announce
from app.permissions import FILER_ROLES, MANAGER, PARTNER, SUPERMANAGER, role_names
from app.workflow import transition
from models.partners import PARTNER_OWNER, PartnerCompany, UserProfile
from models.request_status import Action
from models.requests import Request


def require_filer(user) -> None:
    """Refused unless `user` may file requests for partners."""
    if not role_names(user) & set(FILER_ROLES):
        raise Refused(_("Only managers and supermanagers file requests for partners."))


def filing_companies() -> list[PartnerCompany]:
    """Companies a request may be filed for: not blocked, with an active partner user."""
    return db.session.query(PartnerCompany).filter(
        PartnerCompany.is_blocked.is_(False),
        PartnerCompany.id.in_(_active_partners().with_entities(
            UserProfile.partner_company_id))).order_by(PartnerCompany.name).all()


def _active_partners():
    return db.session.query(User).join(UserProfile, UserProfile.user_id == User.id).filter(
        User.active.is_(True), User.roles.any(name=PARTNER))


def company_members(company_id: int) -> list[User]:
    """Active partner users of the company, its owner first."""
    users = _active_partners().filter(UserProfile.partner_company_id == company_id).all()
    return sorted(users, key=lambda u: (u.profile.partner_role != PARTNER_OWNER,
                                        u.get_full_name().lower(), u.id))


def filing_company(company_id) -> PartnerCompany:
    """The chosen company if a request may be filed for it, else InvalidInput saying why."""
    company = db.session.get(PartnerCompany, company_id) if company_id else None
    if company is None:
        raise InvalidInput(_("Choose a partner company."))
    if company.is_blocked:
        raise InvalidInput(_("Company %(name)s is blocked: requests cannot be filed for it.",
                             name=company.name))
    return company


def filing_member(company: PartnerCompany, member_id) -> User:
    """The chosen member if an active partner user of `company`, else InvalidInput."""
    member = db.session.get(User, member_id) if member_id else None
    if member is None or member not in company_members(company.id):
        raise InvalidInput(_("Choose an active member of %(name)s.", name=company.name))
    return member


def file_on_behalf(staff, company_id, member_id, draft: DraftInput, files=(),
                   submit: bool = False, slot_files: dict | None = None) -> Request:
    """A draft (or, with `submit`, a submitted request) of the member, filed by `staff`;
    the member and the company owner are told (caller commits)."""
    require_filer(staff)
    company = filing_company(company_id)
    member = filing_member(company, member_id)
    req = create_request_draft(member, draft, files, filed_by=staff, slot_files=slot_files)
    if submit:
        transition(req, Action.SUBMIT, staff)
        roles = role_names(staff)
        if MANAGER in roles and SUPERMANAGER not in roles:
            transition(req, Action.ASSIGN, staff, manager=staff)
    announce("filed_on_behalf", req, staff, manager=staff.get_full_name())  # member, owner
    return req

