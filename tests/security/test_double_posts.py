"""Finding 16: a form posted twice acts once, and racing draft edits get a clear message."""

import re

from sqlalchemy import text

from app.extensions import db
from app.form_nonce import consume_nonce, issue_nonce, purge_used_nonces
from models.base import utcnow
from models.finance import Payment
from models.request_status import Status
from models.requests import Message, Request
from models.security import UsedFormNonce
from tests.factories import as_user, make_partner, make_request, make_user, post

# Russian once babel/pending/jobs.po is merged, the English msgid until then
ALREADY = ("Эта форма уже отправлена", "This form was already submitted")
OUT_OF_DATE = ("Форма устарела", "This form is out of date")
CONFLICT = "изменил кто-то другой"


def says(page: str, phrases) -> bool:
    return any(phrase in page for phrase in phrases)



def page_nonce(client, url: str, action: str) -> str:
    """The form_nonce rendered in the form posting to `action` on `url`."""
    html = client.get(url).get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    return re.search(r'name="form_nonce" value="([^"]+)"', form.group(1)).group(1)


def test_the_same_payment_form_posted_twice_records_one_payment(app, staff):
    req = make_request(make_partner(), Status.READY, staff)
    admin = as_user(app, make_user("Admin"))
    url = f"/desk/{req.id}/payment"
    nonce = page_nonce(admin, f"/desk/{req.id}", url)
    form = {"amount": "100.00", "paid_on": "2026-11-20", "document": "п/п 5",
            "form_nonce": nonce}
    first = post(admin, url, form, follow=True).get_data(as_text=True)
    second = post(admin, url, form, follow=True).get_data(as_text=True)
    assert "Оплата отмечена" in first and says(second, ALREADY)
    db.session.expire_all()
    assert db.session.query(Payment).count() == 1
    assert db.session.get(Request, req.id).paid_kopecks == 10000
    missing = post(admin, url, {**form, "form_nonce": ""}, follow=True).get_data(as_text=True)
    forged = post(admin, url, {**form, "form_nonce": "123-abc.0000"}, follow=True)
    assert says(missing, OUT_OF_DATE) and says(forged.get_data(as_text=True), OUT_OF_DATE)
    assert db.session.query(Payment).count() == 1


def test_a_refused_payment_keeps_the_form_usable(app, staff):
    req = make_request(make_partner(), Status.READY, staff)
    admin = as_user(app, make_user("Admin"))
    nonce = issue_nonce()
    form = {"amount": "100.00", "paid_on": "2026-11-20", "document": "  ", "form_nonce": nonce}
    post(admin, f"/desk/{req.id}/payment", form)  # refused: no document
    post(admin, f"/desk/{req.id}/payment", {**form, "document": "п/п 6"})
    assert db.session.query(Payment).count() == 1  # the refusal did not use the token up


def test_deliver_and_booking_posted_twice_act_once(app, staff):
    from tests.views.test_distribution_and_schedule import window

    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    manager = as_user(app, staff.manager)
    start, end = window(days=3)
    booking = {"engineer_id": staff.engineer.id, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
               "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "version": req.version,
               "form_nonce": issue_nonce()}
    post(manager, f"/desk/{req.id}/book", booking)
    db.session.expire_all()
    booked = db.session.get(Request, req.id)
    assert booked.status == Status.SCHEDULED
    booking["version"] = booked.version  # even with a fresh version the token is spent
    page = post(manager, f"/desk/{req.id}/book", booking, follow=True).get_data(as_text=True)
    assert says(page, ALREADY)
    db.session.expire_all()
    assert db.session.get(Request, req.id).version == booked.version


def test_a_message_posted_twice_is_stored_once(app, staff):
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    manager = as_user(app, staff.manager)
    form = {"body": "Пришлите план", "form_nonce": issue_nonce()}
    post(manager, f"/desk/{req.id}/message", form)
    post(manager, f"/desk/{req.id}/message", form)
    assert db.session.query(Message).filter_by(request_id=req.id).count() == 1


def test_a_token_is_used_once_and_old_tokens_are_purged(app):
    user = make_user("Admin")
    nonce = issue_nonce()
    assert consume_nonce(nonce, user.id) is True
    assert consume_nonce(nonce, user.id) is False
    assert consume_nonce("forged.value", user.id) is False
    db.session.commit()
    db.session.execute(text("UPDATE used_form_nonce SET created_at = :old"),
                       {"old": utcnow().replace(year=utcnow().year - 1)})
    db.session.commit()
    assert purge_used_nonces() == 1
    assert db.session.query(UsedFormNonce).count() == 0


def _edit_form(req, **values) -> dict:
    form = {"object_address": req.object_address, "object_type": req.object_type,
            "area": str(req.area), "urgency": req.urgency, "services": [
                line.service_id for line in req.lines], "version": req.version}
    form.update(values)
    return form


def test_racing_draft_edits_the_loser_gets_a_clear_message_and_keeps_its_text(app,
                                                                              monkeypatch):
    import app.drafts as drafts  # the use case the edit route calls
    from app.demo import load_catalog

    load_catalog()  # the form's object types, urgency and services
    partner = make_partner(username="p")
    req = make_request(partner, Status.DRAFT)
    client = as_user(app, partner)
    real_reprice = drafts.reprice

    def the_other_window_saves_first(*args, **kwargs):
        with db.engine.begin() as other:  # another session commits between read and write
            other.execute(text("UPDATE request SET version = version + 1, description = "
                               "'from the other window' WHERE id = :id"), {"id": req.id})
        return real_reprice(*args, **kwargs)

    monkeypatch.setattr(drafts, "reprice", the_other_window_saves_first)
    response = post(client, f"/cabinet/requests/{req.id}/edit",
                    _edit_form(req, description="мой длинный текст"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Черновик тем временем сохранили" in page and "мой длинный текст" in page
    db.session.expire_all()
    assert db.session.get(Request, req.id).description == "from the other window"
