"""A notification's text in every interface language.

Revision ID: 0041_notification_texts
Revises: 0040_kb_english

A notification was written once, in the language its recipient had at that moment: after
switching to English a user read their bell in Russian (and the reverse). `texts` holds
{language: text} for every interface language, written with the row; rows written before
keep their one `text`, shown as it is.
"""

import sqlalchemy as sa
from alembic import op

revision = "0041_notification_texts"
down_revision = "0040_kb_english"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("texts", sa.JSON()))


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("texts")
