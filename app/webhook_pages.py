"""The "Webhooks" pages shared by the partner cabinet (company owner) and the back office
(admin): list and add endpoints (the secret shown once), a delivery log, "send test event",
"redeliver", enable and delete. Each surface gives its own layout and endpoint names.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from app.errors import DomainError
from app.form_nonce import require_fresh_form
from app.uow import run_use_case, unit_of_work
from app.webhooks import (EVENTS, STATUS_LABELS, URL_MAX, create_endpoint, deliveries_of,
                          delete_endpoint, enable_endpoint, endpoints_of, get_endpoint_or_404,
                          redeliver, send_test)


class WebhookForm(FlaskForm):
    url = StringField(_l("Endpoint URL"), validators=[DataRequired(), Length(max=URL_MAX)],
                      description=_l("Your server's https:// address that receives the events."))
    description = StringField(_l("Webhook description"), validators=[Length(max=200)],
                              description=_l("Optional, e.g. “CRM sync”."))
    events = SelectMultipleField(
        _l("Events to send"), choices=[(k, v) for k, v in EVENTS.items()],
        default=list(EVENTS), widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput())


def list_page(surface: dict, form: WebhookForm | None = None):
    """The list of the user's endpoints with the add form. `surface`: the layout, the
    endpoint names (urls) and the scope hint of the cabinet or the back office."""
    return render_template("webhooks/index.html", endpoints=endpoints_of(current_user),
                           form=form or WebhookForm(formdata=None), events=EVENTS, **surface)


def create_from_form(surface: dict):
    """Add an endpoint from the posted form: the page with the secret (shown this once), or
    the list again with the errors."""
    form = WebhookForm()
    if not form.validate_on_submit():
        if not form.events.data:
            form.events.errors = [_("Choose at least one event from the list.")]
        return list_page(surface, form)
    try:
        with unit_of_work():
            require_fresh_form(current_user.id)
            endpoint, secret = create_endpoint(current_user, form.url.data, form.events.data,
                                               form.description.data)
            endpoint_id = endpoint.id
    except DomainError as error:
        form.url.errors = [*form.url.errors, str(error)]
        return list_page(surface, form)
    return render_template("webhooks/created.html",
                           endpoint=get_endpoint_or_404(current_user, endpoint_id),
                           secret=secret, **surface)


def detail_page(surface: dict, endpoint_id: int):
    endpoint = get_endpoint_or_404(current_user, endpoint_id)
    return render_template("webhooks/detail.html", endpoint=endpoint, events=EVENTS, **surface,
                           deliveries=deliveries_of(current_user, endpoint.id),
                           statuses=STATUS_LABELS)


def test_from_form(endpoint_id: int) -> bool:
    return run_use_case(lambda: send_test(current_user, endpoint_id),
                        _l("A test event is queued: see the delivery log below."))


def redeliver_from_form(delivery_id: int) -> int | None:
    """Redeliver; the endpoint's id to go back to, or None when refused (flashed)."""
    done = {}
    stored = run_use_case(
        lambda: done.update(endpoint_id=redeliver(current_user, delivery_id).endpoint_id),
        _l("The delivery is queued again with the same webhook-id."))
    return done.get("endpoint_id") if stored else None


def enable_from_form(endpoint_id: int) -> bool:
    return run_use_case(lambda: enable_endpoint(current_user, endpoint_id),
                        _l("The endpoint is enabled again."))


def delete_from_form(endpoint_id: int) -> bool:
    return run_use_case(lambda: delete_endpoint(current_user, endpoint_id),
                        _l("The endpoint is deleted: nothing more is sent to it."))
