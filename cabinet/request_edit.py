"""Creating and editing drafts: form or calculator quote, files, submit, delete, repeat."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.access import get_quote_or_404, get_request_or_404
from app.attachments import attach_files, real_files
from app.audit import record
from app.extensions import db
from app.intake import DRAFT_FIELDS, create_draft, reprice
from app.input_guard import arg_int, bounded_int
from app.storage import UploadError, discard
from app.workflow import WorkflowError, conflict_message, transition
from cabinet import bp
from cabinet.access import partner_required
from cabinet.choices import fill_choices
from cabinet.forms import RequestForm
from models.partners import EndClient
from models.request_status import Status
from models.requests import ATTACH_INPUT, Attachment


def _company():
    return current_user.profile.partner_company


def _prefill(form: RequestForm) -> None:
    """New form from a saved quote (?quote=) or a previous request (?repeat=)."""
    if request.args.get("quote"):
        quote = get_quote_or_404(current_user, bounded_int(request.args["quote"]))
        form.object_type.data, form.area.data = quote.object_type, quote.area
        form.urgency.data, form.options.data = quote.urgency, quote.options
        form.services.data, form.quote_id.data = quote.service_ids, quote.id
    elif arg_int("repeat"):
        source = get_request_or_404(current_user, arg_int("repeat"))
        for name in ("object_address", "object_type", "area", "floor", "building_type",
                     "urgency", "description"):
            getattr(form, name).data = getattr(source, name)
        form.end_client_id.data = source.end_client_id or 0
        form.services.data = [line.service_id for line in source.lines if line.service_id]
        form.options.data = source.options or []


def _end_client_id(form: RequestForm):
    if form.end_client_id.data:
        client = db.session.get(EndClient, form.end_client_id.data)
        return client.id if client and client.company_id == _company().id else None
    name = (form.new_client_name.data or "").strip()
    if not name:
        return None
    phone = (form.new_client_phone.data or "").strip() or None
    existing = db.session.query(EndClient).filter_by(company_id=_company().id, name=name,
                                                     phone=phone).first()
    if existing:
        return existing.id
    client = EndClient(company_id=_company().id, created_by_id=current_user.id, name=name,
                       phone=phone)
    db.session.add(client)
    db.session.flush()
    return client.id


def _fields(form: RequestForm) -> dict:
    """Only the fields a partner may set; status, company, manager, price never come in."""
    values = {name: getattr(form, name).data for name in DRAFT_FIELDS
              if name != "end_client_id"}
    values["building_type"] = values.get("building_type") or None
    values["end_client_id"] = _end_client_id(form)
    return values


def _save_files_or_flash(req, files) -> bool:
    try:
        attach_files(req, files, current_user, ATTACH_INPUT)
    except UploadError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False
    return True


def _refused_files_prompt(files) -> None:
    if real_files(files):
        flash(_("The form has errors, so the files were not saved: attach them again."),
              "warning")


@bp.route("/requests/new", methods=["GET", "POST"])
@partner_required
def request_new():
    form = RequestForm()
    fill_choices(form, _company())
    files = request.files.getlist("files")
    if request.method == "GET":
        _prefill(form)
    elif form.validate_on_submit():
        quote = None
        if form.quote_id.data:
            quote = get_quote_or_404(current_user, bounded_int(form.quote_id.data))
        req = create_draft(current_user, _company(), form.services.data, form.options.data,
                           quote=quote, **_fields(form))
        if _save_files_or_flash(req, files):
            record("request_created", current_user, req)
            db.session.commit()
            return _after_save(req)
    else:
        _refused_files_prompt(files)
    return render_template("cabinet/request_form.html", form=form, req=None)


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@partner_required
def request_edit(request_id: int):
    req = _own_draft_or_redirect(request_id)
    if not hasattr(req, "id"):
        return req
    form = RequestForm(obj=req)
    fill_choices(form, _company())
    files = request.files.getlist("files")
    if request.method == "GET":
        form.services.data = [line.service_id for line in req.lines if line.service_id]
        form.options.data, form.end_client_id.data = req.options or [], req.end_client_id or 0
        form.version.data = req.version
    elif form.validate_on_submit():
        if _save_draft_edit(req, form, files):
            return _after_save(req)
        # re-read after a conflict; the form keeps input
        req = get_request_or_404(current_user, request_id)
    else:
        _refused_files_prompt(files)
    attachments = db.session.query(Attachment).filter_by(request_id=req.id).all()
    return render_template("cabinet/request_form.html", form=form, req=req,
                           attachments=attachments)


def _save_draft_edit(req, form: RequestForm, files) -> bool:
    """Apply the form to the draft and commit; False (with a message) on a conflict."""
    if str(req.version) != str(form.version.data):
        return _draft_conflict([])
    stored: list[str] = []
    try:
        for name, value in _fields(form).items():
            setattr(req, name, value)
        req.options = list(form.options.data or [])
        reprice(req, form.services.data, req.options, _company())
        if not _save_files_or_flash(req, files):
            return False
        stored = [a.stored_name for a in db.session.new if isinstance(a, Attachment)]
        db.session.commit()
    except StaleDataError:  # someone saved the draft between our read and our write
        return _draft_conflict(stored)
    return True


def _draft_conflict(stored: list[str]) -> bool:
    """Keep nothing of this save (files included) and say why, as status moves do."""
    db.session.rollback()
    for name in stored:
        discard(name)
    flash(conflict_message(), "danger")
    return False


def _own_draft_or_redirect(request_id: int):
    req = get_request_or_404(current_user, request_id)
    if req.status != Status.DRAFT:
        flash(_("Only a draft can be edited."), "warning")
        return redirect(url_for("cabinet.request_detail", request_id=req.id))
    return req


def _after_save(req):
    if request.form.get("submit_now"):
        try:
            transition(req, "submit", current_user)
        except WorkflowError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("cabinet.request_detail", request_id=req.id))
        db.session.commit()
        flash(_("Request %(number)s is submitted.", number=req.number), "success")
    else:
        flash(_("Draft %(number)s is saved.", number=req.number), "success")
    return redirect(url_for("cabinet.request_detail", request_id=req.id))


@bp.route("/requests/<int:request_id>/delete", methods=["POST"])
@partner_required
def request_delete(request_id: int):
    req = _own_draft_or_redirect(request_id)
    if not hasattr(req, "id"):
        return req
    number = req.number
    stored = []
    for attachment in db.session.query(Attachment).filter_by(request_id=req.id):
        stored.append(attachment.stored_name)
        db.session.delete(attachment)
    db.session.delete(req)
    record("draft_deleted", current_user, None, number=number)
    db.session.commit()
    for name in stored:
        discard(name)
    flash(_("Draft %(number)s is deleted.", number=number), "success")
    return redirect(url_for("cabinet.request_list"))


@bp.route("/requests/<int:request_id>/repeat", methods=["POST"])
@partner_required
def request_repeat(request_id: int):
    """Copy object and client data into a new draft."""
    source = get_request_or_404(current_user, request_id)
    fields = {name: getattr(source, name) for name in DRAFT_FIELDS if name != "wanted_date"}
    services = [line.service_id for line in source.lines if line.service_id]
    req = create_draft(current_user, _company(), services, source.options or [],
                       source=source, **fields)
    record("request_repeated", current_user, req, source=source.number)
    db.session.commit()
    flash(_("Draft %(number)s is a copy of %(source)s: check it and submit.",
            number=req.number, source=source.number), "success")
    return redirect(url_for("cabinet.request_edit", request_id=req.id))
