"""A refused form comes back with what was typed (app.typed_input): the desk's payment, the
engineer's new schedule entry, a cancel reason refused for a concurrent change. Nothing is
stored, the refusal is shown, and the form shown again submits once corrected (fresh form
token, the stored version)."""

from __future__ import annotations

import html as markup
import re
from datetime import datetime, timedelta

from flask_babel import force_locale, gettext

from app.extensions import db
from app.typed_input import typed_into
from models.finance import Payment
from models.request_status import Status
from models.requests import Request, StatusChange
from models.schedule import ScheduleEntry
from tests.factories import as_user, make_partner, make_request, post


def ru(app, msgid: str, **kwargs) -> str:
    with app.test_request_context(), force_locale("ru"):
        return gettext(msgid, **kwargs)


def form_of(html: str, action: str) -> str:
    """The <form> posting to `action` (its attributes and fields)."""
    start = html.index(f'action="{action}"')
    return html[html.rindex("<form", 0, start):html.index("</form>", start)]


def value_of(form: str, name: str) -> str | None:
    """What an <input name=...> of the form shows (its value attribute)."""
    tag = re.search(r'<input[^>]*\bname="%s"[^>]*>' % re.escape(name), form)
    found = tag and re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return markup.unescape(found.group(1)) if found else None


def textarea_of(form: str, name: str) -> str:
    return markup.unescape(re.search(r'<textarea[^>]*\bname="%s"[^>]*>(.*?)</textarea>'
                                     % re.escape(name), form, re.S).group(1)).strip()


def page_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_payment_over_the_debt_comes_back_typed_and_stores_nothing(app, ready, admin):
    c = as_user(app, admin)
    url = f"/desk/{ready.id}/payment"
    over = ready.total_kopecks * 2 // 100  # roubles, twice the debt
    html = page_of(post(c, url, {"amount": str(over), "paid_on": "2026-11-20",
                                 "document": "п/п 555"}, follow=True))
    assert "Платёж больше долга" in html
    form = form_of(html, url)
    assert value_of(form, "amount") == str(over)
    assert value_of(form, "paid_on") == "2026-11-20"
    assert value_of(form, "document") == "п/п 555"
    assert db.session.query(Payment).filter_by(request_id=ready.id).count() == 0


