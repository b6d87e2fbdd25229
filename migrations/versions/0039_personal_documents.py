"""Documents of personal data: a document slot may hide its files from engineers.

Revision ID: 0039_personal_documents
Revises: 0038_audit_proxy_type

A scan of the owner's passport attached at intake was listed and downloadable on the
engineer's desk page, though engineers never see partner contacts. `is_personal` marks such a
document (app.request_conversation.staff_may_download hides its files from engineers). Off
for every existing slot: the admin decides which documents are personal data.
"""

import sqlalchemy as sa
from alembic import op

revision = "0039_personal_documents"
down_revision = "0038_audit_proxy_type"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document_slot") as batch:
        batch.add_column(sa.Column("is_personal", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("document_slot") as batch:
        batch.drop_column("is_personal")
