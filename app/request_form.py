"""The request form and its choices, shared by the partner cabinet and the back office's
"request for a partner" page (one form, one set of limits for both surfaces)."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.access import visible_end_clients
from app.catalogue_names import service_name
from app.translations import in_language, reads_english
from app.drafts import DraftError, DraftInput, check_wanted_date
from app.extensions import db
from app.permissions import is_partner
from app.shared_cache import CATALOGUE, cached
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule, Service
from models.partners import EndClient
from app.service_fields import (FORM_ALIASES, PHONE_RE, fields_for, form_value, groups,
                                offered_fields, parse)
from models.service_fields import FIELD_BOOLEAN, FIELD_MULTISELECT

FORM_COLUMNS = ("urgency", "description", "wanted_date")  # the request's own inputs

PHONE = Regexp(PHONE_RE.pattern + "$", message=_l("Enter a phone number, e.g. +7 900 123-45-67."))


class _Box(CheckboxInput):
    """One box of a group: "at least one" is checked by the form, not the browser (`required`
    on every box made it ask to tick each one: "Please check this box if you want to
    proceed")."""

    validation_attrs = []


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = _Box()

    def pre_validate(self, form):
        """A value that is not one of the boxes (a tampered form): said in the reader's
        language (WTForms' own messages came in English in the Russian form)."""
        message = str(_l("Choose from the list: one of the values is not on it."))
        if self.process_errors:  # a value that is not even a number
            self.errors[:] = [message]
            return
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(message) from None


class RequestForm(FlaskForm):
    """The request: services, urgency, client, description, and the chosen services' own
    fields (app.service_fields: rendered by name = key, parsed by validate())."""

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_values: dict = {}  # typed by validate(): what the draft stores
        self.field_errors: dict = {}  # {key: message}
        self._filled: dict = {}  # stored values shown again (a draft, a repeat, a quote)

    def validate(self, extra_validators=None) -> bool:
        """WTForms' checks, then the chosen services' fields (parsed on the server whatever
        the browser showed: hidden fields dropped, required ones checked)."""
        valid = super().validate(extra_validators)
        try:  # the use case's rule, asked here too so that it is told with the other errors
            check_wanted_date(self.wanted_date.data, kept=self.wanted_date.object_data)
        except DraftError as error:
            refusal_on_field(self, error)  # under the wanted date
            valid = False
        chosen = [] if self.services.errors else list(self.services.data or [])
        self.field_values, self.field_errors = parse(fields_for(chosen), request.form)
        return valid and not self.field_errors

    def fill_fields(self, values: dict | None) -> None:
        """Show these stored values in the fields (a GET of a draft, repeat or quote)."""
        self._filled = dict(values or {})

    def field_groups(self):
        """[(group title, fields)] of every service offered (the browser shows those of the
        ticked services, each field in the wording of the first ticked service that asks it;
        without JavaScript all are shown and the server decides)."""
        return groups(offered_fields([value for value, _label in self.services.choices or ()],
                                     self.services.data or ()))

    def field_input(self, item):
        """What the field's input shows: the posted text (nothing typed is lost), else the
        stored value, else empty."""
        if self.is_submitted():
            return posted_input(item, request.form)
        return form_value(item, self._filled.get(item.key))



def rule_choices(kind: str) -> list[tuple[str, str]]:
    """(key, label) of the active price rules of a kind, in the reader's language: every
    list and form page asks, so kept per process under the shared-cache stamp "catalogue"
    (app.shared_cache: bumped by any commit that changed a price rule or a service)."""
    english = reads_english()
    return list(cached(CATALOGUE, ("rule-choices", kind, english),
                       lambda: _rule_choices(kind, english)))


def _rule_choices(kind: str, english: bool) -> list[tuple[str, str]]:
    # the columns a choice shows only (no ORM objects)
    rules = db.session.query(PriceRule.key, PriceRule.label, PriceRule.label_en) \
        .filter_by(kind=kind, is_active=True).order_by(PriceRule.id).all()
    return [(r.key, in_language(r.label, r.label_en, english)) for r in rules]


def object_type_choices() -> list[tuple[str, str]]:
    """(value, label) of the object types the request form offers: the options of the
    active services' "object_type" field, in catalogue order (the form, the calculator, the
    lists' filter and column all follow them: the lists followed the price rules, so with
    the rules off a partner filed typed requests no list could show or filter)."""
    seen: dict[str, str] = {}
    for item in fields_for([service_id for service_id, _name in service_choices()]):
        if item.key == "object_type":
            for value, label in item.choices():
                seen.setdefault(value, label)
    return list(seen.items())


def service_choices() -> list[tuple[int, str]]:
    """(id, name) of the active services in the reader's language (kept like rule_choices)."""
    english = reads_english()
    return list(cached(CATALOGUE, ("service-choices", english),
                       lambda: _service_choices(english)))


def _service_choices(english: bool) -> list[tuple[int, str]]:
    rows = db.session.query(Service.id, Service.name, Service.name_en) \
        .filter_by(is_active=True).order_by(Service.sort_order, Service.id).all()
    return [(s.id, service_name(s, english)) for s in rows]


def fill_choices(form, company=None, user=None) -> None:
    """Set the choices every request/calculator form needs: with `company`, its end clients
    (those `user` may pick when a partner fills the form: app.access.end_client_scope)."""
    form.services.choices = service_choices()
    if hasattr(form, "object_type"):  # the calculator's
        form.object_type.choices = rule_choices(RULE_OBJECT_TYPE)
    form.urgency.choices = rule_choices(RULE_URGENCY)
    form.options.choices = rule_choices(RULE_OPTION)
    if hasattr(form, "end_client_id") and company is not None:
        clients = visible_end_clients(user).all() if is_partner(user) else \
            db.session.query(EndClient).filter_by(company_id=company.id) \
            .order_by(EndClient.name, EndClient.id).all()
        form.end_client_id.choices = [(0, _l("— new or none —"))] + [
            (c.id, f"{c.name} {c.phone or ''}".strip()) for c in clients]


def refusal_on_field(form, error) -> bool:
    """Put a use case's refusal under the form field it names (app.drafts.DraftError.field:
    the wanted date); False when it names none of the form's fields (show it at the top)."""
    name = getattr(error, "field", None)
    shown = form._fields.get(name) if isinstance(name, str) else None
    if shown is None:
        return False
    shown.errors = [*shown.errors, str(error)]
    return True


def draft_input(form: RequestForm) -> DraftInput:
    """What a valid request form asks of the draft use cases (app.drafts)."""
    return DraftInput(fields={name: getattr(form, name).data for name in FORM_COLUMNS},
                      values=dict(form.field_values),
                      services=list(form.services.data or []),
                      options=list(form.options.data or []),
                      end_client_id=form.end_client_id.data or None,
                      new_client_name=form.new_client_name.data or "",
                      new_client_phone=form.new_client_phone.data or "")


def posted_input(item, formdata):
    """The posted text of a field as typed (a list for a multiselect, "y" for a ticked box)."""
    names = [item.key] + ([FORM_ALIASES[item.key]] if item.key in FORM_ALIASES else [])
    for name in names:
        if item.field_type == FIELD_MULTISELECT and formdata.getlist(name):
            return formdata.getlist(name)
        if item.field_type == FIELD_BOOLEAN and name in formdata:
            return "y"
        if formdata.get(name) is not None and item.field_type != FIELD_MULTISELECT:
            return formdata.get(name)
    return [] if item.field_type == FIELD_MULTISELECT else ""
