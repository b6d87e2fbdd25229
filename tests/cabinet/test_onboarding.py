"""Registration application → admin approval → first login; password reset; profile."""

import re
from urllib.parse import urlsplit

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from models.audit import AuditEvent
from models.partners import PartnerApplication, PartnerCompany
from tests.factories import login, make_company, make_partner, make_user, post, valid_inn

APPLICATION = {"company_name": "ООО «Новый дом»", "contact_name": "Ирина Соколова",
               "email": "irina@newhome.example", "phone": "+7 900 111-22-33",
               "city": "Москва", "comment": "", "consent": "y"}


def apply(client, **changes):
    data = {**APPLICATION, "inn": valid_inn(901), **changes}
    return post(client, "/cabinet/apply", data)


def test_application_is_filed_and_confirmed(app, client):
    response = apply(client)
    assert response.headers["Location"].endswith("/cabinet/apply/done")
    assert "Спасибо" in client.get("/cabinet/apply/done").get_data(as_text=True)
    stored = db.session.query(PartnerApplication).one()
    assert (stored.email, stored.status, stored.consent) == ("irina@newhome.example",
                                                             "pending", True)


def test_bad_inn_and_missing_consent_keep_the_form_and_store_nothing(app, client):
    html = apply(client, inn="7707083894").get_data(as_text=True)
    assert "ИНН некорректен" in html and "Новый дом" in html
    html = apply(client, consent="").get_data(as_text=True)
    assert "согласие" in html.lower()
    assert db.session.query(PartnerApplication).count() == 0


def test_duplicate_inn_gets_a_clear_message_a_known_email_only_a_mail(app, client, mailbox,
                                                                      jobs):
    make_user("Manager", username="taken")
    response = apply(client, email="Taken@test.example")
    assert response.headers["Location"].endswith("/cabinet/apply/done")  # as for any address
    jobs.run()
    assert [m["Subject"] for m in mailbox.to("taken@test.example")]  # the owner is told
    company = make_company()
    html = apply(client, inn=company.inn).get_data(as_text=True)
    assert "ИНН уже зарегистрирована" in html
    apply(client)
    apply(client, inn=valid_inn(902))  # the same e-mail again: set aside, not reviewed twice
    jobs.run()
    assert db.session.query(PartnerApplication).filter_by(status="pending").count() == 1


def approve(client, application_id, **kwargs):
    return post(client, "/partner-applications/action_post",
                {"action": "approve", "rowid": [str(application_id)]}, **kwargs)


def test_admin_approval_creates_company_owner_and_mails_one_time_password(app, client, mailbox,
                                                                         jobs):
    apply(client)
    application = db.session.query(PartnerApplication).one()
    make_user("Admin", username="boss")
    with app.test_client() as admin:
        login(admin, "boss")
        page = approve(admin, application.id, follow=True).get_data(as_text=True)
        assert "одобрена" in page
        jobs.run()
        approve(admin, application.id)  # a second approval of the same row is refused
    assert db.session.query(PartnerCompany).count() == 1
    owner = db.session.query(User).filter_by(email="irina@newhome.example").one()
    assert owner.profile.partner_role == "owner" and owner.profile.must_change_password
    (mail,) = mailbox.to("irina@newhome.example")
    body = Mailbox_text(mail)
    password = re.search(r"Одноразовый пароль: (\S+)", body).group(1)
    assert f"Логин: {owner.username}" in body
    # first login: the partner must set a new password before anything else
    login(client, owner.username, password)
    assert "/cabinet/password" in client.get("/cabinet/requests").headers["Location"]
    post(client, "/cabinet/password", {"current_password": password,
                                       "new_password": "my-own-pass-9",
                                       "confirm": "my-own-pass-9"})
    assert client.get("/cabinet/requests").status_code == 200


def Mailbox_text(mail):
    return mail.get_body(("plain",)).get_content()


def test_only_admin_may_approve(app, client):
    apply(client)
    application = db.session.query(PartnerApplication).one()
    make_user("Manager", username="mgr")
    with app.test_client() as manager:
        login(manager, "mgr")
        approve(manager, application.id)
        assert manager.get(f"/partner-applications/reject/{application.id}").status_code \
            in (302, 403)
    db.session.expire_all()
    assert db.session.get(PartnerApplication, application.id).status == "pending"
    assert db.session.query(PartnerCompany).count() == 0


