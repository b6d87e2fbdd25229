"""Pre-filled requests from a partner's site (issue 13.4): the new-request form filled from a
link (app.prefill), and the "Link from your site" page that writes such a link or HTML form."""

from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from app.input_guard import arg_int
from app.prefill import FIELD_PREFIX, Prefill, find_service, from_query, from_token, site_name
from app.request_form import RequestForm, service_choices
from app.service_fields import fields_for
from app.web_security import external_url
from cabinet import bp
from cabinet.access import partner_required
from models.service_fields import FIELD_TYPE_LABELS

INPUT_TYPES = {"integer": "text", "decimal": "text", "money": "text", "date": "date",
               "phone": "tel", "email": "email"}


def fill_from_link(form: RequestForm) -> None:
    """Fill the new-request form from a prefill token or plain link parameters and say so;
    nothing is saved: the partner checks the form and clicks "Save" or "Submit"."""
    token = request.args.get("prefill")
    prefill = from_token(current_user, token) if token else from_query(request.args)
    if prefill.refused:
        flash(prefill.refused, "danger")
        return
    _fill(form, prefill)
    if prefill.source:
        flash(_("Filled from %(source)s: check and submit.", source=prefill.source), "info")
    else:
        flash(_("Filled from a link: check and submit."), "info")
    for note in prefill.notes:
        flash(note, "warning")


def _fill(form: RequestForm, prefill: Prefill) -> None:
    offered = {value for value, _label in form.services.choices or ()}
    form.services.data = [service for service in prefill.services if service in offered]
    form.fill_fields(prefill.values)
    form.new_client_name.data = prefill.end_client_name or None
    form.new_client_phone.data = prefill.end_client_phone or None
    if prefill.description:
        form.description.data = prefill.description


@bp.route("/link-from-site")
@partner_required
def prefill_link():
    """Build a link or an HTML form for a partner's site that opens the new-request form with
    the chosen service and the visitor's answers to its public fields."""
    service_id = arg_int("service")
    service = find_service(service_id) if service_id else None
    site = site_name(request.args.get("site"))
    context = {"services": service_choices(), "service": service, "site": site,
               "site_typed": request.args.get("site", "")[:200]}
    if service is not None:
        fields = fields_for([service.id])
        public = [item for item in fields if not item.is_contact]
        params = {"service": service.code, **({"from": site} if site else {})}
        context.update(
            link=external_url("cabinet.request_new", **params),
            snippet=form_snippet(external_url("cabinet.request_new"), params, public),
            public=public, contact=[item for item in fields if item.is_contact],
            field_prefix=FIELD_PREFIX, type_labels=FIELD_TYPE_LABELS,
            token_url=external_url("cabinet.request_new", prefill="pf_…"))
    return render_template("cabinet/prefill_link.html", **context)


def form_snippet(action: str, hidden: dict, fields) -> str:
    """An HTML form for the partner's site: the public fields as inputs, sent by GET to the
    new-request page (a new tab), so the visitor's answers arrive filled in."""
    lines = [f'<form action="{escape(action)}" method="get" target="_blank">']
    lines += [f'  <input type="hidden" name="{escape(name)}" value="{escape(value)}">'
              for name, value in hidden.items()]
    for item in fields:
        lines += _snippet_field(item, f"{FIELD_PREFIX}{item.key}")
    button = escape(_("Order in %(brand)s"))
    lines.append(f'  <p><button type="submit">{button}</button></p>')
    lines.append("</form>")
    return "\n".join(lines)


def _snippet_field(item, name: str) -> list[str]:
    label, name = escape(item.title), escape(name)
    if item.field_type == "boolean":
        return [f'  <p><label><input type="checkbox" name="{name}" value="1"> {label}</label></p>']
    if item.field_type == "multiselect":
        boxes = [f'    <label><input type="checkbox" name="{name}" value="{escape(value)}"> '
                 f"{escape(text)}</label>" for value, text in item.choices()]
        return ["  <fieldset>", f"    <legend>{label}</legend>", *boxes, "  </fieldset>"]
    if item.field_type == "select":
        options = [f'      <option value="{escape(value)}">{escape(text)}</option>'
                   for value, text in item.choices()]
        return [f"  <p><label>{label}<br>", f'    <select name="{name}">',
                '      <option value="">—</option>', *options, "    </select></label></p>"]
    if item.field_type == "textarea":
        return [f'  <p><label>{label}<br><textarea name="{name}" rows="3"></textarea>'
                "</label></p>"]
    kind = INPUT_TYPES.get(item.field_type, "text")
    return [f'  <p><label>{label}<br><input type="{kind}" name="{name}"></label></p>']
