"""admin texts: overrides of status labels, e-mail and PDF texts; SLA minutes per service;
the stored "sla_hours" setting becomes "sla_minutes"

Revision ID: 0011_admin_texts
Revises: 0007_working_together
Create Date: 2026-11-26 14:45:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_admin_texts'
down_revision = '0007_working_together'
branch_labels = None
depends_on = None

setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))


def upgrade():
    op.create_table(
        'text_override',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'key', 'locale', name='uq_text_override_kind_key_locale'),
    )
    op.create_table(
        'service_sla',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('service_id', 'status', name='uq_service_sla_service_status'),
    )
    op.create_index('ix_service_sla_service_id', 'service_sla', ['service_id'])
    _convert_setting("sla_hours", "sla_minutes", lambda hours: round(float(hours) * 60))


def downgrade():
    _convert_setting("sla_minutes", "sla_hours",
                     lambda minutes: max(1, round(float(minutes) / 60)))
    op.drop_index('ix_service_sla_service_id', table_name='service_sla')
    op.drop_table('service_sla')
    op.drop_table('text_override')


def _convert_setting(old: str, new: str, convert) -> None:
    """A stored per-status threshold is carried over in the new unit (nothing stored: the
    code's default applies)."""
    bind = op.get_bind()
    row = bind.execute(sa.select(setting.c.value).where(setting.c.key == old)).first()
    if row is None:
        return
    value = row[0]
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    converted = {status: convert(amount) for status, amount in (value or {}).items()
                 if isinstance(amount, (int, float)) and amount > 0}
    bind.execute(sa.delete(setting).where(setting.c.key.in_((old, new))))
    bind.execute(sa.insert(setting).values(key=new, value=converted))
