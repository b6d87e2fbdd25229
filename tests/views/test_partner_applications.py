"""The back office's partner applications: "Reject…" only by an application under review and
only for the admin (the director reads the list); its column is not a sort link; the POST
refuses a reviewed application with a clear message and the director with 403."""

import re

import pytest

from app.extensions import db
from app.partners import may_review_application
from models.partners import (APPLICATION_APPROVED, APPLICATION_PENDING, APPLICATION_REJECTED,
                             PartnerApplication)
from tests.factories import as_user, make_user, post, valid_inn
from views.partners import PartnerApplicationView

STATES = (APPLICATION_PENDING, APPLICATION_APPROVED, APPLICATION_REJECTED)
LIST = "/partner-applications/list/"


def _application(status: str, n: int) -> PartnerApplication:
    application = PartnerApplication(
        company_name=f"ООО «Заявитель {n}»", inn=valid_inn(700 + n), contact_name="Иван Петров",
        email=f"applicant{n}@firm.example", phone="+7 900 000-00-00", consent=True,
        status=status, reject_reason="Дубликат" if status == APPLICATION_REJECTED else None)
    db.session.add(application)
    db.session.commit()
    return application


@pytest.fixture
def applications(app):
    return {status: _application(status, n) for n, status in enumerate(STATES, start=1)}


def _reject_links(page: str) -> list[str]:
    return re.findall(r'href="/partner-applications/reject/(\d+)"', page)


def _headers(page: str) -> list[str]:
    return re.findall(r"<th>(.*?)</th>", page, re.S)


def test_admin_is_offered_reject_only_for_the_application_under_review(app, applications):
    admin = as_user(app, make_user("Admin"))
    page = admin.get(LIST).get_data(as_text=True)
    assert _reject_links(page) == [str(applications[APPLICATION_PENDING].id)]
    assert page.count("Отклонить…") == 1
    (reject_header,) = [h for h in _headers(page) if "Решение" in h]
    assert "<a " not in reject_header  # a button column is not sorted by
    assert "_oc_PartnerApplicationView=id" not in page
    assert "_oc_PartnerApplicationView=review" not in page
    assert "_oc_PartnerApplicationView=company_name" in page  # the data columns still are


def _approve_forms(page: str) -> list[str]:
    return re.findall(r'action="/partner-applications/action/approve/(\d+)"', page)


def test_the_admin_approves_from_the_row_or_the_page_of_an_application(app, applications):
    """Approving was only the list's bulk action (tick, Actions, Approve, a modal): the row
    and the application's page now carry "Approve" beside "Reject…", asked first."""
    admin = as_user(app, make_user("Admin"))
    pending = applications[APPLICATION_PENDING]
    page = admin.get(LIST).get_data(as_text=True)
    assert _approve_forms(page) == [str(pending.id)]
    assert "Одобрить ООО «Заявитель 1» и отправить владельцу логин по почте?" in page
    shown = admin.get(f"/partner-applications/show/{pending.id}").get_data(as_text=True)
    assert _approve_forms(shown) == [str(pending.id)] and _reject_links(shown)
    decided = admin.get(f"/partner-applications/show/{applications[APPLICATION_APPROVED].id}")
    assert _approve_forms(decided.get_data(as_text=True)) == []
    response = post(admin, f"/partner-applications/action/approve/{pending.id}", {})
    assert response.headers["Location"].endswith(LIST)
    db.session.expire_all()
    stored = db.session.get(PartnerApplication, pending.id)
    assert stored.status == APPLICATION_APPROVED and stored.company is not None
    director = as_user(app, make_user("Director"))
    assert _approve_forms(director.get(
        f"/partner-applications/show/{pending.id}").get_data(as_text=True)) == []


