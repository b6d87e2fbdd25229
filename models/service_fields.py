"""Per-service request form fields (issue 12): what a request of a service asks, and how.

Values live typed in Request.field_values ({key: value}); app.service_fields is the one
module that validates and displays them.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Integer, Numeric, String,
                        UniqueConstraint)
from sqlalchemy.orm import backref, relationship

from models.base import Model
from models.catalog import Service

FIELD_TEXT = "text"
FIELD_TEXTAREA = "textarea"
FIELD_INTEGER = "integer"
FIELD_DECIMAL = "decimal"
FIELD_MONEY = "money"  # roubles and kopecks: a loan, a price, an income ("185 000,50 ₽")
FIELD_DATE = "date"
FIELD_SELECT = "select"
FIELD_MULTISELECT = "multiselect"
FIELD_BOOLEAN = "boolean"
FIELD_PHONE = "phone"
FIELD_EMAIL = "email"
FIELD_PATTERN = "pattern"
FIELD_TYPES = (FIELD_TEXT, FIELD_TEXTAREA, FIELD_INTEGER, FIELD_DECIMAL, FIELD_MONEY, FIELD_DATE,
               FIELD_SELECT, FIELD_MULTISELECT, FIELD_BOOLEAN, FIELD_PHONE, FIELD_EMAIL,
               FIELD_PATTERN)
FIELD_TYPE_LABELS = {
    FIELD_TEXT: _l("Text"), FIELD_TEXTAREA: _l("Long text"), FIELD_INTEGER: _l("Integer"),
    FIELD_DECIMAL: _l("Decimal number"), FIELD_MONEY: _l("Amount in roubles"),
    FIELD_DATE: _l("Date"),
    FIELD_SELECT: _l("Choice from a list"), FIELD_MULTISELECT: _l("Several from a list"),
    FIELD_BOOLEAN: _l("Yes/no"), FIELD_PHONE: _l("Phone"), FIELD_EMAIL: _l("E-mail"),
    FIELD_PATTERN: _l("Text checked by a pattern"),
}
CHOICE_TYPES = (FIELD_SELECT, FIELD_MULTISELECT)
NUMBER_TYPES = (FIELD_INTEGER, FIELD_DECIMAL, FIELD_MONEY)


class ServiceField(Model):
    """One field of a service's request form (key unique per service)."""

    __tablename__ = "service_field"
    __table_args__ = (UniqueConstraint("service_id", "key", name="uq_service_field_key"),)
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey("service.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    key = Column(String(40), nullable=False)  # identifier: a-z, 0-9, _ (input name, JSON key)
    label = Column(String(200), nullable=False)
    label_en = Column(String(200))
    field_type = Column(String(20), nullable=False, default=FIELD_TEXT)
    required = Column(Boolean, nullable=False, default=False)
    help_text = Column(String(500))
    help_text_en = Column(String(500))
    group_name = Column(String(100))  # fields are grouped on the form ("Объект", "Автомобиль")
    group_name_en = Column(String(100))
    sort_order = Column(Integer, nullable=False, default=0)
    # select/multiselect: [{"value", "label", "label_en", ...}] (extra keys, e.g. the pricing
    # "coefficient", are kept as they are)
    options = Column(JSON, nullable=False, default=list)
    pattern = Column(String(300))  # regular expression of a "pattern" field (full match)
    pattern_message = Column(String(300))
    pattern_message_en = Column(String(300))
    # integer/decimal: the value's bounds; text kinds: the length's bounds
    min_value = Column(Numeric(14, 2))
    max_value = Column(Numeric(14, 2))
    show_if_key = Column(String(40))  # shown only if field `show_if_key` has `show_if_value`
    show_if_value = Column(String(100))
    is_contact = Column(Boolean, nullable=False, default=False)  # never shown to engineers
    is_active = Column(Boolean, nullable=False, default=True)

    service = relationship(Service, backref=backref(
        "fields", order_by="(ServiceField.sort_order, ServiceField.id)",
        cascade="all, delete-orphan", passive_deletes=True))

    def __repr__(self) -> str:
        return f"{self.key}"
