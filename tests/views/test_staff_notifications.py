"""The notification table (app.notifications): one test per recipient rule (who got a row and
who did not), the e-mails (subject, link, language, HTML), preferences, and the staff bell and
list (/notifications/) for every staff role, someone else's notification and anonymous."""

import re
from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.mail import flush_outbox
from app.messages import post_partner_message, post_staff_message
from app.notifications import EVENTS, KINDS, announce, kinds_for
from app.partners import file_application
from app.payments import mark_payment, void_payment
from app.periodic import send_sla_reminders
from app.scheduling import book_engineer
from app.uow import unit_of_work
from app.workflow import transition
from models.base import utcnow
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.request_status import Status
from tests.factories import (add_work, as_user, make_partner, make_request, make_user, post,
                             statements)

ROLES = ("Admin", "Director", "Supermanager", "Manager", "Engineer")



@pytest.fixture
def partner(app):
    return make_partner(username="partner")


def rows(kind=None, request=None):
    """{user_id: [text, ...]} of the notifications (of a kind, about a request)."""
    query = db.session.query(Notification)
    if kind:
        query = query.filter_by(kind=kind)
    if request is not None:
        query = query.filter_by(request_id=request.id)
    found = {}
    for note in query.order_by(Notification.id):
        found.setdefault(note.user_id, []).append(note.text)
    return found


def clear():
    db.session.query(Notification).delete()
    db.session.query(OutboxMessage).delete()
    db.session.commit()


def outbox_to(user):
    return db.session.query(OutboxMessage).filter_by(recipient=user.email) \
        .order_by(OutboxMessage.id).all()


# --- the table ---------------------------------------------------------------------------

def test_every_event_has_a_known_kind_of_at_most_20_characters():
    assert all(event.kind in KINDS for event in EVENTS.values())
    assert all(len(kind) <= 20 for kind in KINDS)  # Notification.kind is String(20)


def test_kinds_for_each_role(app, staff, partner):
    member = make_partner(partner.profile.partner_company, owner=False)
    assert kinds_for(staff.engineer) == ["rework", "booking", "approval"]
    assert {"answer", "review", "payment", "sla", "message"} <= set(kinds_for(staff.manager))
    assert "submitted" not in kinds_for(staff.manager)
    assert "submitted" in kinds_for(staff.supermanager)
    assert "application" in kinds_for(make_user("Admin"))
    assert kinds_for(make_user("Director")) == ["approval"]  # approval steps
    assert kinds_for(partner) == ["message", "status", "needs_info", "team"]
    assert kinds_for(member) == ["message", "status", "needs_info"]


# --- one test per recipient rule ----------------------------------------------------------

def test_new_submitted_request_reaches_every_supermanager_only(app, staff, partner):
    second_chief = make_user("Supermanager")
    admin = make_user("Admin")
    req = make_request(partner, Status.SUBMITTED, staff)
    assert set(rows("submitted", req)) == {staff.supermanager.id, second_chief.id}
    assert req.number in rows("submitted")[second_chief.id][0]
    for user in (staff.manager, staff.engineer, admin, partner):
        assert user.id not in rows("submitted")


def test_new_partner_application_reaches_the_admins(app, staff):
    admins = [make_user("Admin"), make_user("Admin")]
    with unit_of_work():
        file_application({"company_name": "ООО Новый дом", "inn": "7707083893",
                          "contact_name": "Ирина", "email": "irina@newhome.example",
                          "phone": "+7 900 000-00-00", "city": "Москва", "comment": ""})
    got = rows("application")
    assert set(got) == {admin.id for admin in admins}
    assert "ООО Новый дом" in got[admins[0].id][0]
    note = db.session.query(Notification).filter_by(kind="application").first()
    assert note.request_id is None
    assert staff.supermanager.id not in got and staff.manager.id not in got


def test_partner_message_reaches_the_requests_manager_only(app, staff, partner):
    other_manager = make_user("Manager")
    req = make_request(partner, Status.SCHEDULED, staff)
    clear()
    with unit_of_work():
        post_partner_message(partner, req, "Когда приедет инженер? Мой телефон +7 999")
    assert set(rows(request=req)) == {staff.manager.id}
    assert rows("message")[staff.manager.id] == [f"Заявка {req.number}: новое сообщение."]
    assert other_manager.id not in rows() and staff.engineer.id not in rows()


