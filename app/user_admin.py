"""The admin's user and role screens (FAB's, under Replan's rules).

One form sets a staff member's account, single staff role (by its translated name) and
profile (phone, language); partners come through applications and keep their role here.
Every change is audited with old → new values, never a password.
"""

from __future__ import annotations

import re

from flask import current_app, g
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.security.sqla.models import Role, User
from flask_appbuilder.security.views import RoleModelView, UserDBModelView, UserGroupModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, StopValidation

from app.list_filters import BooleanFilterConverter, yes_no_selects
from app.accounts import email_taken, normal_email
from app.api_tokens import USER_BLOCKED, revoke_all_for
from app.audit import record
from app.extensions import db
from app.permissions import ADMIN, PARTNER, STAFF_ROLES, role_label, role_labels
from app.request_form import PHONE
from app.sessions import end_all_sessions
from app.timefmt import format_moment
from app.uow import commit
from models.audit import AuditEvent
from models.finance import Payment
from models.partners import UserProfile
from models.requests import Message, Request, StatusChange

LANGUAGES = [("ru", "Русский"), ("en", "English")]
ACTIVE_HINT = _l("Block the account instead of deleting it: a blocked user cannot sign in.")


def user_has_activity(user_id: int) -> bool:
    """Anything that history points at: requests, moves, messages, payments, audit."""
    checks = [exists().where(or_(Request.author_id == user_id, Request.manager_id == user_id,
                                 Request.engineer_id == user_id)),
              exists().where(StatusChange.actor_id == user_id),
              exists().where(Message.author_id == user_id),
              exists().where(Payment.created_by_id == user_id),
              exists().where(AuditEvent.actor_id == user_id)]
    return any(db.session.query(check).scalar() for check in checks)


def profile_of(user) -> UserProfile:
    """The user's profile, attached (new, with defaults) when the user has none yet."""
    if user.profile is None:
        user.profile = UserProfile(locale="ru", must_change_password=False, notify_prefs={})
    return user.profile


def staff_role_choices() -> list[tuple[str, str]]:
    """(role id, translated name) of Replan's staff roles, in the matrix's order."""
    roles = {r.name: r for r in db.session.query(Role).filter(Role.name.in_(STAFF_ROLES))}
    return [(str(roles[name].id), role_label(name)) for name in STAFF_ROLES if name in roles]


class StaffRoleField(SelectField):
    """One staff role from a select of translated names; stored as the user's only role.

    A user without a staff role (a partner) shows "—", and "—" leaves the roles as they are.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=self._choices, widget=Select2Widget(),
                         **kwargs)

    @staticmethod
    def _choices():
        return [("", "—")] + staff_role_choices()

    def process_data(self, value):
        names = {r.name: r for r in (value or []) if hasattr(r, "name")}
        staff = [names[n] for n in STAFF_ROLES if n in names]
        self.data = str(staff[0].id) if staff else ""

    def populate_obj(self, obj, name):
        if self.data:
            obj.roles = [db.session.get(Role, int(self.data))]


class ProfileMixin:
    """A form field stored on the user's profile (created when missing), not on ab_user."""

    def populate_obj(self, obj, name):
        value = self.data.strip() if isinstance(self.data, str) else self.data
        setattr(profile_of(obj), name, value or None)


class ProfileStringField(ProfileMixin, StringField):
    pass


class ProfileSelectField(ProfileMixin, SelectField):
    pass


def _profile_fields(role_validators) -> dict:
    return {
        "roles": StaffRoleField(_l("Role"), role_validators),
        "phone": ProfileStringField(_l("Phone"), [Optional(), Length(max=40), PHONE],
                                    widget=BS3TextFieldWidget()),
        "locale": ProfileSelectField(_l("Language"), choices=LANGUAGES, default="ru",
                                     widget=Select2Widget()),
    }


