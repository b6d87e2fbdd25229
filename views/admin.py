"""Admin screens: companies, payments, catalogue, knowledge base, audit log, users."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import Email, InputRequired, NumberRange, Optional

from app.catalogue import (check_article, check_category, check_price_rule, check_service,
                           replace_kb_template)
from app.errors import DomainError
from app.extensions import db
from app.markdown import render_markdown
from app.partners import update_company
from app.request_form import PHONE
from app.permissions import ENGINEER
from app.templating import decimal_text, money
from app.uow import unit_of_work
from app.request_form import rule_choices
from models.catalog import RULE_KIND_LABELS, RULE_OBJECT_TYPE, PriceRule, Quote, Service
from models.finance import Payment
from models.knowledge import ARTICLE_KIND_LABELS, KbArticle, KbCategory
from models.partners import EndClient, PartnerCompany
from models.requests import Attachment, Message
from models.schedule import ScheduleEntry
from views.audit_log import AuditEventView  # noqa: F401  (registered from here)
from views.base import ReadOnlyView, ReplanInterface, ReplanModelView
from app.form_fields import DecimalCommaField, RoublesField
from views.filters import HoldingRole, RelatedRequestScopeFilter
from views.service_prices import field_title, rate_field_select
from views.service_fields import ServiceFieldView

NO_DELETE = ["can_list", "can_show", "can_add", "can_edit", "can_export"]


def _money(kopecks):
    return money(kopecks)


def _kind_field(labels: dict) -> SelectField:
    """A kind chosen by its label (the form had a text box saying "object_type, urgency or
    option")."""
    return SelectField(_l("Kind"), choices=list(labels.items()), validators=[InputRequired()],
                       widget=Select2Widget())


class PartnerCompanyView(ReplanModelView):
    datamodel = ReplanInterface(PartnerCompany)
    route_base = "/companies"
    base_permissions = ["can_list", "can_show", "can_edit", "can_export"]  # block, not delete
    list_columns = ["name", "inn", "city", "discount_percent", "is_blocked", "created_at"]
    show_columns = ["name", "inn", "city", "phone", "email", "discount_percent", "is_blocked",
                    "created_at"]
    edit_columns = ["name", "city", "phone", "email", "discount_percent", "is_blocked"]
    search_columns = ["name", "inn", "city", "is_blocked"]
    label_columns = {"name": _l("Company"), "inn": _l("INN"), "city": _l("City"),
                     "phone": _l("Phone"), "email": _l("E-mail"),
                     "discount_percent": _l("Discount, %"), "is_blocked": _l("Blocked"),
                     "created_at": _l("Created")}
    edit_form_extra_fields = {"discount_percent": DecimalCommaField(  # "7,5" as typed
        _l("Discount, %"), places=2, validators=[InputRequired(), NumberRange(
            min=0, max=100, message=_l("The discount is a percent from 0 to 100."))])}
    # the partner application's checks ("not-an-email" and a phone "abc" were saved here)
    validators_columns = {
        "email": [Optional(), Email(message=_l("Enter a valid e-mail address."))],
        "phone": [Optional(), PHONE]}

    def pre_update(self, item):
        """Checked and audited by the use case; FAB's datamodel commits it all at once."""
        update_company(g.user, item)


class EndClientView(ReadOnlyView):
    datamodel = ReplanInterface(EndClient, eager=("company",))
    route_base = "/end-clients"
    list_columns = ["name", "phone", "company", "created_at"]
    order_columns = ["name", "created_at"]  # the indexed ones (issue 14: no sort of all rows)
    show_columns = ["name", "phone", "email", "note", "company", "created_at"]
    search_columns = ["name", "phone"]
    label_columns = {"name": _l("Name"), "phone": _l("Phone"), "email": _l("E-mail"),
                     "note": _l("Note"), "company": _l("Partner"), "created_at": _l("Created")}


class PaymentView(ReadOnlyView):
    """Payments are marked on the request page; never deleted."""

    datamodel = ReplanInterface(Payment, eager=("request",))
    route_base = "/payments"
    base_order = ("id", "desc")
    list_columns = ["paid_on", "request", "amount_kopecks", "document", "created_at",
                    "voided_at"]
    order_columns = ["paid_on", "created_at"]  # the indexed ones (issue 14)
    show_columns = list_columns + ["note", "void_reason"]
    search_columns = ["paid_on", "document", "amount_kopecks"]
    formatters_columns = {"amount_kopecks": _money,  # voided: Да/Нет, not a timestamp
                          "voided_at": lambda voided: _("Yes") if voided else _("No")}
    label_columns = {"paid_on": _l("Payment date"), "request": _l("Request"),
                     "amount_kopecks": _l("Amount"), "document": _l("Payment document"),
                     "created_at": _l("Recorded"), "note": _l("Note"),
                     "voided_at": _l("Voided"), "void_reason": _l("Reason for voiding")}


class ServiceView(ReplanModelView):
    """Services are switched off, not deleted: requests keep their lines."""

    datamodel = ReplanInterface(Service)
    route_base = "/services"
    base_permissions = NO_DELETE
    base_order = ("sort_order", "asc")
    list_columns = ["code", "name", "name_en", "base_price_kopecks", "price_per_m2_kopecks",
                    "rate_field_key", "estimated_hours", "is_active"]
    show_columns = list_columns + ["description", "sort_order"]
    # the price: base + rate × the rate field's value (app.pricing); price_per_m2_kopecks is
    # the rate per unit of any number field now (its name is from when it was per m²)
    add_columns = edit_columns = ["code", "name", "name_en", "description",
                                  "base_price_kopecks", "rate_field_key",
                                  "price_per_m2_kopecks", "estimated_hours", "is_active",
                                  "sort_order"]
    search_columns = ["code", "name", "is_active"]
    formatters_columns = {"base_price_kopecks": _money, "price_per_m2_kopecks": _money,
                          "rate_field_key": field_title,  # hours as the reader writes them
                          "estimated_hours": lambda hours: decimal_text(hours.normalize())
                          if hours is not None else "—"}
    add_form_extra_fields = edit_form_extra_fields = {  # typed in roubles, stored in kopecks
        "base_price_kopecks": RoublesField(_l("Base price, ₽"), [InputRequired()],
                                           allow_zero=True),
        "rate_field_key": rate_field_select(),
        "price_per_m2_kopecks": RoublesField(
            _l("Rate per unit, ₽"), [Optional()], allow_zero=True,
            description=_l("Empty or 0 for a fixed price (the base price only)."))}
    label_columns = {"code": _l("Code"), "name": _l("Service name"),
                     "name_en": _l("Name (English)"),
                     "description": _l("Description"),
                     "base_price_kopecks": _l("Base price, ₽"),
                     "price_per_m2_kopecks": _l("Rate per unit, ₽"),
                     "rate_field_key": _l("Rate field"),
                     "estimated_hours": _l("Estimated hours"), "is_active": _l("Active"),
                     "sort_order": _l("Order")}

    related_views = [ServiceFieldView]  # the service's request form fields on its page

    def pre_add(self, item):
        check_service(item)

    pre_update = pre_add


class PriceRuleView(ReplanModelView):
    datamodel = ReplanInterface(PriceRule)
    route_base = "/price-rules"
    base_permissions = NO_DELETE
    list_columns = ["kind", "key", "label", "coefficient", "surcharge_kopecks", "is_active"]
    show_columns = list_columns + ["label_en"]
    add_columns = edit_columns = ["kind", "key", "label", "label_en", "coefficient",
                                  "surcharge_kopecks", "is_active"]
    search_columns = ["kind", "key", "label"]
    label_columns = {"kind": _l("Kind"), "key": _l("Key"), "label": _l("Label"),
                     "label_en": _l("Label (English)"), "coefficient": _l("Coefficient"),
                     "surcharge_kopecks": _l("Surcharge, ₽"), "is_active": _l("Active")}
    formatters_columns = {"surcharge_kopecks": _money}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": _kind_field(RULE_KIND_LABELS),
        "surcharge_kopecks": RoublesField(_l("Surcharge, ₽"), [InputRequired()],
                                          allow_zero=True),
        "coefficient": DecimalCommaField(_l("Coefficient"), places=3, validators=[
            InputRequired(), NumberRange(min=0.001, max=100, message=_l(
                "The coefficient is a number above 0, e.g. 1,3."))])}

    def pre_add(self, item):
        check_price_rule(item)

    pre_update = pre_add


