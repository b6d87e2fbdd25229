"""Admin screens (payments, companies, catalogue, KB, settings, users, audit) and the director."""

import json
import re

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.settings import get_setting
from models.audit import AuditEvent
from models.catalog import Service
from models.knowledge import KbArticle, KbCategory
from models.partners import PartnerCompany
from models.request_status import Status
from models.requests import Request
from tests.factories import as_user, login, make_partner, make_request, make_user, post
from views.audit_log import ACTIONS




def test_payment_date_is_the_bureaus_today_and_never_later(app, staff, monkeypatch):
    """At 22:30 UTC it is already tomorrow in Moscow (the bureau's zone): the form offers
    Moscow's date, and a date after it is refused with a message, nothing stored."""
    from datetime import datetime

    from app import timefmt

    monkeypatch.setattr(timefmt, "utcnow", lambda: datetime(2026, 11, 28, 22, 30))
    req = make_request(make_partner(), Status.READY, staff)
    admin = as_user(app, make_user("Admin"))
    page = admin.get(f"/desk/{req.id}").get_data(as_text=True)
    assert re.search(r'id="paid_on"[^>]*value="2026-11-29"', page)
    refused = post(admin, f"/desk/{req.id}/payment", {"amount": "100", "paid_on": "2026-11-30",
                                                      "document": "п/п 9"}, follow=True)
    assert "Дата оплаты не может быть позже сегодняшней." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).payments == []
    post(admin, f"/desk/{req.id}/payment", {"amount": "100", "paid_on": "2026-11-29",
                                            "document": "п/п 9"})
    db.session.expire_all()
    assert [(str(p.paid_on), p.amount_kopecks) for p in db.session.get(Request, req.id).payments
            ] == [("2026-11-29", 10000)]


def test_a_payment_dated_years_before_its_request_or_misfilled_is_refused_by_name(app, staff):
    """0001-01-01 was recorded; a form error began "Enter the amount, the date and the
    payment document." above the reason though all three were filled."""
    req = make_request(make_partner(), Status.READY, staff)
    admin = as_user(app, make_user("Admin"))
    page = post(admin, f"/desk/{req.id}/payment", {"amount": "100", "paid_on": "0001-01-01",
                                                   "document": "п/п 9"}, follow=True)
    assert "Дата оплаты больше чем на год раньше заявки" in page.get_data(as_text=True)
    page = post(admin, f"/desk/{req.id}/payment", {"amount": "abc", "paid_on": "2026-11-01",
                                                   "document": "п/п 9"}, follow=True)
    text = page.get_data(as_text=True)
    assert "Сумма, ₽: «abc» — не сумма в рублях" in text
    assert "Укажите сумму, дату и платёжный документ" not in text
    db.session.expire_all()
    assert db.session.get(Request, req.id).payments == []


def test_partial_payments_add_up(app, staff):
    req = make_request(make_partner(), Status.READY, staff)
    total = req.total_kopecks
    admin = as_user(app, make_user("Admin"))
    page = post(admin, f"/desk/{req.id}/payment", {"amount": "-5", "paid_on": "2026-11-01",
                                                   "document": "1"}, follow=True)
    assert "Сумма должна быть больше нуля" in page.get_data(as_text=True)
    post(admin, f"/desk/{req.id}/payment", {"amount": f"{total / 200:.2f}",
                                            "paid_on": "2026-11-01", "document": "п/п 1"})
    db.session.expire_all()
    assert db.session.get(Request, req.id).payment_state == "partial"
    rest = (total - db.session.get(Request, req.id).paid_kopecks) / 100
    post(admin, f"/desk/{req.id}/payment", {"amount": f"{rest:.2f}", "paid_on": "2026-11-02",
                                            "document": "п/п 2"})
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.payment_state, req.paid_kopecks) == ("paid", total)
    assert len(req.payments) == 2
    html = admin.get("/payments/list/").get_data(as_text=True)
    assert "п/п 1" in html and "п/п 2" in html
    assert admin.get(f"/payments/delete/{req.payments[0].id}").status_code in (302, 403, 404,
                                                                              405)
    assert len(db.session.get(Request, req.id).payments) == 2
    for role_user in (staff.manager, staff.supermanager, make_user("Director")):
        post(as_user(app, role_user), f"/desk/{req.id}/payment",
             {"amount": "1", "paid_on": "2026-11-03", "document": "x"})
    db.session.expire_all()
    assert len(db.session.get(Request, req.id).payments) == 2


