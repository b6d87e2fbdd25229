"""The knowledge base in English too: a category's name, an article's title and text.

Revision ID: 0040_kb_english
Revises: 0039_personal_documents

Services, fields and documents had their English wording; the knowledge base had none, so an
English cabinet listed Russian sections and articles (and a document's "See an example" opened
a Russian page). Empty English wording shows the Russian one, as elsewhere.
"""

import sqlalchemy as sa
from alembic import op

revision = "0040_kb_english"
down_revision = "0039_personal_documents"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("kb_category") as batch:
        batch.add_column(sa.Column("name_en", sa.String(200)))
    with op.batch_alter_table("kb_article") as batch:
        batch.add_column(sa.Column("title_en", sa.String(300)))
        batch.add_column(sa.Column("body_md_en", sa.Text()))


def downgrade():
    with op.batch_alter_table("kb_article") as batch:
        batch.drop_column("body_md_en")
        batch.drop_column("title_en")
    with op.batch_alter_table("kb_category") as batch:
        batch.drop_column("name_en")