def _breakdown(lines):
    """A saved quote's lines as "service — price", one a line (FAB printed the raw list)."""
    if not lines:
        return "—"
    return Markup("<br>").join(Markup("{} — {}").format(line.get("title", ""),
                                                        money(line.get("kopecks")))
                               for line in lines)


def _object_type_label(key: str | None) -> str:
    """An object type's name (its price rule's label), read once per request; — for none."""
    if not key:
        return "—"  # a quote of a service without one (a car check)
    labels = g.get("object_type_labels")
    if labels is None:
        labels = g.object_type_labels = dict(rule_choices(RULE_OBJECT_TYPE))
    return labels.get(key, key)


class QuoteView(ReadOnlyView):
    datamodel = ReplanInterface(Quote, eager=("company",))
    route_base = "/quotes"
    base_order = ("id", "desc")
    list_columns = ["id", "company", "object_type", "area", "urgency", "total_kopecks",
                    "created_at"]
    show_columns = list_columns + ["subtotal_kopecks", "discount_kopecks", "breakdown"]
    search_columns = ["object_type", "urgency", "created_at"]
    formatters_columns = {"total_kopecks": _money, "subtotal_kopecks": _money,
                          "discount_kopecks": _money, "breakdown": _breakdown,
                          # a quote of a service without them (a car check) has none
                          "object_type": _object_type_label,
                          "area": lambda area: "—" if area is None else area}
    label_columns = {"id": _l("Number"), "company": _l("Partner"),
                     "object_type": _l("Object type"),
                     "area": _l("Area, m²"), "urgency": _l("Urgency"), "total_kopecks": _l("Total"),
                     "created_at": _l("Created"), "subtotal_kopecks": _l("Subtotal"),
                     "discount_kopecks": _l("Discount"), "breakdown": _l("Breakdown")}


