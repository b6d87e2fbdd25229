"""Finding 10: disguised and dangerous uploads, per-request limits, clean names, safe downloads."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import quote, unquote

import pytest

from app.extensions import db
from app.settings import get_setting, set_setting
from app.storage import path_of
from app.validators import clean_filename
from models.request_status import Status
from models.requests import Attachment, Message
from tests.cabinet.filedata import JPEG, PDF, docx
from tests.factories import (Staff, add_package, as_user, csrf_token, form_token, login,
                             make_partner, make_request, make_user, post)

HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
BAT = b"@echo off\r\ndel /q C:\\*\r\n"


def ole(installer: bool) -> bytes:
    """A minimal OLE compound file; its root CLSID marks a Windows Installer package or not."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # 512-byte sectors
    header[0x30:0x34] = (0).to_bytes(4, "little")  # directory starts at sector 0
    root = bytearray(512)
    root[:10] = "Root".encode("utf-16-le") + b"\x00\x00"
    if installer:  # {000C1084-0000-0000-C000-000000000046}
        root[0x50:0x60] = bytes.fromhex("84100c0000000000c000000000000046")
    return bytes(header + root)


def zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


def xlsx() -> bytes:
    return zip_of("[Content_Types].xml", "xl/workbook.xml")


FORBIDDEN = [  # (content, name) — the files of the finding, then disguised ones
    (HTML, "run.hta"), (BAT, "script.bat"), (SVG, "plan.svg"), (HTML, "drawing.html"),
    (ole(True), "setup.msi"), (zip_of("META-INF/MANIFEST.MF", "a.class"), "app.jar"),
    (ole(True), "setup.doc"), (zip_of("META-INF/MANIFEST.MF"), "app.docx"),
    (xlsx(), "report.docx"), (zip_of("[Content_Types].xml", "x/y.xml"), "empty.docx"),
    (HTML, "scan.pdf"), (JPEG, "photo.png"), (PDF, "noextension"),
    # an Office package that is a Java archive too, or carries a web page (both accepted)
    (zip_of("[Content_Types].xml", "word/document.xml", "_rels/.rels", "META-INF/MANIFEST.MF",
            "x.class"), "jar.docx"),
    (zip_of("[Content_Types].xml", "word/document.xml", "index.html"), "page.docx"),
]


@pytest.fixture
def uploads_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def owner(app):
    return make_partner(username="owner")


@pytest.fixture
def thread(app, owner, uploads_dir):
    """A submitted request of `owner` and a signed-in client ready to send messages."""
    req = make_request(owner, Status.SUBMITTED)
    client = app.test_client()
    login(client, owner.username)
    return req, client


def send(client, req, files, body="Файлы"):
    """Post a message with files; the page the partner lands on."""
    data = {"body": body, "files": [(io.BytesIO(c), n) for c, n in files]}
    return post(client, f"/cabinet/requests/{req.id}/message", data,
                content_type="multipart/form-data", follow=True).get_data(as_text=True)


def raw_multipart(fields: dict, name: str, content: bytes) -> tuple[bytes, str]:
    """A body whose file name travels as RFC 2231 `filename*` (CR/LF/NUL percent-encoded),
    the way a crafted client smuggles them past the part headers."""
    boundary = "replan-fuzz-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
             f"{value}\r\n".encode() for key, value in fields.items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                 f"filename*=UTF-8''{quote(name, safe='')}\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + content
                 + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def send_raw(client, req, name: str, content: bytes) -> str:
    body, content_type = raw_multipart({"body": "Файл", "csrf_token": form_token(client)},
                                       name, content)
    return client.post(f"/cabinet/requests/{req.id}/message", data=body,
                       content_type=content_type, follow_redirects=True).get_data(as_text=True)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def nothing_kept(req, root) -> bool:
    db.session.expire_all()
    return (db.session.query(Attachment).filter_by(request_id=req.id).count() == 0
            and db.session.query(Message).filter_by(request_id=req.id).count() == 0
            and stored_files(root) == [])


def test_each_dangerous_or_disguised_file_is_refused_by_name(thread, uploads_dir):
    """Every forbidden file through one signed-in thread; fails listing each file name not
    named in the refusal or with anything kept (a file kept also fails the names after it)."""
    req, client = thread
    wrong = []
    for content, name in FORBIDDEN:
        page = send(client, req, [(content, name)])
        if name not in page:  # the message names the file
            wrong.append((name, "not named"))
        if not nothing_kept(req, uploads_dir):
            wrong.append((name, "something kept"))
    assert wrong == []


