"""app.templating.request_translations: Jinja's _() looks the translations up once per request
and locale, and still follows force_locale and a language switch within the request."""

from __future__ import annotations

import contextvars

import pytest

from flask import g, render_template_string, session
from flask_babel import force_locale, refresh

import app.templating as templating
from app.templating import request_translations


def test_looked_up_once_per_request_and_locale(app):
    with app.test_request_context("/"):
        first = request_translations()
        assert request_translations() is first and g.replan_translations[1] is first
        assert render_template_string("{{ _('Requests') }}") == "Заявки"
        with force_locale("en"):  # an e-mail in the recipient's language
            assert render_template_string("{{ _('Requests') }}") == "Requests"
            assert request_translations() is not first
        assert render_template_string("{{ _('Requests') }}") == "Заявки"
        session["locale"] = "en"  # the user switched language in this request
        refresh()
        assert render_template_string("{{ _('Requests') }}") == "Requests"
        assert render_template_string("{{ ngettext('%(num)d file', '%(num)d files', 2) }}") \
            == "2 files"
    with app.test_request_context("/"):
        g.__dict__.clear()  # a new request's g (the tests' app context outlives requests)
        assert render_template_string("{{ _('Requests') }}") == "Заявки"


def test_outside_a_request_it_still_translates(app):
    with app.app_context():
        assert request_translations().ugettext("Requests") in ("Заявки", "Requests")


def test_gettext_and_lazy_labels_share_the_kept_translations(app):
    """Python's gettext and FAB's lazy labels go through the same kept lookup (RequestDomain)
    and follow force_locale and a language switch as Jinja's _() does."""
    from flask_babel import gettext, lazy_gettext

    from app.translations import RequestDomain
    from flask_babel import get_babel
    assert isinstance(get_babel(app).instance.domain_instance, RequestDomain)
    label = lazy_gettext("Requests")
    with app.test_request_context("/"):
        assert gettext("Requests") == "Заявки" == str(label)
        kept = g.replan_translations[1]
        assert gettext("Requests") == "Заявки" and g.replan_translations[1] is kept
        with force_locale("en"):
            assert gettext("Requests") == "Requests" == str(label)
        assert str(label) == "Заявки"
        session["locale"] = "en"
        refresh()
        assert gettext("Requests") == "Requests" == str(label)


def test_locale_name_is_kept_and_follows_force_locale_and_a_switch(app):
    """app.translations.locale_name: the locale's name worked out once per locale object of
    the request (labels, money, dates ask ~70 times a page), and still the right one under
    force_locale, after a language switch, in a new request and outside any app context."""
    from app.money import money
    from app.status_labels import partner_label
    from app.translations import locale_name

    outside = contextvars.Context()  # no app context at all (a script, a bare import)
    assert outside.run(locale_name) == "ru" and outside.run(locale_name, "") == ""
    assert outside.run(money, 150_00) == "150.00\u00a0₽"  # as before: not the Russian form
    with app.test_request_context("/"):
        g.__dict__.clear()
        assert locale_name() == "ru" and g.replan_locale_name[1] == "ru"
        kept = g.replan_locale_name
        assert locale_name() == "ru" and g.replan_locale_name is kept  # not worked out again
        assert money(1_234_567_89) == "1\u00a0234\u00a0567,89\u00a0₽"
        assert partner_label("ready") == "Готово"
        with force_locale("en"):  # an e-mail in the recipient's language
            assert locale_name() == "en" and money(1_234_567_89) == "1,234,567.89\u00a0₽"
            assert partner_label("ready") == "Ready"
        assert locale_name() == "ru" and partner_label("ready") == "Готово"
        session["locale"] = "en"  # the user switched language in this request
        refresh()
        assert locale_name() == "en" and partner_label("ready") == "Ready"
    with app.test_request_context("/"):
        g.__dict__.clear()  # a new request's g
        assert locale_name() == "ru"


def test_payment_labels_are_kept_per_language(app):
    """app.request_rules.payment_label: worked out once per language, each language its own;
    an unknown state shown as it is."""
    from app.request_rules import _PAYMENT_TEXTS, payment_label

    with app.test_request_context("/"):
        g.__dict__.clear()
        assert payment_label("paid") == "оплачена" and ("paid", "ru") in _PAYMENT_TEXTS
        with force_locale("en"):
            assert payment_label("paid") == "paid" and payment_label("unpaid") == "not paid"
        assert payment_label("partial") == "оплачена частично"
        assert payment_label("odd") == "odd" and not any(k[0] == "odd" for k in _PAYMENT_TEXTS)


def test_a_list_rows_cells_are_formatted_and_escaped_as_jinja_would(app):
    """app.templating.row_cells (the back-office list widget's cells, one call a row)."""
    from markupsafe import Markup

    from app.templating import row_cells

    item = {"a": "<b>&", "b": 7, "c": None, "d": "x"}
    cells = row_cells(item, ["a", "b", "c"], {"b": lambda v: Markup(f"<i>{v}</i>")})
    assert isinstance(cells, Markup)
    assert cells == "<td>&lt;b&gt;&amp;</td><td><i>7</i></td><td>None</td>"
    assert render_template_string(
        "{% for c in cols %}<td>{{ item[c] }}</td>{% endfor %}", item=item, cols="ac") \
        == row_cells(item, "ac", {})
    assert row_cells(item, [], {}) == ""


@pytest.mark.parametrize("source", [
    "{{ _('Requests') }}",
    "{{ _('Filed by manager %(name)s', name='<b>Ann & Co</b>') }}",
    "{{ _('Filed by manager %(name)s', name=markup) }}",
    "{% autoescape false %}{{ _('Filed by manager %(name)s', name='<b>') }}{% endautoescape %}",
    "{{ _('100%% sure') }}", "{{ _('Requests')|length }}"])
def test_templates_underscore_is_jinjas_newstyle_gettext(app, source):
    """app.templating.template_gettext, called directly, renders exactly as Jinja's own `_`
    (its alias of the newstyle gettext) over the same translations."""
    import jinja2.ext
    from markupsafe import Markup

    values = {"markup": Markup("<i>kept</i>")}
    with app.test_request_context("/"):
        ours = render_template_string(source, **values)
        app.jinja_env.globals["_"] = jinja2.ext._gettext_alias
        try:
            jinjas = render_template_string(source, **values)
        finally:
            app.jinja_env.globals["_"] = templating.template_gettext
    assert ours == jinjas
    assert "<b>" not in ours or "autoescape false" in source