def test_company_discount_and_block(app):
    partner = make_partner(username="p")
    company = partner.profile.partner_company
    admin = as_user(app, make_user("Admin"))
    url = f"/companies/edit/{company.id}"
    form = admin.get(url).get_data(as_text=True)
    assert company.name in form
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    admin.post(url, data={"csrf_token": token, "name": company.name, "city": "Тверь",
                          "phone": "", "email": "", "discount_percent": "7.5",
                          "is_blocked": "y"})
    db.session.expire_all()
    company = db.session.get(PartnerCompany, company.id)
    assert (company.discount_percent, company.is_blocked) == (7.5, True)
    assert login(app.test_client(), "p", follow=True).request.path == "/login/"
    assert db.session.query(AuditEvent).filter_by(action="record_updated",
                                              object_type="PartnerCompany").count() == 1
    assert admin.get(f"/companies/delete/{company.id}").status_code in (302, 403, 404, 405)
    assert db.session.get(PartnerCompany, company.id) is not None


def test_services_are_edited_not_deleted(app):
    admin = as_user(app, make_user("Admin"))
    form = admin.get("/services/add").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    admin.post("/services/add", data={"csrf_token": token, "code": "bti", "name": "Выписка БТИ",
                                      "base_price_kopecks": "150000",
                                      "price_per_m2_kopecks": "0", "estimated_hours": "1",
                                      "is_active": "y", "sort_order": "9"})
    service = db.session.query(Service).filter_by(code="bti").one()
    assert admin.get(f"/services/delete/{service.id}").status_code in (302, 403, 404, 405)
    assert db.session.query(Service).filter_by(code="bti").count() == 1
    manager = as_user(app, make_user("Manager"))
    assert manager.get("/services/add").status_code in (302, 403)


def test_kb_article_preview_is_sanitized(app):
    category = KbCategory(name="Разное", slug="misc")
    article = KbArticle(category=category, slug="x", title="X",
                        body_md="**Жирный** <img src=x onerror=alert(1)>")
    db.session.add(article)
    db.session.commit()
    html = as_user(app, make_user("Admin")).get(f"/kb-articles/show/{article.id}") \
        .get_data(as_text=True)
    assert "<strong>Жирный</strong>" in html and "onerror" not in html


def test_settings_saved_and_validated(app):
    admin = as_user(app, make_user("Admin"))
    page = admin.get("/settings/").get_data(as_text=True)
    fields = dict(re.findall(r'name="([^"]+)"[^>]*type="(?:text|number)" value="([^"]*)"',
                             page))
    fields["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                     page).group(1)
    fields.update({"upload_max_mb": "0"})
    bad = admin.post("/settings/", data=fields).get_data(as_text=True)
    assert "ничего не сохранено" in bad
    assert get_setting("upload_max_mb") == 20
    # a refused working-days box comes back as typed (it came back empty)
    bad = admin.post("/settings/", data={**fields, "upload_max_mb": "5",
                                         "working_hours-days": "1, 2, 9"}).get_data(as_text=True)
    assert re.search(r'name="working_hours-days"[^>]*value="1, 2, 9"', bad)
    assert "от 1 (понедельник) до 7" in bad and get_setting("upload_max_mb") == 20
    fields.update({"upload_max_mb": "5", "sla_minutes-assigned": "20",
                   "bureau-name": "ООО «Проект»"})
    admin.post("/settings/", data=fields)
    assert get_setting("upload_max_mb") == 5
    assert get_setting("sla_minutes")["assigned"] == 20
    assert get_setting("bureau")["name"] == "ООО «Проект»"
    assert get_setting("payment_before_delivery") is False  # unticked box
    for role in ("Director", "Manager", "Supermanager"):
        assert as_user(app, make_user(role)).get("/settings/").status_code == 403, role


def test_users_with_history_are_not_deleted_and_changes_are_audited(app, staff):
    make_request(make_partner(), Status.ASSIGNED, staff)
    admin = app.test_client()
    login(admin, make_user("Admin").username)  # through the form: the sign-in is audited
    page = admin.get(f"/users/delete/{staff.manager.id}", follow_redirects=True)
    post(admin, f"/users/delete/{staff.manager.id}")
    assert db.session.get(User, staff.manager.id) is not None
    assert page.status_code in (200, 405)
    audit = admin.get("/audit/list/").get_data(as_text=True)
    assert f"<td>{ACTIONS['status_move']}</td>" in audit
    assert f"<td>{ACTIONS['login']}</td>" in audit


def test_director_dashboard_counts_and_period(app, staff):
    partner = make_partner()
    make_request(partner, Status.SUBMITTED, staff)
    make_request(partner, Status.CLOSED, staff)
    director = as_user(app, make_user("Director"))
    html = director.get("/dashboard/").get_data(as_text=True)
    charts = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)'
                                  r'</script>', html, re.S).group(1))
    by_status = dict(charts["status"])
    assert by_status["Подана"] == 1 and by_status["Закрыта"] == 1
    assert sum(v for _k, v in charts["revenue"]) == pytest.approx(
        sum(r.paid_kopecks for r in db.session.query(Request)) / 100)
    assert "chart.umd.min.js" in html and "googleapis" not in html
    empty = director.get("/dashboard/?from=2001-01-01&to=2001-02-01").get_data(as_text=True)
    assert "Нет данных за период" in empty
    bad = director.get("/dashboard/?from=yesterday", follow_redirects=True)
    assert "ГГГГ-ММ-ДД" in bad.get_data(as_text=True)
    for far in ("from=0001-01-01&to=9999-12-31", "from=9999-12-31", "to=0001-01-01"):
        page = director.get(f"/dashboard/?{far}")  # a typo'd century: a message, not a 500
        assert page.status_code == 200 and "2000-01-01" in page.get_data(as_text=True)
    assert as_user(app, staff.manager).get("/dashboard/").status_code in (302, 403)


