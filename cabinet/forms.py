"""Flask-WTF forms of the partner cabinet."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField,
                     PasswordField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import (DataRequired, Email, EqualTo, Length, NumberRange, Optional,
                                ValidationError)

from app.form_fields import DecimalCommaField
from app.request_form import PHONE, MultiCheckboxField, RequestForm  # noqa: F401  (shared)
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
    services = MultiCheckboxField(_l("Services"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one service."))])
    area = DecimalCommaField(_l("Area, m²"), places=2, validators=[
        DataRequired(message=_l("Enter the area.")),
        NumberRange(min=1, max=100000, message=_l("Area must be between 1 and 100 000 m²."))])
    object_type = SelectField(_l("Object type"), validators=[DataRequired()])
    urgency = SelectField(_l("Urgency"), validators=[DataRequired()])
    options = MultiCheckboxField(_l("Options"))


def show_error(form, error, default_field: str) -> None:
    """Put a use case's refusal under the field it names (AccountError.field), else the default."""
    name = getattr(error, "field", None) or default_field
    getattr(form, name).errors.append(str(error))
