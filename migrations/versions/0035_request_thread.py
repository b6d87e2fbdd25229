"""The latest public message of each request's thread in a table of its own.

`request.last_public_message_id` (0020) was written by every message a partner may read, and
an update that changes an indexed column is never a HOT update: each post wrote an entry into
every index of the request table (~36, four trigram GIN indexes among them) and, after a
checkpoint, a full image of each of their pages. `request_thread` (request_id, company_id,
author_id, last_public_message_id) is a narrow row per thread with the dashboard's two indexes;
a message post upserts it and leaves the request row alone.

Revision ID: 0035_request_thread
Revises: 0034_drop_prefix_indexes
Create Date: 2026-11-28 00:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0035_request_thread"
down_revision = "0034_drop_prefix_indexes"
branch_labels = None
depends_on = None

HAS_MESSAGE = "last_public_message_id IS NOT NULL"
OLD_INDEXES = (("ix_request_company_last_message", ["company_id", "last_public_message_id"]),
               ("ix_request_author_last_message", ["author_id", "last_public_message_id"]))


def upgrade():
    op.create_table(
        "request_thread",
        sa.Column("request_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("last_public_message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id"))
    op.execute("INSERT INTO request_thread (request_id, company_id, author_id, "
               "last_public_message_id) SELECT id, company_id, author_id, "
               f"last_public_message_id FROM request WHERE {HAS_MESSAGE}")
    op.create_index("ix_request_thread_company_last", "request_thread",
                    ["company_id", "last_public_message_id"])
    op.create_index("ix_request_thread_author_last", "request_thread",
                    ["author_id", "last_public_message_id"])
    for name, _columns in OLD_INDEXES:
        op.drop_index(name, table_name="request")
    # both dialects drop a column no index or constraint names in place (SQLite 3.35+): a
    # batch copy of the request table would rebuild it and its stored search text
    op.execute("ALTER TABLE request DROP COLUMN last_public_message_id")


def downgrade():
    op.execute("ALTER TABLE request ADD COLUMN last_public_message_id INTEGER")
    op.execute("UPDATE request SET last_public_message_id = (SELECT t.last_public_message_id "
               "FROM request_thread t WHERE t.request_id = request.id)")
    for name, columns in OLD_INDEXES:
        op.create_index(name, "request", columns, postgresql_where=sa.text(HAS_MESSAGE),
                        sqlite_where=sa.text(HAS_MESSAGE))
    op.drop_index("ix_request_thread_author_last", table_name="request_thread")
    op.drop_index("ix_request_thread_company_last", table_name="request_thread")
    op.drop_table("request_thread")