def test_a_sort_by_the_button_column_in_the_url_is_ignored(app, applications):
    admin = as_user(app, make_user("Admin"))
    response = admin.get(LIST + "?_oc_PartnerApplicationView=review"
                                "&_od_PartnerApplicationView=asc")
    assert response.status_code == 200
    assert _reject_links(response.get_data(as_text=True)) == [
        str(applications[APPLICATION_PENDING].id)]


@pytest.mark.parametrize("role", ["Director"])
def test_the_director_reads_the_list_without_any_reject_action(app, applications, role):
    reader = as_user(app, make_user(role))
    page = reader.get(LIST).get_data(as_text=True)
    assert "ООО «Заявитель 1»" in page and "ООО «Заявитель 2»" in page
    assert _reject_links(page) == [] and "Отклонить" not in page
    pending = applications[APPLICATION_PENDING]
    assert reader.get(f"/partner-applications/reject/{pending.id}").status_code == 403
    response = post(reader, f"/partner-applications/reject/{pending.id}",
                    {"reason": "Не подходит"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(PartnerApplication, pending.id).status == APPLICATION_PENDING


@pytest.mark.parametrize("role", ["Supermanager", "Manager", "Engineer"])
def test_other_staff_see_no_list_and_cannot_reject(app, applications, role):
    user = as_user(app, make_user(role))
    assert user.get(LIST).status_code == 403
    pending = applications[APPLICATION_PENDING]
    assert post(user, f"/partner-applications/reject/{pending.id}",
                {"reason": "Не подходит"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(PartnerApplication, pending.id).status == APPLICATION_PENDING


@pytest.mark.parametrize("status", [APPLICATION_APPROVED, APPLICATION_REJECTED])
def test_rejecting_a_reviewed_application_is_refused_with_a_message(app, applications, status):
    admin = as_user(app, make_user("Admin"))
    reviewed = applications[status]
    response = post(admin, f"/partner-applications/reject/{reviewed.id}",
                    {"reason": "Передумали"})
    page = response.get_data(as_text=True)
    assert f"Заявка на партнёрство {reviewed.id} уже рассмотрена." in page
    assert "Отклонить и отправить причину" not in page  # no form for it
    db.session.expire_all()
    stored = db.session.get(PartnerApplication, reviewed.id)
    assert (stored.status, stored.reject_reason) == (
        status, "Дубликат" if status == APPLICATION_REJECTED else None)


def test_the_admin_rejects_the_application_under_review(app, applications):
    admin = as_user(app, make_user("Admin"))
    pending = applications[APPLICATION_PENDING]
    response = post(admin, f"/partner-applications/reject/{pending.id}",
                    {"reason": "ИНН не совпадает с названием"})
    assert response.headers["Location"].endswith(LIST)
    db.session.expire_all()
    stored = db.session.get(PartnerApplication, pending.id)
    assert (stored.status, stored.reject_reason) == (APPLICATION_REJECTED,
                                                     "ИНН не совпадает с названием")
    page = admin.get(LIST).get_data(as_text=True)
    assert _reject_links(page) == []  # nothing under review any more


def test_the_rule_by_role_and_state(app, applications):
    users = {role: make_user(role) for role in ("Admin", "Director", "Supermanager",
                                                 "Manager", "Engineer")}
    allowed = {(role, status) for role, user in users.items() for status in STATES
               if may_review_application(user, applications[status])}
    assert allowed == {("Admin", APPLICATION_PENDING)}


def test_the_export_has_no_button_column(app, applications):
    view = next(v for v in app.appbuilder.baseviews if isinstance(v, PartnerApplicationView))
    admin = make_user("Admin")
    with app.test_request_context():
        _title, columns, rows = view.export_table([], ("id", "asc"), admin)
        headers = [str(column.header) for column in columns]
        rows = list(rows)
    assert headers == ["Подана", "Компания", "ИНН", "Контактное лицо", "E-mail", "Телефон",
                       "Город", "Статус"]
    assert len(rows) == 3 and all(len(row) == len(headers) for row in rows)
