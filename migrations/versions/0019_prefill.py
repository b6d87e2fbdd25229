"""Prefill tokens: a partner's site opens the new-request form filled in (issue 13.4)

Revision ID: 0019_prefill
Revises: 0014_api_tokens
Create Date: 2026-11-26 17:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_prefill"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "prefill_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("service_ids", sa.JSON(), nullable=False),
        sa.Column("field_values", sa.JSON(), nullable=False),
        sa.Column("end_client_name", sa.String(length=200), nullable=True),
        sa.Column("end_client_phone", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["partner_company.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("prefill_token") as batch:
        batch.create_index("ix_prefill_token_company_id", ["company_id"])
        batch.create_index("ix_prefill_token_created_by_id", ["created_by_id"])
        batch.create_index("ix_prefill_token_created_at", ["created_at"])
        batch.create_index("ix_prefill_token_expires_at", ["expires_at"])


def downgrade():
    op.drop_table("prefill_token")
