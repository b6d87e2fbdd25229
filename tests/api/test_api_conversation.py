"""REST API v1 conversation (issue 13): a request's files, messages and history, the user's
notifications — the cabinet's and the desk's rules over a token: partners their scope,
engineers never partner words nor the thread's files, uploads checked like the forms."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.api_tokens import create_token
from app.extensions import db
from app.settings import set_setting
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.request_status import Status
from models.requests import ATTACH_INPUT, ATTACH_MESSAGE, ATTACH_WORK, Attachment, Message, \
    Request
from tests.cabinet.filedata import EXE, PDF, PNG
from tests.factories import make_company, make_partner, make_request

PROBLEM = "application/problem+json"
ASK = "Пришлите выписку ЕГРН"
PARTNER_WORDS = "Секретный ответ партнёра"
STAFF_WORDS = "Сообщение менеджера партнёру"
NOTE = "Внутренняя заметка инженера"


def bearer(user, scope="write") -> dict:
    _row, secret = create_token(user, "CRM", scope, 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def text_of(response) -> str:
    """The JSON answer as text with its non-ASCII letters as such (not \\u escapes)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def files_on_disk(app) -> set:
    folder = Path(app.config["UPLOAD_DIR"])
    return {p for p in folder.rglob("*") if p.is_file() and ".incoming" not in p.parts} \
        if folder.exists() else set()


def fresh(req) -> Request:
    db.session.expire_all()
    return db.session.get(Request, req.id)


def post_files(client, req, headers, files, **form):
    data = {"files": [(io.BytesIO(body), name) for body, name in files], **form}
    return client.post(f"/api/v1/requests/{req.id}/files", data=data, headers=headers,
                       content_type="multipart/form-data")


def post_message(client, req, headers, body=None, files=(), **extra):
    if files:
        data = {"body": body or "", "files": [(io.BytesIO(b), n) for b, n in files], **extra}
        return client.post(f"/api/v1/requests/{req.id}/messages", data=data,
                           headers=headers, content_type="multipart/form-data")
    return client.post(f"/api/v1/requests/{req.id}/messages",
                       json={"body": body, **extra}, headers=headers)


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == status
    return response.get_json()


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


def paths(req_id, file_id):
    return [("get", f"/api/v1/requests/{req_id}/files"),
            ("post", f"/api/v1/requests/{req_id}/files"),
            ("get", f"/api/v1/files/{file_id}"),
            ("get", f"/api/v1/requests/{req_id}/messages"),
            ("post", f"/api/v1/requests/{req_id}/messages"),
            ("get", f"/api/v1/requests/{req_id}/history"),
            ("get", "/api/v1/notifications")]


# ---- anonymous, read tokens, foreign objects ----

