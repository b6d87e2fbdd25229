"""Who may open which back-office page: every staff role and a partner, page by page."""

import pytest

from tests.factories import as_user, make_partner, make_user

ROLES = ("Admin", "Director", "Supermanager", "Manager", "Engineer", "Partner")
ALL_STAFF = {"Admin", "Director", "Supermanager", "Manager", "Engineer"}
PAGES = {
    "/desk/": ALL_STAFF,
    "/schedule/": ALL_STAFF,
    "/requests/list/": ALL_STAFF,
    "/requests/export": ALL_STAFF,
    "/kb-articles/list/": ALL_STAFF,
    "/status-history/list/": {"Admin", "Director", "Supermanager", "Manager"},
    "/messages/list/": {"Admin", "Director", "Supermanager", "Manager"},
    "/attachments/list/": {"Admin", "Director", "Supermanager", "Manager"},
    "/services/list/": {"Admin", "Director", "Supermanager", "Manager"},
    "/distribution/": {"Admin", "Supermanager"},
    "/on-behalf/": {"Admin", "Supermanager", "Manager"},
    "/payments/list/": {"Admin", "Director", "Supermanager"},
    "/end-clients/list/": {"Admin", "Director", "Supermanager"},
    "/companies/list/": {"Admin", "Director", "Supermanager"},
    "/partner-applications/list/": {"Admin", "Director"},
    "/price-rules/list/": {"Admin", "Director"},
    "/audit/list/": {"Admin", "Director"},
    "/dashboard/": {"Admin", "Director"},
    "/reports/": {"Admin", "Director"},
    "/settings/": {"Admin"},
    "/jobs/": {"Admin"},
    "/users/list/": {"Admin"},
    "/services/add": {"Admin"},
    "/companies/add": set(),  # companies come from approved applications only
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages(app, role):
    user = make_partner() if role == "Partner" else make_user(role)
    client = as_user(app, user)
    wrong = []
    for url, allowed in PAGES.items():
        code = client.get(url).status_code
        expected_ok = role in allowed
        if expected_ok != (code == 200) or (not expected_ok and code not in (302, 403, 404)):
            wrong.append((url, code))
    assert wrong == []
