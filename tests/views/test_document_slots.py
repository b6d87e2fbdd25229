"""The document checklist in the back office (issue 12, item 2): the admin edits each
service's documents (audited), the desk shows which file fills which document, and a request
filed on a partner's behalf fills them too."""

import io
import re

import pytest
from werkzeug.datastructures import FileStorage

from app.attachments import attach_files
from app.demo import load_catalog
from app.extensions import db
from app.form_nonce import issue_nonce
from models.audit import AuditEvent
from models.document_slots import DocumentSlot
from models.knowledge import KbArticle, KbCategory
from models.request_status import Status
from models.requests import Attachment, Request
from tests.cabinet.filedata import JPEG, PDF, upload
from tests.document_slot_data import files_on_disk, make_slot, said
from tests.factories import (Staff, as_user, make_company, make_partner, make_request,
                             make_service, make_user, post, walk)

ROLES = ("Admin", "Director", "Supermanager", "Manager", "Engineer")


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture
def admin(app):
    return as_user(app, make_user("Admin", username="boss"))


def slot_form(service, **changes):
    form = {"service": str(service.id), "key": "bti", "title": "Техпаспорт БТИ",
            "title_en": "BTI passport", "hint": "Все страницы", "hint_en": "",
            "accepted": ["pdf", "image"], "min_files": "1", "max_files": "2",
            "kb_article": "", "sort_order": "1", "is_active": "y"}
    form.update(changes)
    return form


@pytest.mark.parametrize("role", ROLES + ("Partner",))
def test_only_the_admin_edits_document_slots(app, role):
    user = make_partner() if role == "Partner" else make_user(role)
    client = as_user(app, user)
    for url in ("/document-slots/list/", "/document-slots/add"):
        response = client.get(url)
        if role == "Admin":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, (role, url)
    assert app.test_client().get("/document-slots/list/").status_code == 302  # to login


def test_admin_adds_a_slot_with_kinds_and_example_audited(app, admin):
    service = make_service("redevelopment")
    category = KbCategory(name="Примеры", slug="examples")
    article = KbArticle(category=category, title="Пример техпаспорта", slug="bti-example")
    db.session.add_all([category, article])
    db.session.commit()
    page = admin.get("/document-slots/add").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'value="pdf"' in page and 'value="drawing"' in page
    assert 'required' not in re.search(r'<ul[^>]*data-kinds.*?</ul>', page, re.S).group(0)
    assert re.search(r'<input[^>]*id="accepted"[^>]*value="pdf"', page)  # label for="accepted"
    assert "Пример техпаспорта" in page  # the KB article is a select
    admin.post("/document-slots/add", data={
        **slot_form(service, kb_article=str(article.id)),
        "csrf_token": _token(admin, "/document-slots/add")})
    slot = db.session.query(DocumentSlot).one()
    assert (slot.key, slot.accepted, slot.min_files, slot.max_files, slot.kb_article_id) == (
        "bti", ["pdf", "image"], 1, 2, article.id)
    event = db.session.query(AuditEvent).filter_by(action="record_created").one()
    assert event.object_type == "DocumentSlot" and event.details["key"] == [None, "bti"]
    listing = admin.get("/document-slots/list/").get_data(as_text=True)
    assert "Техпаспорт БТИ" in listing and "Пример техпаспорта" in listing
    assert "['pdf'" not in listing  # kinds by their names


def test_admin_edits_and_unticks_a_kind(app, admin):
    service = make_service("redevelopment")
    slot = make_slot(service, accepted=("pdf", "image"), max_files=2)
    url = f"/document-slots/edit/{slot.id}"
    admin.post(url, data={**slot_form(service, accepted=["image"], is_active=""),
                          "csrf_token": _token(admin, url)})
    db.session.refresh(slot)
    assert (slot.accepted, slot.is_active) == (["image"], False)
    event = db.session.query(AuditEvent).filter_by(action="record_updated").one()
    assert event.details["accepted"] == [["pdf", "image"], ["image"]]


