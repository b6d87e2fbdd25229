"""POST actions of the staff desk: each one loads, checks, acts through app/, commits."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, g, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.attachments import attach_files
from app.deliverables import upload_package
from app.extensions import db
from app.notifications import notify_new_message
from app.payments import PaymentError, mark_payment
from app.scheduling import ScheduleError, book_engineer
from app.storage import UploadError
from app.workflow import WorkflowError, actor_kinds, assign_manager, transition
from models.request_status import Actor
from models.requests import ATTACH_WORK, Message

STAFF_MOVES = ("ask_info", "cancel", "start", "submit_review", "accept", "return", "deliver",
               "close")


class DeskActionsMixin:
    """Mixed into DeskView; `visible_request_or_404` keeps every action in the user's scope."""

    def _load(self, pk):
        from views.desk import visible_request_or_404

        return visible_request_or_404(pk)

    def _commit_or_flash(self, done_message: str) -> bool:
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(_("The request was changed by someone else. Reload the page and try "
                    "again."), "danger")
            return False
        flash(done_message, "success")
        return True

    @expose("/<int:pk>/move/<action>", methods=["POST"])
    @has_access
    def move(self, pk: int, action: str):
        from views.forms import MoveForm

        req = self._load(pk)
        form = MoveForm()
        if action not in STAFF_MOVES or not form.validate_on_submit():
            flash(_("This action is not available."), "danger")
            return self.back(req)
        try:
            transition(req, action, g.user, form.comment.data,
                       expected_version=form.version.data or None)
        except WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self.back(req)
        self._commit_or_flash(_("Done: %(number)s is now “%(status)s”.", number=req.number,
                                status=_status(req.status)))
        return self.back(req)

    @expose("/<int:pk>/message", methods=["POST"])
    @has_access
    def message(self, pk: int):
        """A message to the partner (assigned manager or supermanager only)."""
        from views.forms import TextForm

        req = self._load(pk)
        form = TextForm()
        if Actor.MANAGER not in actor_kinds(g.user, req) or not form.validate_on_submit():
            flash(_("Write the message text."), "danger")
            return self.back(req)
        message = Message(request=req, author_id=g.user.id, body=form.body.data.strip())
        db.session.add(message)
        db.session.flush()
        notify_new_message(message)
        self._commit_or_flash(_("Message sent."))
        return self.back(req)

    @expose("/<int:pk>/note", methods=["POST"])
    @has_access
    def note(self, pk: int):
        """An internal note: never shown to partners."""
        from views.forms import TextForm

        req = self._load(pk)
        form = TextForm()
        if not actor_kinds(g.user, req) & {Actor.MANAGER, Actor.ENGINEER} or \
                not form.validate_on_submit():
            flash(_("Write the note text."), "danger")
            return self.back(req)
        db.session.add(Message(request=req, author_id=g.user.id, body=form.body.data.strip(),
                               is_internal=True))
        self._commit_or_flash(_("Note added."))
        return self.back(req)

    @expose("/<int:pk>/upload/<kind>", methods=["POST"])
    @has_access
    def upload(self, pk: int, kind: str):
        """Engineer: work files. Manager: a new version of the document package."""
        from flask_wtf.csrf import validate_csrf
        from wtforms import ValidationError

        req = self._load(pk)
        kinds = actor_kinds(g.user, req)
        files = request.files.getlist("files")
        try:
            validate_csrf(request.form.get("csrf_token"))
            if kind == "work" and Actor.ENGINEER in kinds:
                attach_files(req, files, g.user, ATTACH_WORK)
            elif kind == "deliverable" and Actor.MANAGER in kinds:
                upload_package(req, files, g.user)
            else:
                flash(_("This action is not available."), "danger")
                return self.back(req)
        except (UploadError, ValidationError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self.back(req)
        self._commit_or_flash(_("Files uploaded."))
        return self.back(req)

    @expose("/<int:pk>/book", methods=["POST"])
    @has_access
    def book(self, pk: int):
        """Book an engineer for a window (overlaps and vacations are refused)."""
        from app.scheduling import engineers
        from flask_appbuilder.security.sqla.models import User
        from views.forms import BookingForm

        req = self._load(pk)
        form = BookingForm()
        form.engineer_id.choices = [(e.id, e.get_full_name()) for e in engineers()]
        if not form.validate_on_submit():
            flash(_("Choose an engineer and a correct time window."), "danger")
            return self.back(req)
        engineer = db.session.get(User, form.engineer_id.data)
        try:
            book_engineer(req, engineer, form.starts_at.data, form.ends_at.data, g.user,
                          expected_version=form.version.data or None)
        except (ScheduleError, WorkflowError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self.back(req)
        self._commit_or_flash(_("%(name)s is booked for %(number)s.",
                                name=engineer.get_full_name(), number=req.number))
        return self.back(req)

    @expose("/<int:pk>/payment", methods=["POST"])
    @has_access
    def pay(self, pk: int):
        """Admin marks a (partial) payment; the payment state follows the sum."""
        from views.forms import PaymentForm

        req = self._load(pk)
        form = PaymentForm()
        if not form.validate_on_submit():
            details = "; ".join(str(e) for errors in form.errors.values() for e in errors)
            flash(_("Enter the amount, the date and the payment document.") + " " + details,
                  "danger")
            return self.back(req)
        kopecks = int((form.amount.data * 100).quantize(Decimal(1)))
        try:
            mark_payment(req, kopecks, form.paid_on.data, form.document.data, g.user)
        except PaymentError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self.back(req)
        self._commit_or_flash(_("Payment recorded."))
        return self.back(req)

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk: int):
        """Supermanager assigns or reassigns the manager."""
        from flask_appbuilder.security.sqla.models import User

        from app.distribution import active_managers
        from views.forms import AssignForm

        req = self._load(pk)
        form = AssignForm()
        form.manager_id.choices = [(m.id, m.get_full_name()) for m in active_managers()]
        if not form.validate_on_submit():
            flash(_("Choose a manager."), "danger")
            return self.back(req)
        manager = db.session.get(User, form.manager_id.data)
        try:
            assign_manager(req, manager, g.user, expected_version=form.version.data or None)
        except WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self.back(req)
        self._commit_or_flash(_("%(number)s is assigned to %(name)s.", number=req.number,
                                name=manager.get_full_name()))
        return self.back(req)


def _status(status: str) -> str:
    from app.templating import staff_status

    return staff_status(status)
