"""Two small indexes of the open requests for the desk's filters (payment, dates, people).

The desk reads each (status, overdue or not) range of the open requests in order
(views.desk_queries._ordered_page). With a filter, the planner guesses how many of a
status's rows match as if the filter and the status were unrelated; they are not (the open
requests are the newest and unpaid, the closed ones old and paid), so at a million requests
it either walked a status's whole range reading every row from the table to find none (a
past year: ~170 ms) or read every match from the table and sorted it (this month, "not
paid": ~110–130 ms). Both indexes hold only the open requests (~61 000 of 1 000 000) and
carry the filters' columns, so whichever way a range is read, it is read from the index
alone and costs at most its status's open rows:

- `ix_request_open_changed` (status, status_changed_at, id), the desk's order, with the
  filtered columns included;
- `ix_request_open_created` (status, created_at, id) with status_changed_at and the same
  columns included: a period's matches read and sorted.

Reading from the index alone needs the table's visibility map kept fresh, and the open
requests are the rows that change: autovacuum visits this table after 2 % of its rows
changed or were added (PostgreSQL's default, 20 %, is 200 000 rows at a million).

Built in the migration's transaction (~2 s at a million requests; docs/deploy.md).

Revision ID: 0031_open_desk_indexes
Revises: 0030_filter_sorts
Create Date: 2026-11-27 23:20:00

"""
import sqlalchemy as sa
from alembic import op

# models.request_status.OPEN_STATUSES as of this revision (models.requests.OPEN_CONDITION)
OPEN = ("status IN ('submitted', 'assigned', 'needs_info', 'scheduled', 'in_progress', "
        "'on_review', 'rework', 'ready', 'delivered')")
revision = "0031_open_desk_indexes"
down_revision = "0030_filter_sorts"
branch_labels = None
depends_on = None
# the desk's filter columns (app.request_filters.apply_filters; the client has its own index)
FILTERED = ["submitted_at", "payment_state", "company_id", "manager_id", "engineer_id"]


def upgrade():
    op.create_index("ix_request_open_changed", "request", ["status", "status_changed_at", "id"],
                    postgresql_include=["created_at", *FILTERED],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index("ix_request_open_created", "request", ["status", "created_at", "id"],
                    postgresql_include=["status_changed_at", *FILTERED],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE request SET (autovacuum_vacuum_scale_factor = 0.02, "
                   "autovacuum_vacuum_insert_scale_factor = 0.02)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE request RESET (autovacuum_vacuum_scale_factor, "
                   "autovacuum_vacuum_insert_scale_factor)")
    op.drop_index("ix_request_open_created", table_name="request")
    op.drop_index("ix_request_open_changed", table_name="request")
