"""document checklist at intake: per-service document slots, the slot an input file fills

Revision ID: 0009_document_slots
Revises: 0007_working_together
Create Date: 2026-11-26 14:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_document_slots'
down_revision = '0007_working_together'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_slot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('title_en', sa.String(length=200), nullable=True),
        sa.Column('hint', sa.Text(), nullable=True),
        sa.Column('hint_en', sa.Text(), nullable=True),
        sa.Column('accepted', sa.JSON(), nullable=False),
        sa.Column('min_files', sa.Integer(), nullable=False),
        sa.Column('max_files', sa.Integer(), nullable=False),
        sa.Column('kb_article_id', sa.Integer(), nullable=True),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.CheckConstraint('min_files >= 0 AND max_files >= 1 AND min_files <= max_files',
                           name='ck_document_slot_counts'),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE',
                                name='fk_document_slot_service_id_service'),
        sa.ForeignKeyConstraint(['kb_article_id'], ['kb_article.id'], ondelete='SET NULL',
                                name='fk_document_slot_kb_article_id_kb_article'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('service_id', 'key', name='uq_document_slot_service_key'),
    )
    op.create_index('ix_document_slot_service_id', 'document_slot', ['service_id'])
    with op.batch_alter_table('attachment') as batch_op:
        batch_op.add_column(sa.Column('slot_key', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('attachment') as batch_op:
        batch_op.drop_column('slot_key')
    op.drop_index('ix_document_slot_service_id', table_name='document_slot')
    op.drop_table('document_slot')
