"""Small helpers the browser tests share."""

from tests.factories import PASSWORD


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person does."""
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
