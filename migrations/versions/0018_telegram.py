"""Telegram: link tokens, linked chats, the bot's outbox

Revision ID: 0018_telegram
Revises: 0014_api_tokens
Create Date: 2026-11-26 17:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_telegram"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "telegram_link_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by_chat", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "telegram_chat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_name", sa.String(length=100), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(), nullable=True),
        sa.Column("unlink_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "telegram_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("telegram_link_token") as batch:
        batch.create_index("ix_telegram_link_token_user_id", ["user_id"])
        batch.create_index("ix_telegram_link_token_created_at", ["created_at"])
    with op.batch_alter_table("telegram_chat") as batch:
        batch.create_index("ix_telegram_chat_user_id", ["user_id"])
        batch.create_index("ix_telegram_chat_chat_id", ["chat_id"])
        batch.create_index("ix_telegram_chat_linked_at", ["linked_at"])
    with op.batch_alter_table("telegram_outbox") as batch:
        batch.create_index("ix_telegram_outbox_status_next", ["status", "next_attempt_at"])
        batch.create_index("ix_telegram_outbox_user_id", ["user_id"])
        batch.create_index("ix_telegram_outbox_created_at", ["created_at"])


def downgrade():
    op.drop_table("telegram_outbox")
    op.drop_table("telegram_chat")
    op.drop_table("telegram_link_token")
