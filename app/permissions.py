"""Roles as code: the role → permission matrix and role helpers.

`flask replan sync-roles` applies ROLE_PERMISSIONS idempotently; FAB_UPDATE_PERMS is off.
A rule is (view or menu name, permission names); "*" matches every name.
"""

from __future__ import annotations

from flask_appbuilder.security.sqla.models import PermissionView, Role
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.uow import commit

ADMIN = "Admin"
DIRECTOR = "Director"
SUPERMANAGER = "Supermanager"
MANAGER = "Manager"
ENGINEER = "Engineer"
PARTNER = "Partner"
PUBLIC = "Public"

STAFF_ROLES = (ADMIN, DIRECTOR, SUPERMANAGER, MANAGER, ENGINEER)
# who files requests on a partner's behalf (the back office's OnBehalfView, app.on_behalf)
FILER_ROLES = (ADMIN, SUPERMANAGER, MANAGER)
# who reads a request's money (amounts, payments): every staff role but the engineer
MONEY_ROLES = frozenset({ADMIN, DIRECTOR, SUPERMANAGER, MANAGER})
ALL_ROLES = STAFF_ROLES + (PARTNER,)

# role code (FAB's Role.name) → the name people read; the one mapping every screen uses
ROLE_LABELS = {
    ADMIN: _l("Administrator"), DIRECTOR: _l("Director"), SUPERMANAGER: _l("Supermanager"),
    MANAGER: _l("Manager"), ENGINEER: _l("Engineer"), PARTNER: _l("Partner"),
    PUBLIC: _l("Guest"),
}

READ = ("can_list", "can_show", "can_export")
SELF_SERVICE = [
    ("StaffProfileView", ("can_edit",)), ("menu_access", ("My profile",)),
    ("StaffNotificationView", ("can_index", "can_open", "can_read", "can_read_all")),
    ("UserInfoEditView", ("can_this_form_get", "can_this_form_post")),
    ("ResetMyPasswordView", ("can_this_form_get", "can_this_form_post")),
    ("ReplanUserDBModelView", ("can_userinfo", "resetmypassword", "userinfoedit")),
]
DESK_READ = ("can_index", "can_show", "can_by_number", "can_download", "can_pdf")
DESK_WORK = DESK_READ + ("can_move", "can_note", "can_upload")


def _menus(*names: str) -> tuple[str, tuple[str, ...]]:
    return ("menu_access", names)


def _read(*views: str) -> list:
    return [(view, READ) for view in views]


