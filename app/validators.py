"""Validation helpers shared by forms and services."""

import unicodedata

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


# Unicode categories never kept in a file name: controls (CR, LF, NUL...), format characters
# (bidi overrides, zero-width), surrogates, private use, unassigned, line/paragraph separators.
_NAME_DROP = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
MAX_FILE_NAME = 150


def clean_filename(raw: str | None) -> str:
    """A safe display/download name: no path parts, control characters or leading dots."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = " ".join("".join(ch for ch in name
                            if unicodedata.category(ch) not in _NAME_DROP).split())
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem, ext = stem.strip(" ."), ext.strip(" ")[:16]
    stem = stem[:MAX_FILE_NAME - len(ext) - 1].rstrip(" .") or "file"
    return f"{stem}.{ext}" if ext else stem


def file_extension(name: str) -> str:
    """The lower-case extension of a cleaned name ('' when it has none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""
