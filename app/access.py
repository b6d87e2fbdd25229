"""Who may see which request or quote: the one access rule, for SQL and for loaded rows.

Each rule below is written once over "a row": the mapped class (Request, Quote), whose columns
turn `==` and `&` into an SQL condition, or a loaded object, whose plain values turn them into
a bool. So the list filter (`request_scope`) and the check of one request (`can_see_request`)
cannot drift apart. Rows outside the scope are 404, never 403: no hint that they exist.
"""

from __future__ import annotations

from flask import abort
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import exists, false

from app.errors import Refused
from app.extensions import db
from app.permissions import (
    ADMIN,
    DIRECTOR,
    ENGINEER,
    MANAGER,
    PARTNER,
    SUPERMANAGER,
    is_partner,
    role_names,
)
from models.catalog import Quote
from models.notifications import Notification
from models.partners import PARTNER_OWNER, EndClient, UserProfile
from models.request_status import Status
from models.requests import Request

SEE_ALL_ROLES = {ADMIN, DIRECTOR, SUPERMANAGER}


def _partner_rule(user, row):
    """The partner owner/member rule: the owner sees the company's rows, a member own ones."""
    of_company = row.company_id == user.profile.partner_company_id
    if is_company_owner(user):
        return of_company
    return of_company & (row.author_id == user.id)


def _request_rule(user, row):
    """Condition on `row` for the requests `user` may see, or None when none at all."""
    roles = role_names(user)
    submitted = row.status != Status.DRAFT  # drafts are the partner's alone
    if roles & SEE_ALL_ROLES:
        return submitted
    if MANAGER in roles:
        return (row.manager_id == user.id) & submitted
    if ENGINEER in roles:
        return (row.engineer_id == user.id) & submitted
    if PARTNER in roles and is_partner(user):
        return _partner_rule(user, row)
    return None


def partner_scope(user, row):
    """The partner owner/member rule on any row carrying a request's company and author
    (a copy kept for an index, such as models.requests.RequestThread), or None when `user`
    sees requests by another rule than a partner's."""
    return _partner_rule(user, row) if bounding_company(user) is not None else None


def bounding_company(user) -> int | None:
    """The partner company every request `user` may see belongs to (a partner's, by the rule
    of _request_rule), or None when the user sees no request or more than one company's."""
    roles = role_names(user)
    if roles & SEE_ALL_ROLES or roles & {MANAGER, ENGINEER}:
        return None
    if PARTNER in roles and is_partner(user):
        return user.profile.partner_company_id
    return None


def request_scope(user):
    """SQL condition selecting the requests `user` may see (false for nobody)."""
    rule = _request_rule(user, Request)
    return false() if rule is None else rule


def can_see_request(user, request) -> bool:
    """Whether `user` may see this loaded request: request_scope evaluated on its values."""
    return request is not None and bool(_request_rule(user, request))


def partner_owns(user, request) -> bool:
    """Whether `user` acts as the partner of this request (the workflow's partner actor)."""
    roles = role_names(user)
    return PARTNER in roles and is_partner(user) and bool(_partner_rule(user, request))


def _one_or_404(query):
    found = query.one_or_none()
    if found is None:
        abort(404)
    return found


def get_request_or_404(user, request_id, *options) -> Request:
    """The request with this id if `user` may see it; anything else is 404. `options`:
    loader options of the caller's page (the rows it shows, loaded with the request)."""
    return _one_or_404(db.session.query(Request).filter(Request.id == request_id,
                                                        request_scope(user)).options(*options))


def get_request_by_number_or_404(user, number: str) -> Request:
    """The request with this number if `user` may see it; anything else is 404."""
    return _one_or_404(db.session.query(Request).filter(Request.number == number,
                                                        request_scope(user)))


def quote_scope(user):
    """SQL condition selecting the saved quotes `user` may see (partners only)."""
    if not is_partner(user):
        return false()
    return _partner_rule(user, Quote)


def can_see_quote(user, quote) -> bool:
    """Whether `user` may see this loaded quote: quote_scope evaluated on its values."""
    return quote is not None and is_partner(user) and bool(_partner_rule(user, quote))


def visible_quotes(user):
    """Query of the quotes `user` may see."""
    return db.session.query(Quote).filter(quote_scope(user))


def get_quote_or_404(user, quote_id) -> Quote:
    """The quote with this id if `user` may see it; anything else (or no id) is 404."""
    if quote_id is None:
        abort(404)
    return _one_or_404(visible_quotes(user).filter(Quote.id == quote_id))


def end_client_scope(user):
    """SQL condition selecting the saved end clients `user` may pick (partners only): the
    owner the company's, a member those they saved or their own requests name (a client a
    colleague saved stays the colleague's: a name and a phone of someone else's deal)."""
    if not is_partner(user):
        return false()
    of_company = EndClient.company_id == user.profile.partner_company_id
    if is_company_owner(user):
        return of_company
    named = exists().where(Request.end_client_id == EndClient.id, _partner_rule(user, Request))
    return of_company & ((EndClient.created_by_id == user.id) | named)


def visible_end_clients(user):
    """Query of the end clients `user` may pick, by name."""
    return db.session.query(EndClient).filter(end_client_scope(user)).order_by(
        EndClient.name, EndClient.id)


def can_use_end_client(user, client_id, company_id: int) -> bool:
    """Whether the actor filing for `company_id` may name this end client: a partner one of
    end_client_scope, staff filing on a partner's behalf any of the company's."""
    if not client_id:
        return False
    query = db.session.query(EndClient.id).filter(EndClient.id == client_id,
                                                  EndClient.company_id == company_id)
    if is_partner(user):
        query = query.filter(end_client_scope(user))
    return query.first() is not None


def is_company_owner(user) -> bool:
    """The partner owner/member rule: whether `user` owns their partner company."""
    return is_partner(user) and user.profile.partner_role == PARTNER_OWNER


def require_partner(user):
    """The partner company `user` acts for; Refused for staff and anonymous users."""
    if not is_partner(user):
        raise Refused(_("Only partners may do this."))
    return user.profile.partner_company


def require_company_owner(user):
    """The company `user` owns; Refused for its members, other users and anonymous ones."""
    if not is_company_owner(user):
        raise Refused(_("Only the company owner may do this."))
    return user.profile.partner_company


def company_members(user):
    """Query of the users of the company `user` owns (Refused for anyone else)."""
    company = require_company_owner(user)
    return db.session.query(User).join(UserProfile, UserProfile.user_id == User.id).filter(
        UserProfile.partner_company_id == company.id)


def get_company_member_or_404(user, member_id) -> User:
    """A user of the company `user` owns; anyone else is 404."""
    return _one_or_404(company_members(user).filter(User.id == member_id))


def own_notifications(user):
    """Query of the notifications addressed to `user` (nobody sees another's bell)."""
    return db.session.query(Notification).filter(Notification.user_id == getattr(user, "id",
                                                                                 None))


def get_notification_or_404(user, note_id) -> Notification:
    """One of the user's own notifications; anything else is 404."""
    return _one_or_404(own_notifications(user).filter(Notification.id == note_id))


def require_role(user, *roles: str) -> None:
    """Refused unless `user` has one of `roles` (the back office's own gate, re-checked)."""
    if not role_names(user) & set(roles):
        raise Refused(_("You may not do this."))