def test_anonymous_gets_401_everywhere(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    for method, path in paths(req.id, 1):
        response = getattr(client, method)(path)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_read_token_cannot_write_and_nothing_is_stored(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    draft = make_request(member)
    headers = bearer(member, "read")
    assert_problem(post_message(client, req, headers, PARTNER_WORDS), 403)
    assert_problem(post_files(client, draft, headers, [(PDF, "plan.pdf")]), 403)
    manager = bearer(staff.manager, "read")
    assert_problem(post_message(client, req, manager, STAFF_WORDS), 403)
    assert db.session.query(Message).count() == 0
    assert db.session.query(Attachment).filter_by(request_id=draft.id).count() == 0
    assert db.session.query(Notification).filter_by(kind="message").count() == 0


def test_foreign_request_and_file_are_404(app, client, staff, member, stranger):
    req = make_request(member, Status.ASSIGNED, staff)
    post_message(client, req, bearer(member), PARTNER_WORDS, files=[(PDF, "plan.pdf")])
    file_id = db.session.query(Attachment).one().id
    for user in (stranger, make_partner(stranger.profile.partner_company, owner=False)):
        headers = bearer(user)
        for method, path in paths(req.id, file_id)[:-1]:
            kwargs = {"json": {"body": "x"}} if path.endswith("messages") and method == "post" \
                else {}
            assert_problem(getattr(client, method)(path, headers=headers, **kwargs), 404)
    # staff outside their row scope: another manager, another engineer
    other = make_request(make_partner(), Status.SCHEDULED, staff)
    from tests.factories import Staff
    outsiders = Staff()
    for user in (outsiders.manager, outsiders.engineer):
        headers = bearer(user)
        assert_problem(client.get(f"/api/v1/requests/{other.id}/files", headers=headers), 404)
        assert_problem(client.get(f"/api/v1/files/{file_id}", headers=headers), 404)
        assert_problem(post_message(client, other, headers, "x"), 404)
    # an unknown file and an id beyond INTEGER: the same answer as another's file (its type
    # and text told which files exist: "not-found" with no detail for an unknown one)
    foreign = assert_problem(client.get(f"/api/v1/files/{file_id}", headers=bearer(stranger)),
                             404)
    assert foreign["detail"] and foreign["type"].endswith("/404")
    for path in ("/api/v1/files/999999", "/api/v1/files/99999999999"):
        unknown = assert_problem(client.get(path, headers=bearer(member)), 404)
        assert (unknown["type"], unknown["detail"]) == (foreign["type"], foreign["detail"])
    assert db.session.query(Message).count() == 1


def test_member_sees_own_requests_only_owner_the_company(app, client, staff, owner, member):
    own = make_request(member, Status.ASSIGNED, staff)
    owners = make_request(owner, Status.ASSIGNED, staff)
    headers = bearer(member)
    assert client.get(f"/api/v1/requests/{own.id}/messages", headers=headers).status_code \
        == 200
    assert_problem(client.get(f"/api/v1/requests/{owners.id}/messages", headers=headers), 404)
    owner_headers = bearer(owner)
    for req in (own, owners):
        assert client.get(f"/api/v1/requests/{req.id}/history",
                          headers=owner_headers).status_code == 200


# ---- messages ----

def test_partner_message_reaches_the_manager_with_its_file(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    response = post_message(client, req, bearer(member), PARTNER_WORDS,
                            files=[(PDF, "Выписка.pdf")])
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["body"] == PARTNER_WORDS and body["kind"] == "message"
    assert body["author_role"] == "partner" and body["internal"] is False
    assert [f["name"] for f in body["files"]] == ["Выписка.pdf"]
    message = db.session.query(Message).one()
    assert message.id == body["id"] and message.author_id == member.id
    stored = db.session.query(Attachment).one()
    assert stored.kind == ATTACH_INPUT and stored.message_id == message.id
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    # the manager is told: a bell item and an e-mail in the outbox
    assert db.session.query(Notification).filter_by(user_id=staff.manager.id,
                                                    kind="message").count() == 1
    assert db.session.query(OutboxMessage).filter_by(
        recipient=staff.manager.email, kind="message").count() == 1
    # the partner reads it back, the manager too
    for user in (member, staff.manager):
        items = client.get(f"/api/v1/requests/{req.id}/messages",
                           headers=bearer(user)).get_json()["items"]
        assert [m["body"] for m in items] == [PARTNER_WORDS]
        assert items[0]["files"][0]["id"] == stored.id


def test_answer_to_a_data_request_moves_the_request_back(app, client, staff, member):
    req = make_request(member, Status.NEEDS_INFO, staff)
    response = post_message(client, req, bearer(member), PARTNER_WORDS)
    assert response.status_code == 201 and response.get_json()["kind"] == "answer"
    assert fresh(req).status == Status.ASSIGNED
    kinds = [m["kind"] for m in client.get(f"/api/v1/requests/{req.id}/messages",
                                           headers=bearer(member)).get_json()["items"]]
    assert kinds[-1] == "answer"


def test_manager_message_with_file_reaches_the_partner_not_the_engineer(app, client, staff,
                                                                        member):
    req = make_request(member, Status.IN_PROGRESS, staff)
    post_message(client, req, bearer(member), PARTNER_WORDS)
    response = post_message(client, req, bearer(staff.manager), STAFF_WORDS,
                            files=[(PNG, "схема.png")])
    assert response.status_code == 201, response.get_data(as_text=True)
    sent = db.session.query(Attachment).filter_by(kind=ATTACH_MESSAGE).one()
    assert db.session.query(Notification).filter_by(user_id=member.id,
                                                    kind="message").count() == 1
    # the partner lists and downloads the file sent to them
    partner = bearer(member)
    listed = client.get(f"/api/v1/requests/{req.id}/files", headers=partner).get_json()
    assert sent.id in [f["id"] for f in listed["items"]] and listed["next_cursor"] is None
    download = client.get(f"/api/v1/files/{sent.id}", headers=partner)
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D1%81%D1%85%D0%B5%D0%BC%D0%B0.png" in \
        download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # the engineer: no thread, no partner words, no thread files, not even by id
    engineer = bearer(staff.engineer)
    text = text_of(client.get(f"/api/v1/requests/{req.id}/messages", headers=engineer))
    assert PARTNER_WORDS not in text and STAFF_WORDS not in text
    manager_text = text_of(client.get(f"/api/v1/requests/{req.id}/messages",
                                      headers=bearer(staff.manager)))
    assert PARTNER_WORDS in manager_text and STAFF_WORDS in manager_text
    files = client.get(f"/api/v1/requests/{req.id}/files", headers=engineer).get_json()
    assert sent.id not in [f["id"] for f in files["items"]]
    assert_problem(client.get(f"/api/v1/files/{sent.id}", headers=engineer), 404)
    history = text_of(client.get(f"/api/v1/requests/{req.id}/history", headers=engineer))
    assert member.get_full_name() not in history and member.email not in history


def test_engineer_writes_notes_only_and_partners_never_read_them(app, client, staff, member):
    req = make_request(member, Status.IN_PROGRESS, staff)
    engineer = bearer(staff.engineer)
    assert_problem(post_message(client, req, engineer, "to the partner"), 403)
    response = post_message(client, req, engineer, NOTE, internal=True)
    assert response.status_code == 201 and response.get_json()["kind"] == "note"
    note = db.session.query(Message).one()
    assert note.is_internal and note.body == NOTE
    items = client.get(f"/api/v1/requests/{req.id}/messages", headers=engineer) \
        .get_json()["items"]
    assert [(m["kind"], m["body"]) for m in items] == [("note", NOTE)]
    assert NOTE in text_of(client.get(f"/api/v1/requests/{req.id}/messages",
                                      headers=bearer(staff.manager)))
    assert NOTE not in text_of(client.get(f"/api/v1/requests/{req.id}/messages",
                                          headers=bearer(member)))
    # a partner cannot write a note; nobody hears of one
    assert_problem(post_message(client, req, bearer(member), "x", internal=True), 422)
    assert db.session.query(Notification).filter_by(kind="message").count() == 0


@pytest.mark.parametrize("payload", [
    {"body": ""}, {"body": "   "}, {"body": 12}, {"body": "x" * 10_001},
    {"body": "x", "internal": "maybe"},
])
def test_bad_message_input_is_422_and_stores_nothing(app, client, staff, member, payload):
    req = make_request(member, Status.ASSIGNED, staff)
    response = client.post(f"/api/v1/requests/{req.id}/messages", json=payload,
                           headers=bearer(member))
    assert_problem(response, 422)
    assert db.session.query(Message).count() == 0


def test_non_object_json_and_closed_threads(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    for raw in ("[1, 2]", "not json", ""):
        response = client.post(f"/api/v1/requests/{req.id}/messages", data=raw,
                               headers={**bearer(member), "Content-Type": "application/json"})
        assert_problem(response, 422)
    draft = make_request(member)
    assert_problem(post_message(client, draft, bearer(member), PARTNER_WORDS), 403)
    assert db.session.query(Message).count() == 0


# ---- files ----

def test_partner_uploads_to_a_draft_and_downloads_the_same_bytes(app, client, member):
    draft = make_request(member)
    headers = bearer(member)
    response = post_files(client, draft, headers, [(PDF, "План.pdf"), (PNG, "фото.png")])
    assert response.status_code == 201, response.get_data(as_text=True)
    items = response.get_json()["items"]
    assert [(f["name"], f["kind"], f["uploaded_by_role"]) for f in items] == [
        ("План.pdf", "input", "partner"), ("фото.png", "input", "partner")]
    assert items[0]["uploaded_at"].endswith("Z") and items[0]["size"] == len(PDF)
    rows = db.session.query(Attachment).filter_by(request_id=draft.id).order_by(Attachment.id)
    assert [(r.original_name, r.uploaded_by_id, r.content_type) for r in rows] == [
        ("План.pdf", member.id, "application/pdf"), ("фото.png", member.id, "image/png")]
    assert client.get(items[0]["download_url"], headers=headers).data == PDF
    listed = client.get(f"/api/v1/requests/{draft.id}/files", headers=headers).get_json()
    assert [f["id"] for f in listed["items"]] == [f["id"] for f in items]


def test_submitted_request_takes_partner_files_only_with_a_message(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    headers = bearer(member)
    english = assert_problem(post_files(client, req, {**headers, "Accept-Language": "en"},
                                        [(PDF, "plan.pdf")]), 403)
    assert english["detail"] == "Only a draft can be edited."
    russian = assert_problem(post_files(client, req, {**headers, "Accept-Language": "ru"},
                                        [(PDF, "plan.pdf")]), 403)
    assert russian["detail"] != english["detail"] and russian["title"] != english["title"]
    assert db.session.query(Attachment).count() == 0


@pytest.mark.parametrize("files,needle", [
    ([(EXE, "plan.pdf")], "plan.pdf"),  # a program disguised as a PDF
    ([(PNG, "plan.pdf")], "plan.pdf"),  # a picture named as a PDF
    ([(PDF, "tool.exe")], "tool.exe"),  # not an accepted kind
    ([(PDF, "ok.pdf"), (EXE, "photo.jpg")], "photo.jpg"),  # one bad file: none stored
    ([(b"", "empty.pdf")], "empty.pdf"),
])
def test_bad_uploads_are_refused_and_nothing_is_kept(app, client, member, files, needle):
    draft = make_request(member)
    before = files_on_disk(app)
    body = assert_problem(post_files(client, draft, bearer(member), files), 422)
    assert needle in body["detail"]
    assert db.session.query(Attachment).count() == 0
    assert files_on_disk(app) == before


def test_oversized_file_and_too_many_files_are_refused(app, client, member):
    set_setting("upload_max_mb", 1)
    set_setting("upload_max_files", 2)
    db.session.commit()
    draft = make_request(member)
    headers = bearer(member)
    before = files_on_disk(app)
    big = PDF + b"0" * (1024 * 1024 + 10)
    assert "big.pdf" in assert_problem(post_files(client, draft, headers, [(big, "big.pdf")]),
                                       422)["detail"]
    assert_problem(post_files(client, draft, headers, [(PDF, f"{n}.pdf") for n in range(3)]),
                   422)
    assert db.session.query(Attachment).count() == 0 and files_on_disk(app) == before


def test_nul_and_path_in_a_file_name_are_cleaned(app, client, member):
    draft = make_request(member)
    response = post_files(client, draft, bearer(member), [(PDF, "../../etc/pl\x00an\t.pdf")])
    assert response.status_code == 201, response.get_data(as_text=True)
    row = db.session.query(Attachment).one()
    assert "\x00" not in row.original_name and "/" not in row.original_name
    assert "\t" not in row.original_name and row.original_name.endswith(".pdf")


def test_upload_needs_files_and_multipart(app, client, member):
    draft = make_request(member)
    headers = bearer(member)
    assert_problem(post_files(client, draft, headers, []), 422)
    assert_problem(client.post(f"/api/v1/requests/{draft.id}/files", json={"files": []},
                               headers=headers), 422)
    assert_problem(post_files(client, draft, headers, [(PDF, "a.pdf")], kind="work"), 422)
    assert_problem(post_files(client, draft, headers, [(PDF, "a.pdf")], slot="nope"), 422)
    assert db.session.query(Attachment).count() == 0


def test_staff_uploads_follow_the_desk_rules(app, client, staff, member):
    req = make_request(member, Status.IN_PROGRESS, staff)
    engineer = bearer(staff.engineer)
    response = post_files(client, req, engineer, [(PDF, "обмер.pdf")], kind="work")
    assert response.status_code == 201, response.get_data(as_text=True)
    row = db.session.query(Attachment).one()
    assert row.kind == ATTACH_WORK and row.uploaded_by_id == staff.engineer.id
    assert response.get_json()["items"][0]["uploaded_by_role"] == "staff"
    # not the package (the manager's, on review), not another kind, not the manager's work
    assert_problem(post_files(client, req, engineer, [(PDF, "p.pdf")], kind="deliverable"),
                   403)
    assert_problem(post_files(client, req, engineer, [(PDF, "p.pdf")], kind="input"), 422)
    assert_problem(post_files(client, req, engineer, [(PDF, "p.pdf")]), 422)
    assert_problem(post_files(client, req, bearer(staff.manager), [(PDF, "p.pdf")],
                              kind="work"), 403)
    assert db.session.query(Attachment).count() == 1
    # the partner does not see the engineer's work; the manager does
    partner_ids = [f["id"] for f in client.get(f"/api/v1/requests/{req.id}/files",
                                               headers=bearer(member)).get_json()["items"]]
    assert row.id not in partner_ids
    assert_problem(client.get(f"/api/v1/files/{row.id}", headers=bearer(member)), 404)
    assert client.get(f"/api/v1/files/{row.id}", headers=bearer(staff.manager)).data == PDF


def test_released_package_is_the_partners(app, client, staff, member):
    req = make_request(member, Status.DELIVERED, staff)
    package = db.session.query(Attachment).filter_by(kind="deliverable").one()
    items = client.get(f"/api/v1/requests/{req.id}/files", headers=bearer(member)) \
        .get_json()["items"]
    assert [(f["id"], f["released"]) for f in items] == [(package.id, True)]


# ---- history and notifications ----

def test_history_in_the_readers_words_and_language(app, client, staff, member):
    req = make_request(member, Status.NEEDS_INFO, staff)
    partner = client.get(f"/api/v1/requests/{req.id}/history",
                         headers={**bearer(member), "Accept-Language": "en"}).get_json()
    labels = [h["status_label"] for h in partner["items"]]
    assert labels and all(h["action"] is None and h["actor_name"] is None
                          for h in partner["items"])
    assert partner["items"][-1]["comment"] == "because"  # the data request, addressed to them
    ru = client.get(f"/api/v1/requests/{req.id}/history",
                    headers={**bearer(member), "Accept-Language": "ru"}).get_json()
    assert [h["status_label"] for h in ru["items"]] != labels
    staff_items = client.get(f"/api/v1/requests/{req.id}/history",
                             headers={**bearer(staff.manager), "Accept-Language": "en"}) \
        .get_json()["items"]
    assert [h["status"] for h in staff_items][-1] == Status.NEEDS_INFO
    assert staff_items[-1]["action"] == "ask_info" and staff_items[-1]["action_label"]
    assert all(h["created_at"].endswith("Z") for h in staff_items)


def test_notifications_are_the_users_own_newest_first_in_pages(app, client, staff, member,
                                                               stranger):
    req = make_request(member, Status.ASSIGNED, staff)
    manager = bearer(staff.manager)
    for n in range(3):
        assert post_message(client, req, manager, f"{STAFF_WORDS} {n}").status_code == 201
    own = db.session.query(Notification).filter_by(user_id=member.id) \
        .order_by(Notification.id.desc()).all()
    assert len(own) >= 3
    headers = bearer(member)
    first = client.get("/api/v1/notifications?limit=2", headers=headers).get_json()
    assert [n["id"] for n in first["items"]] == [n.id for n in own[:2]]
    assert first["items"][0]["request_number"] == req.number
    rest = client.get(f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}",
                      headers=headers).get_json()
    assert [n["id"] for n in first["items"] + rest["items"]][:len(own)] == \
        [n.id for n in own][:len(first["items"] + rest["items"])]
    everyone = client.get("/api/v1/notifications?limit=100", headers=headers).get_json()
    assert {n["id"] for n in everyone["items"]} == {n.id for n in own}
    assert everyone["next_cursor"] is None
    assert client.get("/api/v1/notifications", headers=bearer(stranger)).get_json() == \
        {"items": [], "next_cursor": None}
    own[0].is_read = True
    db.session.commit()
    unread = client.get("/api/v1/notifications?unread=true&limit=100", headers=headers)
    assert own[0].id not in [n["id"] for n in unread.get_json()["items"]]
    for bad in ("cursor=abc", "limit=0", "limit=101", "limit=x", "unread=maybe"):
        assert_problem(client.get(f"/api/v1/notifications?{bad}", headers=headers), 422)


# ---- Idempotency-Key ----

def test_repeated_message_with_the_same_key_is_stored_once(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    headers = {**bearer(member), "Idempotency-Key": "msg-1"}
    first = post_message(client, req, headers, PARTNER_WORDS, files=[(PDF, "plan.pdf")])
    again = post_message(client, req, headers, PARTNER_WORDS, files=[(PDF, "plan.pdf")])
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db.session.query(Message).count() == 1
    assert db.session.query(Attachment).count() == 1
    assert db.session.query(Notification).filter_by(user_id=staff.manager.id,
                                                    kind="message").count() == 1
    other = post_message(client, req, headers, "другой текст")
    assert_problem(other, 422)  # the same key with another body
    assert db.session.query(Message).count() == 1


def test_repeated_upload_with_the_same_key_is_stored_once(app, client, member):
    draft = make_request(member)
    headers = {**bearer(member), "Idempotency-Key": "upload-1"}
    first = post_files(client, draft, headers, [(PDF, "plan.pdf")])
    again = post_files(client, draft, headers, [(PDF, "plan.pdf")])
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert db.session.query(Attachment).count() == 1


def test_a_retried_upload_with_a_new_multipart_boundary_is_the_same_request(app, client,
                                                                             member):
    draft = make_request(member)
    headers = {**bearer(member), "Idempotency-Key": "upload-2"}
    answers = []
    for boundary in ("try-one-boundary", "another-boundary-2"):  # as real clients do
        _boundary, body = encode_multipart({"files": [FileStorage(io.BytesIO(PDF), "plan.pdf")]},
                                           boundary=boundary)
        answers.append(client.post(
            f"/api/v1/requests/{draft.id}/files", data=body, headers={
                **headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}))
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    assert db.session.query(Attachment).count() == 1
    # another file under the same key is another request: refused, not replayed
    assert_problem(post_files(client, draft, headers, [(PNG, "plan.png")]), 422)
    assert_problem(post_files(client, draft, headers, [(PDF, "plan2.pdf")]), 422)
    assert db.session.query(Attachment).count() == 1


def test_a_notification_reads_in_the_language_asked(app, client, staff, member):
    req = make_request(member, Status.ASSIGNED, staff)
    assert post_message(client, req, bearer(staff.manager), STAFF_WORDS).status_code == 201
    headers = bearer(member)
    texts = {language: client.get("/api/v1/notifications", headers={
        **headers, "Accept-Language": language}).get_json()["items"][0]["text"]
        for language in ("ru", "en")}
    assert texts == {"ru": f"Заявка {req.number}: новое сообщение.",
                     "en": f"Request {req.number}: new message."}


def test_whole_lists_refuse_parameters_they_do_not_take(app, client, staff, member):
    """/files, /messages, /history and /services ignored ?zzz=1&limit=…&cursor=… (the paged
    lists answered 422 for the same)."""
    req = make_request(member, Status.ASSIGNED, staff)
    headers = {**bearer(member), "Accept-Language": "en"}
    for path in (f"/requests/{req.id}/files", f"/requests/{req.id}/messages",
                 f"/requests/{req.id}/history", "/services"):
        assert client.get(f"/api/v1{path}", headers=headers).status_code == 200, path
        for bad in ("zzz=1", "limit=5", "cursor=MTIz"):
            answer = client.get(f"/api/v1{path}?{bad}", headers=headers)
            assert "Unknown parameter" in assert_problem(answer, 422)["detail"], (path, bad)
    limit = assert_problem(client.get("/api/v1/notifications?limit=0", headers=headers), 422)
    assert limit["detail"].startswith("“limit” must be a whole number")


def test_a_misnamed_upload_or_a_form_body_says_what_to_send(app, client, staff, member):
    """"Attach at least one file" for a file sent as "file"; "not valid JSON" for a form."""
    req = make_request(member, Status.DRAFT, staff)
    headers = {**bearer(member), "Accept-Language": "en"}
    answer = client.post(f"/api/v1/requests/{req.id}/files", headers=headers,
                         data={"file": (io.BytesIO(PDF), "plan.pdf")},
                         content_type="multipart/form-data")
    assert assert_problem(answer, 422)["detail"] == \
        "Send the files in the “files” field, not “file”."
    form = client.post("/api/v1/requests", headers=headers, data={"services": "1"})
    assert "send a JSON object with Content-Type: application/json" in assert_problem(
        form, 422)["detail"]
