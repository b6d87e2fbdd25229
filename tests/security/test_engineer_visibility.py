"""Finding 3: engineers never receive partner-authored or partner-addressed words or contacts.

A marker is planted in every partner-facing text (end client, partner and company contacts,
partner comments, answers and messages, the manager's questions and messages to the
partner), the request walks its whole lifecycle through the real pages, then everything the
engineer can reach is crawled: every GET route with the ids filled in, every link found on
the way, PDFs (pypdf), Excel files (openpyxl), zips; plus the engineer's notifications and
mails. The marker must never appear; the same pages show it to the manager.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from html import unescape
from urllib.parse import urlsplit

from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from app.extensions import db
from app.payments import mark_payment
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.partners import EndClient, PartnerApplication
from models.request_status import Status
from models.requests import Request
from models.service_fields import ServiceField
from tests.factories import (add_package, as_user, make_partner, make_request,
                             valid_inn)

MARK = "zqmark"  # lower case; pages are searched case-insensitively
WORK_TEXT = "Working description of the walls"  # the engineer's data: must stay visible
MAX_PAGES = 2500
SKIP = ("/static/", "logout", "/delete/", "/action/", "/lang/", "/appbuilder/")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"



def plant_partner(staff):
    """A partner whose every contact carries the marker, and a request with a marked client."""
    partner = make_partner()
    partner.first_name, partner.last_name = "Zqmarkivan", "Zqmarkpetrov"
    partner.email = "zqmark.owner@test.example"
    partner.profile.phone = "+7 999 zqmark-1"
    company = partner.profile.partner_company
    company.phone, company.email = "+7 495 zqmark-2", "zqmark.office@test.example"
    client = EndClient(company_id=company.id, name="Zqmark Owner Sidorov",
                       phone="+7 916 zqmark-3", email="zqmark.client@test.example",
                       note="zqmark note about the client")
    db.session.add(client)
    db.session.add(PartnerApplication(
        company_name="Zqmark Realty", inn=valid_inn(4242), contact_name="Zqmark Contact",
        email="zqmark.apply@test.example", phone="+7 903 zqmark-4", city="Zqmarkgrad",
        comment="zqmark application comment", consent=True, company_id=company.id))
    db.session.commit()
    req = make_request(partner, Status.DRAFT, staff, end_client_id=client.id,
                       description=WORK_TEXT)
    # issue 12: a service field marked contact data, its value planted too
    db.session.add(ServiceField(service_id=req.lines[0].service_id, key="owner_name",
                                label="Собственник", field_type="text", is_contact=True))
    req.field_values = {**(req.field_values or {}), "owner_name": "Zqmark Fieldowner"}
    db.session.commit()
    return partner, req


def hidden_fields(page: str, action: str) -> dict:
    """The hidden inputs (CSRF token, one-time nonce, version) of the form posting to action."""
    for form in re.findall(r"<form\b(.*?)</form>", page, re.S):
        if f'action="{action}"' in form:
            return {unescape(n): unescape(v) for n, v in re.findall(
                r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form) +
                re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"',
                           form)}
    raise AssertionError(f"no form posting to {action}")


def submit(client, page_url: str, action: str, **fields):
    """Post a form as a browser would: its hidden fields from the page, plus `fields`."""
    page = client.get(page_url).get_data(as_text=True)
    response = client.post(action, data={**hidden_fields(page, action), **fields})
    assert response.status_code in (200, 302), (action, response.status_code)
    return response


def status_of(req) -> str:
    db.session.expire_all()
    return db.session.get(Request, req.id).status


def walk_lifecycle(app, staff, partner, req):
    """Every partner-facing text enters through the pages people use."""
    from app.workflow import assign_manager

    p, m, e = (as_user(app, u) for u in (partner, staff.manager, staff.engineer))
    detail, desk = f"/cabinet/requests/{req.id}", f"/desk/{req.id}"
    submit(p, detail, f"{detail}/move/submit", comment="zqmark partner submit comment")
    assign_manager(db.session.get(Request, req.id), staff.manager, staff.supermanager)
    db.session.commit()
    submit(m, desk, f"{desk}/move/ask_info", comment="zqmark question: call Ivan first")
    assert status_of(req) == Status.NEEDS_INFO
    submit(p, detail, f"{detail}/message", body="zqmark answer: call the owner +7 999")
    assert status_of(req) == Status.ASSIGNED
    submit(p, detail, f"{detail}/message", body="zqmark partner message")
    submit(m, desk, f"{desk}/message", body="zqmark manager message to the partner")
    from app.workflow import transition

    transition(db.session.get(Request, req.id), "schedule", staff.manager,
               engineer=staff.engineer)
    db.session.commit()
    submit(e, desk, f"{desk}/move/start")
    e.post(f"{desk}/upload/work", data={**hidden_fields(e.get(desk).get_data(as_text=True),
                                                        f"{desk}/upload/work"),
                                        "files": [(io.BytesIO(PDF), "walls.pdf")]},
           content_type="multipart/form-data")
    submit(e, desk, f"{desk}/move/submit_review")
    submit(m, desk, f"{desk}/move/return", comment="Internal: measure the kitchen again")
    submit(e, desk, f"{desk}/note", body="Engineer note: kitchen measured")
    submit(e, desk, f"{desk}/move/submit_review")
    submit(m, desk, f"{desk}/move/accept")
    current = db.session.get(Request, req.id)
    mark_payment(current, current.total_kopecks, date.today(), "PP-7", staff.supermanager)
    add_package(current, staff.manager)
    db.session.commit()
    submit(m, desk, f"{desk}/move/deliver")
    submit(p, detail, f"{detail}/move/close", comment="zqmark thanks, closing")
    assert status_of(req) == Status.CLOSED


def text_of(response) -> str:
    """Everything readable in a response: HTML/JSON, PDF text, Excel cells, zip members."""
    data, mimetype = response.data, response.mimetype or ""
    if data.startswith(b"%PDF"):
        try:
            return "\n".join(page.extract_text() or ""
                             for page in PdfReader(io.BytesIO(data)).pages)
        except PdfReadError:  # an uploaded stub, not one of our documents: read the bytes
            return data.decode("latin-1")
    if data.startswith(b"PK"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        if "spreadsheetml" in mimetype or "xl/workbook.xml" in archive.namelist():
            book = load_workbook(io.BytesIO(data), read_only=True)
            return "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                             for v in row if v is not None)
        return "\n".join(archive.namelist()) + "\n".join(
            archive.read(n).decode("utf-8", "ignore") for n in archive.namelist())
    return data.decode("utf-8", "ignore")


def fill(rule, values: dict) -> list[str]:
    """URLs of a GET rule with every argument filled from `values` (all combinations)."""
    urls = [rule.rule]
    for arg in rule.arguments:
        options = values.get(arg) or values["pk"]
        urls = [re.sub(r"<(?:[^:<>]+:)?" + arg + ">", str(v), u) for u in urls for v in options]
    return urls


def seed_urls(app, req, engineer_task_id: int) -> list[str]:
    from models.requests import Attachment, Message, StatusChange

    ids = {req.id, req.end_client_id, req.company_id}
    for model in (Attachment, Message, StatusChange, Notification, EndClient):
        ids |= {row.id for row in db.session.query(model.id)}
    values = {"pk": sorted(i for i in ids if i), "request_id": [req.id],
              "attachment_id": [a.id for a in db.session.query(Attachment.id)],
              "task_id": [engineer_task_id], "fmt": ["json", "download"],
              "document": ["invoice", "act", "card"], "number": [req.number],
              "locale": ["ru"], "name": ["x"], "filename": ["x"], "slug": ["x"],
              "token": ["x"], "quote_id": [1], "group_by": ["status"]}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not any(s in rule.rule for s in SKIP):
            urls += fill(rule, values)
    return urls


def crawl(client, start: list[str]) -> dict[str, str]:
    """Visit the start URLs and every same-site link found; returns url -> readable text."""
    queue, seen, texts, per_path = list(start), set(), {}, {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or any(s in url for s in SKIP) or per_path.get(path, 0) >= 4:
            continue
        seen.add(url)
        per_path[path] = per_path.get(path, 0) + 1
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        texts[url] = text_of(response)
        if response.mimetype == "text/html":
            queue += [unescape(link) for link in re.findall(
                r'(?:href|src|action)="(/[^"#]*)', texts[url])]
    return texts


def test_engineer_never_receives_partner_words(app, staff, jobs, monkeypatch):
    partner, req = plant_partner(staff)
    walk_lifecycle(app, staff, partner, req)
    engineer = as_user(app, staff.engineer)
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 0)  # one export through the job
    task_url = engineer.get("/requests/export").headers["Location"].rstrip("/")
    jobs.run()
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 5000)
    req = db.session.get(Request, req.id)
    texts = crawl(engineer, seed_urls(app, req, int(task_url.rsplit("/", 1)[1])) +
                  [task_url, task_url + "/download"])
    leaks = {url: text[max(0, text.lower().find(MARK) - 80):text.lower().find(MARK) + 80]
             for url, text in texts.items() if MARK in text.lower()}
    assert not leaks, leaks
    # the crawl did reach the engineer's request: page, card PDF, files and the export
    desk, card = texts[f"/desk/{req.id}"], texts[f"/desk/{req.id}/pdf/card"]
    assert WORK_TEXT in desk and "Internal: measure the kitchen again" in desk
    assert req.number in card and WORK_TEXT in card
    assert req.number in texts[task_url + "/download"]
    assert any("/desk/file/" in url for url in texts)
    notes = [n.text for n in db.session.query(Notification).filter_by(
        user_id=staff.engineer.id)]
    mails = [f"{m.subject}\n{m.body}" for m in db.session.query(OutboxMessage).filter_by(
        recipient=staff.engineer.email)]
    assert notes and not [t for t in notes + mails if MARK in t.lower()]


def test_the_same_pages_show_partner_words_to_the_manager(app, staff):
    """The crawler's readers do find the marker where it is allowed (no blind test)."""
    partner, req = plant_partner(staff)
    walk_lifecycle(app, staff, partner, req)
    manager = as_user(app, staff.manager)
    desk = text_of(manager.get(f"/desk/{req.id}")).lower()
    for planted in ("zqmark answer", "zqmark question", "zqmark manager message",
                    "zqmark owner sidorov", "zqmark.owner@test.example", "zqmark fieldowner"):
        assert planted in desk, planted
    card = text_of(manager.get(f"/desk/{req.id}/pdf/card")).lower()
    assert "zqmark owner sidorov" in card and "zqmark question" in card
    assert "zqmark fieldowner" in card
