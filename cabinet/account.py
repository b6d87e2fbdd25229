"""Account pages: partner application, password change and reset, profile and e-mail change."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import BooleanField

from app.accounts import (apply_email_change, change_own_password, company_blocked,
                          reset_forgotten_password, run_job, send_password_reset,
                          update_profile)
from app.auth_tokens import EXPIRED, UNKNOWN, USED, look_up
from app.errors import DomainError
from app.security import safe_next
from app.notifications import KINDS, kinds_for, wants_email
from app.telegram_pages import fill_prefs, posted_prefs, pref_fields
from app.extensions import db
from app.partners import APPLICATION_FIELDS, file_application
from app.signatures import ConfirmationRequired
from app.uow import unit_of_work
from cabinet import bp
from cabinet.access import login_required, partner_required
from cabinet.api_tokens import api_token_context
from cabinet.confirmation import confirmation_step, posted_code
from cabinet.telegram import telegram_context
from cabinet.forms import (ApplicationForm, ChangePasswordForm, ProfileForm, ResetPasswordForm,
                           ResetRequestForm, show_error)
from models.security import TOKEN_EMAIL_CHANGE, TOKEN_PASSWORD_RESET


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    """Public partner application: the same answer whether the e-mail is registered or not."""
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                file_application({name: getattr(form, name).data for name in APPLICATION_FIELDS})
        except DomainError as exc:
            flash(str(exc), "danger")
        else:
            return redirect(url_for("cabinet.apply_done"))
    return render_template("cabinet/apply.html", form=form)


@bp.route("/apply/done")
def apply_done():
    return render_template("cabinet/apply_done.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change own password (current one required); other sessions end, this one stays."""
    form = ChangePasswordForm()
    form.account = current_user
    if form.validate_on_submit():
        try:
            with unit_of_work():
                change_own_password(current_user, form.current_password.data,
                                    form.new_password.data)
        except DomainError as exc:
            show_error(form, exc, "current_password")
        else:
            flash(_("Password changed."), "success")
            wanted = request.args.get("next", "")  # where a forced change interrupted
            return redirect(wanted if safe_next(wanted) else url_for("HomeView.index"))
    return render_template("cabinet/change_password.html", form=form)


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset_request():
    """Ask for a reset link: one job per request, the same answer for every address."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        run_job(send_password_reset, form.email.data)
        flash(_("If the e-mail is registered, a reset link is on its way."), "success")
        return redirect(url_for("ReplanAuthDBView.login"))
    return render_template("cabinet/password_reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    """Set a new password from an e-mailed link (random, hashed, one hour, single use)."""
    state, row = look_up(token, TOKEN_PASSWORD_RESET)
    user = db.session.get(User, row.user_id) if row is not None else None
    if state == UNKNOWN or user is None or not user.active or company_blocked(user):
        abort(404)
    if state in (EXPIRED, USED):
        flash(_("The reset link has expired. Ask for a new one.") if state == EXPIRED else
              _("The reset link was already used. Ask for a new one."), "danger")
        return redirect(url_for("cabinet.password_reset_request"))
    form = ResetPasswordForm()
    form.account = user
    if form.validate_on_submit():
        try:
            with unit_of_work():
                reset_forgotten_password(row, user, form.new_password.data)
        except DomainError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("cabinet.password_reset_request"))
        flash(_("Password changed. Sign in with the new password."), "success")
        return redirect(url_for("ReplanAuthDBView.login"))
    return render_template("cabinet/password_reset.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@partner_required
def profile():
    """Name, phone, language, notification copies; a new e-mail needs the password and a link."""
    user, prof = current_user, current_user.profile
    kinds = kinds_for(user)  # the owner also hears of the team's requests
    extra = {f"notify_{kind}": BooleanField(KINDS[kind].label) for kind in kinds
             if not hasattr(ProfileForm, f"notify_{kind}")} | pref_fields(kinds)
    form = type("ProfileFormFor", (ProfileForm,), extra)(obj=user)
    if request.method == "GET":
        form.phone.data, form.locale.data = prof.phone, prof.locale
        for kind in kinds:
            getattr(form, f"notify_{kind}").data = wants_email(user, kind)
        fill_prefs(form, user, kinds)  # Telegram switches (app.telegram_pages)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                new_email = update_profile(
                    user, form.phone.data, form.locale.data,
                    {k: getattr(form, f"notify_{k}").data for k in kinds}
                    | posted_prefs(form, kinds),
                    names=(form.first_name.data, form.last_name.data), email=form.email.data,
                    current_password=form.current_password.data,
                    confirmation_code=posted_code())
        except ConfirmationRequired as needed:  # a new e-mail or phone is signed with a code
            return confirmation_step(needed, url_for("cabinet.profile"))
        except DomainError as exc:
            show_error(form, exc, "email")
        else:
            if new_email:
                flash(_("We sent a confirmation link to %(email)s: the e-mail changes when "
                        "you open it.", email=new_email), "info")
            session["locale"] = form.locale.data
            flash(_("Profile saved."), "success")
            return redirect(url_for("cabinet.profile"))
    return render_template("cabinet/profile.html", form=form,
                           notify_fields=[getattr(form, f"notify_{k}") for k in kinds],
                           **api_token_context(), **telegram_context(form, kinds))


@bp.route("/email-confirm/<token>")
@login_required
def confirm_email(token: str):
    """The link sent to a new address: only now does the account's e-mail change."""
    state, row = look_up(token, TOKEN_EMAIL_CHANGE)
    if state == UNKNOWN or row.user_id != current_user.id:
        abort(404)
    if state in (EXPIRED, USED):
        flash(_("The confirmation link has expired or was already used. Change the e-mail "
                "again to get a new one."), "danger")
        return redirect(url_for("cabinet.profile"))
    with unit_of_work():  # the link is used up even when the address is refused
        problem = apply_email_change(current_user, row)
    if problem:
        flash(problem, "danger")
    else:
        flash(_("The e-mail is changed to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("cabinet.profile"))
