"""Excel exports: small ones are written in the request, large ones by a background job.

Both run the same source (reports.sources) on the same explicit parameters, captured when
the user asked (filters, sort, period, language) and saved in ExportTask.params; the job
needs no request and signs nobody in. Progress goes to the ExportTask row (and RQ
job.meta); files expire.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

from flask import (abort, current_app, has_request_context, jsonify, redirect, request,
                   send_file, url_for)
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from rq import get_current_job
from sqlalchemy import func, update

from app import jobs
from app.errors import InvalidInput
from app.extensions import db
from app.timefmt import format_day
from app.translations import locale_name
from app.uow import commit
from models.base import utcnow
from models.exports import EXPORT_DONE, EXPORT_FAILED, EXPORT_QUEUED, EXPORT_RUNNING, ExportTask
from reports.excel import write_xlsx
from reports.sources import SOURCES

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_period(start: date, end: date, listed: bool = False) -> None:
    """A report's period runs forward (one day, start = end, is a period): a start after
    the end is refused rather than exported as an empty file. `listed`: said of a list's
    filter (nothing can be in it), not of an export."""
    if start <= end:
        return
    if listed:
        raise InvalidInput(_("The period start (%(start)s) is later than its end (%(end)s): "
                             "no request can be in it. Correct the dates.",
                             start=format_day(start), end=format_day(end)))
    raise InvalidInput(_("The period start (%(start)s) is later than its end (%(end)s): "
                         "nothing would be exported. Correct the dates.",
                         start=format_day(start), end=format_day(end)))


def check_period_args(args, listed: bool = False) -> None:
    """check_period of a list's `from` and `to` arguments (YYYY-MM-DD) when both are dates:
    a list or export filtered by a reversed period is refused, not shown or sent empty."""
    days = []
    for name in ("from", "to"):
        try:
            days.append(date.fromisoformat((args.get(name) or "").strip()))
        except ValueError:
            return
    check_period(*days, listed=listed)


def task_state(task: ExportTask) -> dict:
    """What the progress page polls."""
    return {"status": task.status, "rows_done": task.rows_done, "rows_total": task.rows_total,
            "error": task.error, "ready": task.status == EXPORT_DONE and bool(task.stored_name),
            "restart": (task.params or {}).get("restart") if task.status == EXPORT_FAILED
            else None}


def download_task(task: ExportTask):
    """The finished file, while it is kept (the caller checked the owner)."""
    if task.status != EXPORT_DONE or not task.stored_name or (
            task.expires_at and task.expires_at < utcnow()):
        abort(404)
    return send_file(export_dir() / task.stored_name, mimetype=XLSX, as_attachment=True,
                     download_name=task.file_name)


def task_response(task_id: int, user, fmt: str | None, render_page):
    """Progress page, `json` state or `download` of a task that belongs to `user`."""
    task = db.session.get(ExportTask, task_id)
    if task is None or task.user_id != user.id:
        abort(404)  # someone else's export does not exist for you
    fail_if_stale(task)
    if fmt == "json":
        return jsonify(task_state(task))
    if fmt == "download":
        return download_task(task)
    if fmt is not None:
        abort(404)
    return render_page(task=task, state=task_state(task))


def send_xlsx(handle, file_name: str):
    return send_file(handle, mimetype=XLSX, as_attachment=True, download_name=file_name)


def inline_limit() -> int:
    return int(current_app.config.get("EXPORT_INLINE_ROWS", 5000))


def export_dir() -> Path:
    path = Path(current_app.config["EXPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_inline(title, columns, rows):
    """Small export: write to a temporary file and return it opened for sending."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_xlsx(handle, str(title), columns, rows)
    handle.seek(0)
    return handle


def export_response(user, source_name: str, params: dict, file_name: str,
                    task_endpoint: str):
    """Send a small export now; queue a large one and show its progress page.

    `params` are the source's explicit parameters; the language of the request joins them.
    """
    source = SOURCES[source_name]
    params = {**params, "locale": locale_name(current_app.config["BABEL_DEFAULT_LOCALE"])}
    estimate = source.count(params, user)
    if estimate <= inline_limit():
        title, columns, rows = source.table(params, user)
        return send_xlsx(write_inline(title, columns, rows), file_name)
    task = queue_export(user, source_name, params, file_name, estimate)
    return redirect(url_for(task_endpoint, task_id=task.id))


def queue_export(user, source_name: str, params: dict, file_name: str,
                 estimate: int | None) -> ExportTask:
    """Create the task row, commit, then hand it to the job helper."""
    task = ExportTask(user_id=user.id, report=source_name,
                      params={**params, "restart": _restart_of_current_request()},
                      file_name=file_name, rows_total=estimate, status=EXPORT_QUEUED)
    db.session.add(task)
    commit()
    try:
        jobs.enqueue(run_export, task.id)
    except Exception as exc:  # Redis unreachable: say so on the task page
        log.warning("export %s not queued: %s", task.id, exc)
        task.status, task.error = EXPORT_FAILED, str(exc)[:500]
        commit()
    return task


def _restart_of_current_request() -> dict | None:
    """How to ask for the same export again: our own path, method and form fields."""
    if not has_request_context():
        return None
    query = request.query_string.decode()
    fields = {k: v for k, v in request.form.items() if k != "csrf_token"} \
        if request.method == "POST" else {}
    return {"method": request.method, "url": request.path + (f"?{query}" if query else ""),
            "fields": fields}


