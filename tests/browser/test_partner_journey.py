"""The partner journey in a real browser (Debian Chromium), at phone and desktop width.

apply → admin approves → first login and password change → calculator → draft from the quote
with two files → submit → manager asks for data → partner answers → status and bell.
"""

import re

import pytest

from app.demo import load_catalog
from app.extensions import db
from app.workflow import assign_manager, transition
from models.request_status import Status
from models.requests import Attachment, Request
from tests.cabinet.filedata import JPEG, PDF
from tests.factories import PASSWORD, make_user, valid_inn
from tests.browser.pages import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
def test_partner_journey(app, server_url, browser, mailbox, jobs, shots, tmp_path, width):
    load_catalog()
    admin = make_user("Admin", username="boss")
    supermanager, manager = make_user("Supermanager"), make_user("Manager")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
    page = context.new_page()

    # 1. public application
    page.goto(f"{server_url}/cabinet/apply")
    page.fill("#company_name", "АН «Ключ»")
    page.fill("#inn", valid_inn(width))
    page.fill("#contact_name", "Ольга Ключева")
    page.fill("#email", f"olga{width}@key.example")
    page.fill("#phone", "+7 900 123-45-67")
    page.check("#consent")
    shots(page, "01-application")
    page.click("button[type=submit]")
    assert "Спасибо" in page.inner_text("main")

    # 2. the admin approves it in the back office
    admin_page = context.new_page()
    sign_in(admin_page, server_url, admin.username, PASSWORD)
    admin_page.goto(f"{server_url}/partner-applications/list/")
    admin_page.check("input.action_check")
    admin_page.click("button.dropdown-toggle:has-text('Действия')")
    admin_page.click(".approve_menu_item")
    admin_page.wait_for_selector("#modal-confirm-ok", state="visible")
    admin_page.click("#modal-confirm-ok")
    admin_page.wait_for_selector(".alert-success")
    assert "одобрена" in admin_page.inner_text(".alert-success")
    shots(admin_page, "02-approved")
    jobs.run()
    body = mailbox.text(mailbox.to(f"olga{width}@key.example")[0])
    login_name = re.search(r"Логин: (\S+)", body).group(1)
    one_time = re.search(r"Одноразовый пароль: (\S+)", body).group(1)

    # 3. first login forces a new password
    context.clear_cookies()
    sign_in(page, server_url, login_name, one_time)
    assert page.url.endswith("/cabinet/password")
    page.fill("#current_password", one_time)
    page.fill("#new_password", "olga-new-pass")
    page.fill("#confirm", "olga-new-pass")
    shots(page, "03-new-password")
    page.click("button[type=submit]")
    assert page.url.endswith("/cabinet/")

    # 4. calculator → request draft from the quote with two files
    page.goto(f"{server_url}/cabinet/calculator")
    page.check("text=Обмерный план помещения")
    page.check("text=Проект перепланировки")
    page.select_option("#object_type", "apartment")  # it sets the price: no default
    page.fill("#area", "64")
    page.click("button[name=calculate]")
    assert "Итого" in page.inner_text("[data-testid=breakdown]")
    shots(page, "04-calculator")
    page.click("button[name=to_request]")
    assert "/cabinet/requests/new?quote=" in page.url
    page.fill("#address", "Москва, ул. Ленина, д. 5, кв. 12")
    page.fill("#new_client_name", "Петров Иван")
    plan, photo = tmp_path / "план.pdf", tmp_path / "фото.jpg"
    plan.write_bytes(PDF)
    photo.write_bytes(JPEG)
    page.set_input_files("#files", [str(plan), str(photo)])
    shots(page, "05-request-form")
    page.click("button[name=save_draft]")
    assert "Черновик" in page.inner_text("[data-testid=status]")

    # 5. submit
    page.click("form[action$='/move/submit'] button")
    assert page.inner_text("[data-testid=status]") == "Принята"
    shots(page, "06-submitted")
    req = db.session.query(Request).filter(Request.object_address.like("%Ленина%")).one()
    assert db.session.query(Attachment).filter_by(request_id=req.id).count() == 2

    # 6. staff: assign and ask for data (through the workflow)
    assign_manager(req, manager, supermanager)
    transition(req, "ask_info", manager, "Пришлите выписку ЕГРН")
    db.session.commit()

    # 7. the partner sees the bell on the list, opens the request (which reads its
    # notifications: the bell drops) and answers
    request_url = page.url
    page.goto(f"{server_url}/cabinet/requests")
    assert int(page.inner_text("[data-testid=bell-count]")) >= 2
    page.goto(request_url)
    assert page.inner_text("[data-testid=status]") == "Нужны данные"
    assert page.locator("[data-testid=bell-count]").count() == 0
    shots(page, "07-needs-info")
    egrn = tmp_path / "выписка.pdf"
    egrn.write_bytes(PDF)
    page.fill("#body", "Выписка во вложении")
    page.set_input_files("#msg-files", [str(egrn)])
    page.click("#thread button[type=submit]")
    assert page.inner_text("[data-testid=status]") == "В обработке"
    shots(page, "08-answered")
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == Status.ASSIGNED

    # 8. the bell lists what happened; English works too
    page.click(".bell")
    assert "менеджеру нужны от вас данные" in page.inner_text("main")
    page.goto(f"{server_url}/lang/en")
    page.goto(f"{server_url}/cabinet/requests")
    assert "Processing" in page.inner_text("main")
    shots(page, "09-english-list")
    context.close()
