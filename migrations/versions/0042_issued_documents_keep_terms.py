"""An invoice or act keeps the terms it was issued with.

Revision ID: 0042_issued_documents_keep_terms
Revises: 0041_notification_texts

Changing the VAT mode or the bureau's requisites rewrote every invoice and act already
issued (a paid invoice of 6 422,00 ₽ asked for 1 284,40 ₽ more of VAT after the mode became
"VAT on top"). `request.vat_mode` keeps the mode a request's first invoice or payment was
made under; `document_number.issued_with` keeps the requisites a document was issued with.
Rows before keep NULL: the current setting applies until they are invoiced, paid or
downloaded again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0042_issued_documents_keep_terms"
down_revision = "0041_notification_texts"
branch_labels = None
depends_on = None


def upgrade():
    # plain ALTER TABLE (SQLite 3.35+ and PostgreSQL): a batch copy of `request` cannot
    # rebuild its generated column (`searched`, 0029)
    op.add_column("request", sa.Column("vat_mode", sa.String(20)))
    op.add_column("document_number", sa.Column("issued_with", sa.JSON()))


def downgrade():
    op.execute("ALTER TABLE document_number DROP COLUMN issued_with")
    op.execute("ALTER TABLE request DROP COLUMN vat_mode")
