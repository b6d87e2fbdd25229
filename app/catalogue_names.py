"""The catalogue's names in the reader's language: the one place every page, list, PDF and
form asks how a service, a price rule or a priced line is called.

The catalogue is data: a service has `name` (Russian, the bureau's language) and `name_en`,
a price rule `label` and `label_en`. The English one is shown when the reader's language is
English and it is filled in, else the Russian one.

A request's service lines (`RequestService.title`) and a quote's breakdown keep the Russian
name at the time of filing (documents and signatures are built on them); `line_title` shows
a Russian reader that stored title and an English reader the service's (or, for an option's
surcharge line, the price rule's) English name, found by the line's service or by the stored
title, else the stored title. The names are kept per process under the shared-cache stamp
"catalogue" (a service's or price rule's edit moves it).
"""

from __future__ import annotations

from app.extensions import db
from app.shared_cache import CATALOGUE, cached
from app.translations import in_language, reads_english
from models.catalog import PriceRule, Service


def service_name(service, english: bool | None = None) -> str:
    """A service (a row or a plain copy with name and name_en) in the reader's language."""
    if service is None:
        return "—"
    return in_language(service.name, service.name_en, english)


def install_reader_names() -> None:
    """Every related select and column names a service in its reader's language."""
    Service.named_for_reader = staticmethod(service_name)


def _english_names() -> dict:
    """{"services": {id: name_en}, "titles": {Russian name or label: English}} of every
    service and price rule, active or not (old requests name retired ones too)."""
    services, titles = {}, {}
    for row in db.session.query(Service.id, Service.name, Service.name_en):
        if row.name_en:
            services[row.id] = row.name_en
            titles.setdefault(row.name, row.name_en)
    for row in db.session.query(PriceRule.label, PriceRule.label_en):
        if row.label_en:
            titles.setdefault(row.label, row.label_en)
    return {"services": services, "titles": titles}


def title_in_language(title: str, service_id: int | None = None) -> str:
    """A stored line title (Russian, see the module's docstring) in the reader's language."""
    if not reads_english():
        return title
    names = cached(CATALOGUE, ("english-names",), _english_names)
    return names["services"].get(service_id) or names["titles"].get(title) or title


def line_title(line) -> str:
    """A priced line in the reader's language: a request's service line, a calculator's
    line (title, service_id) or a quote's breakdown item ({"title": …})."""
    if isinstance(line, dict):
        return title_in_language(line.get("title") or "", line.get("service_id"))
    return title_in_language(line.title, getattr(line, "service_id", None))
