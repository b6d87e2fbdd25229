"""pricing by the service's own fields: a service's rate multiplies one numeric field of its
form (service.rate_field_key; existing services with a rate: "area"); the object-type price
coefficients move onto the options of the services' "object_type" select field (the price
rules keep their labels, their coefficient goes back to 1: one source of truth); saved quotes
keep the priced fields' values (quote.field_values; object_type and area become nullable
mirrors)

Revision ID: 0012_pricing_fields
Revises: 0008_service_fields
Create Date: 2026-11-26 15:00:00

"""
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_pricing_fields'
down_revision = '0008_service_fields'
branch_labels = None
depends_on = None

service_field = sa.table("service_field", sa.column("id", sa.Integer),
                         sa.column("key", sa.String), sa.column("field_type", sa.String),
                         sa.column("options", sa.JSON))
quote = sa.table("quote", sa.column("id", sa.Integer), sa.column("object_type", sa.String),
                 sa.column("area", sa.Numeric), sa.column("field_values", sa.JSON))


def _decimal_text(value) -> str:
    """A decimal as app.service_fields stores it: plain digits, no trailing zeros."""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def upgrade():
    with op.batch_alter_table("service") as batch_op:
        batch_op.add_column(sa.Column("rate_field_key", sa.String(length=40), nullable=True))
    op.execute("UPDATE service SET rate_field_key = 'area' WHERE price_per_m2_kopecks <> 0")
    _coefficients_to_options()
    with op.batch_alter_table("quote") as batch_op:
        batch_op.add_column(sa.Column("field_values", sa.JSON(), nullable=True))
    _quote_values()
    with op.batch_alter_table("quote") as batch_op:
        batch_op.alter_column("field_values", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("object_type", existing_type=sa.String(length=40),
                              nullable=True)
        batch_op.alter_column("area", existing_type=sa.Numeric(precision=10, scale=2),
                              nullable=True)


def _object_type_fields(bind):
    return bind.execute(sa.select(service_field.c.id, service_field.c.options).where(
        service_field.c.key == "object_type",
        service_field.c.field_type.in_(("select", "multiselect")))).all()


def _coefficients_to_options():
    """Each active object-type rule's coefficient (when not 1) onto the option of that value
    of every "object_type" field; the rules' coefficients become 1 (labels only now)."""
    bind = op.get_bind()
    coefficients = {key: Decimal(str(coefficient)) for key, coefficient in bind.execute(
        sa.text("SELECT key, coefficient FROM price_rule WHERE kind = 'object_type' "
                "AND is_active = :yes"), {"yes": True})}
    for field_id, options in _object_type_fields(bind):
        changed = []
        for option in options or []:
            option = dict(option) if isinstance(option, dict) else option
            coefficient = coefficients.get(str(option.get("value"))) \
                if isinstance(option, dict) else None
            if coefficient is not None and coefficient != 1:
                option["coefficient"] = _decimal_text(coefficient)
            changed.append(option)
        bind.execute(service_field.update().where(service_field.c.id == field_id)
                     .values(options=changed))
    op.execute("UPDATE price_rule SET coefficient = 1 WHERE kind = 'object_type'")


def _quote_values():
    bind = op.get_bind()
    for row in bind.execute(sa.select(quote.c.id, quote.c.object_type, quote.c.area)).all():
        values = {}
        if row.object_type:
            values["object_type"] = row.object_type
        if row.area is not None:
            values["area"] = _decimal_text(row.area)
        bind.execute(quote.update().where(quote.c.id == row.id).values(field_values=values))


def downgrade():
    bind = op.get_bind()
    _coefficients_back_to_rules(bind)
    bind.execute(sa.text("UPDATE quote SET object_type = '' WHERE object_type IS NULL"))
    bind.execute(sa.text("UPDATE quote SET area = 0 WHERE area IS NULL"))
    with op.batch_alter_table("quote") as batch_op:
        batch_op.alter_column("area", existing_type=sa.Numeric(precision=10, scale=2),
                              nullable=False)
        batch_op.alter_column("object_type", existing_type=sa.String(length=40),
                              nullable=False)
        batch_op.drop_column("field_values")
    with op.batch_alter_table("service") as batch_op:
        batch_op.drop_column("rate_field_key")


def _coefficients_back_to_rules(bind):
    """The first coefficient found on an "object_type" option goes back to its rule."""
    found = {}
    for _field_id, options in _object_type_fields(bind):
        for option in options or []:
            if isinstance(option, dict) and option.get("coefficient") is not None:
                found.setdefault(str(option.get("value")), str(option["coefficient"]))
    for key, coefficient in found.items():
        bind.execute(sa.text("UPDATE price_rule SET coefficient = :c WHERE kind = "
                             "'object_type' AND key = :k").bindparams(
            sa.bindparam("c", type_=sa.Numeric(6, 3))), {"c": Decimal(coefficient), "k": key})
