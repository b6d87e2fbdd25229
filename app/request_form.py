"""The request form and its choices, shared by the partner cabinet and the back office's
"request for a partner" page (one form, one set of limits for both surfaces)."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.drafts import OWN_FIELDS, DraftInput
from app.extensions import db
from app.form_fields import DecimalCommaField
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.partners import EndClient
from models.requests import BUILDING_LABELS, BUILDING_TYPES

PHONE = Regexp(r"^\+?[\d\s()\-]{7,20}$", message=_l("Enter a phone number, e.g. +7 900 123-45-67."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RequestForm(FlaskForm):
    object_address = StringField(_l("Object address"), validators=[DataRequired(),
                                                                   Length(max=300)])
    object_type = SelectField(_l("Object type"), validators=[DataRequired()])
    area = DecimalCommaField(_l("Area, m²"), places=2, validators=[
        DataRequired(message=_l("Enter the area.")),
        NumberRange(min=1, max=100000, message=_l("Area must be between 1 and 100 000 m²."))])
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(min=-5, max=200)])
    building_type = SelectField(_l("Building type"), validators=[Optional()])
    urgency = SelectField(_l("Urgency"), validators=[DataRequired()])
    services = MultiCheckboxField(_l("Services"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one service."))])
    options = MultiCheckboxField(_l("Options"))
    end_client_id = SelectField(_l("End client"), coerce=int, validators=[Optional()])
    new_client_name = StringField(_l("New client: name"), validators=[Optional(),
                                                                     Length(max=200)])
    new_client_phone = StringField(_l("New client: phone"), validators=[Optional(), PHONE])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    wanted_date = DateField(_l("Wanted date"), validators=[Optional()])
    quote_id = HiddenField()
    version = HiddenField()


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
    """Set the choices every request/calculator form needs (the company's end clients)."""
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


def draft_input(form: RequestForm) -> DraftInput:
    """What a valid request form asks of the draft use cases (app.drafts)."""
    return DraftInput(fields={name: getattr(form, name).data for name in OWN_FIELDS},
                      services=list(form.services.data or []),
                      options=list(form.options.data or []),
                      end_client_id=form.end_client_id.data or None,
                      new_client_name=form.new_client_name.data or "",
                      new_client_phone=form.new_client_phone.data or "")
