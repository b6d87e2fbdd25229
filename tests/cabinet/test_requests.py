"""Partner requests: drafts, files, submit, list filters and pages, detail, actions."""

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.extensions import db
from app.settings import set_setting
from app.timefmt import format_day, local_today
from app.workflow import transition
from models.exports import ExportTask
from models.notifications import Notification
from models.partners import EndClient
from models.request_status import PARTNER_GROUP_OF, Status
from models.requests import ATTACH_WORK, Attachment, Message, Request, StatusChange
from tests.cabinet.filedata import EXE, JPEG, PDF, PNG, docx, plain_zip, upload
from tests.factories import (add_package, sign_in, make_partner, make_request, make_service,
                             post, statements)


@pytest.fixture
def owner(app):
    return make_partner(username="owner")



def form_data(**changes):
    service = make_service()
    data = {"object_address": "Москва, Арбат 10, кв. 5", "object_type": "apartment",
            "area": "45.5", "floor": "3", "building_type": "brick", "urgency": "normal",
            "services": [str(service.id)], "end_client_id": "0",
            "new_client_name": "Смирнов Олег", "new_client_phone": "+7 900 555-44-33",
            "description": "Снос перегородки",
            "wanted_date": (local_today() + timedelta(days=21)).isoformat()}
    data.update(changes)
    return data


def test_create_draft_with_files_ignores_forbidden_fields(app, client, owner):
    sign_in(client, "owner")
    other = make_partner()
    data = form_data(files=[upload(PDF, "план квартиры.pdf"), upload(PNG, "фото.png"),
                            upload(docx(), "заявление.docx")],
                     status="closed", company_id=str(other.profile.partner_company_id),
                     manager_id="1", total_kopecks="1", payment_state="paid")
    response = post(client, "/cabinet/requests/new", data,
                    content_type="multipart/form-data")
    assert response.status_code == 302
    req = db.session.query(Request).one()
    assert (req.status, req.company_id, req.manager_id, req.payment_state) == (
        "draft", owner.profile.partner_company_id, None, "unpaid")
    assert req.total_kopecks == 10000_00 + 100_00 * Decimal("45.5")  # base + m² × area
    assert req.end_client.name == "Смирнов Олег"
    files = db.session.query(Attachment).filter_by(request_id=req.id).all()
    assert sorted(f.content_type for f in files) == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png"]
    upload_dir = Path(app.config["UPLOAD_DIR"])
    for f in files:
        stored = upload_dir / f.stored_name[:2] / f.stored_name
        assert stored.exists() and "static" not in str(stored)
        assert f.original_name in ("план квартиры.pdf", "фото.png", "заявление.docx")


def test_save_and_submit(app, client, owner):
    sign_in(client, "owner")
    post(client, "/cabinet/requests/new", form_data(submit_now="1"))
    req = db.session.query(Request).one()
    assert req.status == Status.SUBMITTED
    assert req.history[-1].action == "submit"


def test_invalid_form_keeps_typed_values_and_asks_to_reattach(app, client, owner):
    sign_in(client, "owner")
    data = form_data(area="-3", files=[upload(PDF, "plan.pdf")])
    html = post(client, "/cabinet/requests/new", data,
                content_type="multipart/form-data").get_data(as_text=True)
    assert "Москва, Арбат 10, кв. 5" in html and "Снос перегородки" in html
    assert ("Введите значение от 1 до 100" in html or "Enter a value from 1 to 100" in html)
    assert "приложите их ещё раз" in html
    assert db.session.query(Request).count() == 0
    assert db.session.query(Attachment).count() == 0


@pytest.mark.parametrize("content, name", [(EXE, "plan.pdf"), (plain_zip(), "docs.docx"),
                                           (b"", "empty.pdf")])
def test_disguised_or_empty_files_are_refused_and_nothing_is_kept(app, client, owner, content,
                                                                  name):
    sign_in(client, "owner")
    upload_dir = Path(app.config["UPLOAD_DIR"])

    def files_on_disk():
        return {p for p in upload_dir.rglob("*") if p.is_file()} if upload_dir.exists() \
            else set()

    before = files_on_disk()
    data = form_data(files=[upload(PDF, "good.pdf"), upload(content, name)])
    html = post(client, "/cabinet/requests/new", data, content_type="multipart/form-data",
                follow=True).get_data(as_text=True)
    assert name in html
    assert db.session.query(Request).count() == 0
    assert db.session.query(Attachment).count() == 0
    assert files_on_disk() == before  # the good file stored first was removed again


def test_oversized_file_is_refused_with_the_limit_in_the_message(app, client, owner):
    set_setting("upload_max_mb", 1)
    db.session.commit()
    sign_in(client, "owner")
    big = PDF + b"0" * (1024 * 1024 + 10)
    html = post(client, "/cabinet/requests/new", form_data(files=[upload(big, "big.pdf")]),
                content_type="multipart/form-data").get_data(as_text=True)
    assert "больше 1 МБ" in html
    assert db.session.query(Request).count() == 0


PAST_WANTED = "Желаемая дата не может быть в прошлом"


