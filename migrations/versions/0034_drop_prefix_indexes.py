"""Drop the request table's four indexes that are a leading part of another index.

Each is the first column(s) of a wider index that serves every query it served, in the same
order: ix_request_status (status) of ix_request_status_id (status, id),
ix_request_created_at (created_at) of ix_request_created_cover (created_at, status),
ix_request_engineer_id (engineer_id) of ix_request_engineer_id_id (engineer_id, id), and
ix_request_manager_status (manager_id, status) of ix_request_manager_status_changed
(manager_id, status, status_changed_at). At a million requests they held 77 MB, and every
insert of a request and every update the database cannot keep on its page (a status move, a
new message: the indexed last message changes) wrote an entry into each of them.

Revision ID: 0034_drop_prefix_indexes
Revises: 0033_filter_covers
Create Date: 2026-11-28 00:00:00

"""
from alembic import op

revision = "0034_drop_prefix_indexes"
down_revision = "0033_filter_covers"
branch_labels = None
depends_on = None

DROPPED = (("ix_request_status", ["status"]), ("ix_request_created_at", ["created_at"]),
           ("ix_request_engineer_id", ["engineer_id"]),
           ("ix_request_manager_status", ["manager_id", "status"]))


def upgrade():
    for name, _columns in DROPPED:
        op.drop_index(name, table_name="request")


def downgrade():
    for name, columns in DROPPED:
        op.create_index(name, "request", columns)
