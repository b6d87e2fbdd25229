"""The date indexes carry the list's time-ordered sort keys, for a period against its sort.

The staff list filtered by a period (created or submitted before / after a day) and sorted
the other way in time (newest first, the default; or by number or creation from the oldest)
walked the sort's index past every row outside the period: at a million requests ~950 000
rows and ~2 s. The list now first reads the least and greatest sort value among the
period's rows (views.keyset.bounded) from the date's index alone, so the two date indexes
carry the status and the sort keys:

- `ix_request_created_cover` (created_at, status) INCLUDE (id, number) replaces
  ix_request_created_status (the same keys: every query that used it can use this one);
- `ix_request_submitted_cover` (submitted_at) INCLUDE (status, id, number, created_at)
  replaces ix_request_submitted_at.

Built in the migration's transaction (~5 s at a million requests; docs/deploy.md).

Revision ID: 0032_date_cover_indexes
Revises: 0031_open_desk_indexes
Create Date: 2026-11-28 00:10:00

"""
from alembic import op

revision = "0032_date_cover_indexes"
down_revision = "0031_open_desk_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_request_created_cover", "request", ["created_at", "status"],
                    postgresql_include=["id", "number"])
    op.create_index("ix_request_submitted_cover", "request", ["submitted_at"],
                    postgresql_include=["status", "id", "number", "created_at"])
    op.drop_index("ix_request_created_status", table_name="request")
    op.drop_index("ix_request_submitted_at", table_name="request")


def downgrade():
    op.create_index("ix_request_submitted_at", "request", ["submitted_at"])
    op.create_index("ix_request_created_status", "request", ["created_at", "status"])
    op.drop_index("ix_request_submitted_cover", table_name="request")
    op.drop_index("ix_request_created_cover", table_name="request")
