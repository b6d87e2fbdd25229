"""The admin's user screens (issue 10, points 4, 5, 8): one form for the account, the single
staff role and the profile; role names read in Russian; every user change audited old → new."""

import re

import pytest
from flask_appbuilder.security.sqla.models import Role, User

from app.extensions import appbuilder, db
from models.audit import AuditEvent
from models.partners import UserProfile
from tests.factories import (PASSWORD, as_user, csrf_token, form_token, login, make_partner,
                             make_user)

NEW_PASSWORD = "quiet-harbour-lantern"
STAFF_LABELS_RU = {"Admin": "Администратор", "Director": "Руководитель",
                   "Supermanager": "Старший менеджер", "Manager": "Менеджер",
                   "Engineer": "Инженер"}


def text(response) -> str:
    return response.get_data(as_text=True)


def role_id(name: str) -> str:
    return str(db.session.query(Role).filter_by(name=name).one().id)


def fab_form(client, url, data):
    token = csrf_token(text(client.get(url)))
    return client.post(url, data={**data, "csrf_token": token})


def role_options(html: str) -> dict[str, str]:
    """value → label of the role select's options."""
    select = re.search(r'<select[^>]*name="roles".*?</select>', html, re.S).group(0)
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select))


def events(action: str, user) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.query(AuditEvent).filter_by(action=action, object_id=user.id) \
        .order_by(AuditEvent.id).all()


def new_manager_form(**changes) -> dict:
    form = {"first_name": "Ольга", "last_name": "Петрова", "email": "Olga@Test.Example",
            "username": "olga", "phone": "+7 900 123-45-67", "locale": "en",
            "roles": role_id("Manager"), "password": NEW_PASSWORD,
            "conf_password": NEW_PASSWORD, "active": "y"}
    return {**form, **changes}


def fetch_user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.query(User).filter_by(username=username).one_or_none()


def test_admin_creates_a_manager_with_role_and_profile_in_one_form(app):
    admin_user = make_user("Admin")
    admin = as_user(app, admin_user)
    page = text(admin.get("/users/add"))
    assert 'name="phone"' in page and 'name="locale"' in page
    active = re.search(r'<input[^>]*name="active"[^>]*>', page).group(0)
    assert " checked" in active  # active unless unticked
    assert "Не меньше 10 символов" in page  # the password policy, in Russian
    fab_form(admin, "/users/add", new_manager_form())
    user = fetch_user("olga")
    assert user is not None and user.email == "olga@test.example"
    assert [r.name for r in user.roles] == ["Manager"] and user.active
    profile = db.session.get(UserProfile, user.id)
    assert (profile.phone, profile.locale, profile.partner_company_id) == \
        ("+7 900 123-45-67", "en", None)
    (created,) = events("user_created", user)
    assert created.actor_id == admin_user.id and created.details["roles"] == [None, "Manager"]
    assert created.details["phone"] == [None, "+7 900 123-45-67"]
    assert NEW_PASSWORD not in str(created.details)
    client = app.test_client()
    assert login(client, "olga", NEW_PASSWORD).headers["Location"] == "/"
    assert "+7 900 123-45-67" in text(client.get("/my-profile/"))
    assert client.get("/desk/").status_code == 200
    assert client.get("/requests/list/").status_code == 200


def test_role_select_offers_only_staff_roles_by_their_russian_names(app):
    admin = as_user(app, make_user("Admin"))
    for url in ("/users/add", f"/users/edit/{make_user('Engineer').id}"):
        options = role_options(text(admin.get(url)))
        named = {value: label for value, label in options.items() if value}
        assert sorted(named.values()) == sorted(STAFF_LABELS_RU.values())
        assert role_id("Partner") not in options and role_id("Public") not in options
    fab_form(admin, "/users/add", new_manager_form(roles=role_id("Partner")))
    fab_form(admin, "/users/add", new_manager_form(username="olga2", roles=""))
    assert fetch_user("olga") is None and fetch_user("olga2") is None


