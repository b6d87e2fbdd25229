"""Flask-WTF forms of the partner cabinet."""


from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField,
                     PasswordField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import (DataRequired, Email, EqualTo, Length, Optional,
                                ValidationError)

from app.pricing import pricing_fields
from app.request_form import (PHONE, MultiCheckboxField, RequestForm,  # noqa: F401  (shared)
                              posted_input)
from app.service_fields import form_value, groups, parse
from app.passwords import StrongPassword
from app.validators import inn_is_valid


def new_password_fields():
    """New password + repeat; the one password policy of app.passwords (form.account: whose)."""
    return (
        PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()],
                      description=_l("At least 10 characters; a phrase of unrelated words "
                                     "works well.")),
        PasswordField(_l("Repeat the new password"), validators=[
            DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))]),
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password, confirm = new_password_fields()


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])


class ResetPasswordForm(FlaskForm):
    new_password, confirm = new_password_fields()


class ApplicationForm(FlaskForm):
    company_name = StringField(_l("Company"), validators=[DataRequired(), Length(max=200)])
    inn = StringField(_l("INN"), validators=[DataRequired()],
                      description=_l("10 digits for a company, 12 for an entrepreneur"))
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(),
                                                                 Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), PHONE])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    consent = BooleanField(_l("I agree to the processing of my personal data"),
                           validators=[DataRequired(message=_l("Consent is required."))])

    def validate_inn(self, field):
        field.data = (field.data or "").strip()
        if not inn_is_valid(field.data):
            raise ValidationError(_l("This INN is not valid: check the digits."))


class ProfileForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=64)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=200)],
                       description=_l("A new address takes effect once you open the "
                                      "confirmation link sent to it."))
    current_password = PasswordField(_l("Current password (to change the e-mail)"),
                                     validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[("ru", "Русский"), ("en", "English")])
    notify_status = BooleanField(_l("Status changes"))
    notify_message = BooleanField(_l("New messages"))
    notify_needs_info = BooleanField(_l("Requests for data"))


class InviteForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=64)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=5000)])


class ReasonForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class CalculatorForm(FlaskForm):
    """Services, urgency, options, and the chosen services' priced fields (app.pricing
    pricing_fields: rate fields and choices with coefficients), rendered and parsed as the
    request form's fields (app.service_fields)."""

    services = MultiCheckboxField(_l("Services"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one service."))])
    urgency = SelectField(_l("Urgency"), validators=[DataRequired()])
    options = MultiCheckboxField(_l("Options"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_values: dict = {}  # typed by validate(): what is priced and saved
        self.field_errors: dict = {}  # {key: message}
        self._filled: dict = {}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        chosen = [] if self.services.errors else list(self.services.data or [])
        self.field_values, self.field_errors = parse(pricing_fields(chosen), request.form)
        return valid and not self.field_errors

    def fill_fields(self, values: dict | None) -> None:
        self._filled = dict(values or {})

    def field_groups(self):
        """[(group title, fields)] priced for any service offered (the browser shows those
        of the ticked services)."""
        return groups(pricing_fields([value for value, _label in self.services.choices or ()]))

    def field_input(self, item):
        if self.is_submitted():
            return posted_input(item, request.form)
        return form_value(item, self._filled.get(item.key))


def show_error(form, error, default_field: str) -> None:
    """Put a use case's refusal under the field it names (AccountError.field), else the default."""
    name = getattr(error, "field", None) or default_field
    getattr(form, name).errors.append(str(error))
