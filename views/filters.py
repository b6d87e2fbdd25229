"""Row-level filters shared by back-office views."""

from flask import g
from flask_appbuilder.models.filters import BaseFilter

from app.access import request_scope


class RequestScopeFilter(BaseFilter):
    """Limit a Request query to the rows the current user may see."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        return query.filter(request_scope(g.user))


class RelatedRequestScopeFilter(BaseFilter):
    """Limit rows that belong to a request (history, messages...) to visible requests."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        from models.requests import Request

        return query.join(Request, self.model.request_id == Request.id) \
            .filter(request_scope(g.user))
