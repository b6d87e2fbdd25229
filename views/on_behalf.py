"""A request for a partner: staff file the cabinet's request form for a chosen company and
member (app.on_behalf); step 1 chooses the company, step 2 the member and the request."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.attachments import real_files
from app.document_slots import posted_slot_files
from app.errors import DomainError, InvalidInput
from app.form_nonce import require_fresh_form
from app.input_guard import arg_int, bounded_int, form_int
from app.on_behalf import (company_members, file_on_behalf, filing_companies, filing_company,
                           require_filer)
from app.request_form import RequestForm, draft_input, fill_choices, refusal_on_field
from app.uow import unit_of_work


def _int_or_zero(value) -> int:
    return bounded_int(value, default=0) if value not in (None, "") else 0


class OnBehalfForm(RequestForm):
    """The cabinet's request form plus the partner member it is filed for."""

    # any id is accepted here: app.on_behalf refuses a member outside the company with a
    # message of its own (validate_choice would answer "Not a valid choice")
    member_id = SelectField(_l("Partner member"), coerce=_int_or_zero, validate_choice=False,
                            validators=[DataRequired(
                                message=_l("Choose the member the request is filed for."))])


class OnBehalfView(BaseView):
    route_base = "/on-behalf"
    default_view = "new"
    base_permissions = ["can_new"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    def new(self):
        try:
            require_filer(g.user)  # the role matrix grants the page; the use case says who
            company_id = form_int("company_id") if request.method == "POST" \
                else arg_int("company")
            company = filing_company(company_id) if company_id else None
        except InvalidInput as error:
            flash(str(error), "danger")
            return redirect(url_for("OnBehalfView.new"))
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(self.appbuilder.get_url_for_index)
        if company is None:
            return self.render_template("desk/on_behalf.html", companies=filing_companies(),
                                        company=None, form=None)
        return self._request_step(company)

    def _request_step(self, company):
        form = OnBehalfForm()
        fill_choices(form, company)
        members = company_members(company.id)
        form.member_id.choices = [(u.id, _member_label(u)) for u in members]
        files = request.files.getlist("files")
        if request.method == "GET":
            form.member_id.data = members[0].id if members else None
        elif form.validate_on_submit():
            submit = bool(request.form.get("submit_now"))
            try:
                with unit_of_work():  # a double click or a resent page files it once
                    require_fresh_form(g.user.id)
                    req = file_on_behalf(g.user, company.id, form.member_id.data,
                                         draft_input(form), files, submit=submit,
                                         slot_files=posted_slot_files(request.files))
            except DomainError as error:  # nothing kept, the form keeps the input
                if not refusal_on_field(form, error):  # the wanted date: under its field
                    flash(str(error), "danger")
            else:
                return self._after_save(req, submit)
        elif real_files(files) or any(map(real_files, posted_slot_files(request.files).values())):
            flash(_("The form has errors, so the files were not saved: attach them again."),
                  "warning")
        return self.render_template("desk/on_behalf.html", companies=None, company=company,
                                    form=form)

    def _after_save(self, req, submitted: bool):
        name = req.author.get_full_name()
        if not submitted:
            flash(_("Draft %(number)s is saved for %(name)s: the partner sees it in the cabinet "
                    "and can continue it.", number=req.number, name=name), "success")
            return redirect(url_for("OnBehalfView.new"))
        flash(_("Request %(number)s is submitted for %(name)s.", number=req.number,
                name=name), "success")
        return redirect(url_for("DeskView.show", pk=req.id))


def _member_label(user) -> str:
    owner = _("owner") if user.profile.partner_role == "owner" else _("member")
    return f"{user.get_full_name()} ({owner}, {user.email})"
