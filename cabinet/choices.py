"""Select and checkbox choices for cabinet forms, labelled in the current language."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.extensions import db
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.partners import EndClient
from models.requests import BUILDING_LABELS, BUILDING_TYPES


def _english() -> bool:
    return str(get_locale()) == "en"


def rule_choices(kind: str) -> list[tuple[str, str]]:
    rules = db.session.query(PriceRule).filter_by(kind=kind, is_active=True) \
        .order_by(PriceRule.id).all()
    return [(r.key, (r.label_en if _english() and r.label_en else r.label)) for r in rules]


def service_choices() -> list[tuple[int, str]]:
    rows = db.session.query(Service).filter_by(is_active=True) \
        .order_by(Service.sort_order, Service.id).all()
    return [(s.id, (s.name_en if _english() and s.name_en else s.name)) for s in rows]


def fill_choices(form, company=None) -> None:
    """Set the choices every request/calculator form needs."""
    form.services.choices = service_choices()
    form.object_type.choices = rule_choices(RULE_OBJECT_TYPE)
    form.urgency.choices = rule_choices(RULE_URGENCY)
    form.options.choices = rule_choices(RULE_OPTION)
    if hasattr(form, "building_type"):
        form.building_type.choices = [("", "—")] + [(b, BUILDING_LABELS[b])
                                                    for b in BUILDING_TYPES]
    if hasattr(form, "end_client_id") and company is not None:
        clients = db.session.query(EndClient).filter_by(company_id=company.id) \
            .order_by(EndClient.name).all()
        form.end_client_id.choices = [(0, _l("— new or none —"))] + [
            (c.id, f"{c.name} {c.phone or ''}".strip()) for c in clients]

