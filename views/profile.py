"""Staff: own language, phone and which notifications also come by e-mail."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from wtforms import BooleanField

from app.accounts import update_profile
from app.api_token_pages import create_from_form, revoke_from_form, section_context
from app.errors import DomainError
from app.extensions import db
from app.notifications import KINDS, kinds_for, wants_email
from app.telegram_pages import (fill_prefs, page_context, posted_prefs, pref_fields, start_link,
                                 unlink)
from app.uow import unit_of_work
from models.partners import UserProfile
from views.forms import StaffProfileForm


def profile_form(kinds):
    """The profile form with one e-mail switch per kind that can reach this user."""
    extra = {f"notify_{kind}": BooleanField(KINDS[kind].label) for kind in kinds
             if not hasattr(StaffProfileForm, f"notify_{kind}")} | pref_fields(kinds)
    return type("StaffProfileFormFor", (StaffProfileForm,), extra)()


class StaffProfileView(BaseView):
    route_base = "/my-profile"
    default_view = "edit"
    base_permissions = ["can_edit"]
    # the API token section belongs to the profile: whoever may edit it manages own tokens
    method_permission_name = {"edit": "edit", "create_api_token": "edit",
                              "revoke_api_token": "edit", "telegram_link": "edit",
                              "telegram_unlink": "edit"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def edit(self):
        profile = db.session.get(UserProfile, g.user.id)
        kinds = kinds_for(g.user)
        form = profile_form(kinds)
        if request.method == "GET":
            if profile is not None:
                form.phone.data, form.locale.data = profile.phone, profile.locale
            for kind in kinds:
                getattr(form, f"notify_{kind}").data = wants_email(g.user, kind)
            fill_prefs(form, g.user, kinds)  # Telegram switches (app.telegram_pages)
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    update_profile(g.user, form.phone.data or None, form.locale.data,
                                   {k: getattr(form, f"notify_{k}").data for k in kinds}
                                   | posted_prefs(form, kinds))
            except DomainError as exc:
                flash(str(exc), "danger")
            else:
                session["locale"] = form.locale.data
                flash(_("Profile saved."), "success")
                return redirect(url_for("StaffProfileView.edit"))
        return self.render_template(
            "desk/profile.html", form=form,
            notify_fields=[getattr(form, f"notify_{kind}") for kind in kinds],
            **api_token_context(), **page_context(
                form, kinds, url_for("StaffProfileView.telegram_link"),
                url_for("StaffProfileView.telegram_unlink")))

    @expose("/api-tokens", methods=["POST"])
    @has_access
    def create_api_token(self):
        created = create_from_form()
        if created is None:
            return redirect(url_for("StaffProfileView.edit", _anchor="api-tokens"))
        token, secret = created
        return self.render_template("api_tokens/created_staff.html", token=token, secret=secret,
                                    back_url=url_for("StaffProfileView.edit",
                                                     _anchor="api-tokens"))

    @expose("/api-tokens/<int:token_id>/revoke", methods=["POST"])
    @has_access
    def revoke_api_token(self, token_id):
        revoke_from_form(token_id)
        return redirect(url_for("StaffProfileView.edit", _anchor="api-tokens"))


    @expose("/telegram/link", methods=["POST"])
    @has_access
    def telegram_link(self):
        return self.render_template("telegram/link_staff.html", **start_link(),
                                    back_url=url_for("StaffProfileView.edit", _anchor="telegram"))

    @expose("/telegram/unlink", methods=["POST"])
    @has_access
    def telegram_unlink(self):
        unlink()
        return redirect(url_for("StaffProfileView.edit", _anchor="telegram"))


def api_token_context() -> dict:
    return {**section_context(), "api_token_create_url": url_for(
        "StaffProfileView.create_api_token"),
        "api_token_revoke_endpoint": "StaffProfileView.revoke_api_token"}
