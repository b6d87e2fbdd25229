"""Ready-made field sets for services: the redevelopment bureau's object fields (what the
fixed request form asked before issue 12; migration 0008 gave them to every service)."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from models.catalog import RULE_OBJECT_TYPE, PriceRule
from models.requests import BUILDING_TYPES
from models.service_fields import (FIELD_DECIMAL, FIELD_INTEGER, FIELD_SELECT, FIELD_TEXT,
                                   ServiceField)

OBJECT_GROUP = ("Объект", "Object")
# the bureau's own words for models.requests.BUILDING_TYPES, in both languages (data now)
BUILDING_WORDS = {"panel": ("Панельный", "Panel"), "brick": ("Кирпичный", "Brick"),
                  "monolith": ("Монолитный", "Monolith"), "block": ("Блочный", "Block"),
                  "wood": ("Деревянный", "Wood"), "other": ("Другой", "Other")}


def _object_type_options() -> list[dict]:
    rules = db.session.query(PriceRule).filter_by(kind=RULE_OBJECT_TYPE, is_active=True) \
        .order_by(PriceRule.id).all()
    return [{"value": r.key, "label": r.label, "label_en": r.label_en or r.label}
            for r in rules]


def _building_options() -> list[dict]:
    return [{"value": b, "label": BUILDING_WORDS[b][0], "label_en": BUILDING_WORDS[b][1]}
            for b in BUILDING_TYPES]


def object_fields() -> list[dict]:
    """Column values of the five object fields (address, object type, area, floor, building
    type), the same as migration 0008 created."""
    common = {"group_name": OBJECT_GROUP[0], "group_name_en": OBJECT_GROUP[1]}
    return [
        dict(common, key="address", label="Адрес объекта", label_en="Object address",
             field_type=FIELD_TEXT, required=True, max_value=Decimal(300), sort_order=10),
        dict(common, key="object_type", label="Тип объекта", label_en="Object type",
             field_type=FIELD_SELECT, required=True, options=_object_type_options(),
             sort_order=20),
        dict(common, key="area", label="Площадь, м²", label_en="Area, m²",
             field_type=FIELD_DECIMAL, required=True, min_value=Decimal(1),
             max_value=Decimal(100000), sort_order=30),
        dict(common, key="floor", label="Этаж", label_en="Floor", field_type=FIELD_INTEGER,
             min_value=Decimal(-5), max_value=Decimal(200), sort_order=40),
        dict(common, key="building_type", label="Тип дома", label_en="Building type",
             field_type=FIELD_SELECT, options=_building_options(), sort_order=50),
    ]


def add_object_fields(service) -> list[ServiceField]:
    """Give a service the object fields it does not have yet (by key); caller commits."""
    have = {f.key for f in db.session.query(ServiceField.key).filter_by(service_id=service.id)}
    added = [ServiceField(service_id=service.id, **values) for values in object_fields()
             if values["key"] not in have]
    db.session.add_all(added)
    db.session.flush()
    return added
