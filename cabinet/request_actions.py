"""Status actions and the message thread of a partner's request."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import get_request_or_404
from app.attachments import attach_files, real_files
from app.extensions import db
from app.input_guard import form_version
from app.notifications import notify_new_message
from app.storage import UploadError
from app.workflow import WorkflowError, transition
from cabinet import bp
from cabinet.access import partner_required
from cabinet.forms import MessageForm, ReasonForm
from models.request_status import TERMINAL_STATUSES, Status
from models.requests import ATTACH_INPUT, Message

PARTNER_ACTIONS = ("submit", "cancel", "close")


def _back(req):
    return redirect(url_for("cabinet.request_detail", request_id=req.id))


@bp.route("/requests/<int:request_id>/move/<action>", methods=["POST"])
@partner_required
def request_move(request_id: int, action: str):
    """Submit, cancel or close through the workflow (which re-checks everything)."""
    req = get_request_or_404(current_user, request_id)
    form = ReasonForm()
    if action not in PARTNER_ACTIONS or not form.validate_on_submit():
        flash(_("This action is not available."), "danger")
        return _back(req)
    try:
        transition(req, action, current_user, form.comment.data,
                   expected_version=form_version(form.version.data))
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _back(req)
    flash(_("Done: the request is now “%(status)s”.",
            status=_status_label(req.status)), "success")
    return _back(req)


def _status_label(status: str) -> str:
    from app.templating import partner_status

    return partner_status(status)


@bp.route("/requests/<int:request_id>/message", methods=["POST"])
@partner_required
def request_message(request_id: int):
    """Write to the manager with files; while data is requested this is the answer."""
    req = get_request_or_404(current_user, request_id)
    form = MessageForm()
    files = request.files.getlist("files")
    body = (form.body.data or "").strip() if form.validate_on_submit() else ""
    if req.status in TERMINAL_STATUSES or req.status == Status.DRAFT:
        flash(_("Messages are closed for this request."), "warning")
        return _back(req)
    if not body and not real_files(files):
        flash(_("Write a message or attach files."), "danger")
        return _back(req)
    try:
        message = Message(request=req, author_id=current_user.id,
                          body=body or _("Files attached."))
        db.session.add(message)
        attach_files(req, files, current_user, ATTACH_INPUT, message=message)
        answering = req.status == Status.NEEDS_INFO
        if answering:
            transition(req, "answer", current_user, body or None)
        else:
            db.session.flush()
            notify_new_message(message)
        db.session.commit()
    except (UploadError, WorkflowError) as exc:
        db.session.rollback()
        flash(str(exc) + " " + _("Nothing was sent; your text is kept below."), "danger")
        session[f"message_draft_{req.id}"] = body
        return redirect(url_for("cabinet.request_detail", request_id=req.id) + "#thread")
    flash(_("Answer sent: the request is back with the manager.") if answering
          else _("Message sent."), "success")
    return _back(req)
