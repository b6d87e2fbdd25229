"""Indexes for two of the staff list's filter and sort pairs found slow at a million requests.

- A partner's requests sorted by title (`company_id, object_address, id`): a company's
  addresses share a city, so the title index walked past ~380 000 other companies' rows
  before the first of the big company's (1.1 s).
- The payment state (`payment_state, id`): "not paid" is a sixth of the requests and
  "partially paid" rarer; with a partner filter the list and its count read the company's
  every request to find none (~190 ms each).

Built in the migration's transaction: requests can be read but not written meanwhile
(~15 s for both at a million requests; docs/deploy.md).

Revision ID: 0030_filter_sorts
Revises: 0029_stored_search_text
Create Date: 2026-11-27 20:35:00

"""
from alembic import op

revision = "0030_filter_sorts"
down_revision = "0029_stored_search_text"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_request_company_address_id", "request",
                    ["company_id", "object_address", "id"])
    op.create_index("ix_request_payment_state_id", "request", ["payment_state", "id"])


def downgrade():
    op.drop_index("ix_request_payment_state_id", table_name="request")
    op.drop_index("ix_request_company_address_id", table_name="request")
