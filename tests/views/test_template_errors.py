"""The texts editor tells what is wrong with an e-mail template and where, in the admin's
language (app.texts.template_error_text), saves nothing and keeps what was typed."""

import html as html_lib

import pytest

from app.extensions import db
from models.audit import AuditEvent
from models.texts import KIND_EMAIL, TextOverride
from tests.factories import as_user, make_user, post

CASES = {  # body → (Russian, English)
    "Здравствуйте!\n{% if number %}\nЗаявка {{ number }}": (
        "Ошибка в шаблоне, строка 3: блок «if» не закрыт (не хватает «endif»).",
        "Error in the template, line 3: the block “if” is not closed (“endif” is missing)."),
    "Заявка\n\n{{ number": (
        "Ошибка в шаблоне, строка 3: подстановка не закрыта (не хватает «}}»).",
        "Error in the template, line 3: a placeholder is not closed (“}}” is missing)."),
    "Заявка {{ number }}\n{% frobnicate %}": (
        "Ошибка в шаблоне, строка 2: неизвестный тег «frobnicate».",
        "Error in the template, line 2: unknown tag “frobnicate”."),
    "Заявка {{ number }}\n{% endif %}": (
        "Ошибка в шаблоне, строка 2: «endif» закрывает блок, который не был открыт.",
        "Error in the template, line 2: “endif” closes a block that is not open."),
    "{% if number %}\n{% endfor %}": (
        "Ошибка в шаблоне, строка 2: тег «endfor» здесь не к месту: блок «if» ещё не закрыт "
        "(перед ним не хватает «endif»).",
        "Error in the template, line 2: the tag “endfor” does not fit here: the block “if” "
        "is still open (“endif” is missing before it)."),
    "Заявка {{ number }} {# заметка": (
        "Ошибка в шаблоне, строка 1: комментарий не закрыт (не хватает «#}»).",
        "Error in the template, line 1: a comment is not closed (“#}” is missing)."),
    "Заявка {% if number": (
        "Ошибка в шаблоне, строка 1: тег не закрыт (не хватает «%}»).",
        "Error in the template, line 1: a tag is not closed (“%}” is missing)."),
    "Заявка {{ number }}\n\n{{ nomer }}": (
        "Ошибка в шаблоне, строка 3: неизвестная подстановка «nomer». Используйте только "
        "перечисленные подстановки.",
        "Error in the template, line 3: unknown placeholder “nomer”. Use only the "
        "placeholders listed."),
    # what the sandbox refuses, with its line like the other errors (it had none)
    "Заявка {{ number }}\n\n{{ number|nosuchfilter }}": (
        "Ошибка в шаблоне, строка 3: фильтр «nosuchfilter» недоступен. Используйте только "
        "перечисленные подстановки.",
        "Error in the template, line 3: the filter “nosuchfilter” is not available. Use only "
        "the placeholders listed."),
    "Заявка\n{{ number.__class__ }}": (
        "Ошибка в шаблоне, строка 2: «__class__» недоступно. Используйте только "
        "перечисленные подстановки.",
        "Error in the template, line 2: “__class__” is not available. Use only the "
        "placeholders listed."),
    # any other mistake: a sentence of our own with the line, Jinja's words in parentheses
    "Заявка\n{{ number }": (
        "Ошибка в шаблоне, строка 2: текст не читается как шаблон, проверьте скобки и теги "
        "(unexpected '}').",
        "Error in the template, line 2: the text cannot be read as a template, check its "
        "brackets and tags (unexpected '}')."),
}


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("body", list(CASES))
def test_a_template_error_is_told_in_the_admins_language_with_its_line(app, locale, body):
    admin = as_user(app, make_user("Admin", locale=locale))
    response = post(admin, f"/texts/{KIND_EMAIL}/partner_status?locale=ru",
                    {"body": body, "subject": "Статус {{ number }}", "do": "save"},
                    follow=True)
    page = html_lib.unescape(response.get_data(as_text=True))
    russian, english = CASES[body]
    expected, other = (russian, english) if locale == "ru" else (english, russian)
    assert expected in page
    assert other not in page
    assert body in page  # what the admin typed is kept in the form
    assert db.session.query(TextOverride).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="text_update").count() == 0
