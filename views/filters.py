"""Row-level filters shared by back-office views."""

from abc import ABC, abstractmethod

from flask import g
from flask_appbuilder.models.filters import BaseFilter

from app.access import request_scope
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
