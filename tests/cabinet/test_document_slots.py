"""The document checklist in the partner cabinet (issue 12, item 2): one upload per document
the chosen services ask for, kinds checked by content, counts, and the submit guard."""

import re

import pytest

from app.extensions import db
from app.intake import create_draft
from models.knowledge import KbArticle, KbCategory
from models.request_status import Status
from models.requests import Attachment, Request
from tests.cabinet.filedata import EXE, JPEG, PDF, PNG, plain_zip, upload
from tests.document_slot_data import files_on_disk, make_slot, said
from models.document_slots import DocumentSlot
from tests.factories import as_user, sign_in, make_partner, make_service, make_user, post

EDIT = "/cabinet/requests/{}/edit"


@pytest.fixture
def owner(app):
    return make_partner(username="owner")


@pytest.fixture
def service(app):
    return make_service("redevelopment")


@pytest.fixture
def bti(service):
    return make_slot(service, "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)


def form_data(services, **changes):
    data = {"object_address": "Москва, Арбат 10, кв. 5", "object_type": "apartment",
            "area": "45.5", "urgency": "normal", "end_client_id": "0",
            "services": [str(s.id) for s in services]}
    data.update(changes)
    return data


def save(client, req, data, **files):
    """POST the draft's form (with its current version) and file fields."""
    payload = {**data, "version": str(req.version), **files}
    return post(client, EDIT.format(req.id), payload, content_type="multipart/form-data")


def _draft(owner, service):
    """A draft of `owner` with exactly this service."""
    req = create_draft(owner, owner.profile.partner_company, [service.id],
                       object_address="Москва, Арбат 10", object_type="apartment",
                       area=50, urgency="normal")
    db.session.commit()
    return req


def test_submit_is_refused_until_the_required_document_is_attached(app, client, owner,
                                                                     service, bti):
    sign_in(client, "owner")
    response = post(client, "/cabinet/requests/new", form_data([service], submit_now="1"))
    req = db.session.query(Request).one()
    assert req.status == Status.DRAFT  # saved, not submitted
    assert response.headers["Location"].endswith(EDIT.format(req.id))  # to attach them
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Техпаспорт БТИ" in page
    assert said(page, "Attach the required documents before submitting",
                "Прикрепите обязательные документы")
    save(client, req, form_data([service]), **{"slot-bti": upload(PDF, "техпаспорт.pdf")})
    held = db.session.query(Attachment).filter_by(request_id=req.id).one()
    assert (held.slot_key, held.original_name, held.kind) == ("bti", "техпаспорт.pdf", "input")
    save(client, req, form_data([service], submit_now="1"))
    db.session.refresh(req)
    assert req.status == Status.SUBMITTED


def test_the_detail_pages_submit_button_is_refused_too(app, client, owner, service, bti):
    req = _draft(owner, service)
    sign_in(client, "owner")
    post(client, f"/cabinet/requests/{req.id}/move/submit", {"version": str(req.version)})
    db.session.refresh(req)
    assert req.status == Status.DRAFT
    page = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    assert "Техпаспорт БТИ" in page and 'data-testid="slot-missing"' in page


def test_an_optional_document_does_not_block(app, client, owner, service):
    make_slot(service, "photos", "Фото помещений", ("image",), 0, 5)
    sign_in(client, "owner")
    post(client, "/cabinet/requests/new", form_data([service], submit_now="1"))
    assert db.session.query(Request).one().status == Status.SUBMITTED


def test_a_service_without_slots_shows_no_checklist(app, client, owner, service):
    req = _draft(owner, service)
    sign_in(client, "owner")
    page = client.get(EDIT.format(req.id)).get_data(as_text=True)
    assert 'data-testid="document-slots"' not in page and "slot-" not in page


@pytest.mark.parametrize("name,data,english,russian", [
    ("фото.jpg", JPEG, "cannot go into", "нельзя положить"),  # a photo into a PDF slot
    ("скан.png", PNG, "cannot go into", "нельзя положить"),
    ("техпаспорт.pdf", PNG, "not really a .pdf", "на самом деле не .pdf"),  # disguised
    ("техпаспорт.pdf", plain_zip(), "not a plan, photo, PDF", "не план, не фото"),
    ("техпаспорт.pdf", EXE, "not a plan, photo, PDF", "не план, не фото"),
])
def test_a_file_of_the_wrong_kind_is_refused_and_nothing_kept(app, client, owner, service,
                                                               bti, name, data, english,
                                                               russian):
    req = _draft(owner, service)
    sign_in(client, "owner")
    before = files_on_disk(app)
    response = save(client, req, form_data([service]), **{"slot-bti": upload(data, name)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and (english in html or russian in html), name
    assert db.session.query(Attachment).count() == 0
    assert files_on_disk(app) == before


def test_at_most_max_files_go_into_a_slot(app, client, owner, service):
    make_slot(service, "plans", "Поэтажный план", ("pdf", "image"), 1, 2)
    req = _draft(owner, service)
    sign_in(client, "owner")
    def three():
        return [upload(PDF, "1.pdf"), upload(PNG, "2.png"), upload(JPEG, "3.jpg")]
    html = save(client, req, form_data([service]), **{"slot-plans": three()}) \
        .get_data(as_text=True)
    assert said(html, "takes at most 2 file(s)", "не больше 2")
    assert db.session.query(Attachment).count() == 0
    save(client, req, form_data([service]), **{"slot-plans": three()[:2]})
    assert db.session.query(Attachment).filter_by(slot_key="plans").count() == 2
    db.session.refresh(req)
    html = save(client, req, form_data([service]),
                **{"slot-plans": [upload(PDF, "4.pdf")]}).get_data(as_text=True)
    assert said(html, "takes at most 2 file(s)", "не больше 2")
    assert db.session.query(Attachment).filter_by(slot_key="plans").count() == 2
    page = client.get(EDIT.format(req.id)).get_data(as_text=True)
    assert re.search(r'data-testid="slot-count">(2 attached|прикреплено: 2)<', page)  # not "2 of 1"
    assert "1.pdf" in page and "2.png" in page


def test_a_file_is_replaced_by_removing_it_in_the_same_save(app, client, owner, service, bti):
    req = _draft(owner, service)
    sign_in(client, "owner")
    save(client, req, form_data([service]), **{"slot-bti": upload(PDF, "old.pdf")})
    old = db.session.query(Attachment).one()
    stored = files_on_disk(app)
    db.session.refresh(req)
    save(client, req, form_data([service], remove_file=str(old.id)),
         **{"slot-bti": upload(PDF, "new.pdf")})
    db.session.expire_all()
    assert [a.original_name for a in db.session.query(Attachment)] == ["new.pdf"]
    assert len(files_on_disk(app) - stored) == 1 and len(stored - files_on_disk(app)) == 1


def test_the_form_shows_one_slot_per_document_with_count_kinds_and_example(app, client, owner,
                                                                          service):
    other = make_service("second")
    category = KbCategory(name="Примеры", slug="examples")
    article = KbArticle(category=category, title="Пример техпаспорта", slug="bti-example",
                        body_md="…")
    db.session.add_all([category, article])
    db.session.commit()
    make_slot(service, "bti", "Техпаспорт БТИ", ("pdf", "image"), 1, 2,
              kb_article_id=article.id, hint="Все страницы")
    make_slot(other, "bti", "Техпаспорт (другая услуга)", ("pdf",), 2, 3)
    make_slot(other, "vin", "Фото VIN-таблички", ("image",), 1, 1)
    req = _draft(owner, service)
    sign_in(client, "owner")
    page = client.get(EDIT.format(req.id)).get_data(as_text=True)
    assert page.count('name="slot-bti"') == 1 and page.count('name="slot-vin"') == 1
    assert "/cabinet/kb/bti-example" in page and "Все страницы" in page
    # only the chosen service asks for the BTI passport: its own rule, shown; VIN hidden
    assert re.search(r'data-slot="vin"[^>]*hidden', page)
    assert re.search(r'data-slot="bti"[^>]*data-slot-services="[^"]*"\s*>', page)
    assert re.search(r'data-testid="slot-count">(0 of 1|0 из 1)<', page)
    # both services chosen: one merged slot, PDF only, at least 2
    db.session.refresh(req)
    html = save(client, req, form_data([service, other]),
                **{"slot-bti": [upload(PDF, "a.pdf"), upload(PNG, "b.png")]}) \
        .get_data(as_text=True)
    assert said(html, "cannot go into", "нельзя положить")
    assert db.session.query(Attachment).count() == 0


def test_a_document_no_longer_asked_for_is_refused(app, client, owner, service, bti):
    other = make_service("second")
    make_slot(other, "vin", "Фото VIN-таблички", ("image",), 1, 1)
    req = _draft(owner, service)
    sign_in(client, "owner")
    for key in ("vin", "nope", "BTI", "../bti"):
        html = save(client, req, form_data([service]),
                    **{f"slot-{key}": upload(JPEG, "vin.jpg")}).get_data(as_text=True)
        assert said(html, "do not ask for this document", "не просят этот документ"), key
    assert db.session.query(Attachment).count() == 0


def test_bad_removals_change_nothing(app, client, owner, service, bti):
    req = _draft(owner, service)
    stranger = make_partner()
    foreign = _draft(stranger, service)
    save(as_user(app, stranger), foreign, form_data([service]),
         **{"slot-bti": upload(PDF, "theirs.pdf")})
    theirs = db.session.query(Attachment).filter_by(request_id=foreign.id).one()
    sign_in(client, "owner")
    save(client, req, form_data([service]), **{"slot-bti": upload(PDF, "mine.pdf")})
    db.session.refresh(req)
    for bad in (str(theirs.id), "abc", "99999999999999999999", "-1"):
        html = save(client, req, form_data([service], remove_file=bad)).get_data(as_text=True)
        assert said(html, "not among the files of this draft", "нет среди файлов"), bad
        db.session.refresh(req)
    response = save(client, req, form_data([service], remove_file="1\x00"),
                    **{"slot-bti\x00": upload(PDF, "nul.pdf")})
    assert response.status_code == 400
    assert sorted(a.original_name for a in db.session.query(Attachment)) == [
        "mine.pdf", "theirs.pdf"]


def test_uploading_into_another_companys_draft_is_404(app, client, owner, service, bti):
    stranger = make_partner()
    foreign = _draft(stranger, service)
    member = make_partner(owner.profile.partner_company, owner=False, username="member")
    mine = _draft(owner, service)
    for user, req in ((owner, foreign), (member, mine)):  # a member sees only his own
        browser = as_user(app, user)
        response = save(browser, req, form_data([service]),
                        **{"slot-bti": upload(PDF, "x.pdf")})
        assert response.status_code == 404
        assert browser.get(f"/cabinet/requests/{req.id}").status_code == 404
    anonymous = app.test_client()
    response = post(anonymous, EDIT.format(mine.id), {
        **form_data([service]), "slot-bti": upload(PDF, "x.pdf")},
        content_type="multipart/form-data")  # with a valid CSRF token
    assert response.status_code == 302 and "login" in response.headers["Location"]
    assert db.session.query(Attachment).count() == 0


def test_the_request_page_shows_which_file_fills_which_slot(app, client, owner, service, bti):
    make_slot(service, "photos", "Фото помещений", ("image",), 0, 3)
    req = _draft(owner, service)
    sign_in(client, "owner")
    save(client, req, form_data([service]), **{"slot-bti": upload(PDF, "паспорт.pdf")})
    page = client.get(f"/cabinet/requests/{req.id}").get_data(as_text=True)
    checklist = page[page.index('data-testid="document-checklist"'):]
    bti_part = checklist[checklist.index('data-slot="bti"'):checklist.index('data-slot="photos"')]
    assert "паспорт.pdf" in bti_part and "Техпаспорт БТИ" in bti_part
    assert "Фото помещений" in checklist


def test_files_of_a_document_no_longer_asked_for_can_be_removed(app, client, owner, service,
                                                                bti):
    car = make_service("car")
    make_slot(car, "vin", "Фото VIN-таблички", ("image",), 1, 1)
    req = _draft(owner, service)
    sign_in(client, "owner")
    save(client, req, form_data([service, car]), **{"slot-vin": upload(JPEG, "vin.jpg"),
                                                    "slot-bti": upload(PDF, "bti.pdf")})
    db.session.refresh(req)
    save(client, req, form_data([service]))  # the car check is dropped: its photo stays
    page = client.get(EDIT.format(req.id)).get_data(as_text=True)
    loose = page[page.index('data-testid="loose-slot-files"'):]
    assert "vin.jpg" in loose and "bti.pdf" not in loose
    vin = db.session.query(Attachment).filter_by(slot_key="vin").one()
    db.session.refresh(req)
    save(client, req, form_data([service], submit_now="1", remove_file=str(vin.id)))
    db.session.expire_all()
    assert [a.original_name for a in db.session.query(Attachment)] == ["bti.pdf"]
    assert db.session.get(Request, req.id).status == Status.SUBMITTED


def test_a_personal_document_is_hidden_from_the_engineer_not_from_the_manager(
        app, client, owner, service, bti):
    """The owner's passport scan was listed and downloadable on the engineer's desk page and
    in the API (engineers never see partner contacts); a document marked personal data is
    hidden from engineers, its other documents stay their working data."""
    from app.api_tokens import create_token
    from tests.factories import Staff, walk

    make_slot(service, "passport", "Паспорт собственника", ("image",), 1, 1, is_personal=True)
    req = _draft(owner, service)
    sign_in(client, "owner")
    save(client, req, form_data([service]), **{"slot-bti": [upload(PDF, "бти.pdf")],
                                               "slot-passport": [upload(JPEG, "паспорт.jpg")]})
    staff = Staff()
    db.session.refresh(req)
    walk(req, Status.SCHEDULED, owner, staff)
    db.session.commit()
    passport = db.session.query(Attachment).filter_by(slot_key="passport").one()
    plan = db.session.query(Attachment).filter_by(slot_key="bti").one()
    for user, sees in ((staff.engineer, False), (staff.manager, True)):
        desk = as_user(app, user)
        page = desk.get(f"/desk/{req.id}").get_data(as_text=True)
        assert "бти.pdf" in page and ("паспорт.jpg" in page) is sees
        assert desk.get(f"/desk/file/{plan.id}").status_code == 200
        assert desk.get(f"/desk/file/{passport.id}").status_code == (200 if sees else 404)
        with app.app_context():
            _row, secret = create_token(user, "t", "read", 30)
            db.session.commit()
        headers = {"Authorization": f"Bearer {secret}"}
        listed = app.test_client().get(f"/api/v1/requests/{req.id}/files", headers=headers)
        names = [f["name"] for f in listed.get_json()["items"]]
        assert "бти.pdf" in names and ("паспорт.jpg" in names) is sees
        assert app.test_client().get(f"/api/v1/files/{passport.id}", headers=headers) \
            .status_code == (200 if sees else 404)
    engineer_page = as_user(app, staff.engineer).get(f"/desk/{req.id}").get_data(as_text=True)
    assert "Персональные данные: файлы не показываются инженерам." in engineer_page


def test_a_personal_document_with_files_keeps_its_key(app, client, owner, service, bti):
    """Renamed or deleted, its files were shown to engineers again (an attack run): both are
    refused with the reason while requests hold its files; unticking it stays possible."""
    passport = make_slot(service, "passport", "Паспорт", ("image",), 1, 1, is_personal=True)
    req = _draft(owner, service)
    sign_in(client, "owner")
    save(client, req, form_data([service]), **{"slot-bti": [upload(PDF, "бти.pdf")],
                                               "slot-passport": [upload(JPEG, "паспорт.jpg")]})
    admin = as_user(app, make_user("Admin"))
    page = admin.get(f"/document-slots/edit/{passport.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    fields = {"csrf_token": token, "service": str(service.id), "key": "passport_scan",
              "title": "Паспорт", "accepted": "image", "min_files": "1", "max_files": "1",
              "sort_order": "0", "is_active": "y", "is_personal": "y"}
    renamed = admin.post(f"/document-slots/edit/{passport.id}", data=fields,
                         follow_redirects=True).get_data(as_text=True)
    assert "ключ остаётся" in renamed
    deleted = admin.post(f"/document-slots/delete/{passport.id}", data={"csrf_token": token},
                         follow_redirects=True).get_data(as_text=True)
    assert "Вместо этого выключите документ" in deleted
    db.session.expire_all()
    stored = db.session.get(DocumentSlot, passport.id)
    assert stored is not None and stored.key == "passport" and stored.is_personal
