"""The document checklist's rules (app/document_slots.py): merging, states, the submit guard,
kinds, counts and the admin's slot check."""

import io

import pytest
from werkzeug.datastructures import FileStorage

from app.attachments import attach_files
from app.document_slots import (MissingDocuments, check_slot, check_upload, remove_input_files,
                                require_documents, slot_state, slots_for)
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.intake import create_draft
from app.storage import JPEG, PDF, PNG, UploadError
from app.workflow import transition
from models.document_slots import DocumentSlot
from models.request_status import Action, Status
from models.requests import ATTACH_INPUT, Attachment
from tests.cabinet.filedata import JPEG as JPEG_BYTES
from tests.cabinet.filedata import PDF as PDF_BYTES
from tests.document_slot_data import make_slot
from tests.factories import make_partner, make_service


@pytest.fixture
def two_services(app):
    return make_service("first"), make_service("second")


def draft(owner, *services):
    req = create_draft(owner, owner.profile.partner_company, [s.id for s in services],
                       object_address="Москва", object_type="apartment", area=50,
                       urgency="normal")
    db.session.commit()
    return req


def files(*pairs):
    return [FileStorage(io.BytesIO(data), filename=name) for data, name in pairs]


def test_slots_of_two_services_are_merged_by_key(app, two_services):
    first, second = two_services
    make_slot(first, "bti", "Техпаспорт БТИ", ("pdf", "image"), 1, 3, sort_order=2)
    make_slot(second, "bti", "Техпаспорт", ("pdf", "office"), 2, 2, sort_order=3)
    make_slot(second, "plan", "Поэтажный план", ("pdf",), 0, 1, sort_order=1)
    make_slot(first, "old", "Снятый документ", ("pdf",), 1, 1, is_active=False)
    slots = slots_for([first.id, second.id])
    assert [s.key for s in slots] == ["plan", "bti"]  # by order; the inactive one gone
    bti = slots[1]
    assert (bti.title, bti.accepted, bti.min_files, bti.max_files) == (
        "Техпаспорт БТИ", ("pdf",), 2, 2)  # kinds both take, largest minimum
    assert sorted(bti.service_ids) == sorted([first.id, second.id])
    assert [s.key for s in slots_for([first.id])] == ["bti"]
    assert slots_for([]) == [] and slots_for(["x", None]) == []


def test_kinds_no_service_shares_fall_back_to_all_of_them(app, two_services):
    first, second = two_services
    make_slot(first, "photo", "Фото", ("image",), 1, 1)
    make_slot(second, "photo", "Фото", ("pdf",), 1, 5)
    slot = slots_for([first.id, second.id])[0]
    assert slot.accepted == ("pdf", "image") and slot.max_files == 1


def test_submit_refused_listing_each_missing_document_then_accepted(app, two_services):
    first, second = two_services
    make_slot(first, "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    make_slot(second, "plan", "Поэтажный план", ("pdf", "image"), 2, 2)
    make_slot(second, "photos", "Фото", ("image",), 0, 5)  # optional: never blocks
    owner = make_partner()
    req = draft(owner, first, second)
    with pytest.raises(MissingDocuments) as refused:
        transition(req, Action.SUBMIT, owner)
    assert "Техпаспорт БТИ" in str(refused.value) and "Поэтажный план" in str(refused.value)
    assert "Фото»" not in str(refused.value) and "“Фото”" not in str(refused.value)
    db.session.rollback()
    assert req.status == Status.DRAFT
    attach_files(req, [], owner, ATTACH_INPUT, slot_files={
        "bti": files((PDF_BYTES, "bti.pdf")),
        "plan": files((PDF_BYTES, "1.pdf"), (JPEG_BYTES, "2.jpg"))})
    states = {s.slot.key: s for s in slot_state(req)}
    assert [f.original_name for f in states["plan"].files] == ["1.pdf", "2.jpg"]
    assert states["bti"].satisfied and states["photos"].satisfied
    transition(req, Action.SUBMIT, owner)
    db.session.commit()
    assert req.status == Status.SUBMITTED


def test_a_service_without_slots_submits_as_before(app, two_services):
    owner = make_partner()
    req = draft(owner, two_services[0])
    require_documents(req)
    transition(req, Action.SUBMIT, owner)
    assert req.status == Status.SUBMITTED


def test_check_upload_by_sniffed_type(app, two_services):
    make_slot(two_services[0], "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    slot = slots_for([two_services[0].id])[0]
    check_upload(slot, "a.pdf", PDF)
    for content_type in (JPEG, PNG, "application/zip"):
        with pytest.raises(UploadError, match="Техпаспорт БТИ"):
            check_upload(slot, "a.pdf", content_type)


def test_unknown_key_and_a_full_slot_store_nothing(app, two_services):
    make_slot(two_services[0], "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    owner = make_partner()
    req = draft(owner, two_services[0])
    with pytest.raises(InvalidInput):
        attach_files(req, [], owner, slot_files={"vin": files((JPEG_BYTES, "v.jpg"))})
    with pytest.raises(UploadError):
        attach_files(req, [], owner, slot_files={
            "bti": files((PDF_BYTES, "1.pdf"), (PDF_BYTES, "2.pdf"))})
    assert db.session.query(Attachment).count() == 0


def test_removing_only_the_drafts_own_input_files(app, two_services):
    make_slot(two_services[0], "bti", "Техпаспорт БТИ", ("pdf",), 1, 1)
    owner = make_partner()
    mine, theirs = draft(owner, two_services[0]), draft(make_partner(), two_services[0])
    kept = attach_files(theirs, files((PDF_BYTES, "их.pdf")), owner)[0]
    gone = attach_files(mine, [], owner, slot_files={"bti": files((PDF_BYTES, "мой.pdf"))})[0]
    db.session.commit()
    for bad in ([kept.id], ["x"], [gone.id, 10**12]):
        with pytest.raises(NotFound):
            remove_input_files(mine, bad)
    assert remove_input_files(mine, [str(gone.id)]) == 1
    db.session.commit()
    assert [a.original_name for a in db.session.query(Attachment)] == ["их.pdf"]


@pytest.mark.parametrize("changes", [
    {"key": ""}, {"key": "Техпаспорт"}, {"key": "bti\x00"}, {"key": "a" * 41},
    {"key": "-bti"}, {"title": "  "}, {"accepted": []}, {"accepted": ["pdf", "exe"]},
    {"min_files": 3, "max_files": 2}, {"min_files": -1}, {"max_files": 0},
    {"max_files": 21}, {"min_files": None},
])
def test_check_slot_refuses_bad_input(app, two_services, changes):
    values = dict(service_id=two_services[0].id, key="bti", title="Техпаспорт",
                  accepted=["pdf"], min_files=1, max_files=1)
    values.update(changes)
    with pytest.raises(InvalidInput):
        check_slot(DocumentSlot(**values))


def test_check_slot_refuses_a_second_slot_with_the_same_key(app, two_services):
    make_slot(two_services[0], "bti")
    with pytest.raises(InvalidInput, match="bti"):
        check_slot(DocumentSlot(service_id=two_services[0].id, key="bti", title="Другой",
                                accepted=["pdf"], min_files=0, max_files=1))
    other = DocumentSlot(service_id=two_services[1].id, key=" bti ", title="Другой",
                         accepted=["image", "pdf"], min_files=0, max_files=1)
    check_slot(other)
    assert (other.key, other.accepted) == ("bti", ["pdf", "image"])
