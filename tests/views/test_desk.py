"""The staff desk: scope per role, actions through the workflow, what engineers never see."""

import re

import pytest

from app.extensions import db
from models.notifications import Notification
from models.request_status import Status
from models.requests import Attachment, Message, Request
from tests.cabinet.filedata import PDF, upload
from tests.factories import (as_user, Staff, add_package, add_work, make_partner, make_request,
                             make_user, post)



@pytest.fixture
def partner(app):
    return make_partner(username="partner")



def test_scope_of_each_role_on_the_desk(app, staff, partner):
    mine = make_request(partner, Status.SCHEDULED, staff)
    other = Staff()
    theirs = make_request(partner, Status.SCHEDULED, other)
    admin, director = make_user("Admin"), make_user("Director")
    for user, sees_theirs in [(admin, True), (director, True), (staff.supermanager, True),
                              (staff.manager, False), (staff.engineer, False)]:
        c = as_user(app, user)
        listing = c.get("/desk/").get_data(as_text=True)
        assert mine.number in listing or user in (admin, director)
        assert c.get(f"/desk/{mine.id}").status_code == 200
        assert c.get(f"/desk/{theirs.id}").status_code == (200 if sees_theirs else 404)
    c = as_user(app, partner)
    assert c.get(f"/desk/{mine.id}").status_code in (302, 403)
    anonymous = app.test_client().get(f"/desk/{mine.id}", follow_redirects=True)
    assert anonymous.request.path == "/login/"


def test_engineer_sees_no_partner_contacts_or_thread(app, staff, partner):
    req = make_request(partner, Status.IN_PROGRESS, staff)
    db.session.add(Message(request=req, author_id=partner.id, body="Позвоните мне 8-999"))
    db.session.add(Message(request=req, author_id=staff.manager.id, body="Замерить стены",
                           is_internal=True))
    db.session.commit()
    html = as_user(app, staff.engineer).get(f"/desk/{req.id}").get_data(as_text=True)
    assert "Замерить стены" in html
    assert "Позвоните мне" not in html and partner.email not in html
    manager_html = as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    assert "Позвоните мне" in manager_html and partner.email in manager_html


