"""Admin: partner applications queue (approve / reject with a reason)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.partners import OnboardingError, approve_application, reject_application
from models.partners import APPLICATION_PENDING, PartnerApplication
from views.base import ReplanInterface, ReplanModelView


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the rejection"),
                           validators=[DataRequired(), Length(max=2000)])


class PartnerApplicationView(ReplanModelView):
    datamodel = ReplanInterface(PartnerApplication)
    route_base = "/partner-applications"
    base_permissions = ["can_list", "can_show", "can_export", "can_reject", "approve"]
    base_order = ("id", "desc")
    list_columns = ["created_at", "company_name", "inn", "contact_name", "email", "phone",
                    "city", "status", "id"]
    show_columns = list_columns[:-1] + ["comment", "consent", "reject_reason", "reviewed_at",
                                   "company"]
    search_columns = ["status", "company_name", "inn", "email", "created_at"]
    label_columns = {
        "created_at": _l("Filed"), "company_name": _l("Company"), "inn": _l("INN"),
        "contact_name": _l("Contact person"), "email": _l("E-mail"), "phone": _l("Phone"),
        "city": _l("City"), "status": _l("Status"), "comment": _l("Comment"),
        "consent": _l("Consent"), "reject_reason": _l("Reason for the rejection"),
        "reviewed_at": _l("Reviewed"), "company": _l("Partner"), "id": _l("Reject"),
    }
    formatters_columns = {"id": lambda pk: Markup(
        '<a class="btn btn-xs btn-default" href="{}">{}</a>').format(
            url_for("PartnerApplicationView.reject", pk=pk), _("Reject…"))}

    @action("approve", _l("Approve"), _l("Approve the selected applications?"), "fa-check",
            single=False)
    def approve(self, items):
        """Re-checks each row itself: FAB actions ignore base filters."""
        items = items if isinstance(items, list) else [items]
        for item in items:
            if item is None:
                continue
            application = db.session.get(PartnerApplication, item.id)
            try:
                owner = approve_application(application, current_user)
                db.session.commit()
                flash(_("%(company)s approved: login %(login)s sent to %(email)s.",
                        company=application.company_name, login=owner.username,
                        email=owner.email), "success")
            except OnboardingError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
        return redirect(url_for("PartnerApplicationView.list"))

    @expose("/reject/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reject(self, pk: int):
        application = db.session.get(PartnerApplication, pk)
        if application is None:
            abort(404)
        form = RejectForm()
        if form.validate_on_submit():
            try:
                reject_application(application, current_user, form.reason.data)
                db.session.commit()
                flash(_("Application of %(company)s rejected; the reason was e-mailed.",
                        company=application.company_name), "success")
                return redirect(url_for("PartnerApplicationView.list"))
            except OnboardingError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
        return self.render_template("admin/reject_application.html", form=form,
                                    application=application,
                                    pending=application.status == APPLICATION_PENDING)
