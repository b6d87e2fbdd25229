"""Indexes for two of the staff list's filter and sort pairs found slow at a million requests.

- A partner's requests sorted by title (`company_id, object_address, id`): a company's
  addresses share a city, so the title index walked past ~380 000 other companies' rows
  before the first of the big company's (1.1 s).
- The payment state (`payment_state, id`): "not paid" is a sixth of the requests and
  "partially paid" rarer; with a partner filter the list and its count read the company's
  every request to find none (~190 ms each).
- A status sorted by number or by creation (`status, number`; `status, created_at, id`):
  a status's requests lie together in time (the submitted ones are the newest), so the
  number index walked from the oldest read ~940 000 others before the first (~3 s).
- The desk's client filter (`end_client_id` of the open requests): a common surname is
  ~9 000 clients with ~50 000 requests, ~3 000 of them open; the desk read all 50 000
  (~230 ms) to keep those.

Built in the migration's transaction: requests can be read but not written meanwhile
(~20 s for all at a million requests; docs/deploy.md).

Revision ID: 0030_filter_sorts
Revises: 0029_stored_search_text
Create Date: 2026-11-27 20:35:00

"""
import sqlalchemy as sa
from alembic import op

# models.request_status.OPEN_STATUSES as of this revision (models.requests.OPEN_CONDITION)
OPEN = ("status IN ('submitted', 'assigned', 'needs_info', 'scheduled', 'in_progress', "
        "'on_review', 'rework', 'ready', 'delivered')")
revision = "0030_filter_sorts"
down_revision = "0029_stored_search_text"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_request_company_address_id", "request",
                    ["company_id", "object_address", "id"])
    op.create_index("ix_request_payment_state_id", "request", ["payment_state", "id"])
    op.create_index("ix_request_status_number", "request", ["status", "number"])
    op.create_index("ix_request_status_created_id", "request", ["status", "created_at", "id"])
    op.create_index("ix_request_open_end_client", "request", ["end_client_id"],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    op.drop_index("ix_request_open_end_client", table_name="request")
    op.drop_index("ix_request_status_created_id", table_name="request")
    op.drop_index("ix_request_status_number", table_name="request")
    op.drop_index("ix_request_payment_state_id", table_name="request")
    op.drop_index("ix_request_company_address_id", table_name="request")
