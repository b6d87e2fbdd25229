"""Back-office catalogue rules: price rules, knowledge-base articles and their template files.

FAB's model views save the rows themselves (one commit in their datamodel); these functions
are the checks they call and the one hand-written use case, the template upload.
"""

from __future__ import annotations

import re

from decimal import Decimal

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from app.access import require_role
from app.audit import record
from app.errors import InvalidInput
from app.extensions import db
from app.permissions import ADMIN
from app.storage import discard, save_upload
from app.uow import after_commit
from models.catalog import RULE_OBJECT_TYPE, RULE_OPTION, RULE_URGENCY, PriceRule
from models.knowledge import KbArticle
from models.service_fields import NUMBER_TYPES, ServiceField

PRICE_RULE_KINDS = (RULE_OBJECT_TYPE, RULE_URGENCY, RULE_OPTION)
ARTICLE_KINDS = ("article", "faq", "template")


def check_price_rule(rule) -> None:
    """InvalidInput unless the rule's kind is one the calculator applies and its key one
    word no other rule of the kind has (two "qa_opt" options showed twice in the calculator,
    the last one priced; "qa 11" was a key)."""
    if rule.kind not in PRICE_RULE_KINDS:
        raise InvalidInput(_l("Kind must be object_type, urgency or option."))
    rule.key = checked_code(rule.key, _l("Key"))
    with db.session.no_autoflush:
        twin = db.session.query(PriceRule.id).filter(
            PriceRule.kind == rule.kind, func.lower(PriceRule.key) == rule.key.lower(),
            PriceRule.id != (rule.id or 0)).first()
    if twin is not None:
        raise InvalidInput(_l("A rule of this kind with the key “%(key)s” already exists.",
                              key=rule.key))
    if rule.kind == RULE_OBJECT_TYPE and rule.coefficient is not None \
            and Decimal(rule.coefficient) != 1:  # one source of truth: app.pricing
        raise InvalidInput(_l("An object type's price coefficient is set on the option of "
                              "the services' “object_type” field (value | Метка | Label | "
                              "1,3); here it stays 1."))


# a code or an address part: letters (any alphabet), digits, "-" and "_", no spaces
CODE_RE = re.compile(r"[^\W_][\w-]*")


def checked_code(value, what) -> str:
    """`value` trimmed as a code or an address part, or InvalidInput naming `what` ("ипотека
    1" and "Документы ипотеки!" were saved: the article's address had spaces and "!")."""
    value = (value or "").strip()
    if not CODE_RE.fullmatch(value) or len(value) > 100:
        raise InvalidInput(_l("%(what)s: letters, digits, “-” and “_” only, no spaces (e.g. "
                              "mortgage-docs).", what=what))
    return value


def check_service(service) -> None:
    """InvalidInput for a code that is no code, a negative price (partners would see
    "−-0,25 ₽" and negative totals) or negative hours, a rate field that is not a number
    field of the service, or a rate without one."""
    service.code = checked_code(service.code, _l("Code"))
    if service.price_per_m2_kopecks is None:  # left empty: a fixed price
        service.price_per_m2_kopecks = 0
    if (service.base_price_kopecks or 0) < 0 or (service.price_per_m2_kopecks or 0) < 0:
        raise InvalidInput(_l("Prices must not be negative."))
    if (service.estimated_hours or 0) < 0:  # engineers' loads and the booking window add them
        raise InvalidInput(_l("The estimated hours must not be negative."))
    service.rate_field_key = (service.rate_field_key or "").strip() or None
    if service.rate_field_key is None:
        if service.price_per_m2_kopecks:
            raise InvalidInput(_l("Choose the rate field (the number the rate multiplies), "
                                  "or set the rate to 0."))
        return
    if service.rate_field_key not in dict(rate_field_choices(service.id)):
        raise InvalidInput(_l("The rate field must be an integer or decimal field of this "
                              "service."))


def rate_field_choices(service_id) -> list[tuple[str, str]]:
    """(key, "label (key)") of the service's active integer and decimal fields."""
    if not str(service_id or "").isdigit():
        return []
    with db.session.no_autoflush:
        rows = db.session.query(ServiceField).filter(
            ServiceField.service_id == int(service_id), ServiceField.is_active.is_(True),
            ServiceField.field_type.in_(NUMBER_TYPES)) \
            .order_by(ServiceField.sort_order, ServiceField.id).all()
    return [(row.key, f"{row.label} ({row.key})") for row in rows]


def check_article(article) -> None:
    """InvalidInput unless the article's kind is one the knowledge base shows and its
    address (slug) is one."""
    if article.kind not in ARTICLE_KINDS:
        raise InvalidInput(_l("Kind must be article, faq or template."))
    article.slug = checked_code(article.slug, _l("Address (slug)")).lower()
    if article.is_public and article.staff_only:  # saved, listed "public", and a 404
        raise InvalidInput(_l("An article is either public or for staff only, not both."))


def check_category(category) -> None:
    """InvalidInput unless the category's address (slug) is one."""
    category.slug = checked_code(category.slug, _l("Address (slug)")).lower()


def replace_kb_template(user, article_id: int, upload) -> KbArticle:
    """Attach the downloadable file of a template article; the previous file is removed
    from disk once the change commits (a refused upload keeps the old one)."""
    require_role(user, ADMIN)
    article = db.session.get(KbArticle, article_id)
    if article is None:
        abort(404)
    stored = save_upload(upload)
    old, old_name = article.template_stored, article.template_name
    article.template_name, article.template_stored = stored.original_name, stored.stored_name
    record("kb_template", user, article, template_name=[old_name, stored.original_name])
    if old:
        after_commit(discard, old)
    return article
