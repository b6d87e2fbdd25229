"""Status moves and the message thread of a partner's request (thin: app/ decides)."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import get_request_or_404
from app.errors import Conflict, DomainError
from app.request_rules import rules_for
from app.input_guard import form_version
from app.messages import post_partner_message
from app.attachments import real_files
from app.signatures import ConfirmationRequired
from app.templating import partner_status
from app.workflow import WantedDatePassed, transition
from cabinet import bp
from cabinet.access import partner_required
from app.uow import run_use_case, unit_of_work
from cabinet.confirmation import confirmation_step, posted_code
from cabinet.forms import MessageForm, ReasonForm
from cabinet.requests import request_detail
from models.request_status import PARTNER_BUTTONS


def _back(req, anchor: str = ""):
    return redirect(url_for("cabinet.request_detail", request_id=req.id) + anchor)


@bp.route("/requests/<int:request_id>/move/<action>", methods=["POST"])
@partner_required
def request_move(request_id: int, action: str):
    """A move button of the request page (submit, cancel, close); the workflow re-checks.
    A move the admin put behind a one-time code shows the code step first (app.signatures)."""
    req = get_request_or_404(current_user, request_id)
    form = ReasonForm()
    # form moves (the answer) have their own route; the workflow checks status, actor, version
    if action not in PARTNER_BUTTONS or not form.validate_on_submit():
        flash(_("This action is not available."), "danger")
        return _back(req)
    try:
        with unit_of_work():
            transition(req, action, current_user, form.comment.data,
                       expected_version=form_version(form.version.data),
                       confirmation_code=posted_code())
    except ConfirmationRequired as needed:
        return confirmation_step(needed, url_for("cabinet.request_detail", request_id=req.id))
    except Conflict as error:  # changed meanwhile: this move may be gone with the change
        req = get_request_or_404(current_user, request_id)
        if rules_for(current_user, req).may_press(action):
            flash(str(error), "danger")  # still possible: the form again, the comment kept
        else:
            flash(_("The request was changed meanwhile and is now “%(status)s”: this action "
                    "is no longer possible.", status=partner_status(req.status)), "danger")
            if (form.comment.data or "").strip():  # what was typed goes to the manager box
                session[f"message_draft_{req.id}"] = form.comment.data.strip()
                flash(_("Your text is kept in the message to the manager below."), "info")
        return request_detail(req.id)
    except WantedDatePassed as error:  # the date is changed in the draft's form
        flash(str(error), "danger")
        return redirect(url_for("cabinet.request_edit", request_id=req.id))
    except DomainError as error:  # the page again in this POST, the comment as typed
        flash(str(error), "danger")
        return request_detail(req.id)
    flash(_("Done: the request is now “%(status)s”.", status=partner_status(req.status)),
          "success")
    return _back(req)


@bp.route("/requests/<int:request_id>/message", methods=["POST"])
@partner_required
def request_message(request_id: int):
    """Write to the manager with files; while data is requested this is the answer."""
    req = get_request_or_404(current_user, request_id)
    form = MessageForm()
    files = request.files.getlist("files")
    again = " " + _("Nothing was sent; your text is kept below.") + (
        " " + _("Attach the files again.") if real_files(files) else "")
    if not form.validate_on_submit():  # too long, an expired form: nothing goes, not a part
        flash(" ".join(str(error) for errors in form.errors.values() for error in errors)
              + again, "danger")
        return request_detail(req.id)  # this POST draws the page, the text as typed in it
    body = (form.body.data or "").strip()
    answered = []
    stored = run_use_case(
        lambda: answered.append(post_partner_message(current_user, req, body, files)),
        lambda: _("Answer sent: the request is back with the manager.") if answered[0]
        else _("Message sent."), refused_suffix=again)
    if not stored:
        return request_detail(req.id)
    return _back(req)
