"""merge the parallel branches of issues 13 and 14 (API idempotency keys, webhooks,
signatures, Telegram, prefill tokens, page indexes) back into one head; no schema change of
its own

Revision ID: 0021_merge_integrations
Revises: 0015_api_idempotency, 0016_webhooks, 0017_signatures, 0018_telegram, 0019_prefill,
         0020_page_indexes
Create Date: 2026-11-26 18:10:00

"""

# revision identifiers, used by Alembic.
revision = "0021_merge_integrations"
down_revision = ("0015_api_idempotency", "0016_webhooks", "0017_signatures", "0018_telegram",
                 "0019_prefill", "0020_page_indexes")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
