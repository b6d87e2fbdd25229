"""Migration 0012: services with a rate price by their "area" field, the object-type price
coefficients move onto the "object_type" options (rules keep only their names), saved quotes
keep their values; and back (on the suite's database kind: SQLite or PostgreSQL)."""

import json
from decimal import Decimal

from sqlalchemy import inspect, text

from tests.unit.test_migration_service_fields import ROWS
from tests.unit.test_migrations import database_at, flask

MORE = [
    "UPDATE service SET price_per_m2_kopecks = 10000 WHERE id = 1",
    "INSERT INTO price_rule (id, kind, key, label, label_en, coefficient, surcharge_kopecks,"
    " is_active) VALUES (5, 'urgency', 'fast', 'Быстро', 'Fast', 1.5, 0, true)",
    "INSERT INTO quote (id, company_id, author_id, object_type, area, urgency, options,"
    " service_ids, breakdown, subtotal_kopecks, discount_kopecks, total_kopecks, created_at)"
    " VALUES (3, 1, 1, 'house', 54.50, 'normal', '[]', '[1]', '[]', 100, 0, 100,"
    " CURRENT_TIMESTAMP)",
]


def _json(raw):
    return raw if isinstance(raw, (dict, list)) else json.loads(raw)


def test_0012_moves_prices_onto_the_services_fields_and_back(make_app):
    with database_at(make_app, "0007_working_together") as (fresh, engine):
        with engine.begin() as conn:
            for row in ROWS + MORE:
                conn.execute(text(row))
        done = flask(fresh, "db", "upgrade", "0012_pricing_fields")
        assert done.exit_code == 0, done.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, rate_field_key FROM service ORDER BY id"))\
                .all() == [(1, "area"), (2, None)]  # B has no rate: a fixed price
            options = [_json(raw) for (raw,) in conn.execute(text(
                "SELECT options FROM service_field WHERE key = 'object_type' "
                "ORDER BY service_id"))]
            assert options == [[{"value": "apartment", "label": "Квартира",
                                 "label_en": "Apartment"},
                                {"value": "house", "label": "Дом", "label_en": "Дом",
                                 "coefficient": "1.2"}]] * 2
            rules = dict(conn.execute(text("SELECT key, coefficient FROM price_rule")).all())
            assert {k: Decimal(str(v)) for k, v in rules.items()} == {
                "apartment": 1, "house": 1, "barn": 1, "normal": 1, "fast": Decimal("1.5")}
            quote = conn.execute(text("SELECT field_values, object_type, area FROM quote"))\
                .one()
            assert _json(quote[0]) == {"object_type": "house", "area": "54.5"}
            conn.execute(text("UPDATE quote SET object_type = NULL, area = NULL"))
            conn.commit()
        back = flask(fresh, "db", "downgrade", "0008_service_fields")
        assert back.exit_code == 0, back.output
        engine.dispose()
        with engine.connect() as conn:
            rules = dict(conn.execute(text("SELECT key, coefficient FROM price_rule")).all())
            assert Decimal(str(rules["house"])) == Decimal("1.2")
            assert conn.execute(text("SELECT object_type, area FROM quote")).one() == ("", 0)
        assert "rate_field_key" not in {c["name"] for c in inspect(engine).get_columns("service")}
        assert "field_values" not in {c["name"] for c in inspect(engine).get_columns("quote")}
