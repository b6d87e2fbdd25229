"""One password policy for partners and staff on every path (cabinet and FAB's forms).

At least MIN_LENGTH characters and not guessable: zxcvbn (pinned; it ships its frequency lists,
so it works offline) must score it MIN_SCORE or better, taking the user's own names into account.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses
SITE_WORDS = ("replan", "реплан")


def password_problem(password: str, user_inputs=()) -> str | None:
    """Why `password` is refused (a translated sentence), or None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password must have at most %(n)d characters.", n=MAX_LENGTH)
    inputs = [str(v) for v in (*SITE_WORDS, *user_inputs) if v]
    if zxcvbn(password, user_inputs=inputs)["score"] < MIN_SCORE:
        return _("This password is too common or too easy to guess (for example a word, a "
                 "name, a date or a keyboard pattern). Use a longer phrase of unrelated words.")
    return None


def user_words(user) -> list[str]:
    """Parts of the account a password must not be built from."""
    if user is None:
        return []
    email = getattr(user, "email", None) or ""
    return [getattr(user, "username", None), getattr(user, "first_name", None),
            getattr(user, "last_name", None), email, email.split("@")[0]]


class StrongPassword:
    """WTForms validator applying the policy to `form.account` (or the signed-in user)."""

    def __call__(self, form, field):
        account = getattr(form, "account", None) or _signed_in_user()
        problem = password_problem(field.data, user_words(account))
        if problem:
            raise ValidationError(problem)


def _signed_in_user():
    if has_request_context() and current_user.is_authenticated:
        return current_user
    return None


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: the same policy on FAB's user and password forms."""
    words = []
    if has_request_context():
        # the admin's add-user form names the new account; FAB's own forms the signed-in user
        words = [request.form.get(k) for k in ("username", "first_name", "last_name", "email")]
        if request.endpoint and request.endpoint.startswith("ReplanResetMyPasswordView"):
            words += user_words(getattr(g, "user", None))
    problem = password_problem(password, words)
    if problem:
        raise PasswordComplexityValidationError(problem)
