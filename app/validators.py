"""Validation helpers shared by forms and services."""

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    """Russian INN checksum: 10 digits (company) or 12 digits (individual)."""
    if not inn or not inn.isdigit() or len(inn) not in (10, 12):
        return False
    digits = [int(c) for c in inn]
    if len(inn) == 10:
        return _check_digit(digits, _INN10) == digits[9]
    return (_check_digit(digits, _INN12_1) == digits[10]
            and _check_digit(digits, _INN12_2) == digits[11])
