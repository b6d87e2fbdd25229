"""The partner's forms show each select's chosen option whole, at desktop and phone width:
the new-request form's urgency sat in a 160 px grid cell at 1280 px and read
"Обычная (10 р" (found by the exploratory session)."""

import pytest

from app.demo import load_catalog
from app.extensions import db
from tests.browser.pages import sign_in
from tests.factories import make_partner

pytestmark = pytest.mark.browser

# each visible select: the chosen option's text width in the select's font against the room
# inside it (its width less the padding and ~24 px of the arrow)
CUT_SELECTS = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('select')].filter(s => s.offsetParent).map(s => {
    const style = getComputedStyle(s);
    canvas.font = style.font;
    const text = s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : '';
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = s.clientWidth - padding - 24;
    return [s.name, text, Math.ceil(canvas.measureText(text).width), Math.floor(room)];
  }).filter(([, , needed, room]) => needed > room);
}"""


LONGEST_SERVICE = """() => {
  const s = document.querySelector('select#service');
  let best = 0;
  [...s.options].forEach((o, i) => { if (o.text.length > s.options[best].text.length) best = i; });
  s.selectedIndex = best;
}"""


@pytest.mark.parametrize("width", [1280, 375])
def test_selects_show_their_chosen_option_whole(app, server_url, browser, width):
    load_catalog()
    partner = make_partner(username="layout")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, server_url, partner.username)
    for lang in ("ru", "en"):
        page.goto(f"{server_url}/lang/{lang}")
        # the list's filters at desktop width (a phone's closed select cannot hold a
        # 440 px service name: its picker shows it whole)
        lists = ("/cabinet/requests",) if width >= 1000 else ()
        for path in ("/cabinet/requests/new", "/cabinet/calculator", *lists):
            page.goto(f"{server_url}{path}")
            for select in page.query_selector_all("select#urgency"):
                select.select_option(index=0)  # the longest: "Обычная (10 рабочих дней)"
            if path == "/cabinet/requests":  # the list's filters: the longest service chosen
                page.click("details.filters summary")
                page.evaluate(LONGEST_SERVICE)
            assert page.evaluate(CUT_SELECTS) == [], (lang, path, width)
    context.close()
