"""Template filters and globals shared by the back office and the cabinet."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from babel.numbers import format_decimal as babel_format_decimal

from flask import Flask, g, has_app_context, has_request_context, url_for
from flask import request as http_request
from jinja2 import pass_context
from markupsafe import Markup, escape
from flask_babel import get_babel
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.branding import brand
from app.catalogue_names import line_title, service_name
from app.document_slots import DOCUMENT_CHECKLIST
from app.error_pages import install_error_pages
from app.extensions import db
from app.menu_cache import navbar_menu
from app.money import money
from app.notifications import shown_text
from app.payments import amount_due
from app.permissions import role_label, role_labels
from app.pricing import request_payable, rule_label
from app.request_rules import awaiting_payment, payment_label
from app.service_fields import visible_to
from app.shared_cache import CATALOGUE, cached
from app.signatures import signature_text, signatures_of
from app.status_labels import partner_group_of, partner_label, staff_label
from app.translations import (in_language, is_overridden, locale_name,
                              request_translations, with_brand)
from app.typed_input import page_url, typed_text
from app.timefmt import bureau_zone_name, format_day, format_moment, format_wall
from models.catalog import PriceRule
from models.notifications import Notification
from models.request_status import Action
from models.requests import BUILDING_LABELS


def filesize(size: int | None) -> str:
    """1536 → '1.5 KB' in English, '1,5 КБ' in Russian (units and decimal comma translated)."""
    size = size or 0
    if size < 1024:
        return _("%(size)s B", size=size)
    kilobytes = size / 1024
    if kilobytes < 1024:
        return _("%(size)s KB", size=decimal_text(round(kilobytes, 1)))
    return _("%(size)s MB", size=decimal_text(round(kilobytes / 1024, 1)))


def partner_status(status: str) -> str:
    return partner_label(status)  # the admin's wording where set (app.status_labels)


def partner_status_of(request) -> str:
    """The request's current status as its partner reads it ("Ready — awaiting payment")."""
    label = partner_status(request.status)  # the admin's wording of "Ready" too
    if awaiting_payment(request):
        return _("%(status)s — awaiting payment", status=label)
    return label


def partner_group(status: str) -> str:
    return partner_group_of(status)


def staff_status(status: str) -> str:
    return staff_label(status)


def unread_count() -> int:
    """Unread notifications of the current user (the bell). A page shown by GET uses the
    count read with the user at the start of the request (app.security.get_user_by_id);
    a page rendered by a POST (a refused form) may have changed them: it counts again."""
    if not current_user.is_authenticated:
        return 0
    loaded = getattr(current_user, "replan_unread", None)
    if loaded is not None and http_request.method in ("GET", "HEAD"):
        return loaded
    return db.session.query(Notification.id).filter(
        Notification.user_id == current_user.id, Notification.is_read.is_(False)).count()


@lru_cache(maxsize=4096)
def _decimal_text(value, locale: str) -> str:
    return babel_format_decimal(value, locale=locale)


def decimal_text(value, locale: str | None = None) -> str:
    """Flask-Babel's `decimalformat` filter, remembered per value and language: a week page
    shows ~160 hour figures, each ~40 µs through Babel, from a few dozen distinct values.
    `locale`: the language when the caller knows it (else the request's)."""
    return _decimal_text(value, locale or locale_name())


def select_options(pairs, selected) -> Markup:
    """The <option>s of a filter's select: (value, label) pairs, the one equal to `selected`
    marked. Built here with each value and label escaped: a supermanager's desk lists every
    partner company, manager and engineer (~450 options), ten template steps each."""
    return Markup("".join(
        f'<option value="{escape(key)}" {"selected" if selected == key else ""}>'
        f'{escape(label)}</option>' for key, label in pairs))


def row_cells(item: dict, columns, formatters: dict) -> Markup:
    """A back-office list row's cells: each column's value through its formatter (FAB's
    formatters_columns), escaped as Jinja would. One call a row: a cell's formatter called
    from the template was a Jinja context call of its own (~280 a staff list page)."""
    cells = []
    for column in columns:
        value = item[column]
        formatter = formatters.get(column)
        cells.append(f"<td>{escape(formatter(value) if formatter else value)}</td>")
    return Markup("".join(cells))


@pass_context
def template_gettext(context, string: str, **variables) -> str:
    """Jinja's _() as its newstyle gettext behaves (the kept translation, marked safe under
    autoescape, always %-formatted with its variables), called directly: Jinja's `_` is an
    alias that resolves `gettext` and makes two context calls each time (~40 a page)."""
    translations = request_translations()
    text = translations.ugettext(string)
    variables = with_brand(text, variables)  # the product's name (app.branding)
    if context.eval_ctx.autoescape:
        # the shipped catalog is trusted markup; the admin's wording (app.ui_texts) is text:
        # escaped, so a quote or an ampersand in it stays text inside any attribute
        text = escape(text) if is_overridden(translations, string) else Markup(text)
    return text % variables


def language_url(code: str) -> str:
    """The RU / EN link: the switch, then this page again (app.security's after-request hook
    follows `next`). A page answering a POST is not repeated: the switch's own default."""
    here = http_request.full_path.rstrip("?") if http_request.method == "GET" else page_url()
    return url_for("LocaleView.index", locale=code, next=here)