def _password_fields() -> dict:
    """The initial password, under Replan's policy and saying so (FAB's hint was English)."""
    return {
        "password": PasswordField(_l("Password"), description=_l(
            "At least 10 characters and not a common or easily guessed password."),
            validators=[DataRequired(), PasswordComplexityValidator()],
            widget=BS3PasswordFieldWidget()),
        "conf_password": PasswordField(_l("Repeat the password"), validators=[
            DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
            widget=BS3PasswordFieldWidget()),
        "active": BooleanField(_l("Is Active?"), default=True, description=ACTIVE_HINT),
    }


def _or_dash(show):
    return lambda value: "—" if value is None or value == "" else show(value)


# values as people read them on the user list and card (FAB printed True, None, microseconds)
USER_FORMATTERS = {
    "roles": role_labels,
    "active": lambda value: _("Yes") if value else _("No"),
    "profile.phone": _or_dash(str),
    "profile.locale": _or_dash(lambda code: dict(LANGUAGES).get(code, code)),
    # FAB stamps these with the server's clock (UTC on Replan's servers): the bureau's time
    **{name: _or_dash(format_moment) for name in ("last_login", "created_on", "changed_on")},
    **{name: _or_dash(str) for name in ("login_count", "fail_login_count", "created_by",
                                        "changed_by")},
}


def user_snapshot(user) -> dict[str, object]:
    """What the admin's form can change, as plain values (roles by code)."""
    profile = user.profile
    return {"first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "email": user.email, "active": bool(user.active),
            "roles": ", ".join(sorted(r.name for r in user.roles)),
            "phone": profile.phone if profile is not None else None,
            "locale": profile.locale if profile is not None else None}


def user_changes(before: dict, after: dict) -> dict[str, list]:
    """{field: [old, new]} for every field that differs ("" and None are the same)."""
    def blank(value):
        return None if value == "" else value

    return {k: [before.get(k), v] for k, v in after.items() if blank(before.get(k)) != blank(v)}


def _event(action: str, actor, user, details: dict) -> None:
    # details set whole, as app.audit's generic records do: {field: [old, new]}
    record(action, actor, user).details = details


def audit_user_changes(actor, user, changes: dict[str, list]) -> None:
    """One event per kind of change (role, activation, e-mail, the rest), old → new each."""
    for field, action in (("roles", "user_role_changed"), ("email", "user_email_changed")):
        if field in changes:
            _event(action, actor, user, {field: changes[field]})
    if "active" in changes:
        _event("user_activated" if user.active else "user_deactivated", actor, user,
               {"active": changes["active"]})
    rest = {k: v for k, v in changes.items() if k not in ("roles", "email", "active")}
    if rest:
        _event("user_updated", actor, user, rest)


def _check_email(item) -> None:
    item.email = normal_email(item.email)
    with db.session.no_autoflush:  # the new user is not in the session yet
        taken = email_taken(item.email, except_user_id=item.id)
    if taken:
        _refuse(_("Another account already uses this e-mail."))


def _refuse(message: str):
    """Stop FAB's save: the half-applied form is dropped, the message is flashed."""
    db.session.rollback()
    raise ValueError(message)


def _check_role_change(actor, user, before: dict, after: dict) -> None:
    old, new = set(before["roles"].split(", ")), set(after["roles"].split(", "))
    if PARTNER in old and old != new:
        _refuse(_("A partner's access comes from the partner's company; it is not changed "
                  "here."))
    if user.id == getattr(actor, "id", None) and (
            not after["active"] or (ADMIN in old and ADMIN not in new)):
        _refuse(_("You cannot block yourself or take away your own administrator role."))


LOGIN_RE = re.compile(r"[\w.@+-]{1,128}")


class UniqueLogin:
    """The login is one word (letters, digits, . @ + - _) that no other account has in any
    letter case: "Engineer3" beside "engineer3" locked both out (the sign-in looks a login up
    ignoring case and found two)."""

    def __call__(self, form, field):
        field.data = (field.data or "").strip()
        if not LOGIN_RE.fullmatch(field.data):
            raise StopValidation(_("A login is one word: letters, digits and . @ + - _"))
        query = db.session.query(User.id).filter(func.lower(User.username)
                                                 == field.data.lower())
        if getattr(form, "_id", None) is not None:
            query = query.filter(User.id != int(form._id))
        if query.first() is not None:
            raise StopValidation(_("This login is taken (letter case aside): choose another."))


class UniqueEmail:
    """The e-mail no other account has in any letter case, said under the field with the
    form kept (refused on save, the whole form was thrown away)."""

    def __call__(self, form, field):
        other = int(form._id) if getattr(form, "_id", None) is not None else None
        if field.data and email_taken(normal_email(field.data), except_user_id=other):
            raise StopValidation(_("Another account already uses this e-mail."))


class ReplanUserDBModelView(UserDBModelView):
    """Users with history are blocked, never deleted; every change is audited.

    E-mails are stored lower-case and unique ignoring case; deactivating a user ends every
    session of that user. The role and the profile are set in the same form.
    """

    label_columns = {**UserDBModelView.label_columns, "roles": _l("Role"),
                     "phone": _l("Phone"), "locale": _l("Language"), "email": _l("E-mail"),
                     "profile.phone": _l("Phone"), "profile.locale": _l("Language"),
                     "fail_login_count": _l("Failed sign-ins")}
    description_columns = {"active": ACTIVE_HINT}
    # FAB's "Added Row" read "Добавлено строк" here (views.base words the other views so)
    add_row_message = _l("The record is added.")
    edit_row_message = _l("The record is saved.")
    delete_row_message = _l("The record is deleted.")
    list_columns = ["first_name", "last_name", "username", "email", "active", "roles"]
    search_columns = ["first_name", "last_name", "username", "email", "active", "roles"]
    formatters_columns = USER_FORMATTERS
    show_fieldsets = [
        (_l("User account"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Personal data"), {"fields": ["first_name", "last_name", "email", "profile.phone",
                                          "profile.locale"], "expanded": True}),
        (_l("History"), {"fields": ["last_login", "fail_login_count", "created_on",
                                    "created_by", "changed_on", "changed_by"],
                         "expanded": False}),
    ]
    user_show_fieldsets = show_fieldsets[:2]
    add_columns = ["first_name", "last_name", "email", "username", "phone", "locale",
                   "roles", "password", "conf_password", "active"]
    edit_columns = ["first_name", "last_name", "email", "username", "phone", "locale",
                    "roles", "active"]
    add_form_extra_fields = {**_password_fields(), **_profile_fields([DataRequired()])}
    edit_form_extra_fields = _profile_fields([Optional()])
    validators_columns = {"email": [Email(message=_l("Enter a valid e-mail address.")),
                                    Length(max=320), UniqueEmail()],
                          "first_name": [Length(max=64)], "last_name": [Length(max=64)],
                          "username": [UniqueLogin()]}

    def prefill_form(self, form, pk):
        profile = db.session.get(UserProfile, pk)
        if profile is not None:
            form.phone.data, form.locale.data = profile.phone, profile.locale

    def pre_add(self, item):
        _check_email(item)
        profile_of(item)
        super().pre_add(item)

    def process_form(self, form, is_created):
        if not is_created:  # the user as stored, before FAB copies the form onto it
            g.replan_user_before = user_snapshot(self.datamodel.get(form._id))

    def __init__(self, *args, **kwargs):
        # FAB's security manager gives this view a plain SQLAInterface: its "Active" filter
        # compares a boolean too (app.list_filters)
        self.datamodel.filter_converter_class = BooleanFilterConverter
        super().__init__(*args, **kwargs)

    def _init_forms(self):
        super()._init_forms()
        yes_no_selects(self.search_form)  # "Active": Yes / No, not a checkbox

    def pre_update(self, item):
        before, after = g.pop("replan_user_before"), user_snapshot(item)
        _check_role_change(g.user, item, before, after)
        _check_email(item)
        super().pre_update(item)
        if not item.active:
            end_all_sessions(item.id)
            revoke_all_for(item.id, USER_BLOCKED)
        # committed with the user by FAB, so the change and its record go together
        audit_user_changes(g.user, item, user_changes(before, user_snapshot(item)))

    def pre_delete(self, item):
        if user_has_activity(item.id):
            _refuse(_("This user has history: block the account instead of deleting it."))
        if item.id == g.user.id:
            _refuse(_("You cannot delete your own account."))
        held = user_snapshot(item)
        if item.profile is not None:  # keyed by the user's id: it goes first, with the user
            db.session.delete(item.profile)
            db.session.flush()
            db.session.expire(item, ["profile"])
        _event("user_deleted", g.user, item, user_changes(held, {k: None for k in held}))

    def post_add(self, item):
        filled = user_snapshot(item)
        _event("user_created", g.user, item, user_changes({k: None for k in filled}, filled))
        commit()  # FAB has committed the user itself; its audit row follows in its own step


