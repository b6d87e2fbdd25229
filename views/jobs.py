"""Admin: background work that failed (RQ jobs after their retries, exports, e-mails)."""

from __future__ import annotations

from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.extensions import db
from app import jobs as job_helper
from models.exports import EXPORT_FAILED, ExportTask
from models.outbox import MAIL_FAILED, MAIL_PENDING, OutboxMessage


def failed_rq_jobs(limit: int = 50) -> list[dict]:
    """Jobs RQ gave up on, newest first, with the last line of the error."""
    connection = job_helper.redis_connection()
    if connection is None:
        return []
    from rq import Queue
    from rq.registry import FailedJobRegistry

    registry = FailedJobRegistry(queue=Queue("default", connection=connection))
    jobs = []
    for job_id in registry.get_job_ids()[-limit:][::-1]:
        job = registry.job_class.fetch(job_id, connection=connection)
        error = (job.latest_result().exc_string if job.latest_result() else "") or ""
        jobs.append({"id": job.id, "func": job.func_name, "args": job.args,
                     "ended_at": job.ended_at, "error": error.strip().splitlines()[-1:]})
    return jobs


class JobsView(BaseView):
    route_base = "/jobs"
    default_view = "index"
    base_permissions = ["can_index"]

    @expose("/")
    @has_access
    def index(self):
        exports = db.session.query(ExportTask).filter_by(status=EXPORT_FAILED) \
            .order_by(ExportTask.id.desc()).limit(50).all()
        mail = db.session.query(OutboxMessage).filter(
            OutboxMessage.status.in_((MAIL_FAILED, MAIL_PENDING)),
            OutboxMessage.last_error.isnot(None)).order_by(OutboxMessage.id.desc()) \
            .limit(50).all()
        return self.render_template("desk/jobs.html", rq_jobs=failed_rq_jobs(),
                                    exports=exports, mail=mail,
                                    redis=job_helper.redis_connection() is not None)
