"""The staff side of one request in a real browser, from distribution to the dashboard."""

import json

import pytest

from app.demo import load_catalog
from app.extensions import db
from app.workflow import transition
from models.request_status import Status
from models.requests import Request
from tests.cabinet.filedata import PDF
from tests.factories import make_partner, make_request, make_user
from tests.browser import pages

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
        pages.sign_in(page, server_url, user.username)

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
    # on a phone the booking table scrolls in its box, its hidden texts too: the page not
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 900})
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


# every back-office page kind, for the role that uses it: (role's demo login, kind, path)
PAGE_KINDS = [
    ("manager1", "desk", "/desk/"),
    ("manager1", "desk-filtered", "/desk/?payment=unpaid&date_by=created&from=2020-01-01"),
    ("manager1", "request", "/desk/{request_id}"),
    ("manager1", "schedule", "/schedule/"),
    ("manager1", "requests-list", "/requests/list/"),
    ("engineer1", "desk", "/desk/"),
    ("engineer1", "schedule", "/schedule/"),
    ("supermanager", "distribution", "/distribution/"),
    ("supermanager", "requests-list", "/requests/list/"),
    ("supermanager", "requests-filtered", "/requests/list/?_flt_0_company={company_id}"
                                          "&_flt_0_payment_state=unpaid"),
    ("supermanager", "request-show", "/requests/show/{request_id}"),
    ("director", "dashboard", "/dashboard/"),
    ("director", "reports", "/reports/"),
    ("director", "status-history", "/status-history/list/"),
    ("admin", "settings", "/settings/"),
    ("admin", "jobs", "/jobs/"),
    ("admin", "services-list", "/services/list/"),
    ("admin", "service-edit", "/services/edit/{service_id}"),
    ("admin", "audit", "/audit/list/"),
    ("admin", "profile", "/my-profile/"),
]
# buttons and links outside any box that scrolls sideways but past the screen's edge
UNREACHABLE_BUTTONS = """() => [...document.querySelectorAll(
    'button, .btn, input[type=submit], .pager a')].filter(b => {
  const r = b.getBoundingClientRect();
  if (!r.width || !r.height || getComputedStyle(b).visibility === 'hidden') return false;
  for (let p = b.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return false;
  }
  return r.left < -1 || r.right > window.innerWidth + 1;
}).map(b => b.outerHTML.slice(0, 120))"""


@pytest.mark.audit  # every page kind at two widths with screenshots: `make audit`
def test_back_office_pages_fit_a_phone(app, server_url, browser):
    """At 375 px no page scrolls sideways and every button is on screen; screenshots of each
    page kind at 375 and 1280 px go to test-artifacts/ (role-page-width.png)."""
    from app.demo import DEMO_PASSWORD, load_demo
    from models.catalog import Service
    from tests.browser.conftest import ARTIFACTS

    load_demo()
    db.session.commit()
    from flask_appbuilder.security.sqla.models import User

    manager_request = db.session.query(Request).join(Request.manager).filter(
        User.username == "manager1", Request.status != Status.DRAFT).order_by(
        Request.id).first()
    ids = {"request_id": manager_request.id, "company_id": manager_request.company_id,
           "service_id": db.session.query(Service.id).order_by(Service.id).first()[0]}
    folder = ARTIFACTS.parent
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    too_wide, unreachable, signed_in = [], [], None
    for login, kind, path in PAGE_KINDS:
        if login != signed_in:
            context.clear_cookies()
            page.set_viewport_size({"width": 1280, "height": 900})
            pages.sign_in(page, server_url, login, DEMO_PASSWORD)
            page.wait_for_load_state()
            signed_in = login
        url = server_url + path.format(**ids)
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 800})
            response = page.goto(url)
            assert response.status == 200, (login, path)
            page.screenshot(path=str(folder / f"{login}-{kind}-{width}.png"), full_page=True)
            if width == 375:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > 375:
                    too_wide.append((login, path, scroll))
                off_screen = page.evaluate(UNREACHABLE_BUTTONS)
                if off_screen:
                    unreachable.append((login, path, off_screen))
            if kind == "requests-filtered":  # FAB drew the active filters with our choices
                choices = page.locator("#filter_form select[name=_flt_0_company] option")
                assert manager_request.company.name in choices.all_inner_texts()
                assert page.locator("#filter_form select[name=_flt_0_payment_state]").count()
    context.close()
    assert not too_wide, too_wide
    assert not unreachable, unreachable
