"""The staff side of one request in a real browser, from distribution to the dashboard."""

import json

import pytest

from app.demo import load_catalog
from app.extensions import db
from app.workflow import transition
from models.request_status import Status
from models.requests import Request
from tests.cabinet.filedata import PDF
from tests.factories import PASSWORD, make_partner, make_request, make_user

pytestmark = pytest.mark.browser


def test_staff_journey(app, server_url, browser, shots, tmp_path):
    load_catalog()
    supermanager = make_user("Supermanager", username="chief")
    manager = make_user("Manager", username="maria")
    engineer = make_user("Engineer", username="egor")
    admin, director = make_user("Admin", username="anna"), make_user("Director", username="dir")
    partner = make_partner(username="pavel")
    req = make_request(partner)
    transition(req, "submit", partner)
    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    def sign_in(user):
        context.clear_cookies()
        page.goto(f"{server_url}/login/")
        page.fill("#username", user.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")

    def act(action, comment=None):
        form = page.locator(f"form.replan-move:has(button[data-action='{action}'])")
        if comment:
            form.locator("textarea").fill(comment)
        form.locator("button").click()
        page.wait_for_selector(".alert-success")

    def upload(kind, name):
        path = tmp_path / name
        path.write_bytes(PDF)
        page.set_input_files(f"form[action$='/upload/{kind}'] input[type=file]", str(path))
        page.click(f"form[action$='/upload/{kind}'] button")
        page.wait_for_selector(".alert-success")

    # supermanager assigns from the queue
    sign_in(supermanager)
    page.goto(f"{server_url}/distribution/")
    page.check(f"input[name=request_id][value='{req.id}']")
    page.select_option("select[name=manager_id]", str(manager.id))
    shots(page, "01-queue")
    page.click("text=Назначить отмеченные")
    assert "Назначено: 1" in page.inner_text(".alert-success")

    # manager asks the partner for data; the partner answers
    sign_in(manager)
    page.goto(f"{server_url}/desk/")
    page.click(f"text={req.number}")
    act("ask_info", "Пришлите техпаспорт БТИ")
    shots(page, "02-asked")
    db.session.expire_all()
    transition(db.session.get(Request, req.id), "answer", partner, "Техпаспорт во вложении")
    db.session.commit()

    # manager books the suggested engineer in one click
    page.reload()
    page.click("[data-testid=suggestions] button[data-book='egor']")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("[data-testid=status]") == "Запланирована"
    shots(page, "03-booked")

    # engineer starts, uploads work and submits for review
    sign_in(engineer)
    page.goto(f"{server_url}/desk/{req.id}")
    act("start")
    upload("work", "обмерный план.pdf")
    act("submit_review")
    shots(page, "04-engineer")

    # manager returns for rework once, the engineer resubmits, the manager accepts
    sign_in(manager)
    page.goto(f"{server_url}/desk/{req.id}")
    act("return", "Нет размеров проёма")
    sign_in(engineer)
    page.goto(f"{server_url}/desk/{req.id}")
    act("submit_review")
    sign_in(manager)
    page.goto(f"{server_url}/desk/{req.id}")
    act("accept")
    upload("deliverable", "Проект.pdf")
    shots(page, "05-accepted")

    # admin marks the payment
    sign_in(admin)
    page.goto(f"{server_url}/desk/{req.id}")
    db.session.expire_all()
    total = db.session.get(Request, req.id).total_kopecks / 100
    page.fill("#amount", f"{total:.2f}")
    page.fill("#paid_on", "2026-11-20")
    page.fill("#document", "п/п 451")
    page.click("text=Отметить оплату")
    page.wait_for_selector(".alert-success")
    shots(page, "06-paid")

    # manager delivers
    sign_in(manager)
    page.goto(f"{server_url}/desk/{req.id}")
    act("deliver")
    assert page.inner_text("[data-testid=status]") == "Выдана"
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.DELIVERED

    # the director sees it on the dashboard
    sign_in(director)
    page.goto(f"{server_url}/dashboard/")
    page.wait_for_function("document.querySelectorAll('canvas').length > 0")
    charts = json.loads(page.inner_text("#chart-data"))
    assert dict(charts["status"])["Выдана"] == 1
    assert dict(charts["partners"])[partner.profile.partner_company.name] == total
    shots(page, "07-dashboard")

    # at phone width no back-office page scrolls sideways (wide tables scroll in their box)
    page.set_viewport_size({"width": 375, "height": 800})
    for user, paths in ((supermanager, ("/desk/", "/distribution/", "/requests/list/",
                                        "/schedule/")),
                        (admin, ("/jobs/", "/services/list/", f"/desk/{req.id}"))):
        sign_in(user)
        for path in paths:
            page.goto(f"{server_url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        shots(page, f"08-phone-{user.username}")
    context.close()
