"""The service form's "Rate field": a select of that service's number fields (the one its
rate multiplies); app.catalogue.check_service checks the saved value again."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.catalogue import rate_field_choices
from app.service_fields import catalogue_fields
from app.translations import in_language


class RateFieldSelect(SelectField):
    """Choices are the edited service's integer/decimal fields (the service id comes from
    the edit URL; a new service has no fields yet, so only "fixed price")."""

    @property
    def choices(self):
        service_id = (request.view_args or {}).get("pk") if request else None
        return [("", str(_l("— none: a fixed price —")))] + rate_field_choices(service_id)

    @choices.setter
    def choices(self, _value):  # set by SelectField.__init__; computed per request instead
        pass

    def process_formdata(self, valuelist):
        self.data = (valuelist[0] or "").strip() if valuelist else ""


def rate_field_select() -> RateFieldSelect:
    return RateFieldSelect(_l("Rate field"), description=_l(
        "The number of the service's form the rate multiplies (area, number of cars …); "
        "add the field first, then choose it here. None: the base price only."))


def field_title(key: str | None) -> str:
    """The services list's "Rate field": the field's label in the reader's language (the
    first service's wording of that key), not its key; "—" for a fixed price."""
    if not key:
        return "—"
    for row in catalogue_fields():
        if row.key == key:
            return in_language(row.label, row.label_en) or key
    return key
