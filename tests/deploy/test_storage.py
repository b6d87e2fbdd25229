"""The file store interface: local disk by default (atomic put, nothing left half-written),
and another backend plugs in through STORES without touching app.storage's callers."""

import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from app import file_store as file_store_module
from app.file_store import LocalDiskStore, file_store
from app.storage import UploadError, discard, path_of, save_upload, send_stored
from tests.cabinet.filedata import EXE, PDF


def upload(content: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


def test_local_store_keeps_the_file_under_upload_dir_and_nothing_in_incoming(app):
    stored = save_upload(upload(PDF, "plan.pdf"))
    path = path_of(stored.stored_name)
    assert path == Path(app.config["UPLOAD_DIR"]) / stored.stored_name[:2] / stored.stored_name
    assert path.read_bytes() == PDF
    assert list((Path(app.config["UPLOAD_DIR"]) / ".incoming").iterdir()) == []
    discard(stored.stored_name)
    assert not path.exists()


def test_a_refused_upload_leaves_no_file_anywhere(app):
    root = Path(app.config["UPLOAD_DIR"])
    before = {p for p in root.rglob("*") if p.is_file()}
    with pytest.raises(UploadError):
        save_upload(upload(EXE, "plan.pdf"))
    assert {p for p in root.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("name", ["../../etc/passwd", "ab/../../x", "", "A" * 32])
def test_the_local_store_refuses_names_it_did_not_make(tmp_path, name):
    store = LocalDiskStore(tmp_path)
    with pytest.raises(FileNotFoundError):
        store.open(name)
    store.delete(name)  # nothing to delete, no error, nothing outside the root touched


class MemoryStore:
    """What an S3-compatible backend would look like to Replan: put, open, delete."""

    objects: dict = {}

    @classmethod
    def from_config(cls, config):
        return cls()

    def put(self, stored_name, source):
        self.objects[stored_name] = Path(source).read_bytes()
        Path(source).unlink()

    def open(self, stored_name):
        return io.BytesIO(self.objects[stored_name])

    def delete(self, stored_name):
        self.objects.pop(stored_name, None)


def test_another_backend_plugs_in_through_stores(app, monkeypatch):
    monkeypatch.setitem(file_store_module.STORES, "memory", MemoryStore)
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "memory")
    assert isinstance(file_store(), MemoryStore)
    stored = save_upload(upload(PDF, "plan.pdf"))
    assert MemoryStore.objects[stored.stored_name] == PDF
    with app.test_request_context("/"):
        response = send_stored(stored.stored_name, "plan.pdf", "application/pdf")
        response.direct_passthrough = False
        assert response.get_data() == PDF
    discard(stored.stored_name)
    assert stored.stored_name not in MemoryStore.objects


def test_an_unknown_backend_is_a_clear_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "s3")
    with pytest.raises(RuntimeError, match="REPLAN_STORAGE='s3' is not one of local"):
        file_store()