def test_a_wanted_date_in_the_past_is_refused_under_its_field_the_rest_kept(app, client,
                                                                            owner):
    sign_in(client, "owner")
    html = post(client, "/cabinet/requests/new", form_data(wanted_date="2020-01-01"),
                content_type="multipart/form-data").get_data(as_text=True)
    error = re.search(r'id="wanted_date-error"[^>]*>(.*?)</div>', html, re.S)
    assert error and PAST_WANTED in error.group(1)
    assert f"({format_day(local_today())})" in error.group(1)  # the day that is allowed
    assert 'value="2020-01-01"' in html  # as typed, and everything else too
    assert "Москва, Арбат 10, кв. 5" in html and "Снос перегородки" in html
    assert "Смирнов Олег" in html and "+7 900 555-44-33" in html
    assert db.session.query(Request).count() == 0
    assert db.session.query(EndClient).count() == 0  # the new client is not added either


def test_a_client_phone_without_a_name_is_refused_under_the_name(app, client, owner):
    """A new client's phone without a name was dropped without a word (the draft saved with
    no client); now the name is asked for and everything typed stays."""
    sign_in(client, "owner")
    html = post(client, "/cabinet/requests/new", form_data(new_client_name=""),
                content_type="multipart/form-data").get_data(as_text=True)
    error = re.search(r'id="new_client_name-error"[^>]*>(.*?)</', html, re.S)
    assert error and "Вместе с телефоном укажите имя конечного клиента." in error.group(1)
    assert "+7 900 555-44-33" in html and "Снос перегородки" in html
    assert db.session.query(Request).count() == 0


def test_today_is_a_wanted_date_a_kept_past_one_stays_on_edit(app, client, owner):
    sign_in(client, "owner")
    today = local_today()
    post(client, "/cabinet/requests/new", form_data(wanted_date=today.isoformat()))
    assert db.session.query(Request).one().wanted_date == today
    old = make_request(owner, wanted_date=date(2020, 1, 1))  # saved long ago, now passed
    url = f"/cabinet/requests/{old.id}/edit"
    post(client, url, form_data(wanted_date="2020-01-01", area="60", version=str(old.version)))
    db.session.expire_all()
    old = db.session.get(Request, old.id)
    assert (old.wanted_date, old.area) == (date(2020, 1, 1), 60)  # the other edit is saved
    html = post(client, url, form_data(wanted_date="2020-01-02", area="70",
                                       version=str(old.version))).get_data(as_text=True)
    assert PAST_WANTED in html
    db.session.expire_all()
    old = db.session.get(Request, old.id)
    assert (old.wanted_date, old.area) == (date(2020, 1, 1), 60)


def test_a_draft_whose_wanted_date_passed_goes_back_to_its_form_on_submit(app, client,
                                                                         owner):
    """Saved and submitted with the passed date kept: the draft is saved, not submitted, and
    the partner is sent to its form with the reason; the page's submit button says the same."""
    old = make_request(owner, wanted_date=date(2020, 1, 1))
    sign_in(client, "owner")
    url = f"/cabinet/requests/{old.id}/edit"
    response = post(client, url, form_data(wanted_date="2020-01-01", area="61",
                                           version=str(old.version), submit_now="1"))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    html = client.get(url).get_data(as_text=True)
    assert f"Желаемая дата {format_day(date(2020, 1, 1))} уже прошла" in html
    db.session.expire_all()
    old = db.session.get(Request, old.id)
    assert (old.status, old.area) == (Status.DRAFT, 61)  # saved, still a draft
    moved = post(client, f"/cabinet/requests/{old.id}/move/submit",
                 {"version": str(old.version)})  # the page's button: to the form as well
    assert moved.status_code == 302 and moved.headers["Location"].endswith(url)
    assert "уже прошла" in client.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, old.id).status == Status.DRAFT
    post(client, url, form_data(wanted_date=local_today().isoformat(),
                                version=str(old.version), submit_now="1"))
    db.session.expire_all()
    assert db.session.get(Request, old.id).status == Status.SUBMITTED


def test_edit_draft_reprices_and_detects_stale_version(app, client, owner):
    req = make_request(owner)
    sign_in(client, "owner")
    url = f"/cabinet/requests/{req.id}/edit"
    assert "Moscow, Tverskaya 1" in client.get(url).get_data(as_text=True)
    post(client, url, form_data(area="100", version=str(req.version)))
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.area == 100 and req.total_kopecks == 10000_00 + 100_00 * 100
    html = post(client, url, form_data(area="10", version="1"), follow=True) \
        .get_data(as_text=True)
    assert "Черновик тем временем сохранили" in html  # the typed draft offered over it
    assert re.search(r'id="area"[^>]*value="10"', html)
    shown_version = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    db.session.expire_all()
    stored = db.session.get(Request, req.id)
    assert stored.area == 100 and shown_version == str(stored.version)
    post(client, url, form_data(area="10", version=shown_version))  # saved as shown: once
    db.session.expire_all()
    assert db.session.get(Request, req.id).area == 10


def test_only_drafts_are_edited_or_deleted(app, client, owner, staff):
    req = make_request(owner, Status.SUBMITTED, staff)
    sign_in(client, "owner")
    page = client.get(f"/cabinet/requests/{req.id}/edit", follow_redirects=True)
    assert "только черновик" in page.get_data(as_text=True)
    post(client, f"/cabinet/requests/{req.id}/delete")
    assert db.session.get(Request, req.id) is not None


