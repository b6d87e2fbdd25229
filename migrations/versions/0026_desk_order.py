"""The desk's work list at any scope (issue 14): request(status, status_changed_at, id) and
request(manager_id, status, status_changed_at, id). The list is ordered overdue first, then by
the status's priority, then oldest first; it is now read as one index range per (status,
overdue or not), merged (views.desk_queries.work_list), instead of sorting every open request
in scope (1M requests, the supermanager: 60 000 rows sorted a page, ~280 ms)

Revision ID: 0026_desk_order
Revises: 0025_daily_rollups
Create Date: 2026-11-27 01:40:00

"""
from alembic import op

revision = "0026_desk_order"
down_revision = "0025_daily_rollups"
branch_labels = None
depends_on = None

# declared in models.requests
INDEXES = [("ix_request_status_changed", ["status", "status_changed_at", "id"]),
           ("ix_request_manager_status_changed",
            ["manager_id", "status", "status_changed_at", "id"])]


def upgrade():
    for name, columns in INDEXES:
        op.create_index(name, "request", columns)


def downgrade():
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="request")