def test_a_refused_payment_corrected_in_the_form_shown_again_is_saved_once(app, ready, admin):
    c = as_user(app, admin)
    url = f"/desk/{ready.id}/payment"
    html = page_of(post(c, url, {"amount": "abc", "paid_on": "2026-11-20",
                                 "document": "п/п 556"}, follow=True))
    form = form_of(html, url)
    assert value_of(form, "amount") == "abc" and value_of(form, "document") == "п/п 556"
    # the form as the page shows it, the amount corrected: its own csrf and form tokens
    fields = dict(re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', form))
    fields = {k: markup.unescape(v) for k, v in fields.items()}
    assert fields["form_nonce"]
    fields["amount"] = "100"
    saved = c.post(url, data=fields, follow_redirects=True)
    assert ru(app, "Payment recorded.") in page_of(saved)
    again = c.post(url, data=fields, follow_redirects=True)  # the same form twice: once
    assert ru(app, "This form was already submitted; nothing was changed.") in page_of(again)
    payments = db.session.query(Payment).filter_by(request_id=ready.id).all()
    assert [(p.amount_kopecks, p.document, p.paid_on.isoformat()) for p in payments] == \
        [(100_00, "п/п 556", "2026-11-20")]
    # a page read afterwards shows the form fresh
    fresh = form_of(page_of(c.get(f"/desk/{ready.id}")), url)
    assert value_of(fresh, "document") in (None, "") and value_of(fresh, "amount") in (None, "")


def test_an_entry_over_31_days_comes_back_typed_and_stores_nothing(app, staff):
    e = as_user(app, staff.engineer)
    start = datetime(2026, 7, 6, 9, 0)
    typed = {"kind": "vacation", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
             "ends_at": (start + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M"),
             "note": "на даче", "week": "2026-07-06"}
    html = page_of(post(e, "/schedule/entry", typed, follow=True))
    assert ru(app, "An entry cannot be longer than 31 days.") in html
    form = form_of(html, "/schedule/entry")
    assert re.search(r'<option selected value="vacation">', form)
    assert value_of(form, "starts_at") == "2026-07-06T09:00"
    assert value_of(form, "ends_at") == "2026-08-15T09:00"
    assert value_of(form, "note") == "на даче"
    assert value_of(form, "week") == "2026-07-06"  # the week it was typed on, shown again
    assert db.session.query(ScheduleEntry).filter_by(engineer_id=staff.engineer.id).count() == 0
    # corrected in the form shown again: saved
    fields = dict(re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', form))
    fields.update(kind="vacation", note="на даче", ends_at="2026-07-20T09:00")
    saved = e.post("/schedule/entry", data=fields, follow_redirects=True)
    assert ru(app, "Schedule saved.") in page_of(saved)
    row = db.session.query(ScheduleEntry).filter_by(engineer_id=staff.engineer.id).one()
    assert (row.kind, row.note, row.ends_at) == ("vacation", "на даче",
                                                 datetime(2026, 7, 20, 9, 0))


def test_a_cancel_reason_refused_for_a_concurrent_change_is_kept(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    seen = req.version
    req.description = "уточнено другим сотрудником"  # someone else changed it meanwhile
    db.session.commit()
    m = as_user(app, staff.manager)
    url = f"/desk/{req.id}/move/cancel"
    html = page_of(post(m, url, {"version": seen, "comment": "Клиент передумал"},
                        follow=True))
    assert "Заявку уже изменил кто-то другой" in html
    form = form_of(html, url)
    assert textarea_of(form, "comment") == "Клиент передумал"
    assert value_of(form, "version") == str(db.session.get(Request, req.id).version) != \
        str(seen)  # the stored version, so the form shown again submits
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED
    # sent again as shown: stored, with the reason
    fields = dict(re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', form))
    fields["comment"] = textarea_of(form, "comment")
    m.post(url, data=fields, follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.CANCELLED
    change = db.session.query(StatusChange).filter_by(request_id=req.id,
                                                      to_status=Status.CANCELLED).one()
    assert change.comment == "Клиент передумал"


def test_only_the_posted_form_gets_the_typed_values_never_tokens_or_passwords(app):
    data = {"comment": "текст", "csrf_token": "t", "form_nonce": "n", "version": "3",
            "new_password": "secret", "Password": "secret"}
    with app.test_request_context("/desk/1/move/cancel", method="POST", data=data):
        assert typed_into("/desk/1/move/cancel").to_dict() == {"comment": "текст"}
        assert typed_into("/desk/1/note") is None
    with app.test_request_context("/desk/1/move/cancel"):
        assert typed_into("/desk/1/move/cancel") is None  # a page read: fresh forms


def test_a_page_drawn_by_a_refused_post_names_its_own_address(app, ready, admin):
    """The refused POST's page tells the browser its address (js/replan.js shows it in the
    address bar): a reload opens the request page instead of sending the spent form again
    ("already submitted") and the language switch comes back to it."""
    c = as_user(app, admin)
    html = page_of(post(c, f"/desk/{ready.id}/payment", {
        "amount": "abc", "paid_on": "2026-11-20", "document": "п/п 557"}))
    assert f'<meta name="replan-page-url" content="/desk/{ready.id}" data-form=' in html
    assert f"/lang/en?next=/desk/{ready.id}" in html
    shown = page_of(c.get(f"/desk/{ready.id}"))  # a page opened by a GET names nothing
    assert "replan-page-url" not in shown


def test_a_text_too_long_is_told_so_and_kept(app, ready, staff):
    """A comment over 2 000 or a note over 5 000 characters: the length is the reason (it
    said "This action is not available." / "Write the note text."), the text kept."""
    c = as_user(app, staff.manager)
    assigned = make_request(make_partner(), Status.ASSIGNED, staff)
    long_comment = "ж" * 2001
    html = page_of(post(c, f"/desk/{assigned.id}/move/ask_info",
                        {"version": assigned.version, "comment": long_comment}))
    assert "Комментарий: Значение не должно содержать более 2000 символов." in html
    assert "Это действие недоступно" not in html
    assert textarea_of(form_of(html, f"/desk/{assigned.id}/move/ask_info"),
                       "comment") == long_comment
    long_note = "з" * 5001
    html = page_of(post(c, f"/desk/{assigned.id}/note", {"body": long_note}))
    assert "Значение не должно содержать более 5000 символов." in html
    assert "Напишите текст заметки" not in html
    assert textarea_of(form_of(html, f"/desk/{assigned.id}/note"), "body") == long_note
    html = page_of(post(c, f"/desk/{assigned.id}/note", {"body": "  "}))
    assert "Напишите текст заметки" in html
    db.session.expire_all()
    assert db.session.get(Request, assigned.id).status == Status.ASSIGNED


def test_a_post_only_address_is_never_offered_for_a_reload(app):
    """Without a page named, a refused POST's own address is offered only if a GET opens it
    (the generated forms, the login); a POST-only one would be a 405."""
    from app.typed_input import page_url

    with app.test_request_context("/services/edit/1", method="POST"):
        assert page_url() == "/services/edit/1"
    with app.test_request_context("/reports/run", method="POST"):
        assert page_url() is None
    with app.test_request_context("/services/edit/1", method="GET"):
        assert page_url() is None
