"""The "API tokens" section shared by the staff profile and the partner cabinet profile.

Both surfaces call these with their own templates: the list and the create form are included
in each profile page ({% include "api_tokens/_section.html" %}), the new secret is rendered
once in the answer to the create POST (never redirected through the session, never stored).
"""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.api_tokens import EXPIRY_DAYS, NAME_MAX, create_token, is_active, list_tokens, revoke_token
from app.errors import DomainError
from app.form_nonce import require_fresh_form
from app.uow import run_use_case, unit_of_work
from models.api_tokens import SCOPE_READ, SCOPE_WRITE

SCOPE_LABELS = {SCOPE_READ: _l("Read only"), SCOPE_WRITE: _l("Read and write")}


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       description=_l("Where it is used, e.g. “CRM sync”."))
    scope = SelectField(_l("Access"), choices=list(SCOPE_LABELS.items()), default=SCOPE_READ)
    days = SelectField(_l("Expires in"), default="90", choices=[
        (str(d), _l("%(n)s days", n=d)) for d in EXPIRY_DAYS])


def section_context() -> dict:
    """What _section.html needs: the user's tokens and an empty create form."""
    return {"api_tokens": list_tokens(current_user), "api_token_form": ApiTokenForm(),
            "api_token_active": is_active, "api_token_scopes": SCOPE_LABELS}


def create_from_form():
    """Create a token from the posted form: (row, secret) to show once, or None (flashed)."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        flash(_("Check the token's name, access and expiry."), "danger")
        return None
    try:
        with unit_of_work():
            require_fresh_form(current_user.id)
            created = create_token(current_user, form.name.data, form.scope.data,
                                   form.days.data)
    except DomainError as error:
        flash(str(error), "danger")
        return None
    return created


def revoke_from_form(token_id: int) -> None:
    """Revoke one of the user's own tokens (NotFound for anyone else's), flashed."""
    run_use_case(lambda: revoke_token(current_user, token_id),
                 _l("The token is revoked: programs using it are refused from now on."))
