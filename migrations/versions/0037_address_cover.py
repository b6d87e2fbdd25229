"""The address sort's index carries the stored search text and the scopes' columns.

The staff list sorted by address with a word found in tens of thousands of requests (a
street's name) walks the address index and tests each row for the word; the matching rows
lie together in that order (a street's houses), so the first page's rows came after ~66 000
others, each read from the table for its search text: ~170–300 ms at a million requests.
`ix_request_address_cover` (object_address, id) INCLUDE (searched, status, manager_id,
engineer_id) replaces `ix_request_object_address_id`: the walk reads the candidates from
the index alone (~50 ms for the same rows) and only a page's candidates are checked against
the whole search (views.keyset.KeysetPages). The index is ~370 MB at a million requests
(the one it replaces ~90 MB). SQLite has no INCLUDE: there the index is the plain one
under its new name.

Built in the migration's transaction (~10 s at a million requests; docs/deploy.md).

Revision ID: 0037_address_cover
Revises: 0036_request_day_bounds
Create Date: 2026-11-28 00:00:00

"""
from alembic import op

revision = "0037_address_cover"
down_revision = "0036_request_day_bounds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_request_address_cover", "request", ["object_address", "id"],
                    postgresql_include=["searched", "status", "manager_id", "engineer_id"])
    op.drop_index("ix_request_object_address_id", table_name="request")


def downgrade():
    op.create_index("ix_request_object_address_id", "request", ["object_address", "id"])
    op.drop_index("ix_request_address_cover", table_name="request")
