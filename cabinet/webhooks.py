"""Webhooks (partner company owner only): endpoints for the company's requests, the signing
secret shown once, the delivery log, "send test event", "redeliver" (app.webhook_pages)."""

from __future__ import annotations

from flask import abort, redirect, url_for
from flask_babel import lazy_gettext as _l

from app import webhook_pages as pages
from app.errors import NotFound
from cabinet import bp
from cabinet.access import owner_required

SURFACE = {
    "layout": "cabinet/base.html",
    "scope_hint": _l("%(brand)s sends events about your company's requests to your server."),
    "urls": {"index": "cabinet.webhooks", "create": "cabinet.webhook_create",
             "detail": "cabinet.webhook_detail", "test": "cabinet.webhook_test",
             "enable": "cabinet.webhook_enable", "delete": "cabinet.webhook_delete",
             "redeliver": "cabinet.webhook_redeliver"},
}


@bp.route("/webhooks")
@owner_required
def webhooks():
    return pages.list_page(SURFACE)


@bp.route("/webhooks", methods=["POST"])
@owner_required
def webhook_create():
    return pages.create_from_form(SURFACE)


@bp.route("/webhooks/<int:endpoint_id>")
@owner_required
def webhook_detail(endpoint_id: int):
    try:
        return pages.detail_page(SURFACE, endpoint_id)
    except NotFound:
        abort(404)


@bp.route("/webhooks/<int:endpoint_id>/test", methods=["POST"])
@owner_required
def webhook_test(endpoint_id: int):
    pages.test_from_form(endpoint_id)
    return redirect(url_for("cabinet.webhook_detail", endpoint_id=endpoint_id))


@bp.route("/webhooks/<int:endpoint_id>/enable", methods=["POST"])
@owner_required
def webhook_enable(endpoint_id: int):
    pages.enable_from_form(endpoint_id)
    return redirect(url_for("cabinet.webhook_detail", endpoint_id=endpoint_id))


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@owner_required
def webhook_delete(endpoint_id: int):
    pages.delete_from_form(endpoint_id)
    return redirect(url_for("cabinet.webhooks"))


@bp.route("/webhooks/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@owner_required
def webhook_redeliver(delivery_id: int):
    endpoint_id = pages.redeliver_from_form(delivery_id)
    if endpoint_id is None:
        return redirect(url_for("cabinet.webhooks"))
    return redirect(url_for("cabinet.webhook_detail", endpoint_id=endpoint_id))
