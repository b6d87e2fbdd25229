"""Amounts typed by people become exact kopecks, or a clear refusal."""

import pytest

from app.errors import InvalidInput
from app.money import MAX_KOPECKS, parse_roubles


@pytest.mark.parametrize("text, kopecks", [
    ("10 000,50", 1_000_050), ("10000.50", 1_000_050), ("10 000", 1_000_000),
    ("10\u00a0000,5", 1_000_050), ("0,01", 1), ("1", 100), (" 250 ₽ ", 25_000),
    ("1'000", 100_000), ("100000000", MAX_KOPECKS),
])
def test_roubles_as_people_write_them(app, text, kopecks):
    assert parse_roubles(text) == kopecks


@pytest.mark.parametrize("text, words", [
    ("", "Введите сумму"), ("1,000.50", "не того и другого"), ("10,505", "не сумма"),
    ("abc", "не сумма"), ("1e5", "не сумма"), ("0", "больше нуля"),
    ("-5", "больше нуля"), ("0,00", "больше нуля"), ("100000000,01", "100"),
    ("9" * 40, "100"),
])
def test_wrong_amounts_are_refused_with_a_reason(app, text, words):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        with pytest.raises(InvalidInput) as error:
            parse_roubles(text)
        assert words in str(error.value)
