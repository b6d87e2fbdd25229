"""POST actions of the staff desk: parse the form, call a use case of app/, flash, go back.

Each handler checks what the request page offers (app.request_rules) before the use case,
which checks it again; views.actions.run_use_case commits once and flashes refusals. A
refused action (its own check or the use case's) renders the request page again in the
same request, the posted form keeping what was typed (app.typed_input); a stored one
redirects to the page.
"""

from __future__ import annotations


from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _

from app.access import get_request_or_404
from app.deliverables import upload_staff_files
from app.distribution import active_managers
from app.extensions import db
from app.input_guard import form_version
from app.messages import add_note, post_staff_message
from app.payments import mark_payment, void_payment
from app.request_rules import rules_for
from app.scheduling import book_engineer, engineers
from app.templating import staff_status
from app.workflow import assign_manager, transition
from models.request_status import ONCE_ONLY, STAFF_BUTTONS, Action
from models.requests import Request
from views.actions import run_use_case
from views.forms import (AssignForm, BookingForm, MoveForm, PaymentForm, StaffMessageForm,
                         TextForm, VoidForm)


def back(req: Request):
    """The request page on the desk."""
    return redirect(url_for("DeskView.show", pk=req.id))


def form_problems(form, *names: str) -> str:
    """The form's own messages (of `names`, else of every field but the CSRF token), each
    with its field: "Comment: Field cannot be longer than 2000 characters." rather than a
    general refusal."""
    fields = names or [name for name in form.errors if name != "csrf_token"]
    return "; ".join(f"{form[name].label.text}: {e}" for name in fields
                     for e in form.errors.get(name, []))