def run_export(task_id: int) -> str:
    """The job: write the file, report progress, keep it for EXPORT_TTL_HOURS.

    Runs on the saved parameters for the task's user, in the language of the request
    that asked; no request context is needed or made.
    """
    task = db.session.get(ExportTask, task_id)
    if task is None or task.status == EXPORT_DONE:
        return "skipped"  # a re-run of a finished job does nothing
    task.status, task.rows_done, task.error = EXPORT_RUNNING, 0, None
    task.started_at = task.heartbeat_at = utcnow()
    commit()
    user, params = db.session.get(User, task.user_id), task.params or {}
    stored = f"{uuid.uuid4().hex}.xlsx"
    with force_locale(params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            title, columns, rows = SOURCES[task.report].table(params, user)
            count = write_xlsx(export_dir() / stored, str(title), columns, rows,
                               progress=progress_writer(task.id))
        except Exception as exc:
            db.session.rollback()
            _fail(task_id, f"{type(exc).__name__}: {exc}")
            (export_dir() / stored).unlink(missing_ok=True)
            raise
    task.status, task.stored_name, task.finished_at = EXPORT_DONE, stored, utcnow()
    task.rows_done, task.error, task.heartbeat_at = count, None, utcnow()
    task.expires_at = utcnow() + timedelta(hours=current_app.config.get("EXPORT_TTL_HOURS",
                                                                        24))
    commit()
    return "done"


def progress_writer(task_id: int):
    """Progress callback that never commits the transaction the rows stream through.

    On PostgreSQL the rows come from a server-side cursor that a commit would close, so the
    count and heartbeat go through a connection of their own. SQLite allows one writer and
    a second connection could not commit while the cursor reads; a commit there keeps the
    cursor, so the job's own session writes it.
    """
    def write(rows: int) -> None:
        values = {"rows_done": rows, "heartbeat_at": utcnow()}
        statement = update(ExportTask).where(ExportTask.id == task_id).values(**values)
        if db.engine.dialect.name == "sqlite":
            db.session.execute(statement)
            commit()
        else:
            with db.engine.begin() as connection:
                connection.execute(statement)
        _job_meta(rows)
    return write


def _job_meta(rows: int) -> None:
    try:
        job = get_current_job()
        if job is not None:
            job.meta["progress"] = rows
            job.save_meta()
    except Exception:  # progress is best effort; the row above is the source of truth
        pass


def _fail(task_id: int, reason: str) -> None:
    db.session.query(ExportTask).filter(ExportTask.id == task_id).update(
        {ExportTask.status: EXPORT_FAILED, ExportTask.error: reason[:1000],
         ExportTask.finished_at: utcnow()}, synchronize_session=False)
    commit()


def stale_after() -> timedelta:
    """How long a running export may stay silent before its worker is taken for dead."""
    return timedelta(seconds=int(current_app.config.get("EXPORT_STALE_SECONDS", 120)))


def _stale_clause():
    last_sign = func.coalesce(ExportTask.heartbeat_at, ExportTask.started_at,
                              ExportTask.created_at)
    return (ExportTask.status == EXPORT_RUNNING) & (last_sign < utcnow() - stale_after())


def stale_reason() -> str:
    return _("The export worker stopped; start the export again.")


def _queued_too_long_clause():
    """Queued for longer than EXPORT_QUEUE_WAIT_SECONDS: no worker is taking jobs."""
    wait = timedelta(seconds=int(current_app.config.get("EXPORT_QUEUE_WAIT_SECONDS", 900)))
    return (ExportTask.status == EXPORT_QUEUED) & (ExportTask.created_at < utcnow() - wait)


def _fail_dead_tasks(*where) -> int:
    """Fail running tasks gone silent and queued tasks nobody took, each with its reason."""
    rules = [(_stale_clause(), stale_reason()),
             (_queued_too_long_clause(), _("No export worker took the export; start it again "
                                           "or tell the administrator."))]
    failed = 0
    for clause, reason in rules:
        failed += db.session.query(ExportTask).filter(clause, *where).update(
            {ExportTask.status: EXPORT_FAILED, ExportTask.error: reason,
             ExportTask.finished_at: utcnow()}, synchronize_session=False)
    commit()
    return failed


def fail_if_stale(task: ExportTask) -> bool:
    """Mark this task failed if its worker went silent (the task page and poll call it)."""
    if task.status not in (EXPORT_RUNNING, EXPORT_QUEUED):
        return False
    failed = _fail_dead_tasks(ExportTask.id == task.id)
    db.session.refresh(task)
    return bool(failed)


def fail_stale_exports() -> int:
    """Periodic sweep: silent running exports and queued ones nobody took become failed."""
    return _fail_dead_tasks()


def cleanup_exports() -> int:
    """Delete expired export files (periodic job and CLI)."""
    expired = db.session.query(ExportTask).filter(ExportTask.expires_at < utcnow(),
                                                  ExportTask.stored_name.isnot(None)).all()
    for task in expired:
        (export_dir() / task.stored_name).unlink(missing_ok=True)
        task.stored_name = None
    commit()
    return len(expired)
