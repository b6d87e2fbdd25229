"""Admin: webhook endpoints for every request (app.webhook_pages, as in the partner cabinet)."""

from __future__ import annotations

from flask import abort, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import webhook_pages as pages
from app.errors import NotFound
from app.webhooks import is_admin

SURFACE = {
    "scope_hint": _l("%(brand)s sends events about every request to these servers (the admin's "
                     "endpoints; partner companies manage their own in the cabinet)."),
    "urls": {"index": "WebhooksView.index", "create": "WebhooksView.create",
             "detail": "WebhooksView.detail", "test": "WebhooksView.test",
             "enable": "WebhooksView.enable", "delete": "WebhooksView.delete",
             "redeliver": "WebhooksView.redeliver"},
}
ALL = ("index", "create", "detail", "test", "enable", "delete", "redeliver")


class WebhooksView(BaseView):
    route_base = "/webhooks"
    default_view = "index"
    base_permissions = ["can_index"]
    method_permission_name = dict.fromkeys(ALL, "index")

    def _surface(self) -> dict:
        if not is_admin(current_user):  # the role gate, re-checked by the use cases
            abort(403)
        return {**SURFACE, "layout": self.appbuilder.base_template,
                "appbuilder": self.appbuilder}

    @expose("/")
    @has_access
    def index(self):
        return pages.list_page(self._surface())

    @expose("/", methods=["POST"])
    @has_access
    def create(self):
        return pages.create_from_form(self._surface())

    @expose("/<int:endpoint_id>")
    @has_access
    def detail(self, endpoint_id: int):
        try:
            return pages.detail_page(self._surface(), endpoint_id)
        except NotFound:
            abort(404)

    @expose("/<int:endpoint_id>/test", methods=["POST"])
    @has_access
    def test(self, endpoint_id: int):
        self._surface()
        pages.test_from_form(endpoint_id)
        return redirect(url_for("WebhooksView.detail", endpoint_id=endpoint_id))

    @expose("/<int:endpoint_id>/enable", methods=["POST"])
    @has_access
    def enable(self, endpoint_id: int):
        self._surface()
        pages.enable_from_form(endpoint_id)
        return redirect(url_for("WebhooksView.detail", endpoint_id=endpoint_id))

    @expose("/<int:endpoint_id>/delete", methods=["POST"])
    @has_access
    def delete(self, endpoint_id: int):
        self._surface()
        pages.delete_from_form(endpoint_id)
        return redirect(url_for("WebhooksView.index"))

    @expose("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
    @has_access
    def redeliver(self, delivery_id: int):
        self._surface()
        endpoint_id = pages.redeliver_from_form(delivery_id)
        if endpoint_id is None:
            return redirect(url_for("WebhooksView.index"))
        return redirect(url_for("WebhooksView.detail", endpoint_id=endpoint_id))