class DeskActionsMixin:
    """Mixed into DeskView (its endpoints are DeskView.*); `get_request_or_404` keeps every
    action in the user's scope, `rules_for` to what the page offers."""

    def refuse(self, req: Request, message: str):
        """Flash why and show the page again with what was typed (nothing was stored)."""
        flash(message, "danger")
        return self.request_page(req)

    def outcome(self, req: Request, stored: bool):
        """Back to the page when stored; else (the refusal flashed by run_use_case) the page
        again with what was typed."""
        return back(req) if stored else self.request_page(req)

    @expose("/<int:pk>/move/<action>", methods=["POST"])
    @has_access
    def move(self, pk: int, action: str):
        """A move button of the page (form moves go through their own forms)."""
        req, form = get_request_or_404(g.user, pk), MoveForm()
        # form moves have their own routes; the workflow checks status, actor and version
        if action not in STAFF_BUTTONS:
            return self.refuse(req, _("This action is not available."))
        if not form.validate_on_submit():  # what is wrong with it (a comment too long …)
            return self.refuse(req, form_problems(form) or _("This action is not available."))
        # the data request goes to the partner's thread with the files sent along
        extra = {"files": request.files.getlist("files")} if action == Action.ASK_INFO else {}
        stored = run_use_case(
            lambda: transition(req, action, g.user, form.comment.data,
                               expected_version=form_version(form.version.data), **extra),
            lambda: _("Done: %(number)s is now “%(status)s”.", number=req.number,
                      status=staff_status(req.status)), once=action in ONCE_ONLY)
        if not stored and extra:  # the data request: its files are not kept
            flash(_("Nothing was sent; your text is kept below."), "info")
        return self.outcome(req, stored)

    @expose("/<int:pk>/message", methods=["POST"])
    @has_access
    def message(self, pk: int):
        """A message to the partner with files (assigned manager or supermanager, open
        requests); a refused one keeps its text in the form and stores nothing."""
        req, form = get_request_or_404(g.user, pk), StaffMessageForm()
        if not form.validate_on_submit():
            details = "; ".join(str(e) for e in form.errors.get("body", []))
            return self.refuse(req, details or _("This action is not available."))
        stored = run_use_case(
            lambda: post_staff_message(g.user, req, form.body.data,
                                       request.files.getlist("files")),
            _("Message sent."))
        if not stored:  # the page again, the text kept in its form (never the files)
            flash(_("Nothing was sent; your text is kept below."), "info")
        return self.outcome(req, stored)

    @expose("/<int:pk>/note", methods=["POST"])
    @has_access
    def note(self, pk: int):
        """An internal note: never shown to partners."""
        req, form = get_request_or_404(g.user, pk), TextForm()
        if not form.validate_on_submit():
            typed = (form.body.data or "").strip()
            return self.refuse(req, form_problems(form, "body") if typed
                               else _("Write the note text."))
        return self.outcome(req, run_use_case(lambda: add_note(g.user, req, form.body.data),
                                              _("Note added.")))

    @expose("/<int:pk>/upload/<kind>", methods=["POST"])
    @has_access
    def upload(self, pk: int, kind: str):
        """Engineer: work files. Manager: a new version of the document package."""
        req = get_request_or_404(g.user, pk)
        files = request.files.getlist("files")
        run_use_case(lambda: upload_staff_files(req, kind, files, g.user,
                                                rules_for(g.user, req).kinds),
                     _("Files uploaded."),  # one bad file refuses them all: say so
                     refused_suffix=" " + _("Nothing was uploaded: choose the files again "
                                            "without it."))
        return back(req)

    @expose("/<int:pk>/book", methods=["POST"])
    @has_access
    def book(self, pk: int):
        """Book an engineer for a window (overlaps and vacations are refused)."""
        req, form = get_request_or_404(g.user, pk), BookingForm()
        if not rules_for(g.user, req).can_book:
            return self.refuse(req, _("This action is not available."))
        form.engineer_id.choices = [(e.id, e.get_full_name()) for e in engineers()]
        if not form.validate_on_submit():
            return self.refuse(req, _("Choose an engineer and a correct time window."))
        engineer = db.session.get(User, form.engineer_id.data)
        return self.outcome(req, run_use_case(
            lambda: book_engineer(req, engineer, form.starts_at.data, form.ends_at.data,
                                  g.user, expected_version=form_version(form.version.data)),
            _("%(name)s is booked for %(number)s.", name=engineer.get_full_name(),
              number=req.number), once=True))

    @expose("/<int:pk>/payment", methods=["POST"])
    @has_access
    def pay(self, pk: int):
        """Admin marks a (partial) payment; the payment state follows the sum."""
        req, form = get_request_or_404(g.user, pk), PaymentForm()
        if not rules_for(g.user, req).can_pay:
            return self.refuse(req, _("This action is not available."))
        if not form.validate_on_submit():  # each field's reason, by the field's name
            details = "; ".join(f"{getattr(form, name).label.text}: {error}"
                                for name, errors in form.errors.items() for error in errors
                                if hasattr(form, name))
            return self.refuse(req, details or _("Enter the amount, the date and the "
                                                 "payment document."))
        kopecks = form.amount.data  # parsed from roubles by the field
        return self.outcome(req, run_use_case(
            lambda: mark_payment(req, kopecks, form.paid_on.data, form.document.data, g.user),
            _("Payment recorded."), once=True))

    @expose("/<int:pk>/payment/<int:payment_id>/void", methods=["POST"])
    @has_access
    @permission_name("pay")  # the admin's payment permission; no new entry in DeskView
    def void_payment(self, pk: int, payment_id: int):
        """Admin voids a wrong payment with a reason: kept struck out, counted nowhere."""
        req, form = get_request_or_404(g.user, pk), VoidForm()
        if not rules_for(g.user, req).can_pay or \
                not any(p.id == payment_id for p in req.payments):
            return self.refuse(req, _("This action is not available."))
        if not form.validate_on_submit():
            return self.refuse(req, _("Give the reason for voiding the payment."))
        return self.outcome(req, run_use_case(
            lambda: void_payment(g.user, payment_id, form.reason.data),
            _("Payment voided; the request's payment state is recomputed."), once=True))

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk: int):
        """Supermanager assigns or reassigns the manager (moves of the table)."""
        req, form = get_request_or_404(g.user, pk), AssignForm()
        if rules_for(g.user, req).assign_action is None:
            return self.refuse(req, _("This action is not available."))
        form.manager_id.choices = [(m.id, m.get_full_name()) for m in active_managers()]
        if not form.validate_on_submit():
            return self.refuse(req, _("Choose a manager."))
        manager = db.session.get(User, form.manager_id.data)
        return self.outcome(req, run_use_case(
            lambda: assign_manager(req, manager, g.user,
                                   expected_version=form_version(form.version.data)),
            _("%(number)s is assigned to %(name)s.", number=req.number,
              name=manager.get_full_name())))
