"""Team (partner owner only): invite colleagues, block and unblock them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import block_user
from app.audit import record
from app.extensions import db
from app.partners import OnboardingError, invite_member
from cabinet import bp
from cabinet.access import partner_required
from cabinet.forms import InviteForm, ReasonForm
from models.partners import PARTNER_OWNER, UserProfile


def _owner_only():
    if current_user.profile.partner_role != PARTNER_OWNER:
        abort(403)


def company_users():
    return db.session.query(User).join(UserProfile, UserProfile.user_id == User.id).filter(
        UserProfile.partner_company_id == current_user.profile.partner_company_id)


@bp.route("/team", methods=["GET", "POST"])
@partner_required
def team():
    _owner_only()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            member = invite_member(current_user.profile.partner_company, current_user,
                                   form.first_name.data, form.last_name.data,
                                   form.email.data.strip(), form.phone.data or None)
            db.session.commit()
        except OnboardingError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            flash(_("%(name)s is invited: the login was sent to %(email)s.",
                    name=member.get_full_name(), email=member.email), "success")
            return redirect(url_for("cabinet.team"))
    users = company_users().order_by(User.id).all()
    return render_template("cabinet/team.html", form=form, users=users,
                           toggle_form=ReasonForm())


@bp.route("/team/<int:user_id>/toggle", methods=["POST"])
@partner_required
def team_toggle(user_id: int):
    """Block or unblock a colleague; blocking ends every session of that user at once."""
    _owner_only()
    if not ReasonForm().validate_on_submit():
        abort(400)
    member = company_users().filter(User.id == user_id).one_or_none()
    if member is None:
        abort(404)
    if member.id == current_user.id or member.profile.partner_role == PARTNER_OWNER:
        flash(_("The company owner cannot be blocked here."), "danger")
        return redirect(url_for("cabinet.team"))
    if member.active:
        block_user(member)
    else:
        member.active = True
    record("member_unblocked" if member.active else "member_blocked", current_user, member)
    db.session.commit()
    flash((_("%(name)s is unblocked.") if member.active else _("%(name)s is blocked."))
          % {"name": member.get_full_name()}, "success")
    return redirect(url_for("cabinet.team"))
