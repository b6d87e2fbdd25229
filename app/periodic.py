"""Periodic jobs, listed in one place; each one is idempotent and runnable by hand.

`flask replan worker` registers PERIODIC with RQ's cron scheduler; `flask replan run NAME`
runs one of them now.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app import exports
from app.extensions import db
from app.form_nonce import purge_used_nonces
from app.mail import (due_message_ids, enqueue_sends, queue_mail,
                      requeue_failed, requeue_stuck)
from app.notifications import announce
from app.settings import get_setting
from app.telegram_outbox import sweep_telegram
from app.sla import overdue_clause, service_rules, status_minutes, threshold_minutes
from app.templating import money
from app.uow import commit, unit_of_work
from app.webhooks import sweep_webhooks
from app.workflow import WorkflowError, transition
from models.base import utcnow
from models.exports import JobMarker
from models.finance import Payment
from models.request_status import Action, Status
from models.requests import Request
from reports.dashboard import refresh_figures

log = logging.getLogger(__name__)


def _mark_once(key: str) -> bool:
    """True the first time a key is seen: the marker row makes repeats no-ops."""
    try:
        with db.session.begin_nested():
            db.session.add(JobMarker(key=key))
        return True
    except IntegrityError:
        return False


def send_sla_reminders(now=None) -> int:
    """Alert the manager and the supermanagers once per breach of the tightest threshold
    (per status and per service, in minutes: app.sla)."""
    now, alerts = now or utcnow(), 0
    by_status, rules = status_minutes(), service_rules()  # read once for every request
    for req in db.session.query(Request).filter(overdue_clause(now)).order_by(Request.id):
        key = f"sla:{req.id}:{req.status}:{req.status_changed_at.isoformat()}"
        if not _mark_once(key):
            continue
        announce("sla_breach", req, None, status=req.status,
                 minutes=threshold_minutes(req, by_status, rules) or 0)
        alerts += 1
    commit()  # the reminders and the marker together, then their e-mails
    return alerts


def auto_close_delivered() -> int:
    """Close requests delivered more than `auto_close_days` ago (the system's move)."""
    days = int(get_setting("auto_close_days"))
    cutoff = utcnow() - timedelta(days=days)
    ids = [rid for (rid,) in db.session.query(Request.id).filter(
        Request.status == Status.DELIVERED, Request.status_changed_at < cutoff)]
    closed = 0
    for request_id in ids:
        req = db.session.get(Request, request_id)
        try:
            with unit_of_work():  # one request per transaction: a conflict loses only it
                transition(req, Action.CLOSE, None,
                           _("Closed automatically after %(n)s days.", n=days))
            closed += 1
        except WorkflowError:
            pass  # someone closed it meanwhile; rolled back
    return closed


def send_director_digest(day: date | None = None) -> int:
    """Yesterday in numbers, e-mailed to every director once a day."""
    day = day or (utcnow().date() - timedelta(days=1))
    if not _mark_once(f"digest:{day.isoformat()}"):
        return 0
    start = utcnow().replace(year=day.year, month=day.month, day=day.day, hour=0, minute=0,
                             second=0, microsecond=0)
    end = start + timedelta(days=1)
    new = db.session.query(func.count(Request.id)).filter(
        Request.submitted_at >= start, Request.submitted_at < end).scalar()
    paid = db.session.query(func.coalesce(func.sum(Payment.amount_kopecks), 0)).filter(
        Payment.paid_on == day, Payment.voided_at.is_(None)).scalar()  # valid payments only
    open_count = db.session.query(func.count(Request.id)).filter(
        Request.status.notin_((Status.DRAFT, Status.CLOSED, Status.CANCELLED))).scalar()
    sent = 0
    for director in _users_with_role("Director"):
        with force_locale(director.profile.locale if director.profile else "ru"):
            queue_mail(director.email, _("%(brand)s: digest for %(day)s", day=day.isoformat()), _(
                "New requests: %(new)s\nPayments: %(paid)s\nOpen requests now: %(open)s\n",
                new=new, paid=money(paid), open=open_count), kind="digest")
        sent += 1
    commit()  # the digest mails and the marker together
    return sent


def sweep_outbox() -> int:
    """Re-queue stuck sends and failed rows worth another try, then enqueue every due row."""
    requeue_stuck()
    requeue_failed()
    return enqueue_sends(due_message_ids())


def _users_with_role(name: str):
    return db.session.query(User).join(User.roles).filter(Role.name == name,
                                                          User.active.is_(True)).all()


# name -> (function, cron expression)
PERIODIC = {
    "sla": (send_sla_reminders, "* * * * *"),  # thresholds may be 20 minutes
    "digest": (send_director_digest, "0 7 * * *"),
    "auto-close": (auto_close_delivered, "30 3 * * *"),
    "cleanup-exports": (exports.cleanup_exports, "0 * * * *"),
    "stale-exports": (exports.fail_stale_exports, "* * * * *"),  # dead worker -> failed
    "sweep-outbox": (sweep_outbox, "*/5 * * * *"),
    "sweep-telegram": (sweep_telegram, "* * * * *"),  # retries of the bot's outbox
    "cleanup-form-nonces": (purge_used_nonces, "20 * * * *"),
    "sweep-webhooks": (sweep_webhooks, "* * * * *"),  # retries after backoff (app.webhooks)
    # the director's default period and the managers' loads kept ahead in Redis
    "dashboard-figures": (refresh_figures, "* * * * *"),
}
