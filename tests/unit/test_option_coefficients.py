"""The field editor's option lines carry a price coefficient as a 4th part (app.pricing)."""

import re

import pytest

from app.service_field_admin import OptionsError, option_lines, parse_option_lines


def test_a_fourth_part_is_the_options_price_coefficient(app):
    with app.test_request_context():
        options = parse_option_lines("economy | Эконом | Economy\n"
                                     "premium | Премиум | Premium | 1,5\n"
                                     "lux | Люкс | Lux | 2.00 \n")
    assert options == [
        {"value": "economy", "label": "Эконом", "label_en": "Economy"},
        {"value": "premium", "label": "Премиум", "label_en": "Premium", "coefficient": "1.5"},
        {"value": "lux", "label": "Люкс", "label_en": "Lux", "coefficient": "2"}]
    assert option_lines(options) == ("economy | Эконом | Economy\n"
                                     "premium | Премиум | Premium | 1.5\n"
                                     "lux | Люкс | Lux | 2")


def test_a_coefficient_left_out_is_removed_other_extras_kept(app):
    previous = [{"value": "premium", "label": "П", "coefficient": "1.5", "colour": "gold"}]
    with app.test_request_context():
        options = parse_option_lines("premium | Премиум | Premium", previous)
        emptied = parse_option_lines("premium | Премиум | Premium | ", previous)
    assert options == emptied == [{"value": "premium", "label": "Премиум",
                                   "label_en": "Premium", "colour": "gold"}]


@pytest.mark.parametrize("text, line", [
    ("a | A | A | много", 1), ("a | A | A | 0", 1), ("a\nb | B | B | -1", 2),
    ("a | A | A | 1 | 2", 1)])
def test_a_bad_coefficient_names_its_line(app, text, line):
    with app.test_request_context(), pytest.raises(OptionsError) as refused:
        parse_option_lines(text)
    assert re.match(rf"(Line|Строка) {line}\b", str(refused.value))
