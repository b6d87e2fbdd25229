"""Form errors are tied to their fields (issue 16, WCAG 3.3.1/4.1.2): the message has an id,
the field points at it with aria-describedby and says aria-invalid, on both surfaces."""

import re

from app.permissions import ADMIN
from tests.factories import login, make_partner, make_service, make_user, post


def _described(html: str, field_id: str) -> tuple[str, str]:
    control = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{field_id}"[^>]*>', html)
    assert control, f"no control #{field_id}"
    error = re.search(rf'<[^>]*\bid="{field_id}-error"[^>]*>(.*?)</', html, re.S)
    assert error, f"no error element for #{field_id}"
    return control.group(0), error.group(1)


def test_cabinet_field_error_is_announced_and_tied_to_the_field(app):
    partner = make_partner()
    client = app.test_client()
    login(client, partner.username)
    service = make_service()
    html = post(client, "/cabinet/requests/new", {
        "object_address": "", "object_type": "apartment", "area": "45", "urgency": "normal",
        "services": [str(service.id)], "end_client_id": "0", "save_draft": "1",
    }).get_data(as_text=True)
    control, _ = _described(html, "address")  # the service's field (issue 12)
    assert 'aria-describedby="address-error"' in control
    assert 'aria-invalid="true"' in control
    error_tag = re.search(r'<[^>]*\bid="address-error"[^>]*>', html).group(0)
    assert 'role="alert"' in error_tag


def test_back_office_form_error_is_announced_and_tied_to_the_field(app):
    company = make_partner().profile.partner_company
    admin = make_user(ADMIN)
    client = app.test_client()
    login(client, admin.username)
    url = f"/companies/edit/{company.id}"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get(url).get_data(as_text=True)).group(1)
    html = client.post(url, data={"csrf_token": token, "name": company.name,
                                  "discount_percent": "500"}).get_data(as_text=True)
    control, message = _described(html, "discount_percent")
    described = re.search(r'aria-describedby="([^"]+)"', control).group(1)
    assert "discount_percent-error" in described.split()
    assert 'aria-invalid="true"' in control and message.strip()
    label = re.search(r'<label for="discount_percent" class="control-label">', html)
    assert label, "the label has a class, not a bare control-label attribute"


def test_settings_error_is_tied_to_its_field(app):
    admin = make_user(ADMIN)
    client = app.test_client()
    login(client, admin.username)
    html = post(client, "/settings/", {"upload_max_mb": "abc"}).get_data(as_text=True)
    control, message = _described(html, "upload_max_mb")
    assert 'aria-describedby="upload_max_mb-error"' in control and message.strip()