def test_staff_message_reaches_the_partner_not_the_engineer(app, staff, partner):
    req = make_request(partner, Status.SCHEDULED, staff)
    clear()
    with unit_of_work():
        post_staff_message(staff.manager, req, "Уточните этаж")
    assert set(rows(request=req)) == {partner.id}


def test_partner_answer_reaches_the_manager(app, staff, partner):
    req = make_request(partner, Status.NEEDS_INFO, staff)
    clear()
    with unit_of_work():
        post_partner_message(partner, req, "Техпаспорт будет завтра")
    got = rows(request=req)
    assert list(rows("answer")) == [staff.manager.id]
    assert staff.engineer.id not in got and staff.supermanager.id not in got
    assert "Техпаспорт" not in rows("answer")[staff.manager.id][0]  # what happened, not words


def test_engineer_submitting_for_review_tells_the_manager(app, staff, partner):
    req = make_request(partner, Status.IN_PROGRESS, staff)
    clear()
    with unit_of_work():
        add_work(req, staff.engineer)
        transition(req, "submit_review", staff.engineer)
    assert list(rows("review")) == [staff.manager.id]
    assert staff.engineer.id not in rows()


def test_return_for_rework_tells_the_engineer(app, staff, partner):
    req = make_request(partner, Status.ON_REVIEW, staff)
    clear()
    with unit_of_work():
        transition(req, "return", staff.manager, "Перемерить кухню")
    assert rows("rework") == {staff.engineer.id: [
        f"Заявка {req.number} возвращена вам на доработку: Перемерить кухню"]}  # why, too
    assert staff.manager.id not in rows()


def _slot(days: int, hour: int = 10):
    day = date.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour), datetime(day.year, day.month,
                                                                  day.day, hour + 3)


def test_booking_rebooking_and_cancellation_tell_the_engineers_with_the_time(
        app, staff, partner):
    second = make_user("Engineer", locale="en")
    req = make_request(partner, Status.ASSIGNED, staff)
    clear()
    start, end = _slot(3)
    with unit_of_work():
        book_engineer(req, staff.engineer, start, end, staff.manager)
    booked = rows("booking")
    assert list(booked) == [staff.engineer.id]
    assert req.number in booked[staff.engineer.id][0]
    assert start.strftime("%H:%M") in booked[staff.engineer.id][0]
    assert staff.manager.id not in rows() and second.id not in rows()
    clear()
    new_start, new_end = _slot(4, 12)
    with unit_of_work():
        book_engineer(req, second, new_start, new_end, staff.manager)
    got = rows("booking")
    assert set(got) == {staff.engineer.id, second.id}
    assert start.strftime("%H:%M") in got[staff.engineer.id][0]  # the cancelled visit
    assert "отмен" in got[staff.engineer.id][0]
    assert got[second.id][0].startswith(f"Request {req.number}: a visit is booked for you")
    assert "12:00" in got[second.id][0]
    assert "отмен" not in got[second.id][0] and staff.manager.id not in got