def test_director_cannot_change_anything(app, staff):
    director = as_user(app, make_user("Director"))
    for url in ("/companies/add", "/services/add", "/kb-articles/add", "/users/add",
                "/settings/"):
        assert director.get(url).status_code in (302, 403, 404), url


def test_kb_template_upload_and_partner_download(app):
    from tests.cabinet.filedata import EXE, docx, upload
    from tests.factories import form_token

    category = KbCategory(name="Шаблоны", slug="tpl")
    article = KbArticle(category=category, slug="power", title="Доверенность", kind="template",
                        body_md="Заполните")
    db.session.add(article)
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    url = f"/kb-articles/template/{article.id}"
    assert "Доверенность" in admin.get(url).get_data(as_text=True)
    page = admin.post(url, data={"csrf_token": form_token(admin),
                                 "file": upload(EXE, "доверенность.docx")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "не план" in page.get_data(as_text=True)
    admin.post(url, data={"csrf_token": form_token(admin),
                          "file": upload(docx(), "доверенность.docx")},
               content_type="multipart/form-data")
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id).template_name == "доверенность.docx"
    partner = app.test_client()
    make_partner(username="pt")
    login(partner, "pt")
    response = partner.get("/cabinet/kb/power/template")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert as_user(app, make_user("Manager")).get(url).status_code in (302, 403)


def test_staff_profile_sets_language_and_email_copies(app, staff):
    from datetime import timedelta

    from app.periodic import send_sla_reminders
    from models.base import utcnow
    from models.notifications import Notification
    from models.outbox import OutboxMessage
    from tests.factories import form_token

    manager = as_user(app, staff.manager)
    assert manager.get("/my-profile/").status_code == 200
    manager.post("/my-profile/", data={"csrf_token": form_token(manager),
                                       "phone": "+7 900 000-00-01", "locale": "en",
                                       "notify_status": "y", "notify_message": "y",
                                       "notify_assignment": "y"})
    req = make_request(make_partner(), Status.ASSIGNED, staff)
    req.status_changed_at = utcnow() - timedelta(days=3)
    db.session.commit()
    db.session.query(OutboxMessage).delete()
    db.session.commit()
    send_sla_reminders()
    note = db.session.query(Notification).filter_by(user_id=staff.manager.id,
                                                    kind="sla").one()
    assert note.text.startswith(f"Request {req.number} has been")  # English, as chosen
    mails = [m.recipient for m in db.session.query(OutboxMessage)]
    assert staff.manager.email not in mails  # SLA e-mails switched off
    assert staff.supermanager.email in mails  # defaults stay on for others
    assert "English" in manager.get("/my-profile/").get_data(as_text=True)
    assert as_user(app, make_partner()).get("/my-profile/").status_code in (302, 403)


def test_payment_typed_as_in_russia_and_overpayment_refused(app, staff):
    req = make_request(make_partner(), Status.READY, staff)
    req.total_kopecks = 3_000_000
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    post(admin, f"/desk/{req.id}/payment", {"amount": "10 000,50", "paid_on": "2026-11-01",
                                            "document": "п/п 1"})
    db.session.expire_all()
    assert db.session.get(Request, req.id).paid_kopecks == 1_000_050
    page = post(admin, f"/desk/{req.id}/payment", {"amount": "21 000", "paid_on": "2026-11-02",
                                                   "document": "п/п 2"}, follow=True)
    assert "к оплате осталось 19\u00a0999,50\u00a0₽" in page.get_data(as_text=True)
    page = post(admin, f"/desk/{req.id}/payment", {"amount": "1,000.50",
                                                   "paid_on": "2026-11-02",
                                                   "document": "п/п 3"}, follow=True)
    assert "не того и другого" in page.get_data(as_text=True)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.paid_kopecks, len(req.payments), req.payment_state) == (1_000_050, 1, "partial")
