"""A bureau without object types (translations, a car check) has no "Object type" column of
dashes in the staff list nor a filter offering only "Any" in the cabinet; the column and the
filter follow what the request form asks (its services' "object_type" field), and a
switched-off price rule keeps its label on the requests filed under it (the list showed
"office")."""

from app.demo import load_catalog
from app.extensions import db
from models.catalog import RULE_OBJECT_TYPE, PriceRule
from models.request_status import Status
from models.service_fields import ServiceField
from tests.factories import as_user, make_partner, make_request


def test_object_type_column_and_filter_follow_the_catalogue(app, staff):
    load_catalog()
    db.session.commit()
    partner = make_partner(username="p")
    office = make_request(partner, Status.ASSIGNED, staff, object_type="office")
    boss = as_user(app, staff.supermanager)
    cabinet = as_user(app, partner)
    page = boss.get("/requests/list/").get_data(as_text=True)
    assert "Тип объекта" in page and "Офис" in page
    assert 'id="object_type"' in cabinet.get("/cabinet/requests").get_data(as_text=True)
    rule = db.session.query(PriceRule).filter_by(kind=RULE_OBJECT_TYPE, key="office").one()
    rule.is_active = False  # no longer offered; the filed request keeps its word
    db.session.commit()
    page = boss.get("/requests/list/").get_data(as_text=True)
    assert "Офис" in page and ">office<" not in page
    db.session.query(PriceRule).filter_by(kind=RULE_OBJECT_TYPE).update({"is_active": False})
    db.session.commit()  # the rules off, the form still asks the type: the lists follow it
    page = boss.get("/requests/list/").get_data(as_text=True)
    assert "Тип объекта" in page and "Офис" in page
    assert 'value="house"' in cabinet.get("/cabinet/requests").get_data(as_text=True)
    db.session.query(ServiceField).filter_by(key="object_type").update({"is_active": False})
    db.session.commit()  # no service asks it: no column of dashes, no "Any"-only filter
    page = boss.get("/requests/list/").get_data(as_text=True)
    assert office.number in page and "Тип объекта" not in page
    assert 'id="object_type"' not in cabinet.get("/cabinet/requests").get_data(as_text=True)
