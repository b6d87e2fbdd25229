"""One pg_trgm index over a request's searched text (issue 14): number, title and field values.

The text search (app.request_filters.text_clause) ORed three trigram indexes (number, title,
field values as JSON text); a street's name is in the title and in the address field, so a
word of 50 000 requests built two bitmaps of 50 000 entries (~25 ms each at a million
requests) before a row was read. One index over the three in one string
(models.requests.searched_text) builds one bitmap; each column is then checked on the rows
found. The same for the open requests (the desk's search, 0027_open_text_indexes), whose
three partial indexes it replaces, as the full index replaces the field values' one. The
number and title keep their own indexes: the staff list's column filters ("contains",
"starts with") use them. PostgreSQL only: SQLite has no pg_trgm and searches with LIKE.

Revision ID: 0028_one_text_index
Revises: 0027_open_text_indexes
Create Date: 2026-11-27 16:10:00

"""
from alembic import op

revision = "0028_one_text_index"
down_revision = "0027_open_text_indexes"
branch_labels = None
depends_on = None

# models.request_status.OPEN_STATUSES as of this revision (models.requests.OPEN_CONDITION)
OPEN = ("status IN ('submitted', 'assigned', 'needs_info', 'scheduled', 'in_progress', "
        "'on_review', 'rework', 'ready', 'delivered')")
# models.requests.searched_text, as PostgreSQL reads it back
SEARCHED = ("(((((number)::text || ' '::text) || (object_address)::text) || ' '::text) "
            "|| (field_values)::text)")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_request_text_trgm ON request USING gin (({SEARCHED}) "
               "gin_trgm_ops)")
    op.execute(f"CREATE INDEX ix_request_open_text_trgm ON request USING gin (({SEARCHED}) "
               f"gin_trgm_ops) WHERE {OPEN}")
    for name in ("ix_request_field_values_trgm", "ix_request_open_number_trgm",
                 "ix_request_open_address_trgm", "ix_request_open_values_trgm"):
        op.drop_index(name, table_name="request")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_request_field_values_trgm ON request "
               "USING gin ((field_values::text) gin_trgm_ops)")
    for name, column in (("ix_request_open_number_trgm", "number"),
                         ("ix_request_open_address_trgm", "object_address")):
        op.execute(f"CREATE INDEX {name} ON request USING gin ({column} gin_trgm_ops) "
                   f"WHERE {OPEN}")
    op.execute("CREATE INDEX ix_request_open_values_trgm ON request "
               f"USING gin ((field_values::text) gin_trgm_ops) WHERE {OPEN}")
    op.drop_index("ix_request_open_text_trgm", table_name="request")
    op.drop_index("ix_request_text_trgm", table_name="request")
