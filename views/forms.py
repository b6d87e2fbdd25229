"""Flask-WTF forms of the back office."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, HiddenField,
                     SelectField,
                     StringField, TextAreaField)
from app.errors import InvalidInput
from app.money import format_roubles, parse_roubles
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class MoveForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class TextForm(FlaskForm):
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)])


class BookingForm(FlaskForm):
    engineer_id = SelectField(_l("Engineer"), coerce=int, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("Start"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("End"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    version = HiddenField()


class RoublesField(StringField):
    """An amount typed in roubles ('10 000,50'); `data` is kopecks (app.money), so a form
    over a *_kopecks column shows and takes roubles. `allow_zero` for prices."""

    def __init__(self, label=None, validators=None, allow_zero: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_zero = allow_zero

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        self.data = None
        if valuelist:
            try:
                self.data = parse_roubles(self.raw_text, allow_zero=self.allow_zero)
            except InvalidInput as error:
                raise ValueError(str(error)) from None

    def _value(self):
        if getattr(self, "raw_text", None):
            return self.raw_text
        return format_roubles(self.data) if isinstance(self.data, int) else ""


class PaymentForm(FlaskForm):
    amount = RoublesField(_l("Amount, ₽"), validators=[InputRequired()])  # keeps its reason
    paid_on = DateField(_l("Payment date"), validators=[DataRequired()], default=date.today)
    document = StringField(_l("Payment document"), validators=[DataRequired(),
                                                               Length(max=100)])


class VoidForm(FlaskForm):
    """Voiding a payment: the reason is required (the use case checks it again)."""
    reason = StringField(_l("Reason for voiding"), validators=[DataRequired(), Length(max=500)])


class AssignForm(FlaskForm):
    manager_id = SelectField(_l("Manager"), coerce=int, validators=[DataRequired()])
    version = HiddenField()


class EntryForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("busy", _l("Busy")), ("work", _l("Work slot")),
                                            ("vacation", _l("Vacation"))])
    starts_at = DateTimeLocalField(_l("Start"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("End"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class StaffProfileForm(FlaskForm):
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    locale = SelectField(_l("Language"), choices=[("ru", "Русский"), ("en", "English")])
    notify_status = BooleanField(_l("Status changes"))
    notify_message = BooleanField(_l("New messages"))
    notify_assignment = BooleanField(_l("Assignments"))
    notify_sla = BooleanField(_l("Overdue requests"))
