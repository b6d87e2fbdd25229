"""Team (partner owner only): invite colleagues, block and unblock them (app.team)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import is_company_owner
from app.errors import DomainError
from app.team import invite_colleague, team_of, toggle_member
from app.uow import unit_of_work
from cabinet import bp
from cabinet.access import owner_required
from cabinet.forms import InviteForm, ReasonForm

# the menu asks the access rule whether to show "Team"; it never decides itself
bp.add_app_template_global(is_company_owner, "is_company_owner")


@bp.route("/team", methods=["GET", "POST"])
@owner_required
def team():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                member = invite_colleague(current_user, form.first_name.data,
                                          form.last_name.data, form.email.data,
                                          form.phone.data)
                name, email = member.get_full_name(), member.email
        except DomainError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(_("%(name)s is invited: the login was sent to %(email)s.",
                    name=name, email=email), "success")
            return redirect(url_for("cabinet.team"))
    return render_template("cabinet/team.html", form=form, users=team_of(current_user),
                           toggle_form=ReasonForm())


@bp.route("/team/<int:user_id>/toggle", methods=["POST"])
@owner_required
def team_toggle(user_id: int):
    """Block or unblock a colleague; blocking ends every session of that user at once."""
    if not ReasonForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            member = toggle_member(current_user, user_id)
            active, name = member.active, member.get_full_name()
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("cabinet.team"))
    flash((_("%(name)s is unblocked.") if active else _("%(name)s is blocked."))
          % {"name": name}, "success")
    return redirect(url_for("cabinet.team"))
