"""The desk's approval actions: approve or reject the request's current approval step."""

from __future__ import annotations

from flask import g
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from app.access import get_request_or_404
from app.approvals import COMMENT_LIMIT, decide
from app.input_guard import form_version
from views.actions import run_use_case

APPROVE, REJECT = "approve", "reject"


class ApprovalForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=COMMENT_LIMIT)])
    decision = HiddenField(validators=[AnyOf((APPROVE, REJECT))])
    version = HiddenField()


class DeskApprovalsMixin:
    """Mixed into DeskView: the approval step form of the request page (app.approvals);
    `refuse` and `outcome` are views.desk_actions.DeskActionsMixin's (a refused decision
    shows the page again with the comment typed)."""

    @expose("/<int:pk>/approval/<int:step_id>", methods=["POST"])
    @has_access
    @permission_name("show")  # whoever sees the page; app.approvals checks the step's role
    def approval(self, pk: int, step_id: int):
        """Approve or reject a step; the use case checks role, order, status and version."""
        req, form = get_request_or_404(g.user, pk), ApprovalForm()
        if not form.validate_on_submit():
            return self.refuse(req, _("This action is not available."))
        approve = form.decision.data == APPROVE
        return self.outcome(req, run_use_case(
            lambda: decide(g.user, req, step_id, approve, form.comment.data,
                           expected_version=form_version(form.version.data)),
            _("The step is approved.") if approve
            else _("The step is rejected; the manager is notified."),
            once=True))
