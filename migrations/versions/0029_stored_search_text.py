"""The searched text stored, lowered, in a generated column (issue 14): `request.searched`.

0028_one_text_index put one pg_trgm index over a request's number, title and field values
written as one string. A trigram index only names candidate rows: each is checked again, and
that check wrote the field values out as JSON text and lowered the whole string for every
row (~5 µs; a common street's word at a million requests checks ~3 400 rows). The column
holds that string lowered, written by PostgreSQL on every insert and update, so the check is
a LIKE on one stored string (~0.5 µs); the text search's two indexes (every request, the open
ones) are on it and replace 0028's expression indexes.

PostgreSQL: adding a stored column rewrites the table and its indexes under an exclusive lock
(~1 minute at a million requests, writes and reads of requests wait: docs/deploy.md). The two
old indexes are dropped first so the rewrite does not rebuild them. SQLite: the column is
virtual (ALTER TABLE cannot add a stored one; SQLite's search walks the JSON and never reads it).

Revision ID: 0029_stored_search_text
Revises: 0028_one_text_index
Create Date: 2026-11-27 20:10:00

"""
from alembic import op

revision = "0029_stored_search_text"
down_revision = "0028_one_text_index"
branch_labels = None
depends_on = None

# models.requests.SEARCHED_SQL as of this revision
SEARCHED = "lower(number || ' ' || object_address || ' ' || CAST(field_values AS TEXT))"
# models.request_status.OPEN_STATUSES as of this revision (models.requests.OPEN_CONDITION)
OPEN = ("status IN ('submitted', 'assigned', 'needs_info', 'scheduled', 'in_progress', "
        "'on_review', 'rework', 'ready', 'delivered')")
# 0028's expression, as PostgreSQL reads it back
OLD = ("(((((number)::text || ' '::text) || (object_address)::text) || ' '::text) "
       "|| (field_values)::text)")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute(f"ALTER TABLE request ADD COLUMN searched TEXT "
                   f"GENERATED ALWAYS AS ({SEARCHED}) VIRTUAL")
        return
    op.drop_index("ix_request_open_text_trgm", table_name="request")
    op.drop_index("ix_request_text_trgm", table_name="request")
    op.execute(f"ALTER TABLE request ADD COLUMN searched TEXT "
               f"GENERATED ALWAYS AS ({SEARCHED}) STORED")
    op.execute("CREATE INDEX ix_request_searched_trgm ON request "
               "USING gin (searched gin_trgm_ops)")
    op.execute("CREATE INDEX ix_request_open_searched_trgm ON request "
               f"USING gin (searched gin_trgm_ops) WHERE {OPEN}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute("ALTER TABLE request DROP COLUMN searched")
        return
    op.drop_index("ix_request_open_searched_trgm", table_name="request")
    op.drop_index("ix_request_searched_trgm", table_name="request")
    op.execute("ALTER TABLE request DROP COLUMN searched")
    op.execute(f"CREATE INDEX ix_request_text_trgm ON request USING gin (({OLD}) gin_trgm_ops)")
    op.execute(f"CREATE INDEX ix_request_open_text_trgm ON request USING gin (({OLD}) "
               f"gin_trgm_ops) WHERE {OPEN}")