def test_edit_form_sets_role_and_profile_and_audits_old_and_new(app):
    admin_user = make_user("Admin")
    admin = as_user(app, admin_user)
    user = make_user("Manager", username="mgr", phone="+7 900 000-00-01")
    page = text(admin.get(f"/users/edit/{user.id}"))
    assert 'value="+7 900 000-00-01"' in page and 'name="password"' not in page
    assert role_options(page)  # the current role is the selected one
    assert re.search(rf'<option selected value="{role_id("Manager")}"', page)
    fab_form(admin, f"/users/edit/{user.id}", {
        "first_name": user.first_name, "last_name": user.last_name, "username": "mgr",
        "email": "New.Mgr@Test.Example", "phone": "+7 900 000-00-02", "locale": "en",
        "roles": role_id("Supermanager")})  # "active" unticked: blocked
    user = fetch_user("mgr")
    assert [r.name for r in user.roles] == ["Supermanager"] and not user.active
    assert (user.profile.phone, user.profile.locale) == ("+7 900 000-00-02", "en")
    (role_event,) = events("user_role_changed", user)
    assert role_event.actor_id == admin_user.id
    assert role_event.details == {"roles": ["Manager", "Supermanager"]}
    assert events("user_deactivated", user)[0].details == {"active": [True, False]}
    assert events("user_email_changed", user)[0].details == {
        "email": ["mgr@test.example", "new.mgr@test.example"]}
    assert events("user_updated", user)[0].details == {
        "phone": ["+7 900 000-00-01", "+7 900 000-00-02"], "locale": ["ru", "en"]}
    fab_form(admin, f"/users/edit/{user.id}", {
        "first_name": user.first_name, "last_name": user.last_name, "username": "mgr",
        "email": user.email, "phone": "+7 900 000-00-02", "locale": "en",
        "roles": role_id("Supermanager"), "active": "y"})
    assert fetch_user("mgr").active
    assert events("user_activated", user)[0].details == {"active": [False, True]}
    assert len(events("user_role_changed", user)) == 1  # nothing else changed: no event


