"""Account pages: password change (also forced at first login)."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.security import check_password_hash

from app.audit import record
from app.extensions import db
from cabinet import bp
from cabinet.access import login_required
from cabinet.forms import ChangePasswordForm


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
            current_app.appbuilder.sm.reset_password(current_user.id, form.new_password.data)
            if current_user.profile is not None:
                current_user.profile.must_change_password = False
            record("password_change", current_user, current_user)
            db.session.commit()
            flash(_("Password changed."), "success")
            return redirect(url_for("HomeView.index"))
    return render_template("cabinet/change_password.html", form=form)
