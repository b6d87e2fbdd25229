"""The staff desk: work lists and the request page (thread, notes, files, actions)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.access import get_request_by_number_or_404, get_request_or_404
from app.approvals import board
from app.distribution import active_managers
from app.errors import DomainError
from app.extensions import db
from app.input_guard import arg_int
from app.notifications import read_on_page
from app.request_filters import DATE_FIELDS, filter_choices, parse_filters
from app.request_conversation import staff_may_download
from app.request_rules import DOCUMENT_LABELS, PAYMENT_LABELS, rules_for
from app.request_records import PAGE_OPTIONS, load_records
from app.schedule_window import EngineerEntries
from app.scheduling import (default_window, engineers, lines_hours, suggest_engineers,
                            visits_by_request, visits_of, window_problem, window_warning)
from app.storage import send_stored
from app.typed_input import show_page_at, typed_into, typed_text
from app.uow import commit_after_rendering, unit_of_work
from app.status_labels import staff_labels
from models.request_status import ACTION_LABELS, OPEN_STATUSES
from models.finance import Payment
from models.requests import Attachment, Request
from reports.documents import request_pdf
from views.desk_actions import DeskActionsMixin, back
from views.desk_approvals import ApprovalForm, DeskApprovalsMixin
from views.desk_queries import page_data, work_list
from views.forms import AssignForm, BookingForm, MoveForm, PaymentForm, TextForm


# the desk also lists the payments, each voided one with who voided it: joined into the
# request's own statement (a request has a few)
DESK_OPTIONS = (*PAGE_OPTIONS, joinedload(Request.payments).joinedload(Payment.voided_by))


class DeskView(DeskApprovalsMixin, DeskActionsMixin, BaseView):
    route_base = "/desk"
    default_view = "index"
    base_permissions = ["can_index", "can_show", "can_by_number", "can_download", "can_pdf",
                        "can_move", "can_message", "can_note", "can_upload", "can_book",
                        "can_pay", "can_assign"]

    @expose("/")
    @has_access
    def index(self):
        """My requests: overdue first, then what needs my action; filters within my scope."""
        status = request.args.get("status") or None
        q = request.args.get("q", "")
        choices = filter_choices(g.user)
        filters = parse_filters(request.args, g.user, choices)
        if status and status not in {s.value for s in OPEN_STATUSES}:
            filters.ignored.append("status")  # an unknown status showed an empty list
            status = None
        if filters.ignored:
            flash(_("Some filter values were not recognised and were ignored."), "warning")
        if filters.swapped:
            flash(_("The period start is after its end; they were swapped."), "warning")
        page = arg_int("page", 0, lo=0, hi=10_000)
        rows, overdue, answered, more = work_list(g.user, status, q, filters, page)
        args = {**filters.args(), **{k: v for k, v in (("status", status), ("q", q)) if v}}
        return self.render_template(
            "desk/index.html", rows=rows, overdue=overdue, answered=answered,
            labels=staff_labels(), status=status, q=q, statuses=OPEN_STATUSES,
            filters=filters, choices=choices, payments=PAYMENT_LABELS,
            date_fields=DATE_FIELDS, args=args, page=page, more=more,
            visits=visits_by_request([r.id for r in rows]))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        """The request page: it offers exactly what app.request_rules allows this user;
        opening it reads the user's notifications about it."""
        req = get_request_or_404(g.user, pk, *DESK_OPTIONS)
        read = read_on_page(g.user, req.id)
        page = self.request_page(req)
        if read:
            commit_after_rendering()
        return page

    def request_page(self, req: Request):
        """The request page. Rendered again by a refused POST of one of its forms (the
        desk's actions), that form shows what the user typed (app.typed_input); the
        others, the versions and the form tokens are fresh."""
        show_page_at(url_for("DeskView.show", pk=req.id))  # a reload opens it, as stored
        rules, records, visits = rules_for(g.user, req), load_records(req), visits_of(req)
        assign = None
        if rules.assign_action:
            assign = AssignForm(formdata=typed_into(url_for("DeskView.assign", pk=req.id)),
                                version=req.version)
            assign.manager_id.choices = [(m.id, m.get_full_name()) for m in active_managers()]
            if req.manager_id and not assign.manager_id.raw_data:  # reassigning: the one it
                assign.manager_id.data = req.manager_id  # has is shown (the first listed
                # was, and "Reassign" pressed unlooked moved the request to that one)
        drafts = {m.action: typed_text(url_for("DeskView.move", pk=req.id, action=m.action),
                                       "comment") for m in rules.moves}
        drafts["message"] = typed_text(url_for("DeskView.message", pk=req.id), "body")
        payment = PaymentForm(formdata=typed_into(url_for("DeskView.pay", pk=req.id))) \
            if rules.can_pay else None
        return self.render_template(
            "desk/show.html", req=req, rules=rules, action_labels=ACTION_LABELS,
            document_labels=DOCUMENT_LABELS, labels=staff_labels(),
            move_form=MoveForm(version=req.version), text_form=TextForm(),
            booking=self._booking_context(req, visits) if rules.can_book else None,
            assign=assign,
            payment_form=payment, drafts=drafts,
            visits=visits, approvals=board(req, g.user, records.history),
            approval_form=ApprovalForm(version=req.version), **page_data(req, g.user, records))

    def _booking_context(self, req: Request, visits: list) -> dict:
        # the hours, the engineers and the request's visits read once for both blocks
        staff = engineers()
        known = {"hours": lines_hours(req), "staff": staff, "own": visits,
                 "entries": EngineerEntries(e.id for e in staff)}
        start, end = default_window(req, **known)
        try:
            if request.args.get("start"):
                start = datetime.fromisoformat(request.args["start"])
                end = datetime.fromisoformat(request.args["end"])
        except (KeyError, ValueError):
            flash(_("The window was not understood; showing the default one."), "warning")
        else:
            start, end = self._typed_window(req, start, end)
        form = BookingForm(version=req.version, starts_at=start, ends_at=end)
        form.engineer_id.choices = [(e.id, e.get_full_name()) for e in known["staff"]]
        past = window_problem(start, end)  # said once above the table, not on every row
        return {"form": form, "suggestions": suggest_engineers(req, start, end, **known),
                "start": start, "end": end, "hours": known["hours"], "past": past,
                "off_hours": "" if past else window_warning(start, end)}

    @staticmethod
    def _typed_window(req: Request, start: datetime, end: datetime):
        """The window of a refused booking (the page rendered again by its POST), else the
        one given."""
        typed = typed_into(url_for("DeskView.book", pk=req.id))
        if typed is None or request.args.get("start"):
            return start, end
        try:
            return (datetime.fromisoformat(typed.get("starts_at", "")),
                    datetime.fromisoformat(typed.get("ends_at", "")))
        except ValueError:  # a garbled window: the default one
            return start, end

    @expose("/n/<number>")
    @has_access
    def by_number(self, number: str):
        req = get_request_by_number_or_404(g.user, number)
        return redirect(url_for("DeskView.show", pk=req.id))

    @expose("/<int:pk>/pdf/<document>")
    @has_access
    def pdf(self, pk: int, document: str):
        """Invoice, act or request card for staff who may see the request."""
        req = get_request_or_404(g.user, pk)
        try:
            with unit_of_work():  # the first invoice or act stores its number
                data = request_pdf(req, document, for_partner=False, user=g.user)
        except DomainError as error:
            flash(str(error), "warning")
            return back(req)
        return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{document}-{req.number}.pdf")

    @expose("/file/<int:attachment_id>")
    @has_access
    def download(self, attachment_id: int):
        attachment = db.session.get(Attachment, attachment_id)
        if attachment is None:
            abort(404)
        get_request_or_404(g.user, attachment.request_id)
        if not staff_may_download(g.user, attachment):
            abort(404)  # files of the partner thread: engineers never see the thread
        return send_stored(attachment.stored_name, attachment.original_name,
                           attachment.content_type)