def test_delete_draft_removes_its_files(app, client, owner):
    sign_in(client, "owner")
    post(client, "/cabinet/requests/new", form_data(files=[upload(PDF, "a.pdf")]),
         content_type="multipart/form-data")
    req = db.session.query(Request).one()
    stored = db.session.query(Attachment).one().stored_name
    path = Path(app.config["UPLOAD_DIR"]) / stored[:2] / stored
    assert path.exists()
    post(client, f"/cabinet/requests/{req.id}/delete")
    assert db.session.query(Request).count() == 0 and not path.exists()


def numbers(html):
    import re

    return re.findall(r">(\d{4}-\d{5})<", html)


def test_list_filters(app, client, owner, staff):
    a = make_request(owner, Status.SUBMITTED, staff, object_address="Арбат 1")
    b = make_request(owner, Status.NEEDS_INFO, staff, object_type="office",
                     object_address="Тверская 7")
    c = make_request(owner, Status.DRAFT, object_address="Шаболовка 3")
    sign_in(client, "owner")
    get = lambda q: set(numbers(client.get("/cabinet/requests?" + q).get_data(as_text=True)))  # noqa: E731
    assert get("") == {a.number, b.number, c.number}
    assert get("status=action_required") == {b.number}
    assert get("status=accepted") == {a.number}
    assert get("object_type=office") == {b.number}
    assert get("q=Шаболовка") == {c.number}
    assert get(f"q={a.number}") == {a.number}
    assert get("from=2000-01-01&to=2000-12-31") == set()
    assert get("from=2000-01-01") == {a.number, b.number, c.number}


def test_a_reversed_period_is_said_on_the_list_and_refused_for_export(app, client, owner):
    """From 10.03 to 01.03: the list says why it is empty and the export sends no empty
    file (it came back to the list, its filters kept); one day (from = to) is a period."""
    make_request(owner, Status.DRAFT)
    sign_in(client, "owner")
    reason = ("Начало периода (10.03.2026) позже его конца (01.03.2026): в нём не может быть "
              "заявок. Исправьте даты.")
    html = client.get("/cabinet/requests?from=2026-03-10&to=2026-03-01&q=x") \
        .get_data(as_text=True)
    assert html.count(reason) == 1 and 'data-testid="export"' not in html  # no export offered
    response = client.get("/cabinet/requests/export.xlsx?from=2026-03-10&to=2026-03-01&q=x")
    assert response.status_code == 302 and response.mimetype == "text/html"
    location = response.headers["Location"]
    assert location.startswith("/cabinet/requests?") and "from=2026-03-10" in location \
        and "q=x" in location
    assert client.get(location).get_data(as_text=True).count(reason) == 1  # said once
    assert db.session.query(ExportTask).count() == 0
    one_day = client.get("/cabinet/requests?from=2026-03-10&to=2026-03-10") \
        .get_data(as_text=True)
    assert "Начало периода" not in one_day and 'data-testid="export"' in one_day
    sheet = client.get("/cabinet/requests/export.xlsx?from=2026-03-10&to=2026-03-10")
    assert sheet.status_code == 200 and sheet.mimetype != "text/html"


