"""Row-level filters shared by back-office views."""

from abc import ABC, abstractmethod

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import exists, false

from app.access import request_scope
from app.request_filters import partner_side_allowed
from models.requests import Request


class UserScopeFilter(BaseFilter, ABC):
    """A row-level filter for one user: on screens the signed-in one; an export passes the
    user it runs for as the value (views.base.ReplanModelView.export_table)."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        user = g.user if value is None or callable(value) else value
        return self.apply_for(query, user)

    @abstractmethod
    def apply_for(self, query, user):
        """The query limited to the rows `user` may see (each scope says which)."""


class RequestScopeFilter(UserScopeFilter):
    """Limit a Request query to the rows the user may see."""

    def apply_for(self, query, user):
        return query.filter(request_scope(user))


class RelatedRequestScopeFilter(UserScopeFilter):
    """Limit rows that belong to a request (history, messages...) to visible requests."""

    def apply_for(self, query, user):
        return query.join(Request, self.model.request_id == Request.id) \
            .filter(request_scope(user))


class ChoicesOnVisibleRequests(UserScopeFilter):
    """A list filter's select (companies, staff, clients): only the values found on
    requests the user may see; partner-side values never for engineers (app.visibility)."""

    request_key = "company_id"  # a name: a mapped column here would act as a descriptor
    partner_side = True

    def apply_for(self, query, user):
        if self.partner_side and not partner_side_allowed(user):
            return query.filter(false())
        # EXISTS, one index probe a choice (ix_request_<key>_id), not `id IN (SELECT <key>
        # FROM request)`: that walked every visible request (100k: 10-60 ms a select)
        column = getattr(Request, self.request_key)
        return query.filter(exists().where(column == self.model.id, request_scope(user)))


def choices_on_visible_requests(column, partner_side: bool) -> type:
    """The select filter for one Request foreign key (search_form_query_rel_fields)."""
    return type(f"ChoicesOf_{column.key}", (ChoicesOnVisibleRequests,),
                {"request_key": column.key, "partner_side": partner_side})


class HoldingRole(BaseFilter):
    """A list filter's select of users: those holding one role (the value), e.g. the
    schedule entries' engineers (every user of the bureau and its partners otherwise)."""

    name = "role"
    arg_name = None

    def apply(self, query, value):
        return query.filter(self.model.roles.any(Role.name == value))
