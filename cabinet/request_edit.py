"""Creating and editing drafts: form or calculator quote, files, submit, delete, repeat.

Thin routes: parse the form, call a use case of app.drafts in one unit of work, flash.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import get_quote_or_404, get_request_or_404
from app.attachments import real_files
from app.document_slots import MissingDocuments, posted_slot_files
from app.drafts import (create_request_draft, delete_draft, editable_draft, repeat_request,
                        submit_draft, update_draft)
from app.errors import Conflict, DomainError
from app.extensions import db
from app.input_guard import arg_int, bounded_int
from app.prefill import is_prefill_query
from app.quotes import quote_values
from app.request_form import draft_input, refusal_on_field
from app.signatures import ConfirmationRequired
from app.uow import run_use_case, unit_of_work
from app.workflow import WantedDatePassed
from cabinet import bp
from cabinet.access import partner_required
from cabinet.choices import fill_choices
from cabinet.confirmation import confirmation_step
from cabinet.forms import RequestForm
from cabinet.prefill import fill_from_link
from models.requests import Attachment


def _company():
    return current_user.profile.partner_company


def _prefill(form: RequestForm) -> None:
    """New form from a saved quote (?quote=), a previous request (?repeat=) or a partner's
    site (?prefill=<token> or ?service=&f.<key>=: cabinet.prefill; nothing is saved)."""
    if request.args.get("quote"):
        quote = get_quote_or_404(current_user, bounded_int(request.args["quote"]))
        form.fill_fields(quote_values(quote))  # the priced values saved with the quote
        form.urgency.data, form.options.data = quote.urgency, quote.options
        form.services.data, form.quote_id.data = quote.service_ids, quote.id
    elif arg_int("repeat"):
        source = get_request_or_404(current_user, arg_int("repeat"))
        form.urgency.data, form.description.data = source.urgency, source.description
        form.fill_fields(source.field_values)
        form.end_client_id.data = source.end_client_id or 0
        form.services.data = [line.service_id for line in source.lines if line.service_id]
        form.options.data = source.options or []
    elif is_prefill_query(request.args):
        fill_from_link(form)


def _show_refusal(form: RequestForm, error: DomainError, files) -> None:
    """A use case's refusal under the form field it names (DraftError.field: the wanted
    date), else at the top; the typed input stays in the form, the files must come again."""
    if not refusal_on_field(form, error):
        flash(str(error), "danger")
    _refused_files_prompt(files)


def _refused_files_prompt(files) -> None:
    if real_files(files) or any(real_files(f) for f in posted_slot_files(request.files).values()):
        flash(_("The form has errors, so the files were not saved: attach them again."),
              "warning")


@bp.route("/requests/new", methods=["GET", "POST"])
@partner_required
def request_new():
    form = RequestForm()
    fill_choices(form, _company(), current_user)
    files = request.files.getlist("files")
    if request.method == "GET":
        _prefill(form)
    elif form.validate_on_submit():
        quote_id = (form.quote_id.data or "").strip() or None  # app.drafts checks it
        try:
            with unit_of_work():
                req = create_request_draft(current_user, draft_input(form), files, quote_id,
                                           slot_files=posted_slot_files(request.files))
        except DomainError as exc:
            _show_refusal(form, exc, files)
        else:
            return _after_save(req.id, req.number)
    else:
        _refused_files_prompt(files)
    return render_template("cabinet/request_form.html", form=form, req=None)


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@partner_required
def request_edit(request_id: int):
    try:
        req = editable_draft(current_user, request_id)
    except DomainError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("cabinet.request_detail", request_id=request_id))
    form = RequestForm(obj=req)
    fill_choices(form, _company(), current_user)
    files = request.files.getlist("files")
    if request.method == "GET":
        form.services.data = [line.service_id for line in req.lines if line.service_id]
        form.options.data, form.end_client_id.data = req.options or [], req.end_client_id or 0
        form.fill_fields(req.field_values)
        form.version.data = req.version
    elif form.validate_on_submit():
        try:
            with unit_of_work():
                update_draft(current_user, request_id, form.version.data, draft_input(form),
                             files, slot_files=posted_slot_files(request.files),
                             remove_files=request.form.getlist("remove_file"))
        except Conflict:  # saved meanwhile (another tab): the typed draft is offered over it
            req = get_request_or_404(current_user, request_id)
            form.version.data = req.version  # else each new try is refused the same way
            flash(_("This draft was saved meanwhile (another tab or device). What you typed "
                    "is below: saving it replaces that version."), "warning")
            _refused_files_prompt(files)
        except DomainError as exc:  # nothing kept (files included); the form keeps input
            _show_refusal(form, exc, files)
            req = get_request_or_404(current_user, request_id)
        else:
            return _after_save(req.id, req.number)
    else:
        _refused_files_prompt(files)
    # files of document slots are shown in their slots (cabinet/_document_slots.html)
    attachments = db.session.query(Attachment).filter_by(request_id=req.id, slot_key=None).all()
    return render_template("cabinet/request_form.html", form=form, req=req,
                           attachments=attachments)


def _after_save(request_id: int, number: str):
    """The draft is saved; 'submit now' sends it in a second step (the draft stays saved)."""
    if request.form.get("submit_now"):
        try:
            with unit_of_work():
                submit_draft(current_user, request_id)
        except ConfirmationRequired as needed:  # the draft is saved; the code step submits it
            version = get_request_or_404(current_user, request_id).version
            return confirmation_step(
                needed, url_for("cabinet.request_detail", request_id=request_id),
                url_for("cabinet.request_move", request_id=request_id, action="submit"),
                [("version", version)])
        except DomainError as exc:
            flash(str(exc), "danger")
            # documents missing or the date passed: back to the draft's form, to fix it there
            page = "cabinet.request_edit" if isinstance(exc, (MissingDocuments,
                                                               WantedDatePassed)) \
                else "cabinet.request_detail"
            return redirect(url_for(page, request_id=request_id))
        flash(_("Request %(number)s is submitted.", number=number), "success")
    else:
        flash(_("Draft %(number)s is saved.", number=number), "success")
    return redirect(url_for("cabinet.request_detail", request_id=request_id))


@bp.route("/requests/<int:request_id>/delete", methods=["POST"])
@partner_required
def request_delete(request_id: int):
    deleted = []
    if not run_use_case(lambda: deleted.append(delete_draft(current_user, request_id)),
                        lambda: _("Draft %(number)s is deleted.", number=deleted[0])):
        return redirect(url_for("cabinet.request_detail", request_id=request_id))
    return redirect(url_for("cabinet.request_list"))


@bp.route("/requests/<int:request_id>/repeat", methods=["POST"])
@partner_required
def request_repeat(request_id: int):
    """Copy object and client data into a new draft."""
    copies = []
    if not run_use_case(lambda: copies.append(repeat_request(current_user, request_id)),
                        lambda: _("Draft %(number)s is a copy of %(source)s: check it and "
                                  "submit.", number=copies[0].number,
                                  source=get_request_or_404(current_user, request_id).number)):
        return redirect(url_for("cabinet.request_detail", request_id=request_id))
    return redirect(url_for("cabinet.request_edit", request_id=copies[0].id))
