"""The templates' `decimalformat` filter is remembered per value and language
(app.templating.decimal_text): the same text as Flask-Babel's own, in each language."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template_string
from flask_babel import force_locale, format_decimal


def test_decimalformat_is_babels_in_each_language(app):
    values = [0, 0.5, 1.0, 7.25, 12.3, 24, 1234.5, 1_000_000, Decimal("3.10"), -2.5]
    with app.test_request_context():
        for locale in ("ru", "en"):
            with force_locale(locale):
                for value in values:
                    shown = render_template_string("{{ v|decimalformat }}", v=value)
                    assert shown == str(format_decimal(value)), (locale, value)
    with app.test_request_context(), force_locale("en"):
        assert render_template_string("{{ 1234.5|decimalformat }}") == "1,234.5"
    with app.test_request_context(), force_locale("ru"):
        assert render_template_string("{{ 1234.5|decimalformat }}") == "1\xa0234,5"
