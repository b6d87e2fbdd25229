"""Admin: partner applications queue (approve / reject with a reason)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.errors import DomainError
from app.input_guard import bounded_int
from app.partners import (approve_application, may_review_application, reject_application,
                          reviews_applications)
from app.uow import unit_of_work
from models.partners import APPLICATION_PENDING, PartnerApplication
from views.base import ReplanInterface, ReplanModelView


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the rejection"),
                           validators=[DataRequired(), Length(max=2000)])


class ApplicationInterface(ReplanInterface):
    """The list's "review" column holds the application itself: whether its reject link is
    offered depends on the row's status and on who looks (app.partners)."""

    def get_values(self, lst, list_columns):
        for item, values in zip(lst, super().get_values(lst, list_columns)):
            if "review" in values:
                values["review"] = item
            yield values


def review_buttons(application, size: str = "btn-xs") -> Markup | str:
    """"Approve" (a POST, asked first) and "Reject…" for one who may review this application
    now, nothing for anyone else (the director reads the list; a reviewed application has
    nothing to decide). Approving was only the list's bulk action: tick, Actions, Approve."""
    if not isinstance(application, PartnerApplication) \
            or not may_review_application(current_user, application):
        return ""
    return Markup(
        '<form class="form-inline review-buttons" method="post" action="{approve}" '
        'data-confirm="{question}"><input type="hidden" name="csrf_token" value="{token}">'
        '<button class="btn {size} btn-success" type="submit">{approve_text}</button> '
        '<a class="btn {size} btn-default" href="{reject}">{reject_text}</a></form>').format(
        approve=url_for("PartnerApplicationView.action", name="approve", pk=application.id),
        question=_("Approve %(company)s and e-mail the owner's login?",
                   company=application.company_name),
        token=generate_csrf(), size=size, approve_text=_("Approve"),
        reject=url_for("PartnerApplicationView.reject", pk=application.id),
        reject_text=_("Reject…"))


class PartnerApplicationView(ReplanModelView):
    datamodel = ApplicationInterface(PartnerApplication)
    route_base = "/partner-applications"
    base_permissions = ["can_list", "can_show", "can_export", "can_reject", "approve"]
    base_order = ("id", "desc")
    list_columns = ["created_at", "company_name", "inn", "contact_name", "email", "phone",
                    "city", "status", "review"]
    order_columns = list_columns[:-1]  # never by the button column
    export_skipped = ("review",)
    show_columns = list_columns[:-1] + ["comment", "consent", "reject_reason", "reviewed_at",
                                   "company"]
    search_columns = ["status", "company_name", "inn", "email", "created_at"]
    label_columns = {
        "created_at": _l("Filed"), "company_name": _l("Company"), "inn": _l("INN"),
        "contact_name": _l("Contact person"), "email": _l("E-mail"), "phone": _l("Phone"),
        "city": _l("City"), "status": _l("Status"), "comment": _l("Comment"),
        "consent": _l("Consent"), "reject_reason": _l("Reason for the rejection"),
        "reviewed_at": _l("Reviewed"), "company": _l("Partner"), "review": _l("Decision"),
    }
    formatters_columns = {"review": review_buttons}
    show_template = "admin/application_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The application's page with its decision buttons under the details."""
        number = bounded_int(pk)
        application = db.session.get(PartnerApplication, number) if number else None
        g.review_buttons = review_buttons(application, "btn-sm")
        return super().show(pk)

    def _get_list_widget(self, *args, **kwargs):
        """The reject column only for those who review applications (not the director)."""
        widgets = super()._get_list_widget(*args, **kwargs)
        if not reviews_applications(current_user):
            shown = widgets["list"].template_args
            shown["include_columns"] = [c for c in shown["include_columns"] if c != "review"]
        return widgets

    @action("approve", _l("Approve"), _l("Approve the selected applications?"), "fa-check",
            single=False)
    def approve(self, items):
        """Each row in its own unit of work; the use case re-checks the role and the status
        (FAB actions ignore base filters)."""
        items = items if isinstance(items, list) else [items]
        for item in items:
            if item is None:
                continue
            try:
                with unit_of_work():
                    owner = approve_application(current_user, item.id)
                    company, login, email = owner.profile.partner_company.name, \
                        owner.username, owner.email
            except DomainError as exc:
                flash(str(exc), "danger")
                continue
            flash(_("%(company)s approved: login %(login)s sent to %(email)s.",
                    company=company, login=login, email=email), "success")
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
                with unit_of_work():
                    company = reject_application(current_user, pk, form.reason.data).company_name
            except DomainError as exc:
                flash(str(exc), "danger")
            else:
                flash(_("Application of %(company)s rejected; the reason was e-mailed.",
                        company=company), "success")
                return redirect(url_for("PartnerApplicationView.list"))
            application = db.session.get(PartnerApplication, pk)
        return self.render_template("admin/reject_application.html", form=form,
                                    application=application,
                                    pending=application.status == APPLICATION_PENDING)
