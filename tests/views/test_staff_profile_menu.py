"""The user menu's profile and password change open for every staff role."""

import re

import pytest

from app.permissions import STAFF_ROLES
from tests.factories import as_user, make_user


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_user_menu_profile_and_password_open_for_every_staff_role(app, role):
    user = make_user(role, username=f"u-{role.lower()}")
    client = as_user(app, user)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    menu = re.search(r'<a href="([^"]+)"><span class="fa fa-fw fa-user"></span>', home)
    assert menu, "no profile link in the user menu"
    profile = client.get(menu.group(1), follow_redirects=True)
    assert profile.status_code == 200
    text = profile.get_data(as_text=True)
    assert user.email in text or user.first_name in text
    password = re.search(r'href="([^"]*(?:password|resetmypassword)[^"]*)"', text)
    assert password, "no way to change the password from the profile"
    assert client.get(password.group(1), follow_redirects=True).status_code == 200


def test_no_back_office_page_loads_anything_from_the_internet(app):
    admin = as_user(app, make_user("Admin", username="boss"))
    assert admin.get("/userstatschartview/chart/").status_code == 404
    home = admin.get("/", follow_redirects=True).get_data(as_text=True)
    assert "User's Statistics" not in home and "Статистика" not in home
    assert not re.search(r'(src|href)="(https?:)?//', home)
