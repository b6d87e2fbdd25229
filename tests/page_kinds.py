"""Every kind of page Replan serves, per role, over one small world (issue 16).

Shared by the accessibility check (axe-core in Chromium) and the HTML validity check (the Nu
Html Checker): both walk the same list, so a new page kind is added once, here."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.demo import load_catalog
from app.extensions import db
from app.messages import post_staff_message
from app.permissions import ADMIN, DIRECTOR
from app.ui_texts import text_key
from models.partners import PartnerCompany
from models.request_status import Status
from tests.factories import Staff, make_partner, make_request, make_user


@dataclass
class Visitor:
    name: str
    username: str | None  # None: anonymous
    urls: list[str] = field(default_factory=list)


def build_world() -> list[Visitor]:
    """One user per role and requests in the states that make each page show its controls."""
    load_catalog()
    staff = Staff()
    admin, director = make_user(ADMIN), make_user(DIRECTOR)
    partner = make_partner()
    queued = make_request(partner, Status.SUBMITTED)          # distribution queue
    asked = make_request(partner, Status.NEEDS_INFO, staff)   # the partner answers
    working = make_request(partner, Status.IN_PROGRESS, staff)  # engineer uploads
    assigned = make_request(partner, Status.ASSIGNED, staff)  # booking suggestions
    draft = make_request(partner)
    delivered = make_request(partner, Status.DELIVERED, staff)  # documents, package, close
    post_staff_message(staff.manager, asked, "Пришлите техпаспорт")
    db.session.commit()
    company = db.session.query(PartnerCompany).first()
    return [
        Visitor("anonymous", None, ["/login/", "/cabinet/apply", "/cabinet/password-reset"]),
        Visitor("partner", partner.username, [
            "/cabinet/", "/cabinet/requests", "/cabinet/requests/new",
            f"/cabinet/requests/{asked.id}", f"/cabinet/requests/{delivered.id}",
            f"/cabinet/requests/{draft.id}/edit",
            "/cabinet/calculator", "/cabinet/kb", "/cabinet/notifications",
            "/cabinet/profile", "/cabinet/team", "/cabinet/password", "/cabinet/webhooks"]),
        Visitor("manager", staff.manager.username, [
            "/", "/desk/", f"/desk/{assigned.id}", f"/desk/{asked.id}", f"/desk/{delivered.id}",
            "/schedule/",
            "/my-profile/", "/requests/list/", "/notifications/",
            "/on-behalf/", f"/on-behalf/?company={company.id}"]),  # request for a partner
        Visitor("supermanager", staff.supermanager.username, [
            "/distribution/", f"/desk/{queued.id}",
            "/requests/list/?_flt_0_status=submitted"]),  # the search panel open, filtered
        Visitor("engineer", staff.engineer.username, [
            "/desk/", f"/desk/{working.id}", "/schedule/"]),
        Visitor("admin", admin.username, [
            "/companies/list/", f"/companies/show/{company.id}", f"/companies/edit/{company.id}",
            "/users/list/", "/users/add", "/settings/", "/jobs/", "/jobs/outbox/",
            "/services/list/", "/audit/list/", "/kb-articles/add", "/webhooks/",
            # interface texts: a search and one text's editor (app.ui_texts)
            "/texts/?q=engineer", f"/texts/ui/{text_key('Engineer')}",
            "/texts/replace-word?word=engineer&replacement=expert"]),
        Visitor("director", director.username, ["/dashboard/", "/reports/"]),
    ]