def test_every_bad_file_of_a_submission_is_named_at_once_and_an_empty_one_as_empty(
        thread, uploads_dir):
    """One at a time, the next bad file showed only once the first was gone, and an empty
    file was called "not a plan, photo, PDF or office document"."""
    req, client = thread
    page = send(client, req, [(PDF, "plan.pdf"), (b"MZ\x90\x00", "setup.pdf"),
                              (b"", "empty.pdf")])
    assert "«setup.pdf» — не план" in page and "Файл «empty.pdf» пустой" in page
    assert "«plan.pdf»" not in page
    assert nothing_kept(req, uploads_dir)


def test_one_bad_file_refuses_the_whole_submission(thread, uploads_dir):
    req, client = thread
    page = send(client, req, [(PDF, "plan.pdf"), (docx(), "act.docx"), (HTML, "run.hta")])
    assert "run.hta" in page and "PDF, JPEG, PNG" in page
    assert nothing_kept(req, uploads_dir)


def test_accepted_kinds_are_stored(thread, uploads_dir):
    req, client = thread
    send(client, req, [(PDF, "plan.pdf"), (docx(), "act.docx"), (xlsx(), "sheet.xlsx"),
                       (ole(False), "old.doc"), (JPEG, "photo.JPG")])
    rows = db.session.query(Attachment).filter_by(request_id=req.id).all()
    assert sorted(r.original_name for r in rows) == ["act.docx", "old.doc", "photo.JPG",
                                                     "plan.pdf", "sheet.xlsx"]
    assert len(stored_files(uploads_dir)) == 5


def test_more_files_than_allowed_are_refused(thread, uploads_dir):
    req, client = thread
    assert get_setting("upload_max_files") == 20
    page = send(client, req, [(PDF, f"p{i}.pdf") for i in range(21)])
    assert "21" in page and "20" in page
    assert nothing_kept(req, uploads_dir)


def test_total_size_over_the_limit_is_refused(thread, uploads_dir):
    req, client = thread
    set_setting("upload_max_total_mb", 1)
    db.session.commit()
    part = PDF + b"0" * 600_000
    page = send(client, req, [(part, "a.pdf"), (part, "b.pdf")])
    assert "1.1" in page or "1,1" in page  # "the files together take 1.1 MB; at most 1"
    assert nothing_kept(req, uploads_dir)


def test_a_body_far_over_the_limit_is_cut_off_unread(thread, uploads_dir):
    req, client = thread
    set_setting("upload_max_total_mb", 1)
    db.session.commit()
    data = {"body": "x", "csrf_token": "x",
            "files": [(io.BytesIO(PDF + b"0" * 4_000_000), "huge.pdf")]}
    response = client.post(f"/cabinet/requests/{req.id}/message", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert nothing_kept(req, uploads_dir)


def test_files_of_a_rolled_back_submission_leave_no_orphans(app, owner, uploads_dir):
    """A later step failing after the files were written (here: the workflow refusing the
    answer) rolls back, and the written files are deleted too."""
    import io as _io

    from werkzeug.datastructures import FileStorage

    from app.attachments import attach_files

    req = make_request(owner, Status.SUBMITTED)
    attach_files(req, [FileStorage(_io.BytesIO(PDF), filename="a.pdf")], owner)
    assert len(stored_files(uploads_dir)) == 1
    db.session.rollback()
    assert stored_files(uploads_dir) == []


@pytest.mark.parametrize("raw, clean", [
    ("plan\r\n.pdf", "plan.pdf"), ("a\x00b\x07c.pdf", "abc.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
    (".hidden.pdf", "hidden.pdf"), ("\r\n\x00.pdf", "file.pdf"), ("..", "file"),
    ("evil\u202egpj.pdf", "evilgpj.pdf"), ("x" * 400 + ".pdf", "x" * 146 + ".pdf"),
])
def test_file_names_are_cleaned(raw, clean):
    assert clean_filename(raw) == clean


def disposition_name(response) -> str:
    value = response.headers["Content-Disposition"]
    assert value.startswith("attachment;")
    return unquote(re.search(r"filename\*=UTF-8''(\S+)", value).group(1))


@pytest.mark.parametrize("raw, clean", [("план\r\n\x00.pdf", "план.pdf"),
                                        ("../../etc/passwd.pdf", "passwd.pdf")])
def test_odd_names_are_stored_clean_and_downloadable(app, thread, uploads_dir, raw, clean):
    req, client = thread
    send_raw(client, req, raw, PDF)
    row = db.session.query(Attachment).filter_by(request_id=req.id).one()
    assert row.original_name == clean
    response = client.get(f"/cabinet/files/{row.id}")
    assert response.status_code == 200 and response.data == PDF
    assert disposition_name(response) == clean
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_names_stored_before_the_fix_still_download(app, owner, uploads_dir):
    staff = Staff()
    req = make_request(owner, Status.ASSIGNED, staff)
    row = Attachment(request=req, uploaded_by_id=owner.id, kind="input", version=1,
                     original_name="старый\r\nфайл\t.pdf", stored_name="ab" + "1" * 30,
                     content_type="application/pdf", size=len(PDF), sha256="0" * 64)
    db.session.add(row)
    db.session.commit()
    path_of(row.stored_name).parent.mkdir(parents=True, exist_ok=True)
    path_of(row.stored_name).write_bytes(PDF)
    for client, url in ((as_user(app, owner), f"/cabinet/files/{row.id}"),
                        (as_user(app, staff.manager), f"/desk/file/{row.id}")):
        response = client.get(url)
        assert response.status_code == 200 and response.data == PDF
        assert disposition_name(response) == "старыйфайл.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def settings_form(page: str) -> dict:
    """Every input of the settings form with its current value."""
    fields = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page))
    fields.pop("payment_before_delivery", None)
    return fields


