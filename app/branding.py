"""The product's name as the bureau calls it (Settings → "Product name", default "Replan").

Every text shown to people names the product "%(brand)s" (app.translations fills it in for
each gettext, lazy or not, Python or Jinja); pages and e-mails call `brand()` for their
titles. A car-inspection bureau running Replan shows its own name, not Replan's.
"""

from __future__ import annotations

from flask import has_app_context
from sqlalchemy.exc import SQLAlchemyError

DEFAULT_BRAND = "Replan"
BRAND_REFUSED = "%<>"  # refused when saved (app.settings); dropped if stored anyway
BRAND_MAX = 60


def brand() -> str:
    """The product name in this installation; the default outside an app context, and while
    the database is unreachable (the 503 page is drawn then too)."""
    if not has_app_context():
        return DEFAULT_BRAND
    from app.settings import get_setting  # deferred: app.settings → app.audit → … → here

    try:
        name = get_setting("brand_name")
    except SQLAlchemyError:
        return DEFAULT_BRAND
    name = "".join(c for c in name if c not in BRAND_REFUSED) if isinstance(name, str) else ""
    return name.strip() or DEFAULT_BRAND
