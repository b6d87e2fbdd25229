"""Form fields for numbers as people type them, shared by the back office and the cabinet."""

from __future__ import annotations

import re
from decimal import Decimal

from wtforms import DecimalField, StringField
from wtforms.widgets import TextInput

from app.errors import InvalidInput
from app.money import format_roubles, parse_roubles
from app.translations import locale_name


class DecimalCommaField(DecimalField):
    """A decimal typed as people write it: "54,5", "54.5" or "1 054,5".

    A text input with a decimal keyboard, not type=number: a Russian browser drops the
    comma of a number input, so "54,5" reached the server as 545 (ten times the price)."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [re.sub(r"[\s\u00a0\u202f]", "", valuelist[0]).replace(",", ".")]
        super().process_formdata(valuelist)

    def _value(self):
        """A stored value as the reader writes it: "7,5" in Russian, "7.5" in English, no
        trailing zeros of the column's scale ("4", not "4.00"); what was typed stays typed."""
        if self.raw_data:
            return self.raw_data[0]
        if not isinstance(self.data, Decimal):
            return super()._value()
        text = format(self.data.normalize(), "f")
        return text.replace(".", ",") if locale_name() == "ru" else text


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
        return format_roubles(self.data, english=locale_name() == "en") \
            if isinstance(self.data, int) else ""
