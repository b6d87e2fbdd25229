"""merge the parallel branches of issue 12 (fields and pricing, document slots, approval
steps, admin texts) back into one head; no schema change of its own

Revision ID: 0013_merge_bureau_by_data
Revises: 0009_document_slots, 0010_approval_steps, 0011_admin_texts, 0012_pricing_fields
Create Date: 2026-11-26 15:45:00

"""

# revision identifiers, used by Alembic.
revision = "0013_merge_bureau_by_data"
down_revision = ("0009_document_slots", "0010_approval_steps", "0011_admin_texts",
                 "0012_pricing_fields")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
