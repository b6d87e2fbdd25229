"""Admin settings: bureau requisites, VAT mode, time zone, SLA thresholds, payment rule,
upload limit."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FormField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.branding import BRAND_MAX, DEFAULT_BRAND
from app.errors import DomainError
from app.requisites import bureau_problems
from app.settings import (DEFAULTS, VAT_INCLUDED_20, VAT_NONE, VAT_ON_TOP_20, get_setting,
                          parse_clock, save_settings)
from app.sla import MAX_MINUTES
from app.timefmt import valid_zone
from app.uow import unit_of_work

REQUISITES = [("name", _l("Bureau name")), ("inn", _l("INN")), ("kpp", _l("KPP")),
              ("address", _l("Address")), ("bank", _l("Bank")), ("bik", _l("BIK")),
              ("account", _l("Account")), ("corr_account", _l("Correspondent account")),
              ("director", _l("Director"))]
SLA_STATUSES = list(DEFAULTS["sla_minutes"])
VAT_CHOICES = [(VAT_NONE, _l("No VAT (simplified tax system)")),
               (VAT_INCLUDED_20, _l("Prices include VAT 20 %")),
               (VAT_ON_TOP_20, _l("VAT 20 % added on top of the prices"))]

# offered on the page (any other IANA name is accepted as well)
ZONE_CHOICES = [("Europe/Kaliningrad", _l("Kaliningrad, UTC+2")),
                ("Europe/Moscow", _l("Moscow, UTC+3")), ("Europe/Samara", _l("Samara, UTC+4")),
                ("Asia/Yekaterinburg", _l("Yekaterinburg, UTC+5")),
                ("Asia/Omsk", _l("Omsk, UTC+6")), ("Asia/Novosibirsk", _l("Novosibirsk, UTC+7")),
                ("Asia/Krasnoyarsk", _l("Krasnoyarsk, UTC+7")),
                ("Asia/Irkutsk", _l("Irkutsk, UTC+8")), ("Asia/Yakutsk", _l("Yakutsk, UTC+9")),
                ("Asia/Vladivostok", _l("Vladivostok, UTC+10")),
                ("Asia/Magadan", _l("Magadan, UTC+11")),
                ("Asia/Kamchatka", _l("Petropavlovsk-Kamchatsky, UTC+12"))]


def known_zone(form, field) -> None:
    field.data = (field.data or "").strip()
    if not valid_zone(field.data):
        raise ValidationError(_("Unknown time zone: choose one from the list or give an IANA "
                                "name such as Europe/Moscow."))


def clock(form, field) -> None:
    field.data = (field.data or "").strip()
    if parse_clock(field.data) is None:
        raise ValidationError(_("Give the time as HH:MM, e.g. 09:00."))
    field.data = parse_clock(field.data).strftime("%H:%M")


class WeekdaysField(StringField):
    """Working weekdays typed as ISO numbers ("1, 2, 3, 4, 5" = Monday to Friday), stored as
    Python weekdays ([0, 1, 2, 3, 4])."""

    def _value(self) -> str:
        if self.raw_data and self.errors:  # refused: the days as typed, not an empty box
            return self.raw_data[0]
        if isinstance(self.data, list):
            return ", ".join(str(day + 1) for day in self.data)
        return self.data or ""

    def process_formdata(self, valuelist) -> None:
        self.data = []
        text = (valuelist[0] if valuelist else "").replace(",", " ").split()
        try:
            days = sorted({int(item) for item in text})
        except ValueError:
            raise ValidationError(_("Give the working days as numbers from 1 (Monday) to 7 "
                                    "(Sunday).")) from None
        if not days or not all(1 <= day <= 7 for day in days):
            raise ValidationError(_("Give the working days as numbers from 1 (Monday) to 7 "
                                    "(Sunday)."))
        self.data = [day - 1 for day in days]


class WorkingHoursForm(FlaskForm):
    class Meta:
        csrf = False

    start = StringField(_l("Working day starts"), validators=[clock])
    end = StringField(_l("Working day ends"), validators=[clock])
    days = WeekdaysField(_l("Working days (1 = Monday … 7 = Sunday)"))

    def validate_end(self, field) -> None:
        start, end = parse_clock(self.start.data), parse_clock(field.data)
        if start is not None and end is not None and end <= start:
            raise ValidationError(_("The working day must end after it starts."))


class BureauForm(FlaskForm):
    class Meta:
        csrf = False

    def validate(self, extra_validators=None) -> bool:
        """Each code of the requisites (INN, KPP, BIK, accounts against the BIK) checked by
        app.requisites, its message under its field."""
        valid = super().validate(extra_validators)
        for key, message in bureau_problems(self.data).items():
            field = getattr(self, key, None)
            if field is not None and not field.errors:
                field.errors.append(message)
                valid = False
        return valid


class SlaForm(FlaskForm):
    class Meta:
        csrf = False


for _key, _label in REQUISITES:  # the KPP: a company's only (app.requisites.bureau_problems)
    setattr(BureauForm, _key, StringField(_label, validators=[
        Optional() if _key == "kpp" else DataRequired(), Length(max=300)]))
for _status in SLA_STATUSES:
    setattr(SlaForm, _status, IntegerField(_status, validators=[
        DataRequired(), NumberRange(min=1, max=MAX_MINUTES)]))


class SignaturesForm(FlaskForm):
    """Which partner actions need a one-time code (app.signatures); all off by default."""

    class Meta:
        csrf = False

    submit = BooleanField(_l("Submitting a request"))
    close = BooleanField(_l("Accepting the work (signing the act)"))
    quote = BooleanField(_l("Agreeing to a quote"))
    contact = BooleanField(_l("Changing the profile e-mail or phone"))
    sms = BooleanField(_l("Send codes by SMS to users with a phone (else by e-mail)"))


class SettingsForm(FlaskForm):
    bureau = FormField(BureauForm, label=_l("Requisites"))
    sla_minutes = FormField(SlaForm, label=_l("SLA: minutes a request may stay in a status"))
    vat_mode = SelectField(_l("VAT in invoices, acts and proposals"), choices=VAT_CHOICES,
                           default=VAT_NONE)
    brand_name = StringField(_l("Product name"), default=DEFAULT_BRAND,
                             validators=[DataRequired(), Length(max=BRAND_MAX)],
                             description=_l("The product's name in page titles, the "
                                            "cabinet's header and e-mails, e.g. the "
                                            "bureau's short name."))
    time_zone = StringField(_l("Bureau time zone"), default="Europe/Moscow",
                            validators=[DataRequired(), Length(max=64), known_zone],
                            render_kw={"list": "time-zones", "autocomplete": "off"},
                            description=_l("Every date and time is shown in this zone: one of "
                                           "the list or any IANA name (Asia/Yekaterinburg)."))
    payment_before_delivery = BooleanField(_l("Documents only after full payment"))
    upload_max_mb = IntegerField(_l("Upload size limit, MB"),
                                 validators=[DataRequired(), NumberRange(min=1, max=60)])
    upload_max_files = IntegerField(_l("Files in one upload, at most"),
                                    validators=[DataRequired(), NumberRange(min=1, max=100)])
    upload_max_total_mb = IntegerField(_l("All files of one upload together, MB"),
                                       validators=[DataRequired(), NumberRange(min=1, max=200)])

    def validate_upload_max_total_mb(self, field) -> None:
        """All files together at least one file's limit (20 MB a file and 1 MB in all was
        saved: every file over 1 MB refused with a message naming the total)."""
        one = self.upload_max_mb.data
        if field.data and one and not self.upload_max_mb.errors and field.data < one:
            raise ValidationError(_("At least the size limit of one file (%(mb)s MB).",
                                    mb=one))
    working_hours = FormField(WorkingHoursForm, label=_l("Working hours"))
    auto_close_days = IntegerField(_l("Close delivered requests after, days"),
                                   validators=[DataRequired(), NumberRange(min=1, max=365)])
    signatures = FormField(SignaturesForm, label=_l("Confirmation codes (simple electronic "
                                                    "signature)"))


class SettingsView(BaseView):
    route_base = "/settings"
    default_view = "edit"
    base_permissions = ["can_edit"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    def edit(self):
        current = {key: get_setting(key) for key in DEFAULTS}
        form = SettingsForm(data=current) if request.method == "GET" else SettingsForm()
        if request.method == "POST":
            if not form.validate_on_submit():
                flash(_("Check the highlighted fields: nothing was saved."), "danger")
                return self.render_template("desk/settings.html", form=form,
                                            zones=ZONE_CHOICES)
            try:
                with unit_of_work():
                    save_settings(g.user, {key: getattr(form, key).data for key in DEFAULTS})
            except DomainError as exc:
                flash(str(exc), "danger")
            else:
                flash(_("Settings saved."), "success")
                return redirect(url_for("SettingsView.edit"))
        return self.render_template("desk/settings.html", form=form, zones=ZONE_CHOICES)
