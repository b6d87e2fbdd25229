"""Migration 0008: every service gets today's object fields and every request's object data
becomes its field values, intact (on the suite's database kind: SQLite or PostgreSQL)."""

import json

from sqlalchemy import inspect, text

from tests.unit.test_migrations import database_at, flask

ROWS = [
    "INSERT INTO ab_user (id, first_name, last_name, username, email, active) VALUES"
    " (1, 'a', 'b', 'u', 'u@x.example', true)",
    "INSERT INTO partner_company (id, name, inn, is_blocked, discount_percent, created_at)"
    " VALUES (1, 'C', '7700000001', false, 0, CURRENT_TIMESTAMP)",
    "INSERT INTO price_rule (id, kind, key, label, label_en, coefficient, surcharge_kopecks,"
    " is_active) VALUES (1, 'object_type', 'apartment', 'Квартира', 'Apartment', 1, 0, true),"
    " (2, 'object_type', 'house', 'Дом', NULL, 1.2, 0, true),"
    " (3, 'object_type', 'barn', 'Сарай', 'Barn', 1, 0, false),"
    " (4, 'urgency', 'normal', 'Обычная', 'Normal', 1, 0, true)",
    "INSERT INTO service (id, code, name, base_price_kopecks, price_per_m2_kopecks,"
    " estimated_hours, is_active, sort_order) VALUES (1, 'a', 'A', 0, 0, 1, true, 0),"
    " (2, 'b', 'B', 0, 0, 1, false, 1)",
    "INSERT INTO request (id, number, company_id, author_id, status, version, object_address,"
    " object_type, area, floor, building_type, urgency, total_kopecks, paid_kopecks,"
    " payment_state, created_at, updated_at, status_changed_at) VALUES"
    " (7, '2026-00007', 1, 1, 'submitted', 3, 'Москва, Арбат 10', 'apartment', 50.50, -2,"
    " 'brick', 'normal', 0, 0, 'unpaid', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP),"
    " (8, '2026-00008', 1, 1, 'draft', 1, 'Тверская 1', 'house', 120, NULL, NULL,"
    " 'normal', 0, 0, 'unpaid', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
]


def _values(conn, request_id):
    raw = conn.execute(text("SELECT field_values FROM request WHERE id = :i"),
                       {"i": request_id}).scalar()
    return raw if isinstance(raw, dict) else json.loads(raw)


def test_0008_gives_services_the_object_fields_and_requests_their_values(make_app):
    with database_at(make_app, "0007_working_together") as (fresh, engine):
        with engine.begin() as conn:
            for row in ROWS:
                conn.execute(text(row))
        done = flask(fresh, "db", "upgrade", "0008_service_fields")
        assert done.exit_code == 0, done.output
        with engine.connect() as conn:
            assert _values(conn, 7) == {"address": "Москва, Арбат 10", "object_type": "apartment",
                                        "area": "50.5", "floor": -2, "building_type": "brick"}
            assert _values(conn, 8) == {"address": "Тверская 1", "object_type": "house",
                                        "area": "120"}
            assert conn.execute(text("SELECT object_address, version FROM request WHERE id = 7"))\
                .one() == ("Москва, Арбат 10", 3)
            fields = conn.execute(text(
                "SELECT service_id, key, field_type, required, group_name, label_en, options,"
                " min_value, max_value FROM service_field ORDER BY service_id, sort_order")).all()
            conn.execute(text("UPDATE request SET area = NULL, object_type = NULL WHERE id = 8"))
            conn.commit()
        assert [(f.service_id, f.key) for f in fields] == [
            (s, k) for s in (1, 2)
            for k in ("address", "object_type", "area", "floor", "building_type")]
        address, object_type, area, floor, building = fields[:5]
        assert (address.field_type, bool(address.required), address.group_name) == (
            "text", True, "Объект")
        options = object_type.options if isinstance(object_type.options, list) \
            else json.loads(object_type.options)
        assert options == [{"value": "apartment", "label": "Квартира", "label_en": "Apartment"},
                           {"value": "house", "label": "Дом", "label_en": "Дом"}]
        assert (area.field_type, bool(area.required), float(area.min_value),
                float(area.max_value), area.label_en) == ("decimal", True, 1, 100000, "Area, m²")
        assert (floor.field_type, float(floor.min_value), float(floor.max_value)) == (
            "integer", -5, 200)
        kinds = building.options if isinstance(building.options, list) \
            else json.loads(building.options)
        assert [o["value"] for o in kinds] == ["panel", "brick", "monolith", "block", "wood",
                                                "other"]
        assert kinds[1] == {"value": "brick", "label": "Кирпичный", "label_en": "Brick"}
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                ddl = conn.execute(text(
                    "SELECT sql FROM sqlite_master WHERE name = 'request'")).scalar()
            assert "AUTOINCREMENT" in ddl
        back = flask(fresh, "db", "downgrade", "0007_working_together")
        assert back.exit_code == 0, back.output
        engine.dispose()
        assert "service_field" not in inspect(engine).get_table_names()
        assert "field_values" not in {c["name"] for c in inspect(engine).get_columns("request")}