ROLE_PERMISSIONS: dict[str, object] = {
    ADMIN: "*",
    DIRECTOR: SELF_SERVICE + _read(
        "RequestStaffView", "StatusChangeView", "MessageView", "PaymentView", "QuoteView",
        "EndClientView", "PartnerApplicationView", "PartnerCompanyView", "ServiceView",
        "PriceRuleView", "KbArticleView", "KbCategoryView", "AuditEventView", "AttachmentView",
        "ScheduleEntryView") + [
        ("DeskView", DESK_READ), ("ScheduleView", ("can_week",)),
        ("DashboardView", ("can_index",)), ("ReportsView", "*"),
        _menus("Work", "My requests", "Schedule", "Dashboard", "Excel reports", "Requests",
               "All requests",
               "Status history", "Messages", "Payments", "Quotes", "End clients", "Partners",
               "Files", "Schedule entries", "Partner applications", "Companies", "Catalogue",
               "Services", "Price rules", "Knowledge", "Articles", "Categories",
               "Administration", "Audit log"),
    ],
    SUPERMANAGER: SELF_SERVICE + _read(
        "RequestStaffView", "StatusChangeView", "MessageView", "PaymentView", "QuoteView",
        "EndClientView", "PartnerCompanyView", "ServiceView", "KbArticleView", "AttachmentView",
        "ScheduleEntryView") + [
        ("DeskView", DESK_WORK + ("can_message", "can_book", "can_assign")),
        ("DistributionView", "*"), ("ScheduleView", ("can_week",)),
        ("ReportsView", ("can_task",)), ("OnBehalfView", ("can_new",)),
        _menus("Work", "My requests", "New requests", "Request for a partner", "Schedule",
               "Requests", "All requests",
               "Status history", "Messages", "Files", "Schedule entries", "Payments", "Quotes",
               "End clients", "Partners",
               "Companies", "Catalogue", "Services", "Knowledge", "Articles"),
    ],
    MANAGER: SELF_SERVICE + _read(
        "RequestStaffView", "StatusChangeView", "MessageView", "ServiceView",
        "KbArticleView", "AttachmentView", "ScheduleEntryView") + [
        ("DeskView", DESK_WORK + ("can_message", "can_book")),
        ("ScheduleView", ("can_week",)), ("ReportsView", ("can_task",)),
        ("OnBehalfView", ("can_new",)),
        _menus("Work", "My requests", "Request for a partner", "Schedule", "Requests",
               "All requests",
               "Status history", "Messages", "Files", "Schedule entries", "Catalogue",
               "Services", "Knowledge", "Articles"),
    ],
    ENGINEER: SELF_SERVICE + _read("RequestStaffView", "KbArticleView") + [
        ("DeskView", DESK_WORK), ("ReportsView", ("can_task",)),
        ("ScheduleView", ("can_week", "can_entry", "can_delete_entry")),
        _menus("Work", "My requests", "Schedule", "Requests", "All requests", "Knowledge",
               "Articles"),
    ],
    PARTNER: [],  # partners use the hand-built cabinet, never FAB views
    PUBLIC: [],
}


def role_names(user) -> set[str]:
    """Names of the user's roles (empty for anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in user.roles}


def role_label(role) -> str:
    """A role (or its code) by its translated name; an unknown role keeps its code."""
    name = getattr(role, "name", role)
    return str(ROLE_LABELS.get(name, name))


def role_labels(roles) -> str:
    """Several roles by name, in the matrix's order: 'Менеджер, Инженер'."""
    order = {name: i for i, name in enumerate(ROLE_LABELS)}
    names = sorted((getattr(r, "name", r) for r in roles or ()),
                   key=lambda n: (order.get(n, len(order)), n))
    return ", ".join(role_label(name) for name in names)


def has_role(user, *names: str) -> bool:
    return bool(role_names(user) & set(names))


def is_partner(user) -> bool:
    return has_role(user, PARTNER) and getattr(user, "profile", None) is not None \
        and user.profile.partner_company_id is not None


def is_staff(user) -> bool:
    return has_role(user, *STAFF_ROLES)


def rule_matches(rules, permission: str, view: str) -> bool:
    """True when (permission, view) is granted by a role's rules."""
    if rules == "*":
        return True
    for view_name, perms in rules:
        if view_name == "menu_access":
            if permission == "menu_access" and (view in perms):
                return True
            continue
        if view_name == view and (perms == "*" or permission in perms):
            return True
    return False


def sync_roles(appbuilder) -> dict[str, int]:
    """Create every view permission, then set each role to exactly its matrix rules."""
    for name in ROLE_PERMISSIONS:
        if db.session.query(Role).filter_by(name=name).one_or_none() is None:
            db.session.add(Role(name=name))
    commit()  # a CLI step: its own unit of work
    appbuilder.add_permissions(update_perms=True)
    all_pvms = db.session.query(PermissionView).all()
    result = {}
    for name, rules in ROLE_PERMISSIONS.items():
        role = db.session.query(Role).filter_by(name=name).one()
        wanted = [pvm for pvm in all_pvms
                  if rule_matches(rules, pvm.permission.name, pvm.view_menu.name)]
        if set(role.permissions) != set(wanted):
            role.permissions = wanted
        result[name] = len(wanted)
    commit()  # a CLI step: its own unit of work
    return result
