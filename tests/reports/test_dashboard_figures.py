"""reports.queries.period_figures: the dashboard's four request and payment figures in one
statement, equal to each figure asked alone (both dialects: the parts' keys and sums are
cast to one shape)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.extensions import db
from app.payments import mark_payment
from app.timefmt import local_today
from models.finance import Payment
from models.request_status import Status
from reports import dashboard, queries
from tests.factories import Staff, make_partner, make_request, make_user, statements


def test_one_statement_gives_what_the_four_figures_give_alone(app):
    staff, admin = Staff(), make_user("Admin")
    today = local_today()  # the bureau's day: from 21:00 UTC Moscow is a day ahead
    owners = [make_partner() for _ in range(3)]
    for k, owner in enumerate(owners):
        for status in (Status.SUBMITTED, Status.IN_PROGRESS, Status.CLOSED)[:k + 1]:
            req = make_request(owner, status, staff)
            req.submitted_at = datetime.now() - timedelta(days=10 * k)
            if status == Status.IN_PROGRESS:  # a closed one was paid by its walk
                mark_payment(req, req.total_kopecks // (k + 1), today - timedelta(days=35 * k),
                             f"PP-{k}-{req.id}", admin)
    db.session.commit()
    start, end = today - timedelta(days=90), today
    paid = {}  # company -> kopecks paid in the period, from the rows themselves
    for payment in db.session.query(Payment):
        name = payment.request.company.name
        paid[name] = paid.get(name, 0) + payment.amount_kopecks
    assert len(paid) == 2

    with statements() as seen:
        together = queries.period_figures(start, end)
    assert len(seen) == 1
    assert dict(together["by_status"]) == queries.requests_by_status(start, end) == {
        "submitted": 3, "in_progress": 2, "closed": 1}
    assert together["weekly"] == queries.new_requests_per_week(start, end)
    assert sum(n for _week, n in together["weekly"]) == 6 and len(together["weekly"]) == 3
    assert together["revenue"] == queries.revenue_per_month(start, end)
    assert sum(total for _month, total in together["revenue"]) == sum(paid.values()) > 0
    assert len(together["revenue"]) >= 2  # today's and 35 days ago
    assert together["partners"] == queries.top_partners(start, end)
    assert together["partners"] == sorted(paid.items(), key=lambda row: (-row[1], row[0]))
    empty = queries.period_figures(date(2001, 1, 1), date(2001, 2, 1))
    assert empty == {"by_status": [], "weekly": [], "revenue": [], "partners": []}


def test_the_uncached_dashboard_sends_at_most_ten_statements(app):
    """The director's figures computed on the spot (no kept ones: another period, or before
    the job's first run)."""
    staff = Staff()
    make_request(make_partner(), Status.IN_PROGRESS, staff)
    with statements() as seen:
        figures = dashboard.director_figures(local_today() - timedelta(days=90), local_today())
    assert figures["by_status"] == {"in_progress": 1}
    assert len(seen) <= 8  # the page adds the user's statement: 9 in all
