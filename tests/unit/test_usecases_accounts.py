"""Account, onboarding, settings, schedule and catalogue use cases called directly."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from flask_appbuilder.security.sqla.models import User
from flask_login import AnonymousUserMixin
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound
from werkzeug.security import check_password_hash

from app.accounts import (AccountError, change_own_password, reset_forgotten_password,
                          update_profile)
from app.auth_tokens import issue_token, look_up
from app.catalogue import replace_kb_template
from app.errors import DomainError, Refused
from app.extensions import db
from app.partners import (OnboardingError, approve_application, file_application,
                          reject_application, split_full_name)
from app.permissions import ADMIN
from app.scheduling import delete_own_entry, save_own_entry
from app.settings import DEFAULTS, get_setting, save_settings
from app.storage import path_of
from app.uow import unit_of_work
from models.audit import AuditEvent
from models.knowledge import KbArticle, KbCategory
from models.outbox import OutboxMessage
from models.partners import (APPLICATION_APPROVED, APPLICATION_PENDING, APPLICATION_REJECTED,
                             PartnerApplication, PartnerCompany)
from models.schedule import ScheduleEntry
from models.security import TOKEN_PASSWORD_RESET
from tests.concurrency import at_once, pause_after
from tests.factories import PASSWORD, Staff, make_partner, make_user, valid_inn

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NEW_PASSWORD = "orange tractor quietly sings"


def actions() -> list[str]:
    return [event.action for event in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def mails_to(address: str) -> list[str]:
    return [m.kind for m in db.session.query(OutboxMessage).filter_by(recipient=address)]


def test_own_password_needs_the_current_one_and_a_new_one(app):
    user = make_partner()
    with pytest.raises(AccountError) as wrong, unit_of_work():
        change_own_password(user, "not it", NEW_PASSWORD)
    assert wrong.value.field == "current_password"
    with pytest.raises(AccountError) as same, unit_of_work():
        change_own_password(user, PASSWORD, PASSWORD)
    assert same.value.field == "new_password"
    assert actions() == []
    with unit_of_work():
        change_own_password(user, PASSWORD, NEW_PASSWORD)
    assert check_password_hash(db.session.get(User, user.id).password, NEW_PASSWORD)
    assert actions() == ["password_change"]


def test_a_reset_link_sets_the_password_once(app):
    user = make_partner()
    raw = issue_token(user.id, TOKEN_PASSWORD_RESET)
    db.session.commit()
    with unit_of_work():
        reset_forgotten_password(look_up(raw, TOKEN_PASSWORD_RESET)[1], user, NEW_PASSWORD)
    assert check_password_hash(db.session.get(User, user.id).password, NEW_PASSWORD)
    with pytest.raises(DomainError), unit_of_work():
        reset_forgotten_password(look_up(raw, TOKEN_PASSWORD_RESET)[1], user, "another one x1")
    assert check_password_hash(db.session.get(User, user.id).password, NEW_PASSWORD)


def test_profile_changes_and_an_e_mail_change_only_with_the_password(app):
    user = make_partner()
    with pytest.raises(AccountError) as refused, unit_of_work():
        update_profile(user, "+7 900 1", "en", {"status": False}, email="new@test.example")
    assert refused.value.field == "current_password" and actions() == []
    with unit_of_work():
        pending = update_profile(user, "+7 900 1", "en", {"status": False},
                                 names=("Анна", "Петрова"), email="New@Test.example ",
                                 current_password=PASSWORD)
    user = db.session.get(User, user.id)
    assert pending == "new@test.example" and user.email != pending  # only after the link
    assert (user.first_name, user.profile.phone, user.profile.locale) == (
        "Анна", "+7 900 1", "en")
    assert not user.profile.wants_email("status")
    assert mails_to("new@test.example") == ["email_change"]
    assert actions() == ["profile_update", "email_change_requested"]


def test_a_staff_profile_is_created_on_first_save(app):
    engineer = Staff().engineer
    db.session.delete(engineer.profile)
    db.session.commit()
    with unit_of_work():
        assert update_profile(engineer, None, "en", {"sla": True}) is None
    assert db.session.get(User, engineer.id).profile.locale == "en"


APPLICATION = {"company_name": "ООО Тест", "contact_name": "Иван Иванов",
               "email": "Boss@Firm.example", "phone": "+7 900 000-00-00", "city": "Москва"}


def test_an_application_is_filed_screened_after_commit_and_a_duplicate_inn_refused(app):
    values = dict(APPLICATION, inn=valid_inn(900))
    with unit_of_work():
        application = file_application(values)
    application = db.session.get(PartnerApplication, application.id)
    assert (application.email, application.status, application.consent) == (
        "boss@firm.example", APPLICATION_PENDING, True)
    assert actions() == ["application_filed"]
    with pytest.raises(OnboardingError), unit_of_work():
        file_application(dict(values, email="other@firm.example"))
    assert db.session.query(PartnerApplication).count() == 1


def test_only_an_admin_approves_or_rejects_and_only_once(app):
    with unit_of_work():
        application = file_application(dict(APPLICATION, inn=valid_inn(901)))
    staff, partner = Staff(), make_partner()
    for user in (staff.supermanager, partner, AnonymousUserMixin()):
        with pytest.raises(Refused), unit_of_work():
            approve_application(user, application.id)
        with pytest.raises(Refused), unit_of_work():
            reject_application(user, application.id, "нет")
    admin = make_user(ADMIN)
    with pytest.raises(NotFound), unit_of_work():
        approve_application(admin, application.id + 100)
    with unit_of_work():
        owner = approve_application(admin, application.id)
    owner = db.session.get(User, owner.id)
    assert owner.email == "boss@firm.example" and owner.profile.partner_role == "owner"
    assert mails_to("boss@firm.example") == ["credentials"]
    with pytest.raises(OnboardingError), unit_of_work():
        reject_application(admin, application.id, "поздно")
    assert actions() == ["application_filed", "application_approved"]


@pytest.mark.parametrize("typed, first, last", [
    ("Петрова Ольга Сергеевна", "Ольга Сергеевна", "Петрова"),
    ("  Алиев  Рашид Эльдар оглы ", "Рашид Эльдар оглы", "Алиев"),
    ("Ольга Сергеевна", "Ольга Сергеевна", "-"),
    ("Ольга Петрова", "Ольга", "Петрова"),
    ("Olga", "Olga", "-"),
    ("Anna Maria van der Berg", "Anna", "Maria van der Berg"),
])
def test_a_contact_name_is_split_as_it_is_written(typed, first, last):
    assert split_full_name(typed) == (first, last)


def test_the_approved_owner_is_greeted_by_name_and_patronymic(app):
    """"Петрова Ольга Сергеевна" became the first name "Петрова" ("Здравствуйте, Петрова!")."""
    with unit_of_work():
        application = file_application(dict(APPLICATION, inn=valid_inn(903),
                                            contact_name="Петрова Ольга Сергеевна"))
    with unit_of_work():
        owner = approve_application(make_user(ADMIN), application.id)
    owner = db.session.get(User, owner.id)
    assert (owner.first_name, owner.last_name) == ("Ольга Сергеевна", "Петрова")
    assert owner.get_full_name() == "Ольга Сергеевна Петрова"  # the credentials e-mail's
    # greeting is the first name (its body is wiped once sent: the password is in it)


def test_a_rejection_needs_a_reason_and_mails_it(app):
    with unit_of_work():
        application = file_application(dict(APPLICATION, inn=valid_inn(902)))
    admin = make_user(ADMIN)
    with pytest.raises(OnboardingError), unit_of_work():
        reject_application(admin, application.id, "  ")
    with unit_of_work():
        reject_application(admin, application.id, "Не наш профиль")
    application = db.session.get(PartnerApplication, application.id)
    assert (application.status, application.reject_reason) == (APPLICATION_REJECTED,
                                                                "Не наш профиль")
    assert mails_to("boss@firm.example") == ["application"]


def test_settings_are_saved_by_an_admin_only(app):
    values = {key: get_setting(key) for key in DEFAULTS}
    values["auto_close_days"] = 30
    with pytest.raises(Refused), unit_of_work():
        save_settings(Staff().supermanager, values)
    assert get_setting("auto_close_days") == DEFAULTS["auto_close_days"]
    with unit_of_work():
        save_settings(make_user(ADMIN), values)
    assert get_setting("auto_close_days") == 30 and actions() == ["settings_update"]


def test_schedule_entries_are_audited_and_only_their_engineer_deletes_them(app):
    staff = Staff()
    other = make_user("Engineer")
    start = datetime(2030, 3, 4, 10)
    with unit_of_work():
        entry = save_own_entry(staff.engineer, "vacation", start, start + timedelta(hours=8))
    event = db.session.query(AuditEvent).filter_by(action="schedule_entry").one()
    assert (event.actor_id, event.object_id) == (staff.engineer.id, entry.id)
    with pytest.raises(NotFound), unit_of_work():
        delete_own_entry(other, entry.id)
    with unit_of_work():
        delete_own_entry(staff.engineer, entry.id)
    assert db.session.query(ScheduleEntry).count() == 0
    assert actions() == ["schedule_entry", "schedule_entry_deleted"]


def test_a_kb_template_replaces_the_old_file_once_committed(app):
    article = KbArticle(title="Шаблон", slug="tpl", kind="template", body_md="x",
                        category=KbCategory(name="Шаблоны", slug="templates"))
    db.session.add(article)
    db.session.commit()
    admin = make_user(ADMIN)
    with pytest.raises(Refused), unit_of_work():
        replace_kb_template(Staff().manager, article.id,
                            FileStorage(io.BytesIO(PDF), filename="a.pdf"))
    with unit_of_work():
        replace_kb_template(admin, article.id, FileStorage(io.BytesIO(PDF), filename="a.pdf"))
    first = path_of(db.session.get(KbArticle, article.id).template_stored)
    with unit_of_work():
        replace_kb_template(admin, article.id, FileStorage(io.BytesIO(PDF), filename="b.pdf"))
        assert first.exists()  # still served until the change commits
    article = db.session.get(KbArticle, article.id)
    assert article.template_name == "b.pdf" and path_of(article.template_stored).exists()
    assert not first.exists()
    assert actions() == ["kb_template", "kb_template"]


def test_create_user_refuses_a_taken_login_or_address_in_any_case_and_stores_both_rows(app):
    from app.accounts import create_user
    existing = make_user("Manager", username="maria")
    for username, email in (("MARIA", "new@test.example"),
                            ("someone", existing.email.upper())):
        with pytest.raises(AccountError):
            create_user(username, email, "A", "B", ["Manager"], PASSWORD)
        db.session.rollback()
    user = create_user("anna", " Anna@Test.Example ", "Anna", "B", ["Manager", "Engineer"],
                       None, locale="en")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.email == "anna@test.example" and stored.active
    assert sorted(r.name for r in stored.roles) == ["Engineer", "Manager"]
    assert stored.profile.locale == "en" and stored.profile.notify_prefs == {}
    # no password given: a random secret, so no empty or guessable password signs in
    assert stored.password and not check_password_hash(stored.password, "")
    assert check_password_hash(
        create_user("olga", "olga@test.example", "O", "B", ["Manager"], PASSWORD).password,
        PASSWORD)


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_admins_deciding_one_application_at_once_one_decision_stands(app, monkeypatch,
                                                                          second):
    """The application is locked until the decision commits (app.partners
    _pending_application): the second admin, waiting on the lock, reads it reviewed. Both
    threads wait after their duplicate check for the other's; without the lock both pass
    it and both decide (two companies, or a 500). PostgreSQL: SQLite has no row locks."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE) are PostgreSQL's")
    import app.partners as partners

    with unit_of_work():
        application = file_application(dict(APPLICATION, inn=valid_inn(904)))
    admins = [make_user(ADMIN).id, make_user(ADMIN).id]
    db.session.commit()
    application_id = application.id
    pause_after(partners, "duplicate_problem_for_approval", monkeypatch)

    def decide(k):
        admin = db.session.get(User, admins[k])
        if k == 0 or second == "approve":
            approve_application(admin, application_id)
        else:
            reject_application(admin, application_id, "не наш профиль")

    results = at_once(app, decide, (OnboardingError,), done="decided")
    decided = [r for r in results if r == "decided"]
    refused = [r for r in results if r != "decided"]
    assert len(decided) == 1 and len(refused) == 1, results
    assert str(application_id) in refused[0] and not refused[0].startswith(
        ("IntegrityError", "OperationalError", "InternalError")), results
    final = db.session.get(PartnerApplication, application_id)
    assert db.session.query(PartnerCompany).filter_by(inn=valid_inn(904)).count() == (
        1 if final.status == APPLICATION_APPROVED else 0)
    assert actions().count("application_approved") + actions().count(
        "application_rejected") == 1
