"""Authentication glue: Replan's security manager, login page and request guards."""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user, user_logged_in

# endpoints a user who must change the password may still reach
PASSWORD_CHANGE_ALLOWED = {"cabinet.change_password", "ReplanAuthDBView.logout", "static",
                           "appbuilder.static", "LocaleView.index", "cabinet.static"}


class ReplanAuthDBView(AuthDBView):
    """FAB's database login, with Replan's own page."""

    login_template = "security/login.html"
    invalid_login_message = _l("Wrong login or password, or the account is blocked.")


class ReplanSecurityManager(SecurityManager):
    authdbview = ReplanAuthDBView


def on_login(sender, user, **extra) -> None:
    """Audit the login and switch the UI to the user's language."""
    from app.audit import record
    from app.extensions import db

    profile = getattr(user, "profile", None)
    if profile is not None and profile.locale:
        session["locale"] = profile.locale
    record("login", user, user)
    db.session.commit()


def install_request_guards(app: Flask) -> None:
    """Guards that run on every request after FAB has loaded the user."""
    user_logged_in.connect(on_login, app)

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
            return redirect(url_for("cabinet.change_password"))
        return None
