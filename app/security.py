"""Authentication glue: Replan's security manager, login page and request guards."""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, UserDBModelView
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


def user_has_activity(user_id: int) -> bool:
    """Anything that history points at: requests, moves, messages, payments, audit."""
    from sqlalchemy import exists, or_

    from app.extensions import db
    from models.audit import AuditEvent
    from models.finance import Payment
    from models.requests import Message, Request, StatusChange

    checks = [exists().where(or_(Request.author_id == user_id, Request.manager_id == user_id,
                                 Request.engineer_id == user_id)),
              exists().where(StatusChange.actor_id == user_id),
              exists().where(Message.author_id == user_id),
              exists().where(Payment.created_by_id == user_id),
              exists().where(AuditEvent.actor_id == user_id)]
    return any(db.session.query(check).scalar() for check in checks)


class ReplanUserDBModelView(UserDBModelView):
    """Users with history are blocked, never deleted; every change is audited."""

    def pre_delete(self, item):
        if user_has_activity(item.id):
            raise ValueError(_("This user has history: block the account instead of "
                               "deleting it."))

    def post_add(self, item):
        _audit_user("user_created", item)

    def post_update(self, item):
        _audit_user("user_updated", item)


def _audit_user(action: str, item) -> None:
    from app.audit import record
    from app.extensions import db

    record(action, g.user, item, active=item.active,
           roles=",".join(r.name for r in item.roles))
    db.session.commit()


class ReplanSecurityManager(SecurityManager):
    authdbview = ReplanAuthDBView

    userdbmodelview = ReplanUserDBModelView


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