def test_rebooking_the_same_engineer_tells_him_the_new_time_once(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    with unit_of_work():
        book_engineer(req, staff.engineer, *_slot(3), staff.manager)
    clear()
    with unit_of_work():
        book_engineer(req, staff.engineer, *_slot(5, 14), staff.manager)
    got = rows("booking")
    assert list(got) == [staff.engineer.id] and len(got[staff.engineer.id]) == 1
    assert "14:00" in got[staff.engineer.id][0] and "назначен выезд" in got[
        staff.engineer.id][0]


def test_payment_marked_and_voided_tell_the_manager(app, staff, partner):
    req = make_request(partner, Status.READY, staff)
    admin = make_user("Admin")
    clear()
    with unit_of_work():
        payment = mark_payment(req, 100_00, date.today(), "ПП-7", admin)
    assert list(rows("payment")) == [staff.manager.id]
    with unit_of_work():
        void_payment(admin, payment.id, "ошибка")
    got = rows("payment")
    assert list(got) == [staff.manager.id] and len(got[staff.manager.id]) == 2
    assert "ошибка" in got[staff.manager.id][1]
    assert admin.id not in rows() and staff.engineer.id not in rows()
    assert partner.id not in rows("payment")


def test_sla_breach_tells_the_manager_and_the_supermanagers(app, staff, partner):
    second_chief = make_user("Supermanager")
    other_manager = make_user("Manager")
    req = make_request(partner, Status.ASSIGNED, staff)
    req.status_changed_at = utcnow() - timedelta(days=3)
    db.session.commit()
    clear()
    send_sla_reminders()
    assert set(rows("sla")) == {staff.manager.id, staff.supermanager.id, second_chief.id}
    assert other_manager.id not in rows() and staff.engineer.id not in rows()


def test_a_members_request_moves_tell_the_owner_too(app, staff, partner):
    member = make_partner(partner.profile.partner_company, owner=False)
    stranger = make_partner()  # the owner of another company
    req = make_request(member, Status.NEEDS_INFO, staff)
    team = rows("team", req)
    assert list(team) == [partner.id]
    assert any("нужны" in text.lower() or "данные" in text.lower() or req.number in text
               for text in team[partner.id])
    assert member.id in rows("needs_info") and partner.id not in rows("needs_info")
    assert stranger.id not in rows()
    # the owner's own request: no "team" copy to himself
    clear()
    make_request(partner, Status.SUBMITTED, staff)
    assert partner.id not in rows("team")


def test_the_actor_is_never_told_of_their_own_action(app, staff, partner):
    req = make_request(partner, Status.SUBMITTED, staff)
    clear()
    with unit_of_work():
        announce("request_submitted", req, staff.supermanager)
    assert rows() == {}


def test_engineers_never_get_partner_words(app, staff, partner):
    req = make_request(partner, Status.SCHEDULED, staff)
    with unit_of_work():
        post_partner_message(partner, req, "Секретный код домофона 4242")
    with unit_of_work():
        post_partner_message(partner, req, "Звоните Ивану +7 999 000")
    with unit_of_work():
        transition(req, "start", staff.engineer)
        add_work(req, staff.engineer)
        transition(req, "submit_review", staff.engineer)
        transition(req, "return", staff.manager, "Перемерить")
    assert staff.engineer.id in rows("rework")  # he is told what concerns him
    words = " ".join(rows().get(staff.engineer.id, []))
    mails = " ".join(f"{m.subject} {m.body}" for m in outbox_to(staff.engineer))
    for secret in ("4242", "Ивану", "+7 999", partner.email):
        assert secret not in words and secret not in mails


# --- e-mails ------------------------------------------------------------------------------

def test_data_request_email_subject_link_and_language(app, staff, partner, mailbox, jobs):
    req = make_request(partner, Status.NEEDS_INFO, staff)
    flush_outbox()
    jobs.run()
    mails = mailbox.to(partner.email)
    subjects = [m["Subject"] for m in mails]
    assert f"Replan: Нужны данные по заявке {req.number}" in subjects
    mail = mails[subjects.index(f"Replan: Нужны данные по заявке {req.number}")]
    text = mailbox.text(mail)
    base = app.config["BASE_URL"]
    assert f"{base}/cabinet/requests/{req.id}" in text
    assert "менеджеру нужны от вас данные" in text
    html = mail.get_body(("html",)).get_content()
    assert f'href="{base}/cabinet/requests/{req.id}"' in html


def test_staff_email_in_the_recipients_language_with_the_desk_link(app, staff, partner,
                                                                   mailbox, jobs):
    staff.manager.profile.locale = "en"
    db.session.commit()
    req = make_request(partner, Status.NEEDS_INFO, staff)
    with unit_of_work():
        post_partner_message(partner, req, "<script>alert(1)</script> план")
    flush_outbox()
    jobs.run()
    mails = mailbox.to(staff.manager.email)
    subjects = [m["Subject"] for m in mails]
    assert f"Replan: The partner answered on request {req.number}" in subjects
    mail = mails[subjects.index(f"Replan: The partner answered on request {req.number}")]
    base = app.config["BASE_URL"]
    assert f"{base}/desk/{req.id}" in mailbox.text(mail)
    assert f'href="{base}/desk/{req.id}"' in mail.get_body(("html",)).get_content()


def test_html_part_escapes_user_text(app, staff, partner, mailbox, jobs):
    req = make_request(partner, Status.READY, staff)
    admin = make_user("Admin")
    with unit_of_work():
        payment = mark_payment(req, 100_00, date.today(), "ПП-7", admin)
    with unit_of_work():
        void_payment(admin, payment.id, '<b onmouseover="x()">дубль</b> & co')
    flush_outbox()
    jobs.run()
    mail = [m for m in mailbox.to(staff.manager.email) if "дубль" in mailbox.text(m)][0]
    html = mail.get_body(("html",)).get_content()
    assert "<b onmouseover" not in html and "&lt;b onmouseover=" in html and "&amp; co" in html


def test_switching_email_off_keeps_the_in_app_row(app, staff, partner):
    staff.manager.profile.notify_prefs = {"review": False}
    db.session.commit()
    req = make_request(partner, Status.IN_PROGRESS, staff)
    clear()
    with unit_of_work():
        add_work(req, staff.engineer)
        transition(req, "submit_review", staff.engineer)
    assert list(rows("review")) == [staff.manager.id]
    assert outbox_to(staff.manager) == []
    staff.manager.profile.notify_prefs = {}
    db.session.commit()
    with unit_of_work():
        transition(req, "return", staff.manager, "ещё раз")
        add_work(req, staff.engineer)
        transition(req, "submit_review", staff.engineer)
    assert len(outbox_to(staff.manager)) == 1


# --- the back office: bell, list, filter, mark read ----------------------------------------

def _note(user, kind="status", request=None, text=None):
    note = Notification(user_id=user.id, kind=kind, request=request,
                        text=text or f"{kind} for {user.username}")
    db.session.add(note)
    db.session.commit()
    return note


def _bell(client) -> int:
    html = client.get("/my-profile/").get_data(as_text=True)
    found = re.search(r'data-testid="staff-bell-count">(\d+)<', html)
    assert 'data-testid="staff-bell"' in html
    # the same count beside the phone's folded menu button, shown only when there is one
    phone = re.search(r'data-testid="staff-bell-xs">.*?<span class="badge">(\d+)<', html,
                      re.S)
    assert (int(phone.group(1)) if phone else 0) == (int(found.group(1)) if found else 0)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("role", ROLES)
def test_bell_list_filter_and_mark_read_for_each_role(app, role):
    user = make_user(role)
    other = make_user(role)
    first = _note(user, "sla", text="Просрочена заявка")
    second = _note(user, "payment", text="Оплата получена")
    foreign = _note(other, "sla", text="Чужое уведомление")
    client = as_user(app, user)
    assert _bell(client) == 2
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "Просрочена заявка" in listing and "Оплата получена" in listing
    assert "Чужое уведомление" not in listing
    only_sla = client.get("/notifications/?kind=sla").get_data(as_text=True)
    assert "Просрочена заявка" in only_sla and "Оплата получена" not in only_sla
    assert client.get("/notifications/?kind=<x>").status_code == 200  # ignored, no 500
    post(client, f"/notifications/{first.id}/read")
    db.session.expire_all()
    assert db.session.get(Notification, first.id).is_read
    assert _bell(client) == 1
    post(client, "/notifications/read-all")
    db.session.expire_all()
    assert db.session.get(Notification, second.id).is_read
    assert not db.session.get(Notification, foreign.id).is_read
    assert _bell(client) == 0


def test_read_all_of_one_kind_keeps_the_others(app):
    user = make_user("Manager")
    sla, pay = _note(user, "sla"), _note(user, "payment")
    post(as_user(app, user), "/notifications/read-all", {"kind": "sla"})
    db.session.expire_all()
    assert db.session.get(Notification, sla.id).is_read
    assert not db.session.get(Notification, pay.id).is_read


def test_opening_marks_read_and_goes_to_the_desk_page(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    note = _note(staff.manager, "status", req)
    response = post(as_user(app, staff.manager), f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/desk/{req.id}")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).is_read


def test_opening_a_request_no_longer_in_my_work_stays_on_the_list(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    stranger = make_user("Manager")
    note = _note(stranger, "status", req)
    response = post(as_user(app, stranger), f"/notifications/{note.id}/open")
    assert response.headers["Location"].endswith("/notifications/")


def test_opening_an_application_notification_goes_to_the_applications(app):
    admin = make_user("Admin")
    note = _note(admin, "application")
    response = post(as_user(app, admin), f"/notifications/{note.id}/open")
    assert "/partner-applications/" in response.headers["Location"] or \
        "application" in response.headers["Location"].lower()


def test_someone_elses_notification_is_404(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    foreign = _note(staff.manager, "status", req)
    client = as_user(app, make_user("Manager"))
    assert post(client, f"/notifications/{foreign.id}/open").status_code == 404
    assert post(client, f"/notifications/{foreign.id}/read").status_code == 404
    assert post(client, "/notifications/999999999/read").status_code == 404
    assert post(client, f"/notifications/{2**63}/open").status_code == 404  # no overflow
    assert client.get("/notifications/?after=99999999999999999999&kind=x").status_code == 200
    assert client.get("/notifications/?kind=%00").status_code == 400  # the app's input guard
    db.session.expire_all()
    assert not db.session.get(Notification, foreign.id).is_read


def test_anonymous_and_partner_are_kept_out(app, client, partner):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    note = _note(partner, "status")
    partner_client = as_user(app, partner)
    assert partner_client.get("/notifications/").status_code in (302, 403)
    assert post(partner_client, f"/notifications/{note.id}/read").status_code in (302, 403)


def test_mark_read_needs_csrf(app):
    user = make_user("Manager")
    note = _note(user, "sla")
    client = as_user(app, user)
    assert client.post(f"/notifications/{note.id}/read").status_code == 400
    db.session.expire_all()
    assert not db.session.get(Notification, note.id).is_read


def test_paging_older(app):
    user = make_user("Engineer")
    for n in range(35):
        _note(user, "booking", text=f"note-{n:02d}")
    client = as_user(app, user)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "note-34" in html and "note-04" not in html
    older = re.search(r'href="(/notifications/\?after=\d+)"', html).group(1)
    html = client.get(older).get_data(as_text=True)
    assert "note-04" in html and "note-34" not in html


# --- preferences --------------------------------------------------------------------------

def test_staff_profile_lists_the_kinds_of_the_role_and_saves_them(app, staff):
    engineer = as_user(app, staff.engineer)
    html = engineer.get("/my-profile/").get_data(as_text=True)
    assert 'name="notify_booking"' in html and 'name="notify_rework"' in html
    assert 'name="notify_submitted"' not in html and 'name="notify_payment"' not in html
    post(engineer, "/my-profile/", {"locale": "ru", "notify_rework": "y"})
    db.session.expire_all()
    assert staff.engineer.profile.notify_prefs == {"rework": True, "booking": False,
                                                   "approval": False}
    chief = as_user(app, staff.supermanager).get("/my-profile/").get_data(as_text=True)
    assert 'name="notify_submitted"' in chief and 'name="notify_sla"' in chief


def test_partner_account_page_switches(app, partner):
    member = make_partner(partner.profile.partner_company, owner=False)
    owner = as_user(app, partner)
    assert 'name="notify_team"' in owner.get("/cabinet/profile").get_data(as_text=True)
    html = as_user(app, member).get("/cabinet/profile").get_data(as_text=True)
    assert 'name="notify_needs_info"' in html and 'name="notify_team"' not in html
    assert 'name="notify_booking"' not in html


def test_filed_on_behalf_tells_the_member_and_the_owner(app, staff, partner):
    member = make_partner(partner.profile.partner_company, owner=False)
    req = make_request(member, Status.DRAFT)
    clear()
    with unit_of_work():
        announce("filed_on_behalf", req, staff.manager, manager=staff.manager.get_full_name())
    got = rows("status", req)
    assert set(got) == {member.id, partner.id}
    assert staff.manager.get_full_name() in got[member.id][0]
    assert staff.manager.id not in rows()


def test_the_engineer_moved_off_a_visit_gets_a_schedule_link(app, staff, partner):
    second = make_user("Engineer")
    req = make_request(partner, Status.ASSIGNED, staff)
    with unit_of_work():
        book_engineer(req, staff.engineer, *_slot(3), staff.manager)
    with unit_of_work():
        book_engineer(req, second, *_slot(4), staff.manager)
    base = app.config["BASE_URL"]
    first_mail, = [m for m in outbox_to(staff.engineer) if "10:00" in m.body
                   and m.id == max(x.id for x in outbox_to(staff.engineer))]
    assert f"{base}/schedule/" in first_mail.body and f"/desk/{req.id}" not in first_mail.body
    assert f"{base}/desk/{req.id}" in outbox_to(second)[-1].body


def test_the_bell_reads_in_the_language_of_the_reader_not_of_the_moment_written(
        app, staff, partner):
    """Written while the manager and the partner read Russian, read after they switched."""
    req = make_request(partner, Status.IN_PROGRESS, staff)
    clear()
    with unit_of_work():
        add_work(req, staff.engineer)
        transition(req, "submit_review", staff.engineer)  # the manager hears of it
        post_staff_message(staff.manager, req, "Пришлите план")  # the partner does
    manager_note = db.session.query(Notification).filter_by(user_id=staff.manager.id).one()
    partner_note = db.session.query(Notification).filter_by(user_id=partner.id).one()
    russian = f"Заявка {req.number}: инженер сдал работу на проверку."
    english = f"Request {req.number}: the engineer submitted the work for review."
    assert manager_note.text == russian  # as written: the recipient's language then
    assert manager_note.texts == {"ru": russian, "en": english}
    desk = as_user(app, staff.manager)
    assert russian in desk.get("/notifications/").get_data(as_text=True)
    desk.get("/lang/en")
    listing = desk.get("/notifications/").get_data(as_text=True)
    assert english in listing and russian not in listing
    cabinet = as_user(app, partner)
    cabinet.get("/lang/en")
    english_message = f"Request {req.number}: new message."
    for page in ("/cabinet/notifications", "/cabinet/"):
        assert english_message in cabinet.get(page).get_data(as_text=True), page
    assert partner_note.text == f"Заявка {req.number}: новое сообщение."
    # a row written before the languages were kept shows its one text in any language
    old = _note(staff.manager, "sla", text="Старое уведомление")
    assert old.texts is None
    assert "Старое уведомление" in desk.get("/notifications/").get_data(as_text=True)


def test_opening_a_request_reads_its_notifications_and_only_its_own(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    other = make_request(partner, Status.ASSIGNED, staff)
    clear()
    mine = _note(staff.manager, "message", req)
    elsewhere = _note(staff.manager, "message", other)
    partners = _note(partner, "message", req)
    desk = as_user(app, staff.manager)
    assert _bell(desk) == 2
    desk.get(f"/desk/{other.id}?warm=1")  # shared reads warmed; nothing of req read
    elsewhere.is_read = False
    db.session.commit()
    url = f"/desk/{req.id}"
    db.session.expire_all()
    with statements() as reading:
        page = desk.get(url).get_data(as_text=True)
    with statements() as again:  # nothing left to read: not one statement for it
        desk.get(url)
    extra = [q for q in reading if q not in again]
    assert len(reading) == len(again) + 1, extra  # the UPDATE, nothing loaded again after
    assert re.search(r'data-testid="staff-bell-count">1<', page)  # this page's bell: 1
    db.session.expire_all()
    assert [db.session.get(Notification, n.id).is_read for n in (mine, elsewhere, partners)] \
        == [True, False, False]
    assert _bell(desk) == 1
    cabinet = as_user(app, partner)
    assert cabinet.get(f"/cabinet/requests/{req.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Notification, partners.id).is_read
    assert not db.session.get(Notification, elsewhere.id).is_read
    # a page the user may not open reads nothing
    stranger = as_user(app, make_partner())
    note = _note(partner, "status", other)
    assert stranger.get(f"/cabinet/requests/{other.id}").status_code == 404
    db.session.expire_all()
    assert not db.session.get(Notification, note.id).is_read


def test_an_amount_is_written_in_each_readers_language_whoever_acted(app, staff, partner,
                                                                     mailbox, jobs):
    """An English admin's payment reached a Russian manager as "84,345.75 ₽" (84 roubles to
    a Russian reader): the amount was formatted once, in the actor's language."""
    req = make_request(partner, Status.READY, staff)
    admin = make_user("Admin")
    clear()
    with app.test_request_context(), force_locale("en"), unit_of_work():
        mark_payment(req, 12_345_75, date.today(), "PP-8", admin)
    note = db.session.query(Notification).filter_by(user_id=staff.manager.id).one()
    assert "12\xa0345,75\xa0₽" in note.texts["ru"] and note.text == note.texts["ru"]
    assert "12,345.75" in note.texts["en"]
    flush_outbox()
    jobs.run()
    assert "12\xa0345,75\xa0₽" in mailbox.text(mailbox.to(staff.manager.email)[-1])
