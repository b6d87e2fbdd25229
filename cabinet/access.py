"""Access decorators for cabinet routes (the rules themselves are app.access)."""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.access import require_company_owner
from app.errors import Refused
from app.permissions import is_partner


def login_required(view):
    """Anonymous users go to the login page and come back afterwards."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("ReplanAuthDBView.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def partner_required(view):
    """Only users linked to a partner company; staff get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_partner(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def owner_required(view):
    """Only the owner of a partner company (app.access.require_company_owner); others 403."""

    @wraps(view)
    @partner_required
    def wrapped(*args, **kwargs):
        try:
            require_company_owner(current_user)
        except Refused:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
