"""Russian company requisites: INN, KPP, BIK, accounts, OGRN (formats and check digits).

Plain functions: each ``*_problem`` returns a translated message for the user, or None when
the value is valid. They check a value that is given; whether a field may stay empty is the
caller's rule. Used by the bureau's settings (app.settings), the partner registration form
and the company import (app.validators.inn_is_valid).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_WEIGHTS = (7, 1, 3)
# 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits (number)
_KPP = re.compile(r"\d{4}[0-9A-Z]{2}\d{3}")

# the bureau's requisites (settings "bureau") checked here, in the page's order
BUREAU_CODES = ("inn", "kpp", "bik", "account", "corr_account", "ogrn")


def compact(value) -> str:
    """A code as typed without any spaces ("7707 083 893" → "7707083893"), its letters
    capital (a KPP's "7713ab001" is "7713AB001")."""
    return "".join(str(value or "").split()).upper()


def _digits(value: str, *lengths: int) -> bool:
    return value.isascii() and value.isdigit() and len(value) in lengths


def _inn_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights)) % 11 % 10


def inn_is_valid(inn) -> bool:
    """10 digits (a legal entity) or 12 (an individual entrepreneur) with their check
    digits."""
    inn = str(inn or "")
    if not _digits(inn, 10, 12):
        return False
    digits = [int(c) for c in inn]
    if len(inn) == 10:
        return _inn_digit(digits, _INN10) == digits[9]
    return (_inn_digit(digits, _INN12_1) == digits[10]
            and _inn_digit(digits, _INN12_2) == digits[11])


def inn_problem(inn) -> str | None:
    inn = compact(inn)
    if not _digits(inn, 10, 12):
        return _("The INN has 10 digits (a company) or 12 digits (an entrepreneur).")
    if not inn_is_valid(inn):
        return _("This INN is not valid: check the digits.")
    return None


def kpp_problem(kpp) -> str | None:
    if not _KPP.fullmatch(compact(kpp)) or not compact(kpp).isascii():
        return _("The KPP has 9 characters: 4 digits, 2 digits or capital Latin letters, "
                 "3 digits.")
    return None


def bik_problem(bik) -> str | None:
    if not _digits(compact(bik), 9):
        return _("The BIK has 9 digits.")
    return None


def _key_sum(digits: str) -> int:
    return sum(int(d) * _ACCOUNT_WEIGHTS[k % 3] for k, d in enumerate(digits)) % 10


def account_matches_bik(account, bik) -> bool:
    """A settlement account's control key: the BIK's last 3 digits + the 20 digits, weights
    7, 1, 3 repeated, the sum a multiple of 10."""
    account, bik = compact(account), compact(bik)
    return _digits(account, 20) and _digits(bik, 9) and _key_sum(bik[-3:] + account) == 0


def corr_account_matches_bik(corr_account, bik) -> bool:
    """A correspondent account's control key: "0" + the BIK's 5th and 6th digits + the 20
    digits, weights 7, 1, 3 repeated, the sum a multiple of 10; and it ends with the BIK's
    last 3 digits (the bank's number: the key alone does not tell two banks of a region
    apart)."""
    corr_account, bik = compact(corr_account), compact(bik)
    return (_digits(corr_account, 20) and _digits(bik, 9)
            and _key_sum("0" + bik[4:6] + corr_account) == 0
            and corr_account[-3:] == bik[-3:])


def account_problem(account, bik) -> str | None:
    """The settlement account; its key is checked against a valid BIK only (a wrong BIK is
    the BIK's own problem)."""
    if not _digits(compact(account), 20):
        return _("The account has 20 digits.")
    if bik_problem(bik) is None and not account_matches_bik(account, bik):
        return _("The account does not match the BIK: check the digits of both.")
    return None


def corr_account_problem(corr_account, bik) -> str | None:
    if not _digits(compact(corr_account), 20):
        return _("The correspondent account has 20 digits.")
    if bik_problem(bik) is None and not corr_account_matches_bik(corr_account, bik):
        return _("The correspondent account does not match the BIK: check the digits of "
                 "both.")
    return None


def ogrn_is_valid(ogrn) -> bool:
    """OGRN: 13 digits, the last = the first 12 as a number mod 11 (mod 10); OGRNIP: 15
    digits, the last = the first 14 mod 13 (mod 10)."""
    ogrn = compact(ogrn)
    if not _digits(ogrn, 13, 15):
        return False
    modulus = 11 if len(ogrn) == 13 else 13
    return int(ogrn[:-1]) % modulus % 10 == int(ogrn[-1])


def ogrn_problem(ogrn) -> str | None:
    if not _digits(compact(ogrn), 13, 15):
        return _("The OGRN has 13 digits (a company) or 15 digits (an entrepreneur, "
                 "OGRNIP).")
    if not ogrn_is_valid(ogrn):
        return _("This OGRN is not valid: check the digits.")
    return None


def bureau_problems(bureau: dict) -> dict[str, str]:
    """{field: message} for each given code of the bureau's requisites that is not valid
    (an empty field is not checked here), and a company's (10-digit INN) missing KPP."""
    bureau = bureau if isinstance(bureau, dict) else {}
    bik = bureau.get("bik")
    checks = {"inn": inn_problem, "kpp": kpp_problem, "bik": bik_problem,
              "account": lambda value: account_problem(value, bik),
              "corr_account": lambda value: corr_account_problem(value, bik),
              "ogrn": ogrn_problem}
    problems = {}
    for key, check in checks.items():
        if compact(bureau.get(key)):
            problem = check(bureau.get(key))
            if problem:
                problems[key] = problem
    inn = compact(bureau.get("inn"))
    if len(inn) == 10 and "inn" not in problems and not compact(bureau.get("kpp")):
        # a company has a KPP; an individual entrepreneur (12-digit INN) has none
        problems["kpp"] = _("A company (a 10-digit INN) has a KPP: fill it in.")
    return problems
