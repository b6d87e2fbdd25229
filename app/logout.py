"""Logout by POST with a CSRF token; it ends every session of the user (copied cookies too)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session
from flask_appbuilder import expose
from flask_login import logout_user

from app.sessions import SESSION_KEY, end_all_sessions
from app.uow import unit_of_work


class PostLogoutMixin:
    """Mixed into FAB's auth view: GET only shows a confirmation form, POST logs out."""

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        user = self._get_authenticated_user()
        if request.method != "POST":  # a link or <img> can never log anyone out
            if user is None:
                return redirect(self.appbuilder.get_url_for_index)
            return render_template("security/logout.html")
        if user is not None:
            with unit_of_work():
                end_all_sessions(user.id)
        logout_user()
        session.pop(SESSION_KEY, None)
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL",
                                               self.appbuilder.get_url_for_index))
