"""Authentication glue: Replan's security manager, login page and request guards."""

from __future__ import annotations

from flask import (Flask, current_app, flash, g, has_request_context, redirect, request, session,
                   url_for)
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    ResetPasswordView,
    UserInfoEditView,
)
from flask_appbuilder.utils.base import get_safe_redirect, is_safe_redirect_url
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user, user_logged_in
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app import login_lockout
from app.accounts import (
    check_current_password,
    company_blocked,
    locked_message,
    one_time_password_expired,
    set_password,
)
from app.audit import record
from app.logout import PostLogoutMixin
from app.passwords import fab_password_validator
from app.shared_cache import PERMISSIONS, cached
from app.uow import commit
from app.user_admin import ReplanGroupModelView, ReplanRoleModelView, ReplanUserDBModelView
from models.notifications import Notification
from models.partners import UserProfile
from models.security import SessionEpoch

# endpoints a user who must change the password may still reach
PASSWORD_CHANGE_ALLOWED = {"cabinet.change_password", "ReplanAuthDBView.logout", "static",
                           "appbuilder.static", "LocaleView.index", "cabinet.static"}


# the request pages that read their request's notifications → the URL part naming it
NOTES_READ_ON = {"DeskView.show": "pk", "cabinet.request_detail": "request_id"}


def page_request_id() -> int | None:
    """The request a request page shows (NOTES_READ_ON), read with the user's row so the
    page knows without a statement whether it has notifications to read."""
    if not has_request_context() or request.method != "GET":
        return None
    part = NOTES_READ_ON.get(request.endpoint or "")
    value = (request.view_args or {}).get(part) if part else None
    return value if isinstance(value, int) and 0 < value < 2**31 else None


def safe_next(url: str) -> bool:
    """A redirect target of this site that a Location header can carry: FAB's host check,
    and no line break or other control character (werkzeug refuses them in a header: a 500)
    nor a backslash (browsers read "/\\host" as "//host", another site)."""
    return bool(url) and url.isprintable() and "\\" not in url and is_safe_redirect_url(url)


class ReplanAuthDBView(PostLogoutMixin, AuthDBView):
    """FAB's database login, with Replan's own page; logout only by POST (app.logout).

    Failed sign-ins are counted per account: past the limit the account is locked for a while,
    even for the right password, with a notice saying so.
    """

    login_template = "security/login.html"
    invalid_login_message = _l("Wrong login or password, or the account is blocked.")

    def _get_safe_next_url(self) -> str:
        """`next` when it is a safe target (safe_next), else the start page (no `next`: no
        "invalid redirect" warning in the log either). FAB's own check let a line break
        through (a 500 from the Location header) and "/\\host" (another site)."""
        wanted = request.args.get("next", "")
        if not wanted:
            return self.appbuilder.get_url_for_index
        # a refused target: FAB's fallback, the start page with its "Invalid redirect" warning
        return wanted if safe_next(wanted) else get_safe_redirect(None)

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if not form.validate_on_submit():
            return self.render_template(self.login_template, title=self.title, form=form,
                                        appbuilder=self.appbuilder)
        next_url = self._get_safe_next_url()
        key = login_lockout.account_key(form.username.data)
        minutes = login_lockout.minutes_locked(key)
        if minutes:
            flash(locked_message(minutes), "danger")
            return redirect(self.appbuilder.get_url_for_login_with(next_url))
        user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
        if not user:
            login_lockout.record_failure(key)
            flash(str(self.invalid_login_message), "warning")
            return redirect(self.appbuilder.get_url_for_login_with(next_url))
        login_lockout.clear_failures(key)
        if one_time_password_expired(user):
            flash(_("The one-time password has expired. Use “Forgot password?” to get a new "
                    "link."), "warning")
            return redirect(self.appbuilder.get_url_for_login_with(next_url))
        login_user(user, remember=False)
        return redirect(next_url)


class NoSecurityApi(SecurityApi):
    """FAB registers its JWT login/refresh API whatever FAB_ADD_SECURITY_API says.

    Replan signs in only through /login/ (CSRF, rate limits, lockout, blocked flags): these
    overrides carry no route, so /api/v1/security/login and /refresh answer 404.
    """

    def login(self):  # deliberately without @expose: no route
        return None

    def refresh(self):
        return None


