"""working together: requests filed by staff on a partner's behalf, engineers' weekly capacity,
request ids never reused on SQLite (AUTOINCREMENT)

Revision ID: 0007_working_together
Revises: 0006_document_numbers
Create Date: 2026-11-26 12:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_working_together'
down_revision = '0006_document_numbers'
branch_labels = None
depends_on = None


def _request_batch(autoincrement: bool):
    """On SQLite the table is rebuilt, so that AUTOINCREMENT can be switched (ids of deleted
    rows are then never handed out again); PostgreSQL's sequence never reuses ids anyway."""
    if op.get_bind().dialect.name == "sqlite":
        return op.batch_alter_table("request", recreate="always",
                                    table_kwargs={"sqlite_autoincrement": autoincrement})
    return op.batch_alter_table("request")


def upgrade():
    with _request_batch(True) as batch_op:
        batch_op.add_column(sa.Column('filed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_request_filed_by_id_ab_user', 'ab_user',
                                    ['filed_by_id'], ['id'])
    with op.batch_alter_table('user_profile') as batch_op:
        batch_op.add_column(sa.Column('weekly_capacity_hours', sa.Integer(), nullable=False,
                                      server_default='40'))


def downgrade():
    with op.batch_alter_table('user_profile') as batch_op:
        batch_op.drop_column('weekly_capacity_hours')
    with _request_batch(False) as batch_op:
        batch_op.drop_constraint('fk_request_filed_by_id_ab_user', type_='foreignkey')
        batch_op.drop_column('filed_by_id')
