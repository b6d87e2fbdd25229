"""The back office's menu, rendered once per set of permissions and language.

FAB renders the menu on every page and asks the security manager about each item (about a
quarter of a staff page's rendering time). The markup depends only on what the user's roles
may open, the language and the URL prefix, so it is kept per app under exactly that key: a
change of a role's permissions gives a new key, never a stale menu.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from app.translations import locale_name

CACHE_SIZE = 64  # permission sets x languages in use; cleared when full


def navbar_menu() -> Markup:
    """The menu items for the current user (FAB's appbuilder/navbar_menu.html)."""
    appbuilder = current_app.appbuilder
    security = appbuilder.sm
    roles = [role for role in security.get_user_roles(current_user) if role is not None]
    if any(role.name in security.builtin_roles for role in roles):  # not used by Replan
        return _render(appbuilder)
    permissions = security.role_permissions([role.id for role in roles])
    cache = current_app.extensions.setdefault("replan_menu_cache", {})
    key = (permissions, locale_name(""), request.script_root)
    markup = cache.get(key)
    if markup is None:
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        markup = cache[key] = _render(appbuilder)
    return markup


def _render(appbuilder) -> Markup:
    return Markup(render_template("appbuilder/navbar_menu.html", menu=appbuilder.menu))