def menu_sections(permissions) -> str:
    """What a role reaches, as people name it: its menu sections, translated (the raw
    'can_list on RequestStaffView' pairs mean nothing to the bureau)."""
    menu = current_app.appbuilder.menu
    names = set()
    for pv in permissions:
        if pv.permission.name == "menu_access":
            item = menu.find(pv.view_menu.name)
            names.add(str(item.label or _(item.name)) if item is not None else
                      _(pv.view_menu.name))
    return ", ".join(sorted(names)) or "—"


class ReplanRoleModelView(RoleModelView):
    """Roles are code (`flask replan sync-roles`): read-only here, shown by their names."""

    class_permission_name = "RoleModelView"
    base_permissions = ["can_list", "can_show"]
    list_widget = ListWidget
    show_widget = ShowWidget
    label_columns = {"name": _l("Role"), "permissions": _l("Menu sections")}
    list_columns = ["name"]
    show_columns = ["name", "permissions"]
    search_columns = ["name"]
    formatters_columns = {"name": role_label, "permissions": menu_sections}

    def copy_role(self, items):  # not an @action here: a copy would be reset by sync-roles
        return None


class ReplanGroupModelView(UserGroupModelView):
    """FAB's groups would grant roles past the user form and its audit: read-only here."""

    class_permission_name = "UserGroupModelView"
    base_permissions = ["can_list", "can_show"]
    label_columns = {"name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}
    list_columns = ["name", "label", "roles"]
    show_columns = ["name", "label", "description", "roles"]
    search_columns = ["name"]
    formatters_columns = {"roles": role_labels}
