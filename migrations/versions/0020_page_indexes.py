"""Pages flat with data size (issue 14): composite and partial indexes of the pages' queries,
pg_trgm indexes for the text search (PostgreSQL only), request.last_public_message_id

Revision ID: 0020_page_indexes
Revises: 0014_api_tokens
Create Date: 2026-11-26 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0020_page_indexes"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None

WAITING = "status IN ('needs_info')"  # models.requests.WAITING_STATUSES
HAS_MESSAGE = "last_public_message_id IS NOT NULL"

# (name, table, columns, partial condition or None)
INDEXES = [
    ("ix_request_company_status_author", "request", ["company_id", "status", "author_id"], None),
    ("ix_request_manager_id_id", "request", ["manager_id", "id"], None),
    ("ix_request_engineer_id_id", "request", ["engineer_id", "id"], None),
    ("ix_request_object_address_id", "request", ["object_address", "id"], None),
    ("ix_request_created_status", "request", ["created_at", "status"], None),
    ("ix_request_submitted_at", "request", ["submitted_at"], None),
    ("ix_request_waiting", "request", ["company_id", "status_changed_at"], WAITING),
    ("ix_request_queue", "request", ["submitted_at", "id"], "status = 'submitted'"),
    ("ix_request_company_last_message", "request", ["company_id", "last_public_message_id"],
     HAS_MESSAGE),
    ("ix_request_author_last_message", "request", ["author_id", "last_public_message_id"],
     HAS_MESSAGE),
    ("ix_schedule_entry_ends_starts", "schedule_entry", ["ends_at", "starts_at"], None),
]
TRIGRAMS = [("ix_request_number_trgm", "request", "number"),
            ("ix_request_object_address_trgm", "request", "object_address"),
            ("ix_end_client_name_trgm", "end_client", "name")]


def upgrade():
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("last_public_message_id", sa.Integer(), nullable=True))
    op.execute("UPDATE request SET last_public_message_id = (SELECT max(m.id) FROM message m "
               "WHERE m.request_id = request.id AND NOT m.is_internal)")
    for name, table, columns, where in INDEXES:
        condition = {} if where is None else {"postgresql_where": sa.text(where),
                                               "sqlite_where": sa.text(where)}
        op.create_index(name, table, columns, **condition)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAMS:
            op.create_index(name, table, [column], postgresql_using="gin",
                            postgresql_ops={column: "gin_trgm_ops"})
        op.execute("CREATE INDEX ix_request_field_values_trgm ON request "
                   "USING gin ((field_values::text) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_request_field_values_trgm", table_name="request")
        for name, table, _column in TRIGRAMS:
            op.drop_index(name, table_name=table)
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("request") as batch:
        batch.drop_column("last_public_message_id")