@pytest.mark.parametrize("changes,english,russian", [
    ({"min_files": "3", "max_files": "2"}, "the minimum not above", "минимум не больше"),
    ({"key": "Техпаспорт"}, "lower-case Latin letters", "строчные латинские"),
    ({"title": "   "}, "This field is required", "Обязательное поле"),  # spaces: no title
    ({"accepted": []}, "Tick at least one kind", "Отметьте хотя бы один"),
    ({"accepted": ["exe"]}, "'exe' is not a valid choice", "&#39;exe&#39;"),
    ({"max_files": "99999999999999"}, "From 1 to 20", "От 1 до 20"),
    ({"min_files": "abc"}, "Not a valid integer", "целое число"),
])
def test_bad_slots_are_refused_with_a_message(app, admin, changes, english, russian):
    service = make_service("redevelopment")
    response = admin.post("/document-slots/add", follow_redirects=True, data={
        **slot_form(service, **changes), "csrf_token": _token(admin, "/document-slots/add")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert english in html or russian in html, changes
    assert db.session.query(DocumentSlot).count() == 0


def test_nul_in_a_slot_field_is_refused(app, admin):
    service = make_service("redevelopment")
    response = admin.post("/document-slots/add", data={
        **slot_form(service, key="bti\x00"), "csrf_token": _token(admin, "/document-slots/add")})
    assert response.status_code == 400
    assert db.session.query(DocumentSlot).count() == 0


def test_a_duplicate_key_of_a_service_is_refused(app, admin):
    service = make_service("redevelopment")
    make_slot(service, "bti")
    html = admin.post("/document-slots/add", follow_redirects=True, data={
        **slot_form(service), "csrf_token": _token(admin, "/document-slots/add")}) \
        .get_data(as_text=True)
    assert said(html, "already has a document with the key", "уже есть документ с ключом")
    assert db.session.query(DocumentSlot).count() == 1


@pytest.fixture
def filled(app):
    """A request with a filled BTI slot and an empty optional photo slot, assigned and
    scheduled (manager and engineer work on it)."""
    staff = Staff()
    owner = make_partner(username="owner")
    service = make_service()  # make_request's service
    make_slot(service, "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    make_slot(service, "photos", "Фото помещений", ("image",), 0, 3)
    req = make_request(owner)
    attach_files(req, [FileStorage(io.BytesIO(PDF), filename="other.pdf")], owner,
                 slot_files={"bti": [FileStorage(io.BytesIO(PDF), filename="паспорт.pdf")]})
    db.session.commit()
    walk(req, Status.SCHEDULED, owner, staff)
    return staff, owner, req


def test_the_desk_shows_which_file_fills_which_document(app, filled):
    staff, owner, req = filled
    viewers = [staff.manager, staff.engineer, staff.supermanager, make_user("Admin"),
               make_user("Director")]
    for user in viewers:
        page = as_user(app, user).get(f"/desk/{req.id}").get_data(as_text=True)
        checklist = page[page.index('data-testid="document-checklist"'):]
        checklist = checklist[:checklist.index("</div></div>")]
        bti = checklist[checklist.index('data-slot="bti"'):checklist.index('data-slot="photos"')]
        assert "Техпаспорт БТИ" in bti and "паспорт.pdf" in bti, user.username
        assert "other.pdf" not in checklist and "Фото помещений" in checklist


def test_the_desk_checklist_is_404_for_staff_outside_the_request(app, filled):
    staff, owner, req = filled
    outsider = make_user("Manager")
    response = as_user(app, outsider).get(f"/desk/{req.id}")
    assert response.status_code == 404 and "паспорт.pdf" not in response.get_data(as_text=True)
    slot_file = db.session.query(Attachment).filter_by(slot_key="bti").one()
    assert as_user(app, outsider).get(f"/desk/file/{slot_file.id}").status_code == 404
    other = as_user(app, make_partner())
    assert other.get(f"/cabinet/files/{slot_file.id}").status_code == 404
    assert as_user(app, owner).get(f"/cabinet/files/{slot_file.id}").status_code == 200


@pytest.fixture
def filing(app):
    load_catalog()
    db.session.commit()
    company = make_company("Агентство А")
    member = make_partner(company, username="owner_a")
    service = make_service()
    make_slot(service, "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    return company, member, service


def on_behalf_form(company, member, service, **changes):
    data = {"company_id": str(company.id), "member_id": str(member.id),
            "object_address": "Москва, Арбат 10", "object_type": "apartment", "area": "45",
            "urgency": "normal", "services": [str(service.id)], "end_client_id": "0",
            "form_nonce": issue_nonce()}
    data.update(changes)
    return data


def test_a_request_for_a_partner_fills_the_documents(app, filing):
    company, member, service = filing
    manager = as_user(app, make_user("Manager"))
    page = manager.get(f"/on-behalf/?company={company.id}").get_data(as_text=True)
    assert 'name="slot-bti"' in page and "Техпаспорт БТИ" in page
    before = files_on_disk(app)
    html = post(manager, "/on-behalf/", on_behalf_form(company, member, service, submit_now="1"),
                content_type="multipart/form-data", follow=True).get_data(as_text=True)
    assert said(html, "Attach the required documents before submitting",
                "Прикрепите обязательные документы") and "Техпаспорт БТИ" in html
    assert db.session.query(Request).count() == 0 and files_on_disk(app) == before
    html = post(manager, "/on-behalf/", on_behalf_form(
        company, member, service, submit_now="1", **{"slot-bti": upload(JPEG, "фото.jpg")}),
        content_type="multipart/form-data").get_data(as_text=True)
    assert said(html, "cannot go into", "нельзя положить")
    assert db.session.query(Request).count() == 0 and files_on_disk(app) == before
    post(manager, "/on-behalf/", on_behalf_form(
        company, member, service, submit_now="1", **{"slot-bti": upload(PDF, "bti.pdf")}),
        content_type="multipart/form-data")
    req = db.session.query(Request).one()
    assert req.status == Status.ASSIGNED  # submitted and taken by the filing manager
    assert db.session.query(Attachment).one().slot_key == "bti"


def test_an_unknown_example_article_is_named_in_the_admins_language(app, admin):
    """A KB article deleted meanwhile (or a forged id) answered FAB's untranslated "Not a
    valid choice" on the Russian form."""
    service = make_service("redevelopment")
    page = post(admin, "/document-slots/add", {
        **slot_form(service, kb_article="987654"),
        "csrf_token": _token(admin, "/document-slots/add")}).get_data(as_text=True)
    assert "Выберите значение из списка." in page and "Not a valid choice" not in page
    assert db.session.query(DocumentSlot).count() == 0
