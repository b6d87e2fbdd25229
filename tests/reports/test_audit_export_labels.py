"""The director's Excel report of the audit log says what the back office's log says: the
action, the object and the details through their translated labels (app.audit_labels), in
the reader's language, never the stored codes."""

import ast
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.audit_labels import ACTIONS
from app.extensions import db
from models.request_status import Status
from tests.factories import as_user, form_token, make_partner, make_request, make_user

ROOT = Path(__file__).resolve().parents[2]


def audit_sheet(app, locale: str) -> list[list[str]]:
    director = as_user(app, make_user("Director", locale=locale))
    today = (date.today() + timedelta(days=1)).isoformat()
    response = director.post("/reports/run", data={
        "csrf_token": form_token(director), "report": "audit", "from": "2000-01-01",
        "to": today})
    assert response.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    return [[str(c.value) if c.value is not None else "" for c in row]
            for row in ws.iter_rows(min_row=2)]


@pytest.mark.parametrize("locale, action, model, words", [
    ("ru", "Статус изменён", "Заявка", ("Действие: Отправить", "Подана")),
    ("en", "Status changed", "Request", ("Action: Submit", "To: Submitted"))])
def test_the_audit_sheet_shows_labels_in_the_readers_language(app, staff, locale, action,
                                                              model, words):
    make_request(make_partner(), Status.SUBMITTED, staff)
    rows = audit_sheet(app, locale)
    moves = [row for row in rows if row[2] == action]
    assert len(moves) == 1, rows
    row = moves[0]
    assert row[3] == model
    for word in words:
        assert word in row[6], row[6]
    assert "status_move" not in row[2] and "to_status" not in row[6]


def recorded_actions() -> set[str]:
    """Every action the source records: record("x", …), the generic record_* helpers'
    _record_details("x", …) and user_admin's _event("x", …), ternaries included."""
    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return strings(node.body) | strings(node.orelse)
        return set()

    found = set()
    for package in ("app", "views", "cabinet", "reports"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and node.args:
                    func = node.func
                    name = getattr(func, "id", None) or getattr(func, "attr", None)
                    if name in ("record", "_record_details", "_event"):
                        found |= strings(node.args[0])
    for_loops = {"user_role_changed", "user_email_changed"}  # app.user_admin's table
    return found | for_loops


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    assert "status_move" in actions and "webhook_created" in actions  # the scan works
    assert sorted(actions - set(ACTIONS)) == []


def test_detail_values_are_read_as_people_read_them(app):
    """Codes, logins and ISO dates in the details (the Excel sheet showed "vacation",
    "invoice", "engineer1", "2026-11-29T15:00:00"): labels, the person's name, dates as the
    page's language writes them."""
    from flask_babel import force_locale

    from app.audit_labels import detail_lines

    engineer = make_user("Engineer")
    engineer.first_name, engineer.last_name = "Пётр", "Смирнов"
    db.session.commit()
    with app.test_request_context(), force_locale("ru"):
        entry = detail_lines("schedule_entry", "ScheduleEntry", {"kind": "vacation"})
        booking = detail_lines("booking", "Request", {"engineer": engineer.username,
                                                      "start": "2026-12-02T10:00:00"})
        issued = detail_lines("document_issued", "Request", {"kind": "invoice"})
        paid = detail_lines("record_updated", "Payment", {"paid_on": ["2026-11-01",
                                                                      "2026-11-29"]})
    assert entry[0].endswith(": Отпуск"), entry
    assert booking[0].endswith(": Пётр Смирнов") and booking[1].endswith(": 02.12.2026 10:00")
    assert issued[0].endswith(": Счёт (PDF)"), issued
    assert paid[0].endswith(": 01.11.2026 → 29.11.2026"), paid