class ResetMyPasswordForm(DynamicForm):
    """FAB's own-password form, asking for the current password first."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     widget=BS3PasswordFieldWidget())
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(), PasswordComplexityValidator()],
                             widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("password", message=_l("The passwords do not match."))],
        widget=BS3PasswordFieldWidget())

    def validate_current_password(self, field):
        problem = check_current_password(g.user, field.data)
        if problem:
            raise ValidationError(problem)


class ReplanResetMyPasswordView(ResetMyPasswordView):
    """/resetmypassword/form: current password required, Replan's password policy."""

    class_permission_name = "ResetMyPasswordView"
    form = ResetMyPasswordForm
    form_title = _l("Change password")
    message = _l("Password changed.")


class SetPasswordForm(DynamicForm):
    """The admin's /resetpassword/form: Replan's policy, and a hint that says so truthfully."""

    password = PasswordField(_l("New password"), description=_l(
        "At least 10 characters and not a common or easily guessed password."),
        validators=[DataRequired(), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("password", message=_l("The passwords do not match."))],
        widget=BS3PasswordFieldWidget())


class ReplanResetPasswordView(ResetPasswordView):
    """/resetpassword/form (admin sets a user's password) with the truthful form."""

    class_permission_name = "ResetPasswordView"
    form = SetPasswordForm
    form_title = _l("Set a new password")
    message = _l("Password changed.")


class NamesForm(DynamicForm):
    """FAB's "edit my info" form with the columns' limits (ab_user's names are 64
    characters): a longer name reached the database, which refused it, and FAB still said
    "User information changed" with nothing saved and the typed names gone."""

    first_name = StringField(_l("First Name"), widget=BS3TextFieldWidget(),
                             validators=[DataRequired(), Length(max=64)])
    last_name = StringField(_l("Last Name"), widget=BS3TextFieldWidget(),
                            validators=[DataRequired(), Length(max=64)])


class ReplanUserInfoEditView(UserInfoEditView):
    """/userinfoeditview/form: a staff member's own names, within the limits, audited, and
    told the truth when the database refuses."""

    class_permission_name = "UserInfoEditView"
    route_base = "/userinfoeditview"
    form = NamesForm

    def form_post(self, form) -> None:
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        user.first_name, user.last_name = form.first_name.data.strip(), form.last_name.data.strip()
        record("profile_update", user, user)
        commit()
        flash(str(self.message), "info")


