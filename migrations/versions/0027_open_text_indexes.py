"""The desk's text search (issue 14): pg_trgm indexes over the open requests only.

The desk lists open requests (~6 % of them at a million). Its search found the matches in the
trigram indexes over every request and then dropped the closed ones: a broad word (a street
in 50 000 addresses) read all of those. Partial indexes of the open requests' number, title
and field values find the open matches alone (views.desk_queries.work_list). PostgreSQL
only: SQLite has no pg_trgm and searches with LIKE.

Revision ID: 0027_open_text_indexes
Revises: 0026_desk_order
Create Date: 2026-11-27 10:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0027_open_text_indexes"
down_revision = "0026_desk_order"
branch_labels = None
depends_on = None

# models.request_status.OPEN_STATUSES as of this revision (models.requests.OPEN_CONDITION)
OPEN = ("status IN ('submitted', 'assigned', 'needs_info', 'scheduled', 'in_progress', "
        "'on_review', 'rework', 'ready', 'delivered')")
TRIGRAMS = [("ix_request_open_number_trgm", "number"),
            ("ix_request_open_address_trgm", "object_address")]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in TRIGRAMS:
        op.create_index(name, "request", [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"},
                        postgresql_where=sa.text(OPEN))
    op.execute("CREATE INDEX ix_request_open_values_trgm ON request "
               f"USING gin ((field_values::text) gin_trgm_ops) WHERE {OPEN}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_request_open_values_trgm", table_name="request")
    for name, _column in reversed(TRIGRAMS):
        op.drop_index(name, table_name="request")