def test_reject_requires_a_reason_and_mails_it(app, client, mailbox, jobs):
    apply(client)
    application = db.session.query(PartnerApplication).one()
    make_user("Admin", username="boss")
    with app.test_client() as admin:
        login(admin, "boss")
        url = f"/partner-applications/reject/{application.id}"
        assert admin.get(url).status_code == 200
        post(admin, url, {"reason": ""})
        db.session.expire_all()
        assert db.session.get(PartnerApplication, application.id).status == "pending"
        post(admin, url, {"reason": "ИНН не совпадает с названием"})
        jobs.run()
    db.session.expire_all()
    assert db.session.get(PartnerApplication, application.id).status == "rejected"
    (mail,) = mailbox.to("irina@newhome.example")
    assert "ИНН не совпадает с названием" in Mailbox_text(mail)


def test_password_reset_link_works_once(app, client, mailbox, jobs):
    partner = make_partner(username="anna")
    post(client, "/cabinet/password-reset", {"email": partner.email})
    post(client, "/cabinet/password-reset", {"email": "nobody@test.example"})
    jobs.run()
    (mail,) = mailbox.messages
    link = re.search(r"https?://\S+", Mailbox_text(mail)).group(0)
    path = urlsplit(link).path
    assert client.get(path).status_code == 200
    post(client, path, {"new_password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert login(client, "anna", "brand-new-pass").status_code == 302
    with app.test_client() as again:
        response = again.get(path, follow_redirects=True)
        assert "уже использована" in response.get_data(as_text=True)
    assert client.get("/cabinet/password-reset/forged-token").status_code == 404


def test_password_reset_link_expires(app, client):
    from app.auth_tokens import issue_token
    from models.base import utcnow
    from models.security import AuthToken

    partner = make_partner(username="anna")
    token = issue_token(partner.id, "reset")
    db.session.query(AuthToken).update({"expires_at": utcnow()})
    db.session.commit()
    response = client.get(f"/cabinet/password-reset/{token}", follow_redirects=True)
    assert "истёк" in response.get_data(as_text=True)


def test_profile_updates(app, client):
    partner = make_partner(username="anna")
    login(client, "anna")
    post(client, "/cabinet/profile", {"first_name": "Анна", "last_name": "К",
                                      "phone": "+7 900 000-00-01",
                                      "email": partner.email, "locale": "en",
                                      "notify_status": "y"})
    db.session.expire_all()
    user = db.session.get(User, partner.id)
    assert (user.first_name, user.email, user.profile.locale) == ("Анна", "anna@test.example",
                                                                  "en")
    assert user.profile.notify_prefs == {"status": True, "message": False,
                                         "needs_info": False, "team": False}
    assert "Profile" in client.get("/cabinet/profile").get_data(as_text=True)
    # the signed-in user (Flask-Login's proxy) is recorded as the user, not as "LocalProxy"
    row = db.session.query(AuditEvent).filter_by(action="profile_update").one()
    assert (row.object_type, row.object_id, row.actor_id) == ("User", partner.id, partner.id)


def test_change_password_checks_the_current_one(app, client):
    make_partner(username="anna")
    login(client, "anna")
    html = post(client, "/cabinet/password", {"current_password": "wrong",
                                              "new_password": "another-pass-1",
                                              "confirm": "another-pass-1"})
    assert "неверно" in html.get_data(as_text=True)
    assert login(app.test_client(), "anna").status_code == 302


def test_an_own_password_change_is_audited_on_the_user(app, client):
    partner = make_partner(username="anna")
    login(client, "anna")
    post(client, "/cabinet/password", {"current_password": "secret-pass-1",
                                       "new_password": "another-pass-1",
                                       "confirm": "another-pass-1"})
    row = db.session.query(AuditEvent).filter_by(action="password_change").one()
    assert (row.object_type, row.object_id, row.actor_id) == ("User", partner.id, partner.id)
