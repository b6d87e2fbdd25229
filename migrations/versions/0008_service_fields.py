"""service fields: per-service request form fields and the request's typed field values;
today's object data (address, object type, area, floor, building type) becomes every existing
service's fields, and every existing request's object data its field values

Revision ID: 0008_service_fields
Revises: 0007_working_together
Create Date: 2026-11-26 14:45:00

"""
from decimal import Decimal

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0008_service_fields'
down_revision = '0007_working_together'
branch_labels = None
depends_on = None

FIELD_VALUES = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
GROUP = ("Объект", "Object")
# models.requests.BUILDING_TYPES with their labels as of this revision (frozen here: a
# migration must not change when the code does)
BUILDING_TYPES = [("panel", "Панельный", "Panel"), ("brick", "Кирпичный", "Brick"),
                  ("monolith", "Монолитный", "Monolith"), ("block", "Блочный", "Block"),
                  ("wood", "Деревянный", "Wood"), ("other", "Другой", "Other")]

service_field = sa.table(
    "service_field", sa.column("service_id", sa.Integer), sa.column("key", sa.String),
    sa.column("label", sa.String), sa.column("label_en", sa.String),
    sa.column("field_type", sa.String), sa.column("required", sa.Boolean),
    sa.column("group_name", sa.String), sa.column("group_name_en", sa.String),
    sa.column("sort_order", sa.Integer), sa.column("options", sa.JSON),
    sa.column("min_value", sa.Numeric), sa.column("max_value", sa.Numeric),
    sa.column("is_contact", sa.Boolean), sa.column("is_active", sa.Boolean))
request = sa.table(
    "request", sa.column("id", sa.Integer), sa.column("object_address", sa.String),
    sa.column("object_type", sa.String), sa.column("area", sa.Numeric),
    sa.column("floor", sa.Integer), sa.column("building_type", sa.String),
    sa.column("field_values", FIELD_VALUES))


def _request_batch():
    """SQLite rebuilds the table: keep its AUTOINCREMENT (revision 0007)."""
    if op.get_bind().dialect.name == "sqlite":
        return op.batch_alter_table("request", recreate="always",
                                    table_kwargs={"sqlite_autoincrement": True})
    return op.batch_alter_table("request")


def upgrade():
    op.create_table(
        'service_field',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('label_en', sa.String(length=200), nullable=True),
        sa.Column('field_type', sa.String(length=20), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('help_text', sa.String(length=500), nullable=True),
        sa.Column('help_text_en', sa.String(length=500), nullable=True),
        sa.Column('group_name', sa.String(length=100), nullable=True),
        sa.Column('group_name_en', sa.String(length=100), nullable=True),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('pattern', sa.String(length=300), nullable=True),
        sa.Column('pattern_message', sa.String(length=300), nullable=True),
        sa.Column('pattern_message_en', sa.String(length=300), nullable=True),
        sa.Column('min_value', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('max_value', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('show_if_key', sa.String(length=40), nullable=True),
        sa.Column('show_if_value', sa.String(length=100), nullable=True),
        sa.Column('is_contact', sa.Boolean(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('service_id', 'key', name='uq_service_field_key'),
    )
    op.create_index(op.f('ix_service_field_service_id'), 'service_field', ['service_id'],
                    unique=False)
    with _request_batch() as batch_op:
        batch_op.add_column(sa.Column('field_values', FIELD_VALUES, nullable=True))
    _object_fields_for_every_service()
    _copy_request_values()
    with _request_batch() as batch_op:
        batch_op.alter_column('field_values', existing_type=FIELD_VALUES, nullable=False)
        batch_op.alter_column('object_type', existing_type=sa.String(length=40),
                              nullable=True)
        batch_op.alter_column('area', existing_type=sa.Numeric(precision=10, scale=2),
                              nullable=True)


def _object_fields_for_every_service():
    """Today's fixed form (address, object type, area, floor, building type) as each
    existing service's fields."""
    bind = op.get_bind()
    object_types = [{"value": key, "label": label, "label_en": label_en or label}
                    for key, label, label_en in bind.execute(sa.text(
                        "SELECT key, label, label_en FROM price_rule WHERE kind = 'object_type' "
                        "AND is_active = :yes ORDER BY id"), {"yes": True})]
    buildings = [{"value": key, "label": ru, "label_en": en} for key, ru, en in BUILDING_TYPES]
    fields = [
        ("address", "Адрес объекта", "Object address", "text", True, [], None, 300),
        ("object_type", "Тип объекта", "Object type", "select", True, object_types, None,
         None),
        ("area", "Площадь, м²", "Area, m²", "decimal", True, [], 1, 100000),
        ("floor", "Этаж", "Floor", "integer", False, [], -5, 200),
        ("building_type", "Тип дома", "Building type", "select", False, buildings, None,
         None),
    ]
    rows = []
    for (service_id,) in bind.execute(sa.text("SELECT id FROM service ORDER BY id")):
        for order, (key, label, label_en, kind, required, options, low, high) in \
                enumerate(fields, start=1):
            rows.append({"service_id": service_id, "key": key, "label": label,
                         "label_en": label_en, "field_type": kind, "required": required,
                         "group_name": GROUP[0], "group_name_en": GROUP[1],
                         "sort_order": order * 10, "options": options,
                         "min_value": low, "max_value": high, "is_contact": False,
                         "is_active": True})
    if rows:
        op.bulk_insert(service_field, rows)


def _decimal_text(value) -> str:
    """A decimal as app.service_fields stores it: plain digits, no trailing zeros."""
    return format(Decimal(str(value)).normalize(), "f")


def _copy_request_values():
    """Each request's object data into its field values (the columns stay as mirrors)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(request.c.id, request.c.object_address,
                                  request.c.object_type, request.c.area, request.c.floor,
                                  request.c.building_type)).all()
    for row in rows:
        values = {"address": row.object_address, "object_type": row.object_type,
                  "area": _decimal_text(row.area) if row.area is not None else None,
                  "floor": row.floor, "building_type": row.building_type}
        values = {key: value for key, value in values.items() if value not in (None, "")}
        bind.execute(request.update().where(request.c.id == row.id)
                     .values(field_values=values))


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE request SET object_type = '' WHERE object_type IS NULL"))
    bind.execute(sa.text("UPDATE request SET area = 0 WHERE area IS NULL"))
    with _request_batch() as batch_op:
        batch_op.alter_column('area', existing_type=sa.Numeric(precision=10, scale=2),
                              nullable=False)
        batch_op.alter_column('object_type', existing_type=sa.String(length=40),
                              nullable=False)
        batch_op.drop_column('field_values')
    op.drop_index(op.f('ix_service_field_service_id'), table_name='service_field')
    op.drop_table('service_field')
