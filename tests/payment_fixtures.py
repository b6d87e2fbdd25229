"""Fixtures of the payment tests (unit and views), loaded by tests/conftest.py."""

import pytest

from models.request_status import Status
from tests.factories import make_partner, make_request, make_user



@pytest.fixture
def admin(app):
    return make_user("Admin")


@pytest.fixture
def ready(app, staff):
    """A ready request with no payment yet."""
    return make_request(make_partner(), Status.READY, staff)
