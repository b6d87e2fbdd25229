"""A car-check service with a field of every kind the outputs care about (a pattern VIN, a
select, an integer, a decimal, a date, yes/no, a multi-select, a contact phone), and requests
of it walked through the workflow: what the PDF, Excel and search tests share."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.intake import create_draft
from models.catalog import Service
from models.request_status import Status
from models.service_fields import ServiceField
from tests.factories import make_request, walk

VIN = "XTA21703080123456"
PHONE = "+7 916 555-12-34"
CAR_GROUP = ("Автомобиль", "Car")
OWNER_GROUP = ("Владелец", "Owner")
CLASSES = [{"value": "b", "label": "Бизнес", "label_en": "Business"},
           {"value": "e", "label": "Эконом", "label_en": "Economy"}]
EXTRAS = [{"value": "photo", "label": "Фотоотчёт", "label_en": "Photo report"},
          {"value": "paint", "label": "Толщиномер", "label_en": "Paint gauge"}]


def _field(service, key, label, label_en, field_type, order, group=CAR_GROUP, **extra):
    return ServiceField(service_id=service.id, key=key, label=label, label_en=label_en,
                        field_type=field_type, sort_order=order, group_name=group[0],
                        group_name_en=group[1], **extra)


def car_service(code: str = "car") -> Service:
    """"Проверка авто по VIN": no address, no area; the owner's phone is contact data."""
    service = db.session.query(Service).filter_by(code=code).one_or_none()
    if service is not None:
        return service
    service = Service(code=code, name="Проверка авто по VIN", name_en="VIN check",
                      base_price_kopecks=300000, price_per_m2_kopecks=0, estimated_hours=1)
    db.session.add(service)
    db.session.flush()
    db.session.add_all([
        _field(service, "vin", "VIN", "VIN", "pattern", 10, required=True,
               pattern="[A-HJ-NPR-Z0-9]{17}"),
        _field(service, "make", "Марка", "Make", "text", 20, required=True),
        _field(service, "car_class", "Класс авто", "Car class", "select", 30, options=CLASSES),
        _field(service, "mileage", "Пробег, км", "Mileage, km", "integer", 40),
        _field(service, "engine", "Объём двигателя, л", "Engine, l", "decimal", 50),
        _field(service, "registered", "Дата регистрации", "Registered on", "date", 60),
        _field(service, "accident", "Было ДТП", "Had an accident", "boolean", 70),
        _field(service, "extras", "Дополнительно", "Extras", "multiselect", 80,
               options=EXTRAS),
        _field(service, "owner_phone", "Телефон владельца", "Owner's phone", "phone", 90,
               group=OWNER_GROUP, is_contact=True),
    ])
    db.session.flush()
    return service


def car_values(**changes) -> dict:
    values = {"vin": VIN, "make": "Lada Vesta", "car_class": "b", "mileage": 123456,
              "engine": "1.6", "registered": "2019-05-17", "accident": False,
              "extras": ["photo", "paint"], "owner_phone": PHONE}
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def car_request(author, status: Status = Status.SUBMITTED, staff=None, **changes):
    """A car-check request of `author` with car_values(**changes), walked up to `status`."""
    service = car_service()
    req = create_draft(author, author.profile.partner_company, [service.id],
                       field_values=car_values(**changes), urgency="normal")
    db.session.commit()
    if status != Status.DRAFT:
        walk(req, status, author, staff)
    return req


def flat_request(author, status: Status = Status.SUBMITTED, staff=None, **fields):
    """A redevelopment request (address, object type, area …) as the factories make it."""
    fields.setdefault("area", Decimal("50"))
    return make_request(author, status, staff, **fields)
