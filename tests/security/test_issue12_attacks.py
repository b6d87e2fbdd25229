"""Issue 12 under attack (attack12): texts that would make the server work for minutes,
patterns that backtrack for ever, and other inputs of the new admin forms and the request
form that must be refused quickly with a message, never hang or 500."""

import time

import pytest

from app.texts import EMAIL_PLACEHOLDERS, TemplateRefused, check_template, render_or_default

COSTLY_TEXTS = [
    '{% for a in "x"*100000 %}{% for b in "x"*100000 %}{% endfor %}{% endfor %}',
    "{% for a in '" + "x" * 6000 + "' %}{% for b in '" + "x" * 6000 + "' %}"
    "{% for c in '" + "x" * 6000 + "' %}{% endfor %}{% endfor %}{% endfor %}",
    '{{ "%0999999999d" % 1 }}',
    '{{ "x"|center(1000000000) }}',
    "{{ 9**9**9**9 }}",
    '{{ "{:>999999999}".format(1) }}',
    '{{ number|replace("", "' + "y" * 19000 + '") }}',
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    '{{ "%s"|format(1) }}',
    "{{ number[0] }}",
]


@pytest.mark.parametrize("text", COSTLY_TEXTS)
def test_a_text_that_would_loop_or_grow_is_refused_at_save_and_not_run_at_send(app, text):
    started = time.process_time()
    with pytest.raises(TemplateRefused, match="not available"):
        check_template(text, EMAIL_PLACEHOLDERS)
    values = {name: "v" for name in EMAIL_PLACEHOLDERS}
    assert render_or_default(text, "DEFAULT {{ number }}", values) == "DEFAULT v"
    assert time.process_time() - started < 5  # it used to hang (or fill memory) instead


def test_plain_texts_with_conditions_and_safe_filters_still_render(app):
    assert check_template("Заявка {{ number }}: {{ status|upper }}"
                          "{% if amount %}, к оплате {{ amount }}{% endif %}",
                          EMAIL_PLACEHOLDERS) == "Заявка [number]: [STATUS], к оплате [amount]"
    assert check_template('{{ number ~ " " ~ company|default("—")|truncate(30) }}',
                          EMAIL_PLACEHOLDERS) == "[number] [company]"