def test_list_client_search_and_keyset_pages(app, client, owner):
    sign_in(client, "owner")
    for k in range(25):
        make_request(owner, object_address=f"Улица {k}")
    post(client, "/cabinet/requests/new", form_data(new_client_name="Клиент Поиска"))
    first = client.get("/cabinet/requests").get_data(as_text=True)
    assert len(numbers(first)) == 20 and "after=" in first
    import re

    older = re.search(r'href="([^"]*after=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert len(numbers(second)) == 6
    assert not set(numbers(first)) & set(numbers(second))
    newer = re.search(r'href="([^"]*before=\d+[^"]*)"', second).group(1).replace("&amp;", "&")
    assert numbers(client.get(newer).get_data(as_text=True)) == numbers(first)
    assert len(numbers(client.get("/cabinet/requests?q=Поиска").get_data(as_text=True))) == 1


def test_list_pages_carry_their_limit_in_the_statement(app, client, owner):
    """Page 1, an older and a newer page: LIMIT 21 written into the statement, not sent as a
    value, so that PostgreSQL keeps one plan of the prepared page for every partner (with a
    LIMIT parameter it estimates 10 % of the rows and plans each page anew)."""
    sign_in(client, "owner")
    made = [make_request(owner, object_address=f"Улица {k}") for k in range(3)]
    for url in ("/cabinet/requests", f"/cabinet/requests?after={made[-1].id}",
                f"/cabinet/requests?before={made[0].id}"):
        with statements() as seen:
            client.get(url)
        pages = [s for s in seen if "FROM request" in s and "ORDER BY request.id" in s]
        assert len(pages) == 1 and re.search(r"\bLIMIT 21\b", pages[0]), (url, pages)


def test_member_sees_own_owner_sees_all_other_company_nothing(app, client, owner, staff):
    member = make_partner(company=owner.profile.partner_company, owner=False,
                          username="member")
    owners = make_request(owner, Status.SUBMITTED, staff)
    members = make_request(member, Status.SUBMITTED, staff)
    stranger = make_partner(username="stranger")
    sign_in(client, "owner")
    assert set(numbers(client.get("/cabinet/requests").get_data(as_text=True))) == {
        owners.number, members.number}
    assert client.get(f"/cabinet/requests/{members.id}").status_code == 200
    with app.test_client() as c:
        sign_in(c, "member")
        assert set(numbers(c.get("/cabinet/requests").get_data(as_text=True))) == {
            members.number}
        assert c.get(f"/cabinet/requests/{owners.id}").status_code == 404
    with app.test_client() as c:
        sign_in(c, "stranger")
        assert numbers(c.get("/cabinet/requests").get_data(as_text=True)) == []
        for url in (f"/cabinet/requests/{owners.id}", f"/cabinet/requests/{owners.id}/edit",
                    f"/cabinet/requests/new?repeat={owners.id}"):
            assert c.get(url).status_code == 404, url
        for url in (f"/cabinet/requests/{owners.id}/delete",
                    f"/cabinet/requests/{owners.id}/move/cancel",
                    f"/cabinet/requests/{owners.id}/message",
                    f"/cabinet/requests/{owners.id}/repeat"):
            assert post(c, url, {"body": "hi", "comment": "x"}).status_code == 404, url
    assert stranger.id and db.session.get(Request, owners.id).status == Status.SUBMITTED


def test_detail_hides_internal_notes_and_work_files(app, client, owner, staff):
    req = make_request(owner, Status.SCHEDULED, staff)
    db.session.add(Message(request=req, author_id=staff.manager.id, body="secret note",
                           is_internal=True))
    db.session.add(Message(request=req, author_id=staff.manager.id, body="Hello partner"))
    work = Attachment(request=req, uploaded_by_id=staff.engineer.id, kind=ATTACH_WORK,
                      original_name="work.pdf", stored_name="ab" + "0" * 30,
                      content_type="application/pdf", size=10, sha256="0" * 64)
    db.session.add(work)
    db.session.commit()
    sign_in(client, "owner")
    html = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert "Hello partner" in html and "secret note" not in html and "work.pdf" not in html
    assert client.get(f"/cabinet/files/{work.id}").status_code == 404


def test_detail_shows_the_partners_own_description(app, client, owner, staff):
    """What the partner wrote about the request is on his request page (it was only on the
    staff's: found by the exploratory session), line breaks kept, escaped."""
    req = make_request(owner, Status.SUBMITTED, staff)
    req.description = "Снести перегородку\nмежду кухней и <b>комнатой</b>"
    db.session.commit()
    sign_in(client, "owner")
    html = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    shown = re.search(r'data-testid="description"[^>]*>(.*?)</dd>', html, re.S).group(1)
    assert shown == "Снести перегородку\nмежду кухней и &lt;b&gt;комнатой&lt;/b&gt;"


def test_deliverables_are_downloadable_once_delivered(app, client, owner, staff):
    req = make_request(owner, Status.READY, staff)
    (old,) = add_package(req, staff.manager, "Черновой вариант.pdf")
    (doc,) = add_package(req, staff.manager, "Проект перепланировки.pdf")
    db.session.commit()
    sign_in(client, "owner")
    assert client.get(f"/cabinet/files/{doc.id}").status_code == 404  # not delivered yet
    from datetime import date

    from app.payments import mark_payment

    mark_payment(req, req.total_kopecks, date.today(), "PP-7", staff.supermanager)
    transition(req, "deliver", staff.manager)
    db.session.commit()
    response = client.get(f"/cabinet/files/{doc.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get(f"/cabinet/files/{old.id}").status_code == 404  # an earlier version
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%9F%D1%80%D0%BE%D0%B5%D0%BA%D1%82" in disposition


def test_the_package_zip_and_a_file_missing_from_the_storage(app, client, owner, staff):
    """The package is read from the store into the zip (names and bytes as uploaded); a
    file whose row outlived it (a restore, a lost volume) is a 404 and an error in the log,
    for the partner, the zip and the staff's download: it was a 500 (found by an attack
    run)."""
    import io
    import zipfile

    from app.payments import mark_payment
    from app.storage import path_of
    from app.timefmt import local_today
    from tests.factories import MINI_PDF, as_user

    req = make_request(owner, Status.READY, staff)
    (doc,) = add_package(req, staff.manager, "Проект перепланировки.pdf")
    mark_payment(req, req.total_kopecks, local_today(), "PP-7", staff.supermanager)
    transition(req, "deliver", staff.manager)
    db.session.commit()
    sign_in(client, "owner")
    package = client.get(f"/cabinet/requests/{req.id}/package.zip")
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        assert archive.namelist() == ["Проект перепланировки.pdf"]
        assert archive.read("Проект перепланировки.pdf") == MINI_PDF
    path_of(doc.stored_name).unlink()
    assert client.get(f"/cabinet/files/{doc.id}").status_code == 404
    assert client.get(f"/cabinet/requests/{req.id}/package.zip").status_code == 404
    manager = as_user(app, staff.manager)
    assert manager.get(f"/desk/file/{doc.id}").status_code == 404


def test_answer_to_a_data_request_returns_it_to_the_manager(app, client, owner, staff):
    req = make_request(owner, Status.NEEDS_INFO, staff)
    sign_in(client, "owner")
    html = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert "Менеджеру нужны данные" in html
    post(client, f"/cabinet/requests/{req.id}/message", {"body": ""})
    assert db.session.get(Request, req.id).status == Status.NEEDS_INFO
    post(client, f"/cabinet/requests/{req.id}/message",
         {"body": "Техпаспорт во вложении", "files": [upload(JPEG, "техпаспорт.jpg")]},
         content_type="multipart/form-data")
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.status == Status.ASSIGNED
    assert db.session.query(Attachment).filter_by(request_id=req.id).one().message_id
    notes = [(n.kind, n.text) for n in db.session.query(Notification).filter_by(
        user_id=staff.manager.id)]
    assert [text for kind, text in notes if kind == "answer"] == [
        f"Заявка {req.number}: партнёр ответил на ваш запрос данных."]


def test_bad_file_in_an_answer_changes_nothing_and_keeps_the_text(app, client, owner, staff):
    req = make_request(owner, Status.NEEDS_INFO, staff)
    sign_in(client, "owner")
    page = post(client, f"/cabinet/requests/{req.id}/message",
                {"body": "Вот план", "files": [upload(EXE, "plan.pdf")]},
                content_type="multipart/form-data", follow=True).get_data(as_text=True)
    assert "Вот план" in page and "текст сохранён" in page
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.NEEDS_INFO
    # the manager's data request is the thread's only message
    assert db.session.query(Message).filter_by(request_id=req.id, author_id=owner.id) \
        .count() == 0


def test_plain_message_notifies_the_manager(app, client, owner, staff):
    req = make_request(owner, Status.SCHEDULED, staff)
    sign_in(client, "owner")
    post(client, f"/cabinet/requests/{req.id}/message", {"body": "Когда приедет инженер?"})
    texts = [n.text for n in db.session.query(Notification).filter_by(
        user_id=staff.manager.id, kind="message")]
    assert texts == [f"Заявка {req.number}: новое сообщение."]


def test_cancel_close_and_illegal_moves(app, client, owner, staff):
    submitted = make_request(owner, Status.SUBMITTED, staff)
    delivered = make_request(owner, Status.DELIVERED, staff)
    sign_in(client, "owner")
    page = post(client, f"/cabinet/requests/{delivered.id}/move/cancel",
                {"version": delivered.version}, follow=True).get_data(as_text=True)
    assert "невозможно" in page
    post(client, f"/cabinet/requests/{submitted.id}/move/cancel",
         {"comment": "передумали", "version": submitted.version})
    post(client, f"/cabinet/requests/{delivered.id}/move/close",
         {"version": delivered.version})
    page = post(client, f"/cabinet/requests/{submitted.id}/move/assign", {},
                follow=True).get_data(as_text=True)
    assert "недоступно" in page
    db.session.expire_all()
    assert db.session.get(Request, submitted.id).status == Status.CANCELLED
    assert db.session.get(Request, submitted.id).cancel_reason == "передумали"
    assert db.session.get(Request, delivered.id).status == Status.CLOSED


def test_stale_page_move_is_a_conflict(app, client, owner, staff):
    req = make_request(owner, Status.SUBMITTED, staff)
    stale = req.version
    sign_in(client, "owner")
    from app.workflow import assign_manager

    assign_manager(req, staff.manager, staff.supermanager)
    db.session.commit()
    page = post(client, f"/cabinet/requests/{req.id}/move/cancel", {"version": stale},
                follow=True).get_data(as_text=True)
    assert "Заявку тем временем изменили" in page  # and cancelling is no longer possible
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED


def test_a_cancel_refused_for_a_concurrent_change_keeps_the_reason(app, client, owner, staff):
    """The page comes back in the refused POST with the reason as typed and the stored
    version: the partner presses Cancel again and it goes through with that reason."""
    req = make_request(owner, Status.SUBMITTED, staff)
    stale = req.version
    sign_in(client, "owner")
    req.description = "changed in another window"  # a new version, still cancellable
    db.session.commit()
    reason = "Клиент передумал, продаёт квартиру"
    response = post(client, f"/cabinet/requests/{req.id}/move/cancel",
                    {"version": stale, "comment": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "изменил кто-то другой" in page
    form = re.search(r'<form method="post" action="(/cabinet/requests/\d+/move/cancel)"'
                     r'[^>]*>(.*?)</form>', page, re.S)
    assert re.search(rf">\s*{reason}</textarea>", form.group(2))
    version = re.search(r'name="version"[^>]*value="(\d+)"', form.group(2)).group(1)
    db.session.expire_all()
    stored = db.session.get(Request, req.id)
    assert (stored.status, str(stored.version)) == (Status.SUBMITTED, version)
    post(client, form.group(1), {"version": version, "comment": reason})
    db.session.expire_all()
    stored = db.session.get(Request, req.id)
    change = db.session.query(StatusChange).filter_by(request_id=req.id) \
        .order_by(StatusChange.id.desc()).first()
    assert (stored.status, change.comment) == (Status.CANCELLED, reason)


def test_a_cancel_no_longer_possible_after_a_change_keeps_the_reason_as_a_message(
        app, client, owner, staff):
    """The partner opened the page while the request was submitted; the supermanager
    assigned it; the partner's cancel is no longer possible: the page says so (not "try
    again") and the reason waits in the message to the manager."""
    from app.workflow import assign_manager

    req = make_request(owner, Status.SUBMITTED, staff)
    stale = req.version
    sign_in(client, "owner")
    assign_manager(req, staff.manager, staff.supermanager)
    db.session.commit()
    reason = "Клиент передумал"
    page = post(client, f"/cabinet/requests/{req.id}/move/cancel",
                {"version": stale, "comment": reason}).get_data(as_text=True)
    assert re.search(r"Заявку тем временем изменили, теперь она «[^»]+»: это действие "
                     r"больше недоступно", page)
    assert "Обновите страницу" not in page
    message = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert message.group(1).strip() == reason
    assert "Ваш текст перенесён в сообщение менеджеру ниже." in page
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED


def test_repeat_copies_object_and_client_into_a_new_draft(app, client, owner, staff):
    sign_in(client, "owner")
    post(client, "/cabinet/requests/new", form_data(submit_now="1"))
    source = db.session.query(Request).one()
    response = post(client, f"/cabinet/requests/{source.id}/repeat")
    copy = db.session.query(Request).filter(Request.id != source.id).one()
    assert response.headers["Location"].endswith(f"/cabinet/requests/{copy.id}/edit")
    assert (copy.status, copy.object_address, copy.end_client_id, copy.source_request_id) == (
        "draft", source.object_address, source.end_client_id, source.id)
    assert copy.number != source.number and copy.number.startswith("20")


def test_package_zip_holds_the_released_version_only(app, client, owner, staff):
    import io
    import zipfile

    req = make_request(owner, Status.READY, staff)
    add_package(req, staff.manager, "старый.pdf")
    add_package(req, staff.manager, "Проект.pdf")
    add_package(req, staff.manager, "Лист 2.pdf")  # v3: the manager's final upload
    db.session.commit()
    sign_in(client, "owner")
    assert client.get(f"/cabinet/requests/{req.id}/package.zip").status_code == 404
    from datetime import date

    from app.payments import mark_payment

    mark_payment(req, req.total_kopecks, date.today(), "PP-9", staff.supermanager)
    transition(req, "deliver", staff.manager)
    db.session.commit()
    response = client.get(f"/cabinet/requests/{req.id}/package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert names == ["Лист 2.pdf"]  # only the latest version is released
    colleague = make_partner(company=owner.profile.partner_company, owner=False,
                             username="colleague")
    stranger = make_partner(username="stranger")
    for user in (colleague, stranger):
        c = app.test_client()
        sign_in(c, user.username)
        assert c.get(f"/cabinet/requests/{req.id}/package.zip").status_code == 404
    assert app.test_client().get(f"/cabinet/requests/{req.id}/package.zip").status_code == 302


def test_ready_but_unpaid_says_awaiting_payment_until_paid(app, client, owner, staff):
    req = make_request(owner, Status.READY, staff)
    assert req.total_kopecks > 0 and req.payment_state != "paid"
    sign_in(client, "owner")
    status = re.compile(r'data-testid="status">([^<]+)<')
    detail = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert status.search(detail).group(1) == "Готово — ожидает оплаты"
    assert "Готово — ожидает оплаты" in client.get("/cabinet/requests").get_data(as_text=True)
    req.paid_kopecks, req.payment_state = req.total_kopecks, "paid"
    db.session.commit()
    detail = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert status.search(detail).group(1) == "Готово"


def test_list_with_a_period_pages_by_that_date_then_id(app, client, owner):
    """With a period the list is ordered by the period's date (newest first), ties by id,
    and its pages walk that order without gaps or repeats both ways; a cursor naming another
    company's request gives the first page, not a page placed by that request's date."""
    from datetime import datetime, timedelta

    sign_in(client, "owner")
    made = [make_request(owner, object_address=f"Период {k}") for k in range(27)]
    base = datetime(2026, 3, 1, 12)
    # dates against the id order (newest id = oldest date), with ties of three
    for k, req in enumerate(made):
        req.created_at = base + timedelta(hours=(len(made) - k) // 3)
    stranger = make_request(make_partner(username="stranger"))
    stranger.created_at = base + timedelta(hours=5)
    db.session.commit()
    expected = [r.number for r in sorted(made, key=lambda r: (r.created_at, r.id),
                                         reverse=True)]
    period = "from=2026-02-01&to=2026-04-30"
    first = client.get(f"/cabinet/requests?{period}").get_data(as_text=True)
    assert numbers(first) == expected[:20]
    older = re.search(r'href="([^"]*after=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert numbers(second) == expected[20:]
    newer = re.search(r'href="([^"]*before=\d+[^"]*)"', second).group(1).replace("&amp;", "&")
    assert numbers(client.get(newer).get_data(as_text=True)) == expected[:20]
    foreign = client.get(f"/cabinet/requests?{period}&after={stranger.id}")
    assert numbers(foreign.get_data(as_text=True)) == expected[:20]
    assert stranger.number not in foreign.get_data(as_text=True)
    assert numbers(client.get("/cabinet/requests?to=2026-04-30").get_data(as_text=True)) \
        == expected[:20]


def test_list_rows_show_each_requests_own_cells(app, client, owner, staff):
    """Each row of the list: its number linked to its page, address, client (— when none),
    author (the owner's column), the status as the partner reads it in its group's colour
    (ready and unpaid: "awaiting payment"; ready and paid: plainly "Ready"), its total and
    its day — worked out once a page (cabinet.requests.shown_rows), never mixed up."""
    member = make_partner(company=owner.profile.partner_company, owner=False,
                          username="member")
    unpaid = make_request(owner, Status.READY, staff, object_address="Адрес один")
    paid = make_request(member, Status.READY, staff, object_address="Адрес два")
    paid.paid_kopecks, paid.payment_state, paid.total_kopecks = 1_234_567, "paid", 1_234_567
    fresh = make_request(owner, Status.SUBMITTED, staff, object_address="Адрес <три>")
    company = owner.profile.partner_company_id
    unpaid.end_client = EndClient(company_id=company, name="Первый Клиент")
    paid.end_client = EndClient(company_id=company, name="Второй Клиент")
    unpaid.total_kopecks = 100_050
    db.session.commit()
    sign_in(client, "owner")
    page = client.get("/cabinet/requests").get_data(as_text=True)
    rows = {m.group(1): m.group(0) for m in re.finditer(
        r'<tr>\s*<td data-label="Номер"><a class="number" href="/cabinet/requests/(\d+)">'
        r'.*?</tr>', page, re.S)}
    assert set(rows) == {str(unpaid.id), str(paid.id), str(fresh.id)}

    def cells(req):
        return [re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[str(req.id)], re.S)]

    assert cells(unpaid)[1:] == [
        "Адрес один", "Первый Клиент", f"{owner.first_name} {owner.last_name}",
        "Готово — ожидает оплаты", "1\u00a0000,50\u00a0₽", format_day(unpaid.created_at)]
    assert cells(paid)[1:5] == ["Адрес два", "Второй Клиент",
                                f"{member.first_name} {member.last_name}", "Готово"]
    assert cells(paid)[5] == "12\u00a0345,67\u00a0₽"
    assert cells(fresh)[1:3] == ["Адрес &lt;три&gt;", "—"]
    assert cells(fresh)[0] == fresh.number
    group = re.compile(r'<span class="badge (\w+)">')
    assert group.search(rows[str(unpaid.id)]).group(1) == "ready"
    assert group.search(rows[str(paid.id)]).group(1) == "ready"
    assert group.search(rows[str(fresh.id)]).group(1) == PARTNER_GROUP_OF[Status.SUBMITTED]
    # a member's list has no author column
    other = app.test_client()
    sign_in(other, "member")
    mine = other.get("/cabinet/requests").get_data(as_text=True)
    assert 'data-testid="filed-by"' not in mine and "Адрес два" in mine \
        and "Адрес один" not in mine


def test_the_kept_list_statement_follows_the_partners_scope(app, client, owner, staff):
    """The unfiltered list's statement is built once per scope (cabinet.requests
    plain_statement): an owner made a member sees only their own requests at once, a member
    moved to another company sees that company's, a user who is no longer a partner sees no
    list — never the rows of the scope the statement was first built for."""
    member = make_partner(company=owner.profile.partner_company, owner=False,
                          username="member")
    mine = make_request(owner, Status.SUBMITTED, staff, object_address="Свой адрес")
    theirs = make_request(member, Status.SUBMITTED, staff, object_address="Чужой адрес")
    elsewhere = make_partner(username="elsewhere")
    far = make_request(elsewhere, Status.SUBMITTED, staff, object_address="Дальний адрес")
    sign_in(client, "owner")

    def listed(url="/cabinet/requests"):
        return set(numbers(client.get(url).get_data(as_text=True)))

    assert listed() == {mine.number, theirs.number}
    assert listed(f"/cabinet/requests?after={theirs.id + 1}") == {mine.number, theirs.number}
    owner.profile.partner_role = "member"
    db.session.commit()
    assert listed() == {mine.number}
    assert listed(f"/cabinet/requests?after={theirs.id + 1}") == {mine.number}
    assert listed(f"/cabinet/requests?before={mine.id - 1}") == {mine.number}
    owner.profile.partner_company_id = elsewhere.profile.partner_company_id
    far.author_id = owner.id
    db.session.commit()
    assert listed() == {far.number}
    # a staff role given to a partner's login by mistake: the list follows the rule of
    # app.access (a manager sees the requests assigned to them: none here)
    owner.roles = owner.roles + [app.appbuilder.sm.find_role("Manager")]
    db.session.commit()
    assert listed() == set()
    owner.roles = []
    db.session.commit()
    refused = client.get("/cabinet/requests")
    assert refused.status_code == 403 and far.number not in refused.get_data(as_text=True)


def test_the_partner_reads_back_his_own_words_on_moves_in_the_timeline(app, client, owner,
                                                                        staff):
    """The submit's comment and the cancel reason were stored and shown to staff, but the
    partner's own timeline (page and API) dropped them: only comments addressed to him
    showed."""
    from app.request_conversation import history_for

    req = make_request(owner)
    transition(req, "submit", owner, comment="Ключи у консьержа")
    db.session.commit()
    sign_in(client, "owner")
    post(client, f"/cabinet/requests/{req.id}/move/cancel",
         {"comment": "Передумали продавать", "version": req.version})
    page = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    timeline = page.split("История статусов")[-1]
    assert "— Ключи у консьержа" in timeline
    assert "— Передумали продавать" in timeline
    db.session.expire_all()
    comments = [h.comment for h in history_for(owner, db.session.get(Request, req.id))]
    assert comments == ["Ключи у консьержа", "Передумали продавать"]
    # the engineer's desk never gets partner words (app.visibility), unchanged
    assert {h.comment for h in history_for(staff.engineer, db.session.get(Request, req.id))} \
        == {None}


def test_a_request_page_writes_every_day_one_way(app, client, owner):
    """The wanted date read "8 дек. 2099 г." beside "29.11.2026 10:44" in the timeline."""
    req = make_request(owner, wanted_date=date(2099, 12, 8))
    sign_in(client, "owner")
    page = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert "<dd>08.12.2099</dd>" in page and "дек." not in page


def test_a_member_is_offered_own_clients_the_owner_the_companys(app, client, owner):
    company = owner.profile.partner_company
    anna = make_partner(company, owner=False, username="anna")
    make_partner(company, owner=False, username="boris")
    db.session.add_all([EndClient(company_id=company.id, name="Клиент Анны", phone="+7 900 1",
                                  created_by_id=anna.id),
                        EndClient(company_id=company.id, name="Клиент владельца",
                                  created_by_id=owner.id)])
    db.session.commit()
    offered = {}
    for name in ("owner", "anna", "boris"):
        sign_in(client, name)
        page = client.get("/cabinet/requests/new").get_data(as_text=True)
        offered[name] = [n for n in ("Клиент Анны", "Клиент владельца") if n in page]
    assert offered == {"owner": ["Клиент Анны", "Клиент владельца"], "anna": ["Клиент Анны"],
                       "boris": []}
    annas = db.session.query(EndClient).filter_by(name="Клиент Анны").one()
    response = post(client, "/cabinet/requests/new", form_data(end_client_id=str(annas.id)))
    assert response.status_code == 200  # a colleague's client is not among the choices
    assert "Неверный вариант." in response.get_data(as_text=True)
    assert db.session.query(Request).count() == 0


def test_a_message_too_long_sends_nothing_and_keeps_the_text(app, client, owner):
    """The text over the limit was dropped and the files went alone as "Files attached"."""
    from models.requests import Message
    from tests.factories import Staff
    req = make_request(owner, Status.ASSIGNED, Staff())
    sign_in(client, "owner")
    typed = "Длинный текст " * 400  # 5 600 characters, the limit is 5 000
    page = post(client, f"/cabinet/requests/{req.id}/message",
                {"body": typed, "files": [upload(PDF, "план.pdf")]},
                content_type="multipart/form-data").get_data(as_text=True)
    assert "5000" in page and "Ничего не отправлено" in page and "Приложите файлы" in page
    assert typed.strip() in page.replace("\n", "")  # in the message box, as typed
    assert db.session.query(Message).filter_by(request_id=req.id).count() == 0
    assert db.session.query(Attachment).filter_by(request_id=req.id).count() == 0


@pytest.mark.parametrize("changes, said", [
    ({"services": ["-1"]}, "Выберите из списка: одного из значений в нём нет."),
    ({"services": ["abc"]}, "Выберите хотя бы одну услугу."),  # no service read at all
    ({"options": ["zzz"]}, "Выберите из списка: одного из значений в нём нет."),
    ({"quote_id": "999999999999"}, "Неизвестный расчёт: 999999999999."),
    ({"quote_id": "-3"}, "Неизвестный расчёт: -3."),
])
def test_a_tampered_form_is_refused_in_words_keeping_what_was_typed(app, client, owner,
                                                                    changes, said):
    """English WTForms messages, an option refused with no message at all, a foreign or
    bogus quote silently dropped (or a bare 404 losing the form)."""
    sign_in(client, "owner")
    data = form_data(description="Снос перегородки на кухне", **changes)
    page = post(client, "/cabinet/requests/new", data).get_data(as_text=True)
    assert said in page and "not a valid choice" not in page
    assert "Снос перегородки на кухне" in page
    assert db.session.query(Request).count() == 0


def test_another_companys_quote_is_refused_not_a_404(app, client, owner):
    from app.quotes import save_quote
    stranger = make_partner()
    quote = save_quote(stranger, [make_service().id], {"area": "60"}, "normal")
    db.session.commit()
    sign_in(client, "owner")
    answer = post(client, "/cabinet/requests/new", form_data(quote_id=str(quote.id)))
    assert answer.status_code == 200
    assert f"Неизвестный расчёт: {quote.id}." in answer.get_data(as_text=True)
    assert db.session.query(Request).count() == 0
