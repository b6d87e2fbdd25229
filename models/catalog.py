"""Service catalogue, price rules and saved calculator quotes."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Integer, Numeric, String, Text)
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk

# price rule kinds
# object type: its labels name the requests' object_type values in lists and filters; its
# price coefficient lives on the options of the services' "object_type" select field (0012)
RULE_OBJECT_TYPE = "object_type"
RULE_URGENCY = "urgency"  # coefficient by urgency
RULE_OPTION = "option"  # fixed surcharge in kopecks for an option
RULE_KIND_LABELS = {RULE_OBJECT_TYPE: _l("Object type"), RULE_URGENCY: _l("Urgency"),
                    RULE_OPTION: _l("Option")}


class Service(Model):
    """A service the bureau sells: a base price plus a rate per unit of one numeric field of
    its request form (rate_field_key: area, number of cars …; empty: a fixed price)."""

    __tablename__ = "service"
    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    name_en = Column(String(200))
    description = Column(Text)
    base_price_kopecks = Column(Integer, nullable=False, default=0)
    # the rate per unit of rate_field_key (the column's name is from when it was per m²)
    price_per_m2_kopecks = Column(Integer, nullable=False, default=0)
    rate_field_key = Column(String(40))  # key of the service's integer/decimal field
    estimated_hours = Column(Numeric(6, 1), nullable=False, default=0)
    is_active = Column(Boolean, nullable=False, default=True)
    sort_order = Column(Integer, nullable=False, default=0)

    @property
    def rate_kopecks(self) -> int:
        """The rate per unit of the rate field (a plain property: FAB cannot list synonyms)."""
        return self.price_per_m2_kopecks or 0

    # how a service is named to its reader (app.catalogue_names installs the reader's
    # language: a model never imports app/); None: the Russian name
    named_for_reader = None

    def __repr__(self) -> str:
        """The name Flask-AppBuilder shows a related row by (the form fields' service
        select, the lists' service column): the reader's language once the app is up."""
        return Service.named_for_reader(self) if Service.named_for_reader else self.name


class PriceRule(Model):
    """A pricing coefficient or surcharge edited by the admin."""

    __tablename__ = "price_rule"
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False, index=True)
    key = Column(String(40), nullable=False)
    label = Column(String(200), nullable=False)
    label_en = Column(String(200))
    coefficient = Column(Numeric(6, 3), nullable=False, default=1)
    surcharge_kopecks = Column(Integer, nullable=False, default=0)
    is_active = Column(Boolean, nullable=False, default=True)


class Quote(Model):
    """A saved calculator result (line-by-line breakdown kept as computed)."""

    __tablename__ = "quote"
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("partner_company.id"), nullable=False, index=True)
    author_id = user_fk(nullable=False)
    # the priced fields' values (app.service_fields types); object_type and area mirror the
    # values of those keys for the back-office list (None for a service without them)
    field_values = Column(JSON, nullable=False, default=dict)
    object_type = Column(String(40))
    area = Column(Numeric(10, 2))
    urgency = Column(String(40), nullable=False)
    options = Column(JSON, nullable=False, default=list)
    service_ids = Column(JSON, nullable=False, default=list)
    breakdown = Column(JSON, nullable=False, default=list)
    subtotal_kopecks = Column(Integer, nullable=False)
    discount_kopecks = Column(Integer, nullable=False, default=0)
    total_kopecks = Column(Integer, nullable=False)
    created_at = created_at_column()

    company = relationship("PartnerCompany")
