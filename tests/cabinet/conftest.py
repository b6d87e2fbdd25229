import pytest

from app.demo import load_catalog
from app.extensions import db


@pytest.fixture(autouse=True)
def catalog(app):
    """Cabinet forms offer the real catalogue: services, object types, urgency, options."""
    load_catalog()
    db.session.commit()
