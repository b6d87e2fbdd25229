"""Account pages: partner application, password change and reset, profile."""

from __future__ import annotations

from flask import (abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from app.audit import record
from app.extensions import db
from app.mail import queue_mail
from app.partners import duplicate_problem
from cabinet import bp
from cabinet.access import login_required, partner_required
from cabinet.forms import (ApplicationForm, ChangePasswordForm, ProfileForm, ResetPasswordForm,
                           ResetRequestForm)
from models.partners import NOTIFY_EVENT_KINDS, PartnerApplication

RESET_MAX_AGE = 60 * 60  # seconds a reset link stays valid


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    """Public partner registration application."""
    form = ApplicationForm()
    if form.validate_on_submit():
        problem = duplicate_problem(form.email.data, form.inn.data)
        if problem:
            flash(problem, "danger")
        else:
            application = PartnerApplication(consent=True)
            form.populate_obj(application)
            application.email = application.email.strip().lower()
            db.session.add(application)
            record("application_filed", None, application, company=application.company_name)
            db.session.commit()
            return redirect(url_for("cabinet.apply_done"))
    return render_template("cabinet/apply.html", form=form)


@bp.route("/apply/done")
def apply_done():
    return render_template("cabinet/apply_done.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change own password; clears the first-login flag."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("Choose a password different from the old one."))
        else:
            _set_password(current_user, form.new_password.data)
            flash(_("Password changed."), "success")
            return redirect(url_for("HomeView.index"))
    return render_template("cabinet/change_password.html", form=form)


def _set_password(user, password: str) -> None:
    current_app.appbuilder.sm.reset_password(user.id, password)
    if user.profile is not None:
        user.profile.must_change_password = False
    record("password_change", user, user)
    db.session.commit()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user) -> str:
    """Signed with a fragment of the password hash: using the link once invalidates it."""
    return _serializer().dumps({"uid": user.id, "h": user.password[-12:]})


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset_request():
    """Ask for a reset link; the answer is the same whether the e-mail exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = db.session.query(User).filter(User.email.ilike(form.email.data.strip())).first()
        if user is not None and user.active:
            link = url_for("cabinet.password_reset", token=reset_token(user), _external=True)
            with force_locale(user.profile.locale if user.profile else "ru"):
                queue_mail(user.email, _("Replan: password reset"), _(
                    "To set a new password open this link within an hour:\n%(link)s\n\n"
                    "If you did not ask for it, ignore this e-mail.\n", link=link),
                    kind="password_reset")
            record("password_reset_requested", user, user)
            db.session.commit()
        flash(_("If the e-mail is registered, a reset link is on its way."), "success")
        return redirect(url_for("ReplanAuthDBView.login"))
    return render_template("cabinet/password_reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    """Set a new password from an e-mailed link (expiring, single-use)."""
    try:
        data = _serializer().loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        flash(_("The reset link has expired. Ask for a new one."), "danger")
        return redirect(url_for("cabinet.password_reset_request"))
    except BadSignature:
        abort(404)
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or user.password[-12:] != data.get("h"):
        flash(_("The reset link was already used. Ask for a new one."), "danger")
        return redirect(url_for("cabinet.password_reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        _set_password(user, form.new_password.data)
        flash(_("Password changed. Sign in with the new password."), "success")
        return redirect(url_for("ReplanAuthDBView.login"))
    return render_template("cabinet/password_reset.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@partner_required
def profile():
    """Name, phone, e-mail, language and e-mail notification preferences."""
    user, prof = current_user, current_user.profile
    form = ProfileForm(obj=user)
    if request.method == "GET":
        form.phone.data, form.locale.data = prof.phone, prof.locale
        for kind in NOTIFY_EVENT_KINDS:
            getattr(form, f"notify_{kind}").data = prof.wants_email(kind)
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        taken = db.session.query(User.id).filter(User.email.ilike(email),
                                                 User.id != user.id).first()
        if taken:
            form.email.errors.append(_("This e-mail belongs to another account."))
        else:
            user.first_name, user.last_name = form.first_name.data, form.last_name.data
            user.email, prof.phone, prof.locale = email, form.phone.data, form.locale.data
            prof.notify_prefs = {k: bool(getattr(form, f"notify_{k}").data)
                                 for k in NOTIFY_EVENT_KINDS}
            record("profile_update", user, user)
            db.session.commit()
            session["locale"] = prof.locale
            flash(_("Profile saved."), "success")
            return redirect(url_for("cabinet.profile"))
    return render_template("cabinet/profile.html", form=form)