def test_admin_password_reset_is_audited_without_the_password(app):
    admin_user = make_user("Admin")
    user = make_user("Engineer")
    fab_form(as_user(app, admin_user), f"/resetpassword/form?pk={user.id}",
             {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    (event,) = events("password_change", user)
    assert event.actor_id == admin_user.id and NEW_PASSWORD not in str(event.details)


def test_a_user_without_history_is_deleted_with_the_profile_and_audited(app):
    admin_user = make_user("Admin")
    admin = as_user(app, admin_user)
    user = make_user("Engineer", username="eng")
    user_id = user.id
    admin.post(f"/users/delete/{user_id}",
               data={"csrf_token": csrf_token(text(admin.get(f"/users/show/{user_id}")))})
    assert fetch_user("eng") is None and db.session.get(UserProfile, user_id) is None
    event = db.session.query(AuditEvent).filter_by(action="user_deleted").one()
    assert (event.object_id, event.details["username"]) == (user_id, ["eng", None])
    assert event.details["roles"] == ["Engineer", None]


def test_partner_keeps_the_partner_role_and_an_admin_cannot_lock_himself_out(app):
    admin_user = make_user("Admin", username="boss")
    admin = as_user(app, admin_user)
    partner = make_partner(username="pt")
    page = text(admin.get(f"/users/edit/{partner.id}"))
    assert re.search(r'<option selected value="">', page)
    base = {"first_name": "P", "last_name": "T", "username": "pt", "email": partner.email,
            "phone": "", "locale": "ru", "active": "y"}
    fab_form(admin, f"/users/edit/{partner.id}", {**base, "roles": role_id("Admin")})
    assert [r.name for r in fetch_user("pt").roles] == ["Partner"]
    fab_form(admin, f"/users/edit/{partner.id}", {**base, "roles": "", "first_name": "Q"})
    partner = fetch_user("pt")
    assert partner.first_name == "Q" and [r.name for r in partner.roles] == ["Partner"]
    assert partner.profile.partner_company_id is not None
    me = {"first_name": "B", "last_name": "B", "username": "boss", "email": admin_user.email,
          "phone": "", "locale": "ru"}
    fab_form(admin, f"/users/edit/{admin_user.id}", {**me, "roles": role_id("Admin")})
    fab_form(admin, f"/users/edit/{admin_user.id}", {**me, "roles": role_id("Manager"),
                                                     "active": "y"})
    boss = fetch_user("boss")
    assert boss.active and [r.name for r in boss.roles] == ["Admin"]


@pytest.mark.parametrize("who", ["Director", "Supermanager", "Manager", "Engineer",
                                 "Partner", "anonymous"])
def test_only_the_admin_reaches_the_user_and_role_screens(app, who):
    target = make_user("Manager", username="target", phone="+7 999 000-11-22")
    if who == "anonymous":
        client = app.test_client()
    elif who == "Partner":
        client = as_user(app, make_partner())
    else:
        client = as_user(app, make_user(who))
    role = db.session.query(Role).filter_by(name="Manager").one()
    for url in ("/users/list/", f"/users/show/{target.id}", f"/users/edit/{target.id}",
                "/users/add", "/roles/list/", f"/roles/show/{role.id}",
                f"/resetpassword/form?pk={target.id}"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert response.status_code == 403 or "/login" in response.headers["Location"] \
            or who != "anonymous"
        assert "target@test.example" not in text(response), url
    token = csrf_token(text(client.get("/login/", follow_redirects=True)))
    client.post(f"/users/edit/{target.id}", data={
        "csrf_token": token, "first_name": "X", "last_name": "X", "username": "target",
        "email": "x@test.example", "roles": role_id("Admin"), "active": "y"})
    client.post(f"/users/delete/{target.id}", data={"csrf_token": token})
    target = fetch_user("target")
    assert target.email == "target@test.example" and target.first_name != "X"
    assert [r.name for r in target.roles] == ["Manager"]


def test_role_names_read_in_russian_in_lists_cards_profile_and_navbar(app):
    admin = as_user(app, make_user("Admin"))
    manager = make_user("Manager", username="mgr")
    manager.first_name = "Ольга"  # the factory names users after their role
    db.session.commit()
    users = text(admin.get("/users/list/"))
    assert "Менеджер" in users and ">Manager<" not in users and "Manager</td>" not in users
    card = text(admin.get(f"/users/show/{manager.id}"))
    assert "Менеджер" in card and "Manager" not in card.split("</nav>")[-1]
    roles = text(admin.get("/roles/list/"))
    for label in STAFF_LABELS_RU.values():
        assert label in roles
    assert "Supermanager" not in roles and "Copy Role" not in roles
    assert admin.get(f"/roles/edit/{role_id('Manager')}").status_code in (302, 403)
    mine = as_user(app, manager)
    profile = text(mine.get("/my-profile/"))
    assert re.search(r'data-testid="profile-roles">Менеджер<', profile)
    assert re.search(r'data-testid="user-roles">Менеджер<', profile)  # the navbar
    assert "Менеджер" in text(mine.get("/"))


def test_roles_and_groups_are_read_only_so_roles_change_only_in_the_audited_form(app):
    from flask_appbuilder.security.sqla.models import Group

    admin = as_user(app, make_user("Admin"))
    token = csrf_token(text(admin.get("/users/add")))
    for url in ("/roles/add", f"/roles/edit/{role_id('Manager')}", "/groups/add"):
        assert admin.get(url).status_code in (302, 403), url
    admin.post("/groups/add", data={"csrf_token": token, "name": "g", "label": "g",
                                    "roles": role_id("Admin")})
    admin.post("/roles/add", data={"csrf_token": token, "name": "Boss"})
    admin.post(f"/roles/delete/{role_id('Engineer')}", data={"csrf_token": token})
    for url in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"):
        assert admin.get(url).status_code == 404, url  # raw permission screens are gone
    card = text(admin.get(f"/roles/show/{role_id('Engineer')}")).split("Разделы меню")[-1]
    sections = re.search(r"<td>(.*?)</td>", card, re.S).group(1)
    assert "Мои заявки" in sections and "База знаний" in sections
    assert "can_list" not in card and "View" not in sections and "Платежи" not in sections
    assert db.session.query(Group).count() == 0
    assert {r.name for r in db.session.query(Role)} == {
        "Admin", "Director", "Supermanager", "Manager", "Engineer", "Partner", "Public"}
    assert admin.get("/groups/list/").status_code == 200


def test_a_user_without_a_profile_gets_no_error_anywhere(app):
    with app.test_request_context():
        sm = appbuilder.sm
        bare = sm.add_user("bare", "Bare", "User", "bare@test.example",
                           [sm.find_role("Engineer")], password=PASSWORD)
    assert db.session.get(UserProfile, bare.id) is None
    client = as_user(app, bare)
    for url in ("/", "/my-profile/", "/desk/", "/requests/list/", "/schedule/week",
                "/users/userinfo/", "/cabinet/", "/kb-articles/list/"):
        assert client.get(url).status_code in (200, 302, 403, 404), url
    assert client.get("/my-profile/").status_code == 200
    client.post("/my-profile/", data={"csrf_token": csrf_token(text(client.get("/my-profile/"))),
                                      "phone": "+7 900 000-00-04", "locale": "en",
                                      "notify_sla": "y"})
    assert db.session.get(UserProfile, bare.id).phone == "+7 900 000-00-04"
    db.session.query(UserProfile).filter_by(user_id=bare.id).delete()
    db.session.commit()
    admin = as_user(app, make_user("Admin"))
    assert admin.get(f"/users/show/{bare.id}").status_code == 200
    page = text(admin.get(f"/users/edit/{bare.id}"))
    assert re.search(rf'<option selected value="{role_id("Engineer")}"', page)
    fab_form(admin, f"/users/edit/{bare.id}", {
        "first_name": "Bare", "last_name": "User", "username": "bare",
        "email": "bare@test.example", "phone": "+7 900 000-00-03", "locale": "ru",
        "roles": role_id("Engineer"), "active": "y"})
    profile = db.session.get(UserProfile, bare.id)
    assert profile is not None and profile.phone == "+7 900 000-00-03"


@pytest.mark.parametrize("bad", [{"roles": "99999999999"}, {"roles": "abc"},
                                 {"phone": "+7\x00 1"}, {"first_name": "О\x00льга"},
                                 {"phone": "1" * 41}, {"locale": "de"},
                                 {"email": "not-an-address"}, {"last_name": "П" * 65},
                                 {"username": ""}])
def test_bad_input_on_the_user_form_is_refused_without_an_error_page(app, bad):
    admin = as_user(app, make_user("Admin"))
    response = fab_form(admin, "/users/add", new_manager_form(**bad))
    assert response.status_code in (200, 302, 400)
    assert fetch_user("olga") is None
    user = make_user("Engineer", username="eng")
    response = fab_form(admin, f"/users/edit/{user.id}", {
        "first_name": "E", "last_name": "E", "username": "eng", "email": user.email,
        "phone": "", "locale": "ru", "roles": role_id("Engineer"), "active": "y", **bad})
    assert response.status_code in (200, 302, 400)
    user = fetch_user("eng")
    assert [r.name for r in user.roles] == ["Engineer"] and user.profile.locale == "ru"


def test_own_names_are_edited_within_their_limits_and_audited(app):
    """/userinfoeditview/form: a name over ab_user's 64 characters is refused on the form
    with the typed names kept (the database refused it and FAB still said "changed");
    a good one is saved and audited."""
    manager = make_user("Manager")
    client = as_user(app, manager)
    page = client.get("/userinfoeditview/form")
    assert page.status_code == 200 and f'value="{manager.first_name}"' in page.get_data(
        as_text=True)
    long_name = "Я" * 65
    refused = client.post("/userinfoeditview/form", data={
        "first_name": long_name, "last_name": "Иванов", "csrf_token": form_token(client)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Иванов" in html and long_name in html
    db.session.expire_all()
    assert db.session.get(User, manager.id).first_name != long_name
    saved = client.post("/userinfoeditview/form", data={
        "first_name": " Пётр ", "last_name": "Иванов", "csrf_token": form_token(client)})
    assert saved.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, manager.id)
    assert (user.first_name, user.last_name) == ("Пётр", "Иванов")
    event = db.session.query(AuditEvent).filter_by(action="profile_update").one()
    assert (event.actor_id, event.object_id) == (manager.id, manager.id)


def test_a_login_or_e_mail_another_account_has_in_any_case_is_refused_under_its_field(app):
    """"Engineer3" beside "engineer3" was saved and locked both out (the sign-in looks a
    login up ignoring case); "MANAGER1@…" threw the whole form away; "  qa18  " was kept
    with its spaces."""
    admin = as_user(app, make_user("Admin"))
    taken = make_user("Engineer", username="engineer3")  # engineer3@test.example
    new = {"first_name": "Егор", "last_name": "Второй", "email": "eng3b@replan.example",
           "username": "Engineer3", "roles": role_id("Engineer"), "active": "y",
           "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}
    page = text(fab_form(admin, "/users/add", new))
    assert "Такой логин уже есть (без учёта регистра букв)" in page
    assert 'value="eng3b@replan.example"' in page  # the form is kept
    page = text(fab_form(admin, "/users/add", {**new, "username": "qa 18"}))
    assert "Логин — одно слово" in page
    page = text(fab_form(admin, "/users/add", {**new, "username": "egor2",
                                               "email": "ENGINEER3@test.example"}))
    assert page.count("Этот e-mail уже использует другая учётная запись.") == 1
    assert 'value="egor2"' in page
    assert db.session.query(User).count() == 2  # the admin and engineer3
    saved = fab_form(admin, "/users/add", {**new, "username": "  egor2  "})
    assert db.session.query(User).filter_by(username="egor2").one()
    assert "Запись добавлена." in text(admin.get(saved.headers["Location"]))  # not "строк"
    edited = text(fab_form(admin, f"/users/edit/{taken.id}", {
        "first_name": "E", "last_name": "T", "email": "engineer3@test.example",
        "username": "EGOR2", "roles": role_id("Engineer"), "active": "y"}))
    assert "Такой логин уже есть" in edited
    db.session.expire_all()
    assert db.session.get(User, taken.id).username == "engineer3"
    signed_in = app.test_client()
    login(signed_in, "engineer3", PASSWORD)  # still signs in
    assert signed_in.get("/desk/").status_code == 200
