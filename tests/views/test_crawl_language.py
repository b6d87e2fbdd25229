"""Every back-office page, as each staff role, in Russian and in English, reads in that
language: no Flask-AppBuilder English in Russian pages, no Russian UI text in English pages,
and no raw codes (`apartment`, `unpaid`, `None`, `True`, ISO timestamps) in table cells.

The demo bureau is loaded once for the module and each role signs in once; the crawl follows
the landing page's menu, then the first show, edit and add page each list or desk page links
to (so "where permitted" is whatever FAB renders for that role)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import flask_appbuilder
import pytest
from babel.messages.pofile import read_po
from flask_appbuilder import Model
from sqlalchemy import String, Text, select

from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import appbuilder, db
from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, SUPERMANAGER
from app.quotes import save_quote
from config import BASE_DIR
from models import catalog, exports, knowledge, outbox, partners, requests, schedule
from models.catalog import PriceRule, Service
from models.knowledge import KbArticle, KbCategory
from models.document_slots import DocumentSlot
from models.service_fields import ServiceField
from models.partners import APPLICATION_REJECTED, PartnerApplication
from models.request_status import Action, Status
from tests.factories import login

# ~300 pages per language and role, over the whole demo bureau: `make audit` (.ci/run)
pytestmark = pytest.mark.audit

LOGINS = {ADMIN: "admin", DIRECTOR: "director", SUPERMANAGER: "supermanager",
          MANAGER: "manager1", ENGINEER: "engineer1"}
LOCALES = ("ru", "en")
DETAIL = re.compile(r"^/[\w-]+/(show|edit)/\d+$|^/[\w-]+/add$|^/desk/\d+$")
NEVER = re.compile(r"^/(lang|logout|static)/|/(delete|download|pdf|export)\b")

# FAB's English UI words: none may show on a Russian page (whole words, case-sensitive)
FAB_WORDS = (
    "List", "Show", "Add", "Edit", "Delete", "Detail", "Search", "Record Count", "Actions",
    "Action", "Save", "Back", "Cancel", "OK", "Filter", "Filters", "Refresh", "None", "True",
    "False", "No records found", "Records", "Record", "Select", "Choose", "Next", "Previous",
    "First", "Last", "Page", "Home", "Login", "Logout", "Profile", "Language", "User",
    "Users", "Role", "Roles", "Group", "Groups", "Security", "Permissions", "Statistics",
    "Yes", "No", "Export", "Submit", "Close", "Clear", "Apply", "Loading", "More", "Order by",
    "Equal to", "Not Equal to", "Starts with", "Ends with", "Contains", "Greater than",
    "Smaller than", "Relation", "Manager", "Supermanager", "Engineer", "Admin", "Director",
    "Partner", "Public", "Toggle navigation", "Are you sure", "Added Row", "Changed Row",
    "Deleted Row", "Information", "Personal Info", "Audit", "Reset Password", "Active",
    "First Name", "Last Name", "Email", "Created on", "Changed on", "Login count",
)
FAB_WORD = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, FAB_WORDS), key=len,
                                                         reverse=True)) + r")(?![\w-])")
# Latin words a Russian page may show: names of formats, standards and the language menu
LATIN_ALLOWED = {"E", "mail", "e", "Excel", "PDF", "IP", "SHA", "Markdown", "https", "UTC",
                 "SLA", "slug", "id", "REDIS_URL", "RU", "EN", "English", "JPEG", "PNG",
                 "WEBP", "HEIC", "DWG", "DOC", "DOCX", "XLS", "XLSX", "PPTX", "CSV", "INN",
                 "Replan", "IANA", "Asia", "Yekaterinburg", "Europe", "Moscow", "API", "CRM",
                 "VIN", "xlsx", "Word", "SMS", "URL",
                 # example keys in the field and document editors' help texts (typed codes)
                 "vin", "car_class", "bti_passport", "yes",
                 # the options' line format: "value | Русская метка | English label", e.g.
                 # "sedan | Седан | Sedan" (the English part of an option is typed in English)
                 "label", "sedan", "Sedan", "premium", "Premium"}
# code the admin types, shown as an example or a placeholder: {{ bureau_name }}, [A-Z0-9]{17}
CODE_EXAMPLE = re.compile(r"\{\{[^}]*\}\}|\[[^\]]*\]\{\d+\}")
# the texts editor lists each language's texts side by side: the Russian ones on English pages
RUSSIAN_BY_DESIGN = ("/texts/",)
# help that shows an option typed in both languages ("sedan | Седан | Sedan") on purpose
BILINGUAL_HELP = ("One option a line:",)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
# language names are shown in their own language on purpose
SELF_NAMED = {"Русский", "English"}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\.\d+)?")
SNAKE = re.compile(r"[a-z]+(_[a-z]+)+")


def _codes() -> set[str]:
    """Every stored code of a status, payment, object type, kind … (shown only via labels)."""
    found = {s.value for s in Status} | {a.value for a in Action}
    for module in (catalog, exports, knowledge, outbox, partners, requests, schedule):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                found.add(value)
            elif name.isupper() and isinstance(value, tuple) and all(
                    isinstance(v, str) for v in value):
                found.update(value)
    return found


# the English label of the payment state "paid" is the word itself
SAME_IN_ENGLISH = {"paid"}


class Visible(HTMLParser):
    """The text a user reads: text nodes (not scripts or styles), titles, placeholders,
    button values, option texts; each with the element it sits in."""

    SKIP = {"script", "style", "template", "code", "pre"}  # code is never interface language
    CONTEXTS = ("td", "th", "option", "title", "button", "label")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.stack: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.CONTEXTS:
            self.stack.append(tag)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("type") == "hidden":
            return
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.pieces.append(("@" + name, " ".join(attrs[name].split())))
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") \
                and attrs.get("value"):
            self.pieces.append(("button", attrs["value"]))

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.skip:
            self.pieces.append((self.stack[-1] if self.stack else "text", text))


def _visible(html: str) -> Visible:
    parser = Visible()
    parser.feed(html)
    parser.close()
    return parser


def _catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str)}


def _strings():
    """(FAB msgids with no Russian translation anywhere, Replan's msgid → Russian)."""
    ours = _catalogue(BASE_DIR / "babel" / "translations" / "ru" / "LC_MESSAGES" / "messages.po")
    fab = _catalogue(Path(flask_appbuilder.__file__).parent / "translations" / "ru"
                     / "LC_MESSAGES" / "messages.po")
    untranslated = {m for m, s in fab.items() if not s and not ours.get(m)}
    return untranslated, {m: s for m, s in ours.items() if s and s != m}


def _world() -> None:
    """The demo bureau plus what it lacks: partner applications and a saved quote."""
    load_demo()
    db.session.add_all([
        PartnerApplication(company_name="ООО «Новый партнёр»", inn="7701234521",
                           contact_name="Ирина Новикова", email="new@partner.example",
                           phone="+7 900 111-22-33", city="Москва", consent=True),
        PartnerApplication(company_name="ИП Отказов", inn="7707083893",
                           contact_name="Олег Отказов", email="no@partner.example",
                           phone="+7 900 111-22-44", consent=True, status=APPLICATION_REJECTED,
                           reject_reason="Дубликат")])
    service_ids = [s.id for s in db.session.query(Service).limit(2)]
    save_quote(appbuilder.sm.find_user(username="partner1"), service_ids,
               {"area": "54.5", "object_type": "apartment"}, "normal")
    db.session.commit()


def _crawl_role(client, locale: str) -> dict[str, tuple[int, Visible]]:
    client.get(f"/lang/{locale}")
    landing = client.get("/", follow_redirects=True)
    pages = {landing.request.path: (landing.status_code,
                                    _visible(landing.get_data(as_text=True)))}
    queue = []
    for href in pages[landing.request.path][1].links:
        path = urlsplit(href).path
        if href.startswith("/") and not NEVER.search(path) and path not in queue:
            queue.append(path)
    details = []
    for url in queue:
        if url in pages:
            continue
        response = client.get(url)
        page = _visible(response.get_data(as_text=True))
        pages[url] = (response.status_code, page)
        kinds = {re.sub(r"\d+", "N", d) for d in details}
        for href in page.links:
            path = urlsplit(href).path
            kind = re.sub(r"\d+", "N", path)
            if DETAIL.match(path) and kind not in kinds and not NEVER.search(path):
                kinds.add(kind)
                details.append(path)
    for url in details:
        if url not in pages:
            response = client.get(url)
            pages[url] = (response.status_code, _visible(response.get_data(as_text=True)))
    return pages


def _stored_texts() -> list[str]:
    """Every text stored in the database (names, addresses, notes …): data, not interface,
    longest first so that a name is cut out of a sentence before its parts. Not FAB's role,
    permission and menu names, nor stored codes: those must reach the page as labels."""
    found = set()
    for table in Model.metadata.sorted_tables:
        if table.name.startswith("ab_") and table.name != "ab_user":
            continue
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if columns:
            for row in db.session.execute(select(*columns)):
                found.update(" ".join(v.split()) for v in row
                             if isinstance(v, str) and len(v.strip()) > 1)
    found -= _codes()
    return sorted((v for v in found if not SNAKE.fullmatch(v)), key=len, reverse=True)


def _without_data(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return text


class Crawl:
    def __init__(self, pages: dict, data: list[str], identifiers: dict[str, set[str]]):
        self.pages = pages  # {(role, locale): {url: (status, Visible)}}
        self.data = data
        self.stored = set(data)
        # codes people type themselves (a service's code, a price rule's key): shown as typed
        self.identifiers = identifiers

    def is_data(self, text: str) -> bool:
        """Stored text, or a long part of one (a line of a rendered Markdown article)."""
        return text in self.stored or (len(text) >= 8 and any(text in value
                                                               for value in self.data))

    def identifier(self, url: str, text: str) -> bool:
        return any(url.startswith(prefix) and text in values
                   for prefix, values in self.identifiers.items())

    def pieces(self, locale: str, skip: re.Pattern | None = None):
        """(role, url, element, text) of every page in `locale`, data cut out of the text."""
        for (role, page_locale), pages in self.pages.items():
            if page_locale != locale:
                continue
            for url, (_, page) in pages.items():
                if skip is not None and skip.match(url):
                    continue
                for where, text in page.pieces:
                    yield role, url, where, text


@pytest.fixture(scope="module")
def crawl(app):
    with app.app_context():
        _world()
        data = _stored_texts()
        field_keys = {key for (key,) in db.session.execute(select(ServiceField.key))}
        identifiers = {
            "/services/": {code for (code,) in db.session.execute(select(Service.code))}
            | field_keys,
            "/service-fields/": field_keys,
            "/document-slots/": {key for (key,) in db.session.execute(select(DocumentSlot.key))},
            "/price-rules/": {key for (key,) in db.session.execute(select(PriceRule.key))},
            "/kb-categories/": {slug for (slug,) in db.session.execute(select(KbCategory.slug))},
            "/kb-articles/": {slug for (slug,) in db.session.execute(select(KbArticle.slug))}}
        pages = {}
        for role, username in LOGINS.items():
            client = app.test_client()
            login(client, username, DEMO_PASSWORD)
            for locale in LOCALES:
                pages[(role, locale)] = _crawl_role(client, locale)
        db.session.rollback()
    return Crawl(pages, data, identifiers)


def _report(failures: list[tuple]) -> str:
    return "\n".join(f"{role} {locale} {url}: {text!r}"
                     for role, locale, url, text in sorted(set(failures)))


def test_the_crawl_opens_every_page_of_each_role(crawl):
    """Every menu page and the first show/edit/add of each list answer 200, and the crawl
    really reached the pages of each kind."""
    broken = [(role, locale, url, str(code)) for (role, locale), pages in crawl.pages.items()
              for url, (code, _) in pages.items() if code != 200]
    assert not broken, _report(broken)
    admin = set(crawl.pages[(ADMIN, "ru")])
    for url in ("/requests/show/", "/services/edit/", "/services/add", "/desk/",
                "/partner-applications/show/", "/quotes/show/", "/kb-articles/edit/",
                "/users/edit/", "/settings/", "/jobs/", "/distribution/", "/my-profile/"):
        assert any(u.startswith(url) for u in admin), url
    assert any(re.fullmatch(r"/desk/\d+", u) for u in crawl.pages[(ENGINEER, "en")])
    sizes = [len(crawl.pages[(role, "ru")]) for role in (ADMIN, DIRECTOR, MANAGER, ENGINEER)]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] >= 6
    assert all(crawl.pages[(role, "ru")].keys() == crawl.pages[(role, "en")].keys()
               for role in LOGINS)


def test_russian_pages_show_no_english_interface_words(crawl):
    """FAB's English (List, Show, Search, Record Count, None, True …) and any other English
    word outside the stored data and a few names of formats."""
    untranslated, _ = _strings()
    failures = []
    for role, url, where, text in crawl.pieces("ru"):
        if text.lstrip("- ") in SELF_NAMED or crawl.is_data(text) or crawl.identifier(url, text):
            continue
        rest = CODE_EXAMPLE.sub(" ", _without_data(text, crawl.data))
        words = {m.group(1) for m in FAB_WORD.finditer(rest)}
        words |= set(LATIN_WORD.findall(rest)) - LATIN_ALLOWED
        if text.rstrip(":*").strip() in untranslated:
            words.add(text)
        failures += [(role, "ru", url, f"{where}: {w} ← {text}") for w in words]
    assert not failures, _report(failures)


def test_english_pages_show_no_russian_interface_text(crawl):
    _, russian = _strings()
    russian_texts = set(russian.values())
    failures = []
    for role, url, where, text in crawl.pieces("en"):
        if text.lstrip("- ") in SELF_NAMED or not CYRILLIC.search(text) or crawl.is_data(text) \
                or url.startswith(RUSSIAN_BY_DESIGN) or text.startswith(BILINGUAL_HELP):
            continue
        if text in russian_texts or CYRILLIC.search(_without_data(text, crawl.data)):
            failures.append((role, "en", url, f"{where}: {text}"))
    assert not failures, _report(failures)


def test_cells_show_labels_not_codes(crawl):
    codes = _codes() | {"None", "True", "False"}
    failures = []
    for locale in LOCALES:
        for role, url, where, text in crawl.pieces(locale):
            if where not in ("td", "option"):
                continue
            if crawl.identifier(url, text) or (locale == "en" and text in SAME_IN_ENGLISH):
                continue
            if text in codes or ISO_TIME.fullmatch(text) or SNAKE.fullmatch(text):
                failures.append((role, locale, url, f"{where}: {text}"))
    assert not failures, _report(failures)

