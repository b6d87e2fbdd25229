"""Admin: background work (failed RQ jobs, exports) and the e-mail outbox with "Retry now"."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry

from app import jobs as job_helper
from app.extensions import db
from app.mail import retry_now
from models.exports import EXPORT_FAILED, ExportTask
from models.outbox import MAIL_FAILED, MAIL_PENDING, MAIL_SENDING, MAIL_SENT, OutboxMessage

MAIL_STATUSES = {MAIL_PENDING: _l("waiting"), MAIL_SENDING: _l("sending"),
                 MAIL_SENT: _l("sent"), MAIL_FAILED: _l("failed")}
OUTBOX_PAGE = 100


def failed_rq_jobs(limit: int = 50) -> list[dict]:
    """Jobs RQ gave up on, newest first, with the last line of the error."""
    connection = job_helper.enqueue_connection()  # short timeouts: a hung Redis costs < 1 s
    if connection is None:
        return []
    registry = FailedJobRegistry(queue=Queue("default", connection=connection))
    jobs = []
    for job_id in registry.get_job_ids()[-limit:][::-1]:
        job = registry.job_class.fetch(job_id, connection=connection)
        error = (job.latest_result().exc_string if job.latest_result() else "") or ""
        jobs.append({"id": job.id, "func": job.func_name, "args": job.args,
                     "ended_at": job.ended_at, "error": error.strip().splitlines()[-1:]})
    return jobs


def _safe_failed_rq_jobs() -> tuple[list[dict], bool]:
    """The failed jobs, or ([], False) when Redis does not answer."""
    try:
        return failed_rq_jobs(), True
    except RedisError:
        return [], False


def outbox_rows(status: str | None, before: int | None) -> list[OutboxMessage]:
    """A page of outbox rows, newest first (the admin never sees bodies)."""
    query = db.session.query(OutboxMessage)
    if status in MAIL_STATUSES:
        query = query.filter(OutboxMessage.status == status)
    if before:
        query = query.filter(OutboxMessage.id < before)
    return query.order_by(OutboxMessage.id.desc()).limit(OUTBOX_PAGE).all()


class JobsView(BaseView):
    route_base = "/jobs"
    default_view = "index"
    base_permissions = ["can_index"]
    method_permission_name = {"index": "index", "outbox": "index", "retry_mail": "index"}

    @expose("/")
    @has_access
    def index(self):
        exports = db.session.query(ExportTask).filter_by(status=EXPORT_FAILED) \
            .order_by(ExportTask.id.desc()).limit(50).all()
        mail = db.session.query(OutboxMessage).filter(
            OutboxMessage.status.in_((MAIL_FAILED, MAIL_PENDING)),
            OutboxMessage.last_error.isnot(None)).order_by(OutboxMessage.id.desc()) \
            .limit(50).all()
        rq_jobs, redis_answers = _safe_failed_rq_jobs()
        return self.render_template("desk/jobs.html", rq_jobs=rq_jobs, exports=exports,
                                    mail=mail, redis_answers=redis_answers,
                                    redis=job_helper.redis_connection() is not None)

    @expose("/outbox/")
    @has_access
    def outbox(self):
        """Every outgoing e-mail with its state; filter by status, page by id."""
        status = request.args.get("status") or None
        before = request.args.get("before", type=int)
        before = before if before and 0 < before < 2**31 else None
        rows = outbox_rows(status, before)
        return self.render_template("desk/outbox.html", rows=rows, statuses=MAIL_STATUSES,
                                    status=status if status in MAIL_STATUSES else None,
                                    older=rows[-1].id if len(rows) == OUTBOX_PAGE else None)

    @expose("/outbox/<int:pk>/retry", methods=["POST"])
    @has_access
    def retry_mail(self, pk: int):
        """Make a failed (or waiting) e-mail due now and hand it to a worker."""
        if db.session.get(OutboxMessage, pk) is None:
            abort(404)
        if retry_now(pk):
            flash(_("The e-mail is queued for sending again."), "success")
        else:
            flash(_("This e-mail is already being sent or was sent."), "warning")
        return redirect(url_for("JobsView.outbox", status=request.args.get("status")))