class KbCategoryView(ReplanModelView):
    datamodel = ReplanInterface(KbCategory)
    route_base = "/kb-categories"
    list_columns = ["name", "slug", "sort_order"]
    add_columns = edit_columns = show_columns = ["name", "name_en", "slug", "sort_order"]
    search_columns = ["name"]
    label_columns = {"name": _l("Name"), "name_en": _l("Name (English)"),
                     "slug": _l("Address (slug)"), "sort_order": _l("Order")}

    def pre_add(self, item):
        check_category(item)

    pre_update = pre_add

    def pre_delete(self, item):
        """A category with articles stays (its articles would lose their place: the database
        refused the delete and FAB showed a generic error)."""
        if db.session.query(KbArticle.id).filter_by(category_id=item.id).first() is not None:
            raise ValueError(_("The category has articles: move them to another category or "
                               "delete them first."))


def _markdown_preview(text):
    return Markup('<div class="replan-preview">{}</div>').format(render_markdown(text))


class KbArticleView(ReplanModelView):
    """Markdown in the editor; the show page is the sanitized preview partners will see."""

    datamodel = ReplanInterface(KbArticle, eager=("category",))
    route_base = "/kb-articles"
    list_columns = ["title", "category", "kind", "is_public", "staff_only", "is_published",
                    "updated_at", "id"]
    show_columns = ["title", "title_en", "slug", "category", "kind", "is_public", "staff_only",
                    "is_published", "template_name", "body_md", "body_md_en"]
    add_columns = edit_columns = ["title", "title_en", "slug", "category", "kind", "body_md",
                                  "body_md_en", "is_public", "staff_only", "is_published"]
    search_columns = ["title", "kind", "is_public", "staff_only"]
    formatters_columns = {"body_md": _markdown_preview, "body_md_en": _markdown_preview,
                          "id": lambda pk: Markup(
        '<a class="btn btn-xs btn-default" href="{}">{}</a>').format(
            url_for("KbArticleView.template", pk=pk), _("Template file…"))}
    description_columns = {"body_md": _l("Markdown: ## heading, **bold**, - list, "
                                         "[link](https://…). Open the row to see the preview."),
                           "title_en": _l("Empty: English readers see the Russian title."),
                           "body_md_en": _l("Markdown, as the Russian text. Empty: English "
                                            "readers see the Russian text.")}
    add_form_extra_fields = edit_form_extra_fields = {"kind": _kind_field(ARTICLE_KIND_LABELS)}
    label_columns = {"title": _l("Title"), "slug": _l("Address (slug)"),
                     "category": _l("Category"), "kind": _l("Kind"),
                     "is_public": _l("Public (no login)"), "staff_only": _l("Staff only"),
                     "is_published": _l("Published"), "body_md": _l("Text"),
                     "title_en": _l("Title (English)"), "body_md_en": _l("Text (English)"),
                     "template_name": _l("Template file"), "id": _l("File"),
                     "updated_at": _l("Updated")}

    def pre_add(self, item):
        check_article(item)

    pre_update = pre_add

    @expose("/template/<int:pk>", methods=["GET", "POST"])
    @has_access
    def template(self, pk: int):
        """Attach the downloadable file of a template article (replaces the previous one)."""
        article = db.session.get(KbArticle, pk) or abort(404)
        if request.method == "POST":
            try:
                with unit_of_work():
                    replace_kb_template(g.user, pk, request.files.get("file") or FileStorage())
            except DomainError as exc:
                flash(str(exc), "danger")
                return redirect(url_for("KbArticleView.template", pk=pk))
            flash(_("Template file saved."), "success")
            return redirect(url_for("KbArticleView.show", pk=pk))
        return self.render_template("desk/kb_template.html", article=article)


