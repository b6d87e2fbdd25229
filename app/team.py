"""A partner company's team: the owner invites colleagues, blocks and unblocks them.

Use cases (the caller commits): the owner rule is app.access.require_company_owner.
"""

from __future__ import annotations

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _

from app.action_limits import spend
from app.access import company_members, get_company_member_or_404, require_company_owner
from app.accounts import block_user
from app.audit import record
from app.errors import Refused
from app.partners import invite_member
from models.partners import PARTNER_OWNER


def team_of(owner) -> list:
    """The users of the owner's company, oldest first (Refused for anyone but the owner)."""
    return company_members(owner).order_by(User.id).all()


def invite_colleague(owner, first_name: str, last_name: str, email: str,
                     phone: str | None = None):
    """A new member of the owner's company; the login goes out by e-mail after commit."""
    company = require_company_owner(owner)
    spend(owner, "team_invite")  # each invitation mails a login to the address typed
    return invite_member(company, owner, first_name, last_name, (email or "").strip(),
                         phone or None)


def toggle_member(owner, member_id: int):
    """Block an active colleague (every session ends) or unblock a blocked one."""
    member = get_company_member_or_404(owner, member_id)
    if member.id == owner.id or member.profile.partner_role == PARTNER_OWNER:
        raise Refused(_("The company owner cannot be blocked here."))
    if member.active:
        block_user(member)
    else:
        member.active = True
    record("member_unblocked" if member.active else "member_blocked", owner, member)
    return member
