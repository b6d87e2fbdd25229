"""Daily rollups (issue 14): status_day_rollup sums the time spent in a status per (day
entered, day left, status), so the dashboard's average hours in status over a long period is
one aggregate over a few thousand rows instead of a window over millions of status changes.
Filled by `flask replan rebuild-rollups` (run once after this upgrade), kept by app.rollups.

Revision ID: 0025_daily_rollups
Revises: 0024_company_period
Create Date: 2026-11-26 23:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0025_daily_rollups"
down_revision = "0024_company_period"
branch_labels = None
depends_on = None


def upgrade():
    # declared in models.rollups
    op.create_table(
        "status_day_rollup",
        sa.Column("entered_day", sa.Date(), nullable=False),
        sa.Column("left_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entered_day", "left_day", "status"),
    )


def downgrade():
    op.drop_table("status_day_rollup")
