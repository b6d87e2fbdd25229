"""Distributing requests among managers: current loads, manual and automatic assignment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import func, select

from app.extensions import db
from app.page_cache import cached_figures, forget, keep
from app.permissions import MANAGER
from app.workflow import assign_manager
from models.request_status import OPEN_STATUSES, Status
from models.partners import PartnerCompany
from models.requests import Request, RequestService


@dataclass
class ManagerLoad:
    manager: object
    open_requests: int
    hours: Decimal


QUEUE_SIZE = 200  # the queue page shows the oldest this many


def queue_rows(limit: int = QUEUE_SIZE) -> list:
    """The submitted requests waiting for a manager, oldest first, as rows (id, number,
    company, object_address, hours, submitted_at, urgency, wanted_date) of one statement
    (the supermanager sees what is urgent and when it is wanted): the page shows up to
    200, and loading them as objects with their company and service lines was about a
    third of its time."""
    hours = select(func.coalesce(func.sum(RequestService.estimated_hours), 0)) \
        .where(RequestService.request_id == Request.id).correlate(Request).scalar_subquery()
    return db.session.execute(
        select(Request.id, Request.number, PartnerCompany.name.label("company"),
               Request.object_address, hours.label("hours"), Request.submitted_at,
               Request.urgency, Request.wanted_date)
        .outerjoin(PartnerCompany, PartnerCompany.id == Request.company_id)
        .where(Request.status == Status.SUBMITTED)
        .order_by(Request.submitted_at, Request.id).limit(limit)).all()


def active_managers():
    """Active users holding the Manager role, by name."""
    return db.session.query(User).join(User.roles).filter(
        Role.name == MANAGER, User.active.is_(True)).order_by(User.first_name, User.id).all()


LOADS_KEY = "manager-loads"


def manager_loads(cached: bool = False) -> list[ManagerLoad]:
    """Each active manager's open requests and their estimated hours (two grouped queries).
    `cached`: the figures as the distribution page shows them, shared by the web workers for
    DASHBOARD_CACHE_SECONDS (app.page_cache; at 1M requests the two sums walk ~60 000 open
    requests and their lines, ~0.5 s); the supermanager's own assignments drop them
    (forget_loads), a manager's moves show within that time. Assigning computes them fresh."""
    managers = active_managers()
    ids = [m.id for m in managers]
    if cached:
        figures = cached_figures(LOADS_KEY, lambda: _loads_json(ids))
        found = {int(k): (n, Decimal(h)) for k, (n, h) in figures.items()}
    else:
        found = _loads(ids)
    return [ManagerLoad(m, *found.get(m.id, (0, Decimal(0)))) for m in managers]


def keep_loads(seconds: int) -> bool:
    """Compute the loads now and keep them for the distribution page (the periodic job
    "dashboard-figures": the page then never computes them itself)."""
    return keep(LOADS_KEY, _loads_json([m.id for m in active_managers()]), seconds)


def forget_loads() -> None:
    forget(LOADS_KEY)


def _loads_json(ids: list[int]) -> dict:
    return {str(k): [n, str(h)] for k, (n, h) in _loads(ids).items()}


def _loads(ids: list[int]) -> dict[int, tuple[int, Decimal]]:
    working = [s for s in OPEN_STATUSES if s != Status.SUBMITTED]
    counts = dict(db.session.query(Request.manager_id, func.count(Request.id)).filter(
        Request.manager_id.in_(ids), Request.status.in_(working)).group_by(Request.manager_id))
    hours = dict(db.session.query(Request.manager_id,
                                  func.coalesce(func.sum(RequestService.estimated_hours), 0))
                 .join(RequestService, RequestService.request_id == Request.id)
                 .filter(Request.manager_id.in_(ids), Request.status.in_(working))
                 .group_by(Request.manager_id))
    return {k: (counts.get(k, 0), Decimal(hours.get(k, 0) or 0)) for k in ids}


def auto_distribute(requests: list[Request], actor) -> list[tuple[Request, object]]:
    """Give each submitted request (oldest first) to the least-loaded active manager."""
    loads = manager_loads()
    if not loads:
        return []
    done = []
    for request in sorted(requests, key=lambda r: r.id):
        if request.status != Status.SUBMITTED:
            continue
        target = min(loads, key=lambda load: (load.open_requests, load.hours,
                                              load.manager.id))
        assign_manager(request, target.manager, actor)
        target.open_requests += 1
        target.hours += sum((line.estimated_hours for line in request.lines), Decimal(0))
        done.append((request, target.manager))
    return done
