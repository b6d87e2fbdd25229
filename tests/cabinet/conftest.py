import pytest

from app.demo import load_catalog


@pytest.fixture(autouse=True)
def catalog(snapshot):
    """Cabinet forms offer the real catalogue: services, object types, urgency, options.

    Built once per run (conftest.snapshot): restoring it replaces the whole database, so it
    depends on nothing that writes rows, and, autouse here, it runs before every fixture a
    cabinet test asks for (the root conftest's autouse fixtures write none)."""
    snapshot("cabinet-catalog", load_catalog)