class ReplanSecurityManager(SecurityManager):
    """FAB's manager under Replan's rules: one password policy, e-mails matched exactly
    ignoring case, blocked companies refused, no JWT login API, sessions end on a new password.
    """

    authdbview = ReplanAuthDBView
    userdbmodelview = ReplanUserDBModelView
    rolemodelview = ReplanRoleModelView
    groupmodelview = ReplanGroupModelView
    resetmypasswordview = ReplanResetMyPasswordView
    resetpasswordview = ReplanResetPasswordView
    userinfoeditview = ReplanUserInfoEditView
    security_api = NoSecurityApi
    userstatschartview = None  # it drew with Google Charts from the internet: a blank page

    def __init__(self, appbuilder):
        # FAB's add-user and password forms call this validator (PasswordComplexityValidator)
        current_app.config["FAB_PASSWORD_COMPLEXITY_ENABLED"] = True
        current_app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = fab_password_validator
        # FAB's raw permission screens (can_list on RequestStaffView …): roles are code
        # (app.permissions, `flask replan sync-roles`), so editing these would be undone
        for screen in ("PERMISSION_VIEW", "VIEW_MENU_VIEW", "PERMISSION_VIEWS_VIEW"):
            current_app.config.setdefault(f"FAB_ADD_SECURITY_{screen}", False)
        super().__init__(appbuilder)
        self._user_select = None

    def get_user_by_id(self, pk):
        """The signed-in user with roles, groups and a partner's company in one statement
        (each page loads it; FAB read each with a query of its own)."""
        try:
            pk = int(pk)  # FAB passes ids from query strings ("5"): PostgreSQL won't compare
        except (TypeError, ValueError):
            return None
        found = self.session.execute(self._user_statement(),
                                     {"pk": pk, "here": page_request_id()}).unique().first()
        if found is None:
            return None
        # the session epoch and the bell's count read with the user (app.sessions,
        # app.templating.unread_count: no statement of their own), and the unread ones about
        # the request this page shows (its page reads them: app.notifications.read_on_page)
        found[0].replan_generation = found[1] or 0
        found[0].replan_unread = found[2] or 0
        found[0].replan_unread_here = found[3] or 0
        return found[0]

    def _user_statement(self):
        """Built once per process: a statement object keeps its cache key, so each page's
        user lookup skips building the query and its key (~30 % of the lookup's time)."""
        if self._user_select is None:
            user = self.user_model
            unread = select(func.count(Notification.id)).where(
                Notification.user_id == user.id,
                Notification.is_read.is_(False)).scalar_subquery()
            here = select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.is_read.is_(False),
                Notification.request_id == bindparam("here", type_=Integer)).scalar_subquery()
            self._user_select = select(user, SessionEpoch.generation, unread, here).options(
                joinedload(user.roles), joinedload(user.groups),
                joinedload(user.profile).joinedload(UserProfile.partner_company)) \
                .outerjoin(SessionEpoch, SessionEpoch.user_id == user.id) \
                .where(user.id == bindparam("pk")).limit(1)
        return self._user_select

    def find_user(self, username=None, email=None):
        """By login as FAB does; by e-mail exactly, ignoring case (FAB compares case-exactly)."""
        if username or not email:
            return super().find_user(username=username, email=email)
        try:
            return self.session.query(self.user_model).filter(
                func.lower(self.user_model.email) == email.strip().lower()).one_or_none()
        except MultipleResultsFound:
            return None

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        """FAB asks this once per menu item and view (30-40 queries a back-office page); in a
        request the roles' (permission, view) pairs are read once and answered from memory."""
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        return (permission_name, view_name) in self.role_permissions(role_ids)

    def role_permissions(self, role_ids) -> frozenset:
        """The roles' (permission, view) pairs, read once a request."""
        known = g.setdefault("replan_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in known:  # kept per process while the stamp holds (app.shared_cache)
            known[key] = cached(PERMISSIONS, key, lambda: self._read_role_permissions(key))
        return known[key]

    def _read_role_permissions(self, role_ids) -> frozenset:
        pv, link = self.permissionview_model, assoc_permissionview_role
        return frozenset(
            self.session.query(self.permission_model.name, self.viewmenu_model.name)
            .select_from(pv)
            .join(link, pv.id == link.c.permission_view_id)
            .join(self.permission_model, pv.permission_id == self.permission_model.id)
            .join(self.viewmenu_model, pv.view_menu_id == self.viewmenu_model.id)
            .filter(link.c.role_id.in_(role_ids)).all())

    def auth_user_db(self, username, password):
        """FAB's check, and a blocked company's users are refused like a wrong password."""
        user = super().auth_user_db(username, password)
        if user is not None and company_blocked(user):
            return None
        return user

    def reset_password(self, userid, password):
        """Every password change (cabinet, reset link, FAB's forms) ends the other sessions."""
        user = self.get_user_by_id(userid)
        if user is None:
            return
        set_password(user, password)
        commit()  # FAB's own password screens expect the change stored here


def on_login(sender, user, **extra) -> None:
    """Audit the login and switch the UI to the user's language."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.locale:
        session["locale"] = profile.locale
    record("login", user, user)
    commit()  # the sign-in happened whatever the page does next


def _local_path(url: str) -> bool:
    """A path on this site ("/desk/5?tab=files"), never another host or scheme."""
    return url.startswith("/") and not url.startswith("//") and safe_next(url)


def install_request_guards(app: Flask) -> None:
    """Guards that run on every request after FAB has loaded the user."""
    user_logged_in.connect(on_login, app)

    @app.after_request
    def language_switch_stays_on_the_page(response):
        """The RU / EN links carry the page they are on (`next`, app.templating.language_url):
        after the switch, that page again in the new language (FAB's switch went to the start
        page, and what the user was reading or typing was gone). Only a path of this site."""
        if request.endpoint == "LocaleView.index" and response.status_code == 302:
            wanted = request.args.get("next", "")
            if _local_path(wanted):
                response.location = wanted
        return response

    @app.before_request
    def enforce_account_state():
        if not current_user.is_authenticated or request.endpoint is None:
            return None
        profile = getattr(current_user, "profile", None)
        company = profile.partner_company if profile is not None else None
        if company is not None and company.is_blocked:
            logout_user()
            g.user = None
            flash(_("Your company's access is suspended. Contact the bureau."), "danger")
            return redirect(url_for("ReplanAuthDBView.login"))
        if profile is not None and profile.must_change_password \
                and request.endpoint not in PASSWORD_CHANGE_ALLOWED:
            # keep where the user was going (e.g. a partner's prefill link) for after the change
            wanted = request.full_path.rstrip("?") if request.method == "GET" else ""
            if wanted in ("", "/"):
                return redirect(url_for("cabinet.change_password"))
            return redirect(url_for("cabinet.change_password", next=wanted))
        return None
