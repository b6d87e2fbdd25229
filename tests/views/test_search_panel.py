"""The back-office lists' search panel (app/templates/replan_list.html): open, and saying how
many filters are on, while the list is filtered; closed otherwise. Collapsed, it hid what
the rows were filtered by."""

from __future__ import annotations

import re

import pytest

from tests.factories import as_user, make_user

PANEL = re.compile(r'aria-expanded="(true|false)">([^<]*)<span class="caret">.*?'
                   r'<div id="accordion1_href" class="panel-collapse collapse( in)?">', re.S)


def panel(client, url: str) -> tuple[str, str, bool]:
    page = client.get(url)
    assert page.status_code == 200, url
    found = PANEL.search(page.get_data(as_text=True))
    assert found, url
    return found.group(1), found.group(2).strip(), found.group(3) is not None


@pytest.mark.parametrize("language,word,on", [("ru", "Поиск", "Поиск (фильтров: {})"),
                                               ("en", "Search", "Search (filters on: {})")])
def test_the_search_panel_is_open_while_the_list_is_filtered(app, language, word, on):
    admin = as_user(app, make_user("Admin"))
    admin.get(f"/lang/{language}")
    assert panel(admin, "/requests/list/") == ("false", word, False)
    assert panel(admin, "/requests/list/?_flt_0_status=submitted") == ("true", on.format(1),
                                                                       True)
    assert panel(admin, "/requests/list/?_flt_0_status=submitted&_flt_0_payment_state=paid"
                 "&_flt_0_field_values=Arbat") == ("true", on.format(3), True)
    # a filter left empty (the form sends every field) filters nothing
    assert panel(admin, "/requests/list/?_flt_0_field_values=&_flt_0_status=") == \
        ("false", word, False)
    assert panel(admin, "/companies/list/?_flt_2_name=Alpha") == ("true",
                                                                          on.format(1), True)
