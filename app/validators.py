"""Validation helpers shared by forms and services."""

import unicodedata

from app.requisites import inn_is_valid  # noqa: F401  (the one INN check, app.requisites)


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
