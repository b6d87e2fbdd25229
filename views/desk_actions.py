"""POST actions of the staff desk: each one loads, checks, acts through app/, commits."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, g, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from sqlalchemy.orm.exc import StaleDataError
from wtforms import ValidationError

from app.access import get_request_or_404
from app.deliverables import upload_staff_files
from app.distribution import active_managers
from app.extensions import db
from app.form_nonce import FormReplayed, require_fresh_form
from app.input_guard import form_version
from app.notifications import notify_new_message
from app.payments import PaymentError, mark_payment
from app.scheduling import book_engineer, engineers
from app.storage import UploadError
from app.workflow import (WorkflowError, actor_kinds, assign_manager, conflict_message,
                          transition)
from models.request_status import Actor
from models.requests import Message
from views.forms import AssignForm, BookingForm, MoveForm, PaymentForm, TextForm

STAFF_MOVES = ("ask_info", "cancel", "start", "submit_review", "accept", "return", "deliver",
               "close")
REFUSALS = (WorkflowError, UploadError, PaymentError, ValidationError, FormReplayed)
ONCE_ONLY_MOVES = ("deliver",)  # plus payments and bookings: the form token is required


class DeskActionsMixin:
    """Mixed into DeskView; `get_request_or_404` keeps every action in the user's scope."""

    def _load(self, pk):
        return get_request_or_404(g.user, pk)

    def _refuse(self, req, message: str):
        flash(message, "danger")
        return self.back(req)

    def _act(self, req, work, done_message, once: bool = False):
        """Run `work()` and commit; a refusal, a concurrent change or a form posted twice
        keeps nothing. The form token is consumed when sent, and required when `once`."""
        try:
            require_fresh_form(g.user.id, required=once)
            work()
            db.session.commit()
        except REFUSALS as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        except StaleDataError:
            db.session.rollback()
            flash(conflict_message(), "danger")
        else:
            flash(done_message() if callable(done_message) else done_message, "success")
        return self.back(req)

    @expose("/<int:pk>/move/<action>", methods=["POST"])
    @has_access
    def move(self, pk: int, action: str):
        req, form = self._load(pk), MoveForm()
        if action not in STAFF_MOVES or not form.validate_on_submit():
            return self._refuse(req, _("This action is not available."))
        return self._act(
            req, lambda: transition(req, action, g.user, form.comment.data,
                                    expected_version=form_version(form.version.data)),
            lambda: _("Done: %(number)s is now “%(status)s”.", number=req.number,
                      status=_status(req.status)), once=action in ONCE_ONLY_MOVES)

    @expose("/<int:pk>/message", methods=["POST"])
    @has_access
    def message(self, pk: int):
        """A message to the partner (assigned manager or supermanager only)."""
        req, form = self._load(pk), TextForm()
        if Actor.MANAGER not in actor_kinds(g.user, req) or not form.validate_on_submit():
            return self._refuse(req, _("Write the message text."))

        def send():
            message = Message(request=req, author_id=g.user.id, body=form.body.data.strip())
            db.session.add(message)
            db.session.flush()
            notify_new_message(message)
        return self._act(req, send, _("Message sent."))

    @expose("/<int:pk>/note", methods=["POST"])
    @has_access
    def note(self, pk: int):
        """An internal note: never shown to partners."""
        req, form = self._load(pk), TextForm()
        if not actor_kinds(g.user, req) & {Actor.MANAGER, Actor.ENGINEER} or \
                not form.validate_on_submit():
            return self._refuse(req, _("Write the note text."))
        return self._act(req, lambda: db.session.add(Message(
            request=req, author_id=g.user.id, body=form.body.data.strip(), is_internal=True)),
            _("Note added."))

    @expose("/<int:pk>/upload/<kind>", methods=["POST"])
    @has_access
    def upload(self, pk: int, kind: str):
        """Engineer: work files. Manager: a new version of the document package."""
        req = self._load(pk)
        files = request.files.getlist("files")

        def checked_store():
            validate_csrf(request.form.get("csrf_token"))
            upload_staff_files(req, kind, files, g.user, actor_kinds(g.user, req))
        return self._act(req, checked_store, _("Files uploaded."))

    @expose("/<int:pk>/book", methods=["POST"])
    @has_access
    def book(self, pk: int):
        """Book an engineer for a window (overlaps and vacations are refused)."""
        req, form = self._load(pk), BookingForm()
        form.engineer_id.choices = [(e.id, e.get_full_name()) for e in engineers()]
        if not form.validate_on_submit():
            return self._refuse(req, _("Choose an engineer and a correct time window."))
        engineer = db.session.get(User, form.engineer_id.data)
        return self._act(
            req, lambda: book_engineer(req, engineer, form.starts_at.data, form.ends_at.data,
                                       g.user, expected_version=form_version(form.version.data)),
            _("%(name)s is booked for %(number)s.", name=engineer.get_full_name(),
              number=req.number), once=True)

    @expose("/<int:pk>/payment", methods=["POST"])
    @has_access
    def pay(self, pk: int):
        """Admin marks a (partial) payment; the payment state follows the sum."""
        req, form = self._load(pk), PaymentForm()
        if not form.validate_on_submit():
            details = "; ".join(str(e) for errors in form.errors.values() for e in errors)
            return self._refuse(req, _("Enter the amount, the date and the payment "
                                       "document.") + " " + details)
        kopecks = int((form.amount.data * 100).quantize(Decimal(1)))
        return self._act(req, lambda: mark_payment(req, kopecks, form.paid_on.data,
                                                   form.document.data, g.user),
                         _("Payment recorded."), once=True)

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk: int):
        """Supermanager assigns or reassigns the manager."""
        req, form = self._load(pk), AssignForm()
        form.manager_id.choices = [(m.id, m.get_full_name()) for m in active_managers()]
        if not form.validate_on_submit():
            return self._refuse(req, _("Choose a manager."))
        manager = db.session.get(User, form.manager_id.data)
        return self._act(
            req, lambda: assign_manager(req, manager, g.user,
                                        expected_version=form_version(form.version.data)),
            _("%(number)s is assigned to %(name)s.", number=req.number,
              name=manager.get_full_name()))


def _status(status: str) -> str:
    from app.templating import staff_status

    return staff_status(status)