def install_template_helpers(app: Flask) -> None:
    install_error_pages(app)
    # Jinja's _() through the kept translations (Flask-Babel installed its own lookups)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n))
    app.jinja_env.globals["_"] = template_gettext
    app.jinja_env.globals["language_url"] = language_url
    app.add_template_filter(object_type_label, "object_type_label")
    app.add_template_filter(urgency_label, "urgency_label")
    app.add_template_filter(building_label, "building_label")
    app.add_template_filter(money, "money")
    app.add_template_filter(decimal_text, "decimalformat")  # Flask-Babel's, remembered
    app.add_template_global(request_payable, "request_payable")  # VAT on top included
    app.add_template_filter(amount_due, "amount_due")
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(shown_text, "note_text")  # the bell in the reader's language
    # the catalogue's names in the reader's language (app.catalogue_names)
    app.add_template_filter(line_title, "line_title")
    app.add_template_filter(service_name, "service_name")
    app.add_template_global(row_cells, "row_cells")
    app.add_template_global(brand, "brand")  # the product's name (app.branding)
    app.add_template_global(in_language, "in_language")  # Russian or English wording
    app.add_template_global(kept_url_for, "url_for")
    app.add_template_global(typed_text, "typed_text")  # a refused form's typed values
    app.add_template_global(page_url, "page_url")  # where a page drawn by a POST lives
    app.add_template_filter(partner_status, "partner_status")
    app.add_template_filter(partner_status_of, "partner_status_of")
    app.add_template_filter(partner_group, "partner_group")
    app.add_template_filter(staff_status, "staff_status")
    app.add_template_filter(payment_label, "payment_label")
    # a message that may hold what the user typed ('50%'): translated without %-formatting
    # (Jinja's _() formats every string and fails on a lone %)
    app.add_template_filter(lambda text: _(text) if isinstance(text, str) else text,
                            "translated")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(role_labels, "role_labels")
    # moments in the bureau's time zone (app.timefmt); a plain date is shown as it is, in the
    # one day format of every page, e-mail and document ("08.12.2026", as moments show it)
    get_babel(app).timezone_selector = bureau_zone_name
    app.add_template_filter(lambda d: format_day(d) if d else "", "date")
    app.add_template_filter(lambda d: format_day(d, "EEE") if d else "", "weekday")  # "пн"
    app.add_template_filter(lambda d: format_moment(d) if d else "", "datetime")
    # schedule entries are wall-clock times already: shown as stored, never converted
    app.add_template_filter(lambda d: format_wall(d) if d else "", "wall_datetime")
    # a request's subtotal, discount and total as its documents print them
    # deferred: reports.documents imports this module's labels (a cycle at import time)
    from reports.documents import percent_text, request_totals
    app.add_template_global(request_totals, "request_totals")
    app.add_template_global(percent_text, "percent_text")
    app.add_template_global(select_options, "select_options")
    # the simple electronic signatures of a request (app.signatures): cabinet and desk history
    app.add_template_global(signatures_of, "signatures_of")
    app.add_template_global(signature_text, "signature_text")

    @app.context_processor
    def replan_globals():
        return {"current_locale": locale_name(""), "languages": app.config["LANGUAGES"],
                "unread_count": unread_count, "url_for_optional": url_for_optional,
                "navbar_menu": navbar_menu,  # cached per permission set and language
                # templates ask the domain for action names
                "Action": Action,
                # the request's form values this reader may see (app.service_fields)
                "request_field_rows": lambda req: visible_to(req, current_user),
                **DOCUMENT_CHECKLIST}  # app.document_slots: the checklist partials ask it


class _RuleWords(NamedTuple):
    label: str
    label_en: str | None


def _rule_words(kind: str) -> dict[str, _RuleWords]:
    """Every rule's words, a switched-off one's too: a request filed under it keeps its label
    (switched off, the lists showed the raw key "apartment")."""
    rows = db.session.query(PriceRule.key, PriceRule.label, PriceRule.label_en,
                            PriceRule.is_active).filter_by(kind=kind) \
        .order_by(PriceRule.is_active, PriceRule.id).all()  # an active rule's words win
    return {row.key: _RuleWords(row.label, row.label_en) for row in rows}


def _rule_label(kind: str, key: str | None) -> str:
    """rule_label with the kind's labels read once per request (a list shows many rows),
    kept per process under the shared-cache stamp "catalogue" (a price rule's edit moves it)."""
    cache = g.setdefault("rules_by_kind", {}) if has_app_context() else {}
    if kind not in cache:
        cache[kind] = cached(CATALOGUE, ("rule-labels", kind), lambda: _rule_words(kind))
    return rule_label(kind, key, locale_name("") == "en", rules=cache[kind])


def object_type_label(key: str) -> str:
    return _rule_label("object_type", key)


def urgency_label(key: str) -> str:
    return _rule_label("urgency", key)


def building_label(key: str | None) -> str:
    return str(BUILDING_LABELS.get(key, key or "—"))


KEPT_URLS = 4096  # paths kept per process (pager links make new ones: bounded)
_URLS: dict[tuple, str] = {}


def kept_url_for(endpoint: str, **values) -> str:
    """Templates' url_for: a path (not an external URL) built once per process for each
    endpoint, values and mount point. Werkzeug builds one in ~6 µs and a page asks for
    20-60 (menu, static files, row and pager links); a path depends on nothing else here
    (the URL defaults only version static files, fixed for the process). External URLs,
    anchors, relative endpoints and unhashable values are built as Flask builds them."""
    if endpoint.startswith(".") or any(key.startswith("_") for key in values) \
            or not has_request_context():
        return url_for(endpoint, **values)
    try:
        key = (endpoint, http_request.script_root, tuple(sorted(values.items())))
        hash(key)
    except TypeError:  # a list among the values
        return url_for(endpoint, **values)
    kept = _URLS.get(key)
    if kept is None:
        kept = url_for(endpoint, **values)
        if len(_URLS) >= KEPT_URLS:
            _URLS.clear()
        _URLS[key] = kept
    return kept


def url_for_optional(endpoint: str, **values) -> str | None:
    """url_for that returns None for an endpoint this build does not have."""
    try:
        return kept_url_for(endpoint, **values)
    except BuildError:
        return None
