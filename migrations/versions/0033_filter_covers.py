"""Indexes for the staff list's object type filter, and the payment filter's status.

The list counts a filter's matches (up to 10 000) and reads its page newest first; a
supermanager's or admin's scope also leaves out drafts (`status <> 'draft'`). At a million
requests, found by a sweep of the filters a user can pick:

- a manager's requests of one object type (~22 000 of his, ~2 300 of the type): the count
  read every one of his from the table to check the type (~80 ms) —
  `ix_request_manager_type_id` (manager_id, object_type, id);
- one object type for the whole bureau (~100 000): no index, the count read 10 000 rows
  from the table (~50 ms) — `ix_request_object_type_id` (object_type, id) with the status
  included, so the count and the page's walk need not visit the table for it;
- "not paid" (~170 000): the count read 10 000 rows from the table for their status
  (~35 ms) — `ix_request_payment_cover` (payment_state, id) with the status included,
  replacing ix_request_payment_state_id (0030).

Built in the migration's transaction (~5 s at a million requests; docs/deploy.md).

Revision ID: 0033_filter_covers
Revises: 0032_date_cover_indexes
Create Date: 2026-11-28 00:00:00

"""
from alembic import op

revision = "0033_filter_covers"
down_revision = "0032_date_cover_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_request_manager_type_id", "request", ["manager_id", "object_type", "id"])
    op.create_index("ix_request_object_type_id", "request", ["object_type", "id"],
                    postgresql_include=["status"])
    op.create_index("ix_request_payment_cover", "request", ["payment_state", "id"],
                    postgresql_include=["status"])
    op.drop_index("ix_request_payment_state_id", table_name="request")


def downgrade():
    op.create_index("ix_request_payment_state_id", "request", ["payment_state", "id"])
    op.drop_index("ix_request_payment_cover", table_name="request")
    op.drop_index("ix_request_object_type_id", table_name="request")
    op.drop_index("ix_request_manager_type_id", table_name="request")
