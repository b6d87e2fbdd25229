"""The partner list with a period (issue 14): request(company_id, created_at, id). With a
period the list is ordered by that date (then id), so a month of the big company is one
backward range of the index; before, the month was found by walking the company's requests
newest first (1M requests: 140 000 rows filtered, 0.2-16 s)

Revision ID: 0024_company_period
Revises: 0023_staff_keyset
Create Date: 2026-11-26 22:40:00

"""
from alembic import op

revision = "0024_company_period"
down_revision = "0023_staff_keyset"
branch_labels = None
depends_on = None

# declared in models.requests
INDEXES = [("ix_request_company_created_id", ["company_id", "created_at", "id"])]


def upgrade():
    for name, columns in INDEXES:
        op.create_index(name, "request", columns)


def downgrade():
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="request")
