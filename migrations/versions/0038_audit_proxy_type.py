"""Audit rows written with a context proxy as their object name the user they stand for.

Revision ID: 0038_audit_proxy_type
Revises: 0037_address_cover

A profile change or a password change made by the signed-in user was recorded with
Flask-Login's `current_user` proxy as its object, so its type was stored as "LocalProxy"
(the audit log showed "LocalProxy #9"). Those actions are always on a user (app.accounts),
so the rows get "User". The downgrade leaves them: "LocalProxy" named nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0038_audit_proxy_type"
down_revision = "0037_address_cover"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("UPDATE audit_event SET object_type = 'User' "
                       "WHERE object_type = 'LocalProxy'"))


def downgrade():
    pass