def test_manager_asks_for_data_and_internal_notes_never_reach_the_partner(app, staff,
                                                                         partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    m = as_user(app, staff.manager)
    page = post(m, f"/desk/{req.id}/move/ask_info", {"version": req.version}, follow=True)
    assert "нужен комментарий" in page.get_data(as_text=True)
    post(m, f"/desk/{req.id}/move/ask_info", {"version": req.version,
                                              "comment": "Нужна выписка ЕГРН"})
    post(m, f"/desk/{req.id}/note", {"body": "Партнёр тянет время"})
    post(m, f"/desk/{req.id}/message", {"body": "Жду выписку до пятницы"})
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.NEEDS_INFO
    cabinet = as_user(app, partner).get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert "Жду выписку до пятницы" in cabinet and "Партнёр тянет время" not in cabinet
    kinds = {n.kind for n in db.session.query(Notification).filter_by(user_id=partner.id)}
    assert {"needs_info", "message"} <= kinds


def test_engineer_works_and_manager_reviews(app, staff, partner):
    req = make_request(partner, Status.SCHEDULED, staff)
    e, m = as_user(app, staff.engineer), as_user(app, staff.manager)
    def version():
        db.session.expire_all()
        return db.session.get(Request, req.id).version

    post(e, f"/desk/{req.id}/move/start", {"version": version()})
    post(e, f"/desk/{req.id}/upload/work", {"files": [upload(PDF, "обмеры.pdf")]},
         content_type="multipart/form-data")
    post(e, f"/desk/{req.id}/move/submit_review", {"version": version()})
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.status == Status.ON_REVIEW
    assert db.session.query(Attachment).filter_by(request_id=req.id, kind="work").count() == 1
    post(m, f"/desk/{req.id}/move/return", {"version": version(), "comment": "Нет размеров"})
    post(e, f"/desk/{req.id}/move/submit_review", {"version": version()})
    post(m, f"/desk/{req.id}/move/accept", {"version": version()})
    post(m, f"/desk/{req.id}/upload/deliverable", {"files": [upload(PDF, "v1.pdf")]},
         content_type="multipart/form-data")
    post(m, f"/desk/{req.id}/upload/deliverable", {"files": [upload(PDF, "v2.pdf")]},
         content_type="multipart/form-data")
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.status == Status.READY
    versions = sorted(a.version for a in db.session.query(Attachment).filter_by(
        request_id=req.id, kind="deliverable"))
    assert versions == [1, 2]
    # the engineer may not upload packages nor accept
    post(e, f"/desk/{req.id}/upload/deliverable", {"files": [upload(PDF, "x.pdf")]},
         content_type="multipart/form-data")
    page = post(e, f"/desk/{req.id}/move/deliver", {"version": req.version}, follow=True)
    assert "не разрешено" in page.get_data(as_text=True).lower() or \
        "недоступно" in page.get_data(as_text=True).lower()
    assert db.session.query(Attachment).filter_by(request_id=req.id,
                                                  kind="deliverable").count() == 2


def test_deliver_needs_payment_then_releases_the_latest_package(app, staff, partner):
    req = make_request(partner, Status.READY, staff)
    add_package(req, staff.manager, "old.pdf")
    add_package(req, staff.manager, "new.pdf")
    db.session.commit()
    m = as_user(app, staff.manager)
    page = post(m, f"/desk/{req.id}/move/deliver", {"version": req.version}, follow=True)
    assert "не оплачена" in page.get_data(as_text=True)
    admin = as_user(app, make_user("Admin"))
    post(admin, f"/desk/{req.id}/payment", {"amount": str(req.total_kopecks / 100),
                                            "paid_on": "2026-11-20", "document": "п/п 17"})
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.payment_state == "paid"
    post(m, f"/desk/{req.id}/move/deliver", {"version": req.version})
    db.session.expire_all()
    released = {a.original_name: a.is_released for a in db.session.query(Attachment).filter_by(
        request_id=req.id, kind="deliverable")}
    assert released == {"old.pdf": False, "new.pdf": True}
    assert db.session.get(Request, req.id).status == Status.DELIVERED


def test_two_staff_acting_at_once_one_gets_a_clear_conflict(app, staff, partner):
    req = make_request(partner, Status.ON_REVIEW, staff)
    seen = req.version
    m, sm = as_user(app, staff.manager), as_user(app, staff.supermanager)
    post(m, f"/desk/{req.id}/move/accept", {"version": seen})
    page = post(sm, f"/desk/{req.id}/move/return", {"version": seen, "comment": "нет"},
                follow=True)
    assert "изменил кто-то другой" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.READY


def test_director_is_read_only(app, staff, partner):
    req = make_request(partner, Status.ASSIGNED, staff)
    d = as_user(app, make_user("Director"))
    assert d.get(f"/desk/{req.id}").status_code == 200
    for url, data in [(f"/desk/{req.id}/move/cancel", {"comment": "x"}),
                      (f"/desk/{req.id}/note", {"body": "x"}),
                      (f"/desk/{req.id}/payment", {"amount": "1", "paid_on": "2026-01-01",
                                                   "document": "1"})]:
        assert post(d, url, data).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED
    assert db.session.query(Message).count() == 0


def test_work_list_puts_overdue_and_answered_first(app, staff, partner):
    fresh = make_request(partner, Status.SCHEDULED, staff)
    old = make_request(partner, Status.ASSIGNED, staff)
    old.status_changed_at = old.status_changed_at.replace(year=2020)
    db.session.commit()
    answered = make_request(partner, Status.NEEDS_INFO, staff)
    from app.workflow import transition

    transition(answered, "answer", partner, "вот")
    db.session.commit()
    html = as_user(app, staff.manager).get("/desk/").get_data(as_text=True)
    order = re.findall(r"\d{4}-\d{5}", html)
    assert order.index(old.number) < order.index(answered.number) < order.index(fresh.number)
    assert "просрочена" in html and "партнёр ответил" in html


def _move_form(page: str, action: str) -> str:
    return re.search(rf'<form method="post" action="/desk/\d+/move/{action}"[^>]*>.*?</form>',
                     page, re.S).group(0)


def test_final_moves_ask_first_and_comment_boxes_say_what_they_are_for(app, staff):
    partner = make_partner()
    manager = as_user(app, staff.manager)
    on_review = manager.get(f"/desk/{make_request(partner, Status.ON_REVIEW, staff).id}") \
        .get_data(as_text=True)
    assert 'data-confirm="Принять работу?' in _move_form(on_review, "accept")  # named
    returning = _move_form(on_review, "return")
    assert 'placeholder="Что доработать"' in returning and "data-confirm" not in returning
    assigned = manager.get(f"/desk/{make_request(partner, Status.ASSIGNED, staff).id}")
    cancel = _move_form(assigned.get_data(as_text=True), "cancel")
    assert 'placeholder="Причина отмены"' in cancel and "data-confirm" in cancel
    delivered = make_request(partner, Status.DELIVERED, staff)
    closing = _move_form(manager.get(f"/desk/{delivered.id}").get_data(as_text=True), "close")
    assert "data-confirm" in closing
    cabinet = as_user(app, partner).get(f"/cabinet/requests/{delivered.id}").get_data(
        as_text=True)
    assert re.search(r'action="/cabinet/requests/\d+/move/close" data-confirm="Закрыть заявку?',
                     cabinet)


def test_a_move_the_request_is_not_ready_for_is_shown_disabled_with_the_reason(app, staff):
    partner = make_partner()
    req = make_request(partner, Status.IN_PROGRESS, staff)
    engineer = as_user(app, staff.engineer)
    form = _move_form(engineer.get(f"/desk/{req.id}").get_data(as_text=True), "submit_review")
    assert re.search(r'data-action="submit_review" disabled aria-describedby="waiting-', form)
    assert "Загрузите файлы работы, прежде чем сдавать её на проверку." in form
    refused = post(engineer, f"/desk/{req.id}/move/submit_review", {"version": req.version},
                   follow=True).get_data(as_text=True)
    assert "Загрузите файлы работы" in refused
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.IN_PROGRESS
    add_work(req, staff.engineer)
    db.session.commit()
    form = _move_form(engineer.get(f"/desk/{req.id}").get_data(as_text=True), "submit_review")
    assert "disabled" not in form and "Загрузите" not in form
