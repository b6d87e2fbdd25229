"""A filter select's options built in Python (app.templating.select_options): the desk's
partner, manager and engineer selects list every one a supermanager may pick (~450 at a
bureau network's size)."""

import re

from markupsafe import Markup

from app.extensions import db
from app.templating import select_options
from models.request_status import Status
from tests.factories import Staff, as_user, make_company, make_partner, make_request


def test_options_escape_values_and_labels_and_mark_the_one_selected():
    html = select_options([(1, 'A <b> & "C"'), (2, "Б"), ("x\"y", "z")], 2)
    assert isinstance(html, Markup)
    assert html == ('<option value="1" >A &lt;b&gt; &amp; &#34;C&#34;</option>'
                    '<option value="2" selected>Б</option>'
                    '<option value="x&#34;y" >z</option>')
    assert "selected" not in select_options([(1, "a")], None)
    assert "selected" not in select_options([(1, "a")], "1")  # a value, not its text
    assert select_options([], 1) == ""


def test_the_desk_marks_the_chosen_partner_and_escapes_every_name(app):
    staff = Staff()
    odd = make_company(name='АН <Дом> & "Ко"')
    plain = make_company(name="АН Простая")
    for company in (odd, plain):
        make_request(make_partner(company), Status.SUBMITTED, staff)
    db.session.commit()
    html = as_user(app, staff.supermanager).get(f"/desk/?company={odd.id}").get_data(
        as_text=True)
    select = re.search(r'<select[^>]*id="desk-company".*?</select>', html, re.S).group(0)
    assert f'<option value="{odd.id}" selected>АН &lt;Дом&gt; &amp; &#34;Ко&#34;</option>' \
        in select
    assert f'<option value="{plain.id}" >АН Простая</option>' in select
    assert select.count("selected") == 1 and "<Дом>" not in html