def test_admin_edits_the_upload_limits_within_ranges(app):
    from app.permissions import ADMIN

    admin = make_user(ADMIN)
    client = as_user(app, admin)
    page = client.get("/settings/").get_data(as_text=True)
    data = settings_form(page)
    data["csrf_token"] = csrf_token(page)
    for bad in ({"upload_max_files": "0"}, {"upload_max_files": "5000"},
                {"upload_max_total_mb": "x"}, {"upload_max_total_mb": "100000"}):
        client.post("/settings/", data={**data, **bad})
        db.session.expire_all()
        assert (get_setting("upload_max_files"), get_setting("upload_max_total_mb")) == (20, 50)
    client.post("/settings/", data={**data, "upload_max_files": "5",
                                    "upload_max_total_mb": "30"})
    db.session.expire_all()
    assert (get_setting("upload_max_files"), get_setting("upload_max_total_mb")) == (5, 30)


@pytest.mark.parametrize("content, name", [(SVG, "plan.svg"), (HTML, "drawing.html"),
                                           (ole(True), "setup.msi")])
def test_staff_uploads_follow_the_same_rules(app, owner, uploads_dir, content, name):
    """The engineer's work files and the manager's package: refused, nothing kept."""
    staff = Staff()  # each kind in a status that accepts it, so only the file is refused
    for user, kind, status in ((staff.engineer, "work", Status.IN_PROGRESS),
                               (staff.manager, "deliverable", Status.ON_REVIEW)):
        req = make_request(owner, status, staff)
        client = as_user(app, user)
        before = (db.session.query(Attachment).filter_by(request_id=req.id).count(),
                  stored_files(uploads_dir))  # the work a review needs (tests.factories)
        page = post(client, f"/desk/{req.id}/upload/{kind}",
                    {"files": [(io.BytesIO(PDF), "ok.pdf"), (io.BytesIO(content), name)]},
                    content_type="multipart/form-data", follow=True).get_data(as_text=True)
        assert name in page and "Ничего не загружено" in page  # the good one neither
        db.session.expire_all()
        assert (db.session.query(Attachment).filter_by(request_id=req.id).count(),
                stored_files(uploads_dir)) == before


def test_ascii_fallback_name_is_never_empty(app, owner, uploads_dir):
    staff = Staff()
    req = make_request(owner, Status.ASSIGNED, staff)
    (row,) = add_package(req, staff.manager, "план.pdf")
    db.session.commit()
    response = as_user(app, staff.manager).get(f"/desk/file/{row.id}")
    assert 'filename="file.pdf"' in response.headers["Content-Disposition"]
    assert disposition_name(response) == "план.pdf"
