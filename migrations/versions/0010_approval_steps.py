"""approval steps per service and the decisions recorded on requests (issue 12, item 5)

Revision ID: 0010_approval_steps
Revises: 0007_working_together
Create Date: 2026-11-26 14:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_approval_steps'
down_revision = '0007_working_together'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'approval_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('title_en', sa.String(length=200), nullable=True),
        sa.Column('role_name', sa.String(length=64), nullable=False),
        sa.Column('gate', sa.String(length=10), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_approval_step_service_position', 'approval_step',
                    ['service_id', 'position'])
    op.create_table(
        'request_approval',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('step_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=10), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['request_id'], ['request.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['step_id'], ['approval_step.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_request_approval_request_round', 'request_approval',
                    ['request_id', 'round'])
    op.create_index(op.f('ix_request_approval_step_id'), 'request_approval', ['step_id'])
    op.create_index(op.f('ix_request_approval_actor_id'), 'request_approval', ['actor_id'])
    op.create_index(op.f('ix_request_approval_created_at'), 'request_approval',
                    ['created_at'])


def downgrade():
    op.drop_index(op.f('ix_request_approval_created_at'), table_name='request_approval')
    op.drop_index(op.f('ix_request_approval_actor_id'), table_name='request_approval')
    op.drop_index(op.f('ix_request_approval_step_id'), table_name='request_approval')
    op.drop_index('ix_request_approval_request_round', table_name='request_approval')
    op.drop_table('request_approval')
    op.drop_index('ix_approval_step_service_position', table_name='approval_step')
    op.drop_table('approval_step')
