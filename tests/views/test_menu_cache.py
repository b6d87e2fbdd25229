"""The back-office menu is rendered once per permission set and language (app.menu_cache),
and what it shows is exactly what FAB's uncached template shows: never another role's or
language's menu, never a menu older than a change of the role's permissions."""

import re

from flask_appbuilder.security.sqla.models import Role

from app.extensions import appbuilder, db
from app.permissions import ADMIN, ENGINEER, MANAGER
from tests.factories import as_user, make_user


def menu_links(client, url: str = "/desk/") -> list[str]:
    html = client.get(url).get_data(as_text=True)
    menu = html.split('<ul class="nav navbar-nav">', 1)[1].split("</ul>\n", 1)[0]
    return re.findall(r'<a href="([^"#]+)"', menu)


def test_each_role_gets_its_own_menu_from_the_cache(app):
    app.extensions.pop("replan_menu_cache", None)
    clients = {role: as_user(app, make_user(role)) for role in (ADMIN, MANAGER, ENGINEER)}
    first = {role: menu_links(c) for role, c in clients.items()}
    assert "/users/list/" in first[ADMIN] and "/users/list/" not in first[MANAGER]
    assert "/services/list/" in first[MANAGER] and "/services/list/" not in first[ENGINEER]
    assert len(app.extensions["replan_menu_cache"]) == 3
    # served from the cache, in any order, the same as rendered fresh
    for role in (ENGINEER, ADMIN, MANAGER):
        assert menu_links(clients[role], "/schedule/") == first[role]
    assert len(app.extensions["replan_menu_cache"]) == 3


def test_the_menu_follows_the_language(app):
    client = as_user(app, make_user(MANAGER))
    russian = client.get("/desk/").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/desk/").get_data(as_text=True)
    assert "Справочники" in russian.split("</nav>")[0] or "Заявки" in russian.split("</nav>")[0]
    assert "Заявки" not in english.split("</nav>")[0]


def test_a_changed_role_permission_changes_the_menu_at_once(app):
    client = as_user(app, make_user(MANAGER))
    assert "/services/list/" in menu_links(client)
    security = appbuilder.sm
    role = db.session.query(Role).filter_by(name=MANAGER).one()
    menu_item = security.find_permission_view_menu("menu_access", "Services")
    assert menu_item in role.permissions
    security.del_permission_role(role, menu_item)
    try:
        assert "/services/list/" not in menu_links(client)
    finally:
        security.add_permission_role(role, menu_item)
    assert "/services/list/" in menu_links(client)
