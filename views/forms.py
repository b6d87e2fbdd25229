"""Flask-WTF forms of the back office."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, HiddenField,
                     SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.form_fields import RoublesField
from app.request_form import PHONE
from app.timefmt import local_today


class MoveForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class TextForm(FlaskForm):
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)])


class StaffMessageForm(FlaskForm):
    """A message to the partner: text and/or files (files come from request.files)."""

    body = TextAreaField(_l("Message to the partner"), validators=[Optional(),
                                                                   Length(max=5000)])


class BookingForm(FlaskForm):
    engineer_id = SelectField(_l("Engineer"), coerce=int, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("Start"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("End"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    version = HiddenField()


class PaymentForm(FlaskForm):
    amount = RoublesField(_l("Amount, ₽"), validators=[InputRequired()])  # keeps its reason
    paid_on = DateField(_l("Payment date"), validators=[DataRequired()],
                        default=local_today)  # the bureau's date, not the server's (UTC)
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
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), PHONE])
    locale = SelectField(_l("Language"), choices=[("ru", "Русский"), ("en", "English")])
    notify_status = BooleanField(_l("Status changes"))
    notify_message = BooleanField(_l("New messages"))
    notify_assignment = BooleanField(_l("Assignments"))
    notify_sla = BooleanField(_l("Overdue requests"))
