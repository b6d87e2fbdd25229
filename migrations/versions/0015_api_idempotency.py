"""API idempotency keys: the first answer of a creating POST per token and Idempotency-Key

Revision ID: 0015_api_idempotency
Revises: 0014_api_tokens
Create Date: 2026-11-26 17:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_api_idempotency"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("response_type", sa.String(length=100), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),
    )
    with op.batch_alter_table("api_idempotency_key") as batch:
        batch.create_index("ix_api_idempotency_key_created_at", ["created_at"])


def downgrade():
    op.drop_table("api_idempotency_key")