class MessageView(ReadOnlyView):
    datamodel = ReplanInterface(Message, eager=("request", "author"))
    route_base = "/messages"
    base_filters = [["id", RelatedRequestScopeFilter, lambda: None]]
    base_order = ("id", "desc")
    list_columns = ["created_at", "request", "author", "is_internal", "body"]
    order_columns = ["created_at"]  # the indexed one (issue 14)
    show_columns = list_columns
    search_columns = ["is_internal", "created_at", "body"]
    label_columns = {"created_at": _l("When"), "request": _l("Request"), "author": _l("Who"),
                     "is_internal": _l("Internal note"), "body": _l("Text")}


class AttachmentView(ReadOnlyView):
    """File metadata of visible requests (downloads go through the request page)."""

    datamodel = ReplanInterface(Attachment, eager=("request", "uploaded_by"))
    route_base = "/attachments"
    base_filters = [["id", RelatedRequestScopeFilter, lambda: None]]
    base_order = ("id", "desc")
    list_columns = ["created_at", "request", "kind", "version", "original_name", "size",
                    "uploaded_by", "is_released"]
    order_columns = ["created_at"]  # the indexed one (issue 14)
    show_columns = list_columns + ["content_type", "sha256"]
    search_columns = ["kind", "original_name", "created_at", "is_released"]
    label_columns = {"created_at": _l("Uploaded"), "request": _l("Request"), "kind": _l("Kind"),
                     "version": _l("Version"), "original_name": _l("File"),
                     "size": _l("Size, bytes"), "uploaded_by": _l("Who"),
                     "is_released": _l("Released"), "content_type": _l("Type"),
                     "sha256": "SHA-256"}


class ScheduleEntryView(ReadOnlyView):
    datamodel = ReplanInterface(ScheduleEntry, eager=("engineer", "request"))
    route_base = "/schedule-entries"
    base_order = ("starts_at", "desc")
    list_columns = ["starts_at", "ends_at", "engineer", "kind", "request", "note"]
    order_columns = ["starts_at", "ends_at"]  # the indexed ones (issue 14)
    show_columns = list_columns
    # one engineer's entries newest first: ix_schedule_engineer_start
    search_columns = ["engineer", "kind", "starts_at", "note"]
    search_form_query_rel_fields = {"engineer": [["id", HoldingRole, ENGINEER]]}
    label_columns = {"starts_at": _l("Start"), "ends_at": _l("End"), "engineer": _l("Engineer"),
                     "kind": _l("Kind"), "request": _l("Request"), "note": _l("Note")}
