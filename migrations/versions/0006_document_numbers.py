"""document numbers: invoices and acts numbered per kind and year, never reused

Revision ID: 0006_document_numbers
Revises: 0005_payment_voids
Create Date: 2026-11-26 11:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_document_numbers'
down_revision = '0005_payment_voids'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_number',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('request_number', sa.String(length=20), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'request_id', name='uq_document_number_kind_request'),
        sa.UniqueConstraint('kind', 'year', 'seq', name='uq_document_number_kind_year_seq'),
    )
    with op.batch_alter_table('document_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_number_issued_at'), ['issued_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_document_number_request_id'), ['request_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('document_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_number_request_id'))
        batch_op.drop_index(batch_op.f('ix_document_number_issued_at'))
    op.drop_table('document_number')
