"""Texts the admin edits: e-mail subjects and bodies, the free texts of the PDFs.

Every admin-written text is a template of a sandboxed Jinja environment (no attribute of
Python objects reachable, StrictUndefined: an unknown placeholder is an error) over a
documented set of placeholders per kind, all plain strings. `check_template` renders a text
with the sample values when it is saved, so a broken text is refused with its error then;
at send time `render_or_default` falls back to the code's default (and logs) if something
still fails. Defaults come from code, in each language, through gettext.
"""

from __future__ import annotations

import functools
import logging
import re

import nh3
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from app.branding import brand
from app.status_labels import current_locale, override_of
from models.texts import KIND_EMAIL, KIND_PDF

log = logging.getLogger(__name__)

TEXT_LIMIT = 20_000  # characters of one edited text
SUBJECT_LIMIT = 300
OUTPUT_LIMIT = 100_000  # characters a rendered text may grow to (loops)
_PLAIN = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                              keep_trailing_newline=True)
_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
for _env in (_PLAIN, _HTML):
    _env.globals.clear()  # no range, cycler, lipsum …: the placeholders are all there is
# The sandbox stops escapes but not work: "x" * 10**6 in nested loops, "%0999999999d" % 1 or
# "x"|center(10**9) would hang or fill the worker's memory at save (the sample render) and at
# every send. The placeholders are plain strings, so a text needs no loop, macro, call,
# attribute or multiplication: those nodes are refused before anything renders, and only
# filters whose output cannot outgrow their input are kept.
SAFE_FILTERS = frozenset({
    "upper", "lower", "capitalize", "title", "trim", "default", "d", "e", "escape", "length",
    "count", "first", "last", "string", "striptags", "truncate", "int", "float", "abs",
    "round", "urlencode", "wordcount"})
_REFUSED_NODES = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.Call,
                  nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Mul, nodes.Pow, nodes.Mod,
                  nodes.FloorDiv, nodes.Include, nodes.Import, nodes.FromImport,
                  nodes.Extends, nodes.Block)
# what a PDF text may keep of HTML typed in it (nothing that loads or links anything)
PDF_TAGS = {"b", "strong", "i", "em", "u", "br", "small"}

# placeholder → what it holds (shown in the editor and in docs/configuring.md)
EMAIL_PLACEHOLDERS = {
    "number": _l("request number (e.g. 2026-00042)"),
    "status": _l("the request's status as the recipient reads it"),
    "company": _l("the partner company"),
    "recipient": _l("the recipient's name"),
    "link": _l("address of the page the e-mail is about"),
    "preferences_link": _l("address of the recipient's e-mail switches"),
    "text": _l("%(brand)s's own sentence for this event"),
    "subject": _l("%(brand)s's own subject for this event"),
    "amount": _l("payment amount as people read it (e.g. 1 500,00 ₽)"),
    "when": _l("visit time"),
    "reason": _l("reason given (voided payment)"),
    "member": _l("team member who filed the request"),
    "manager": _l("manager who filed the request for the partner"),
    "overdue_after": _l("SLA threshold passed (e.g. 20 min)"),
    "comment": _l("the manager's question (data needed)"),
    "brand": _l("the product's name (Settings → Product name)"),
}
PDF_PLACEHOLDERS = {
    "number": _l("request number (the proposal's number on a proposal)"),
    "doc_number": _l("invoice or act number"),
    "doc_date": _l("invoice or act date"),
    "status": _l("the request's status as the reader reads it"),
    "company": _l("the partner company"),
    "company_inn": _l("the partner's INN"),
    "address": _l("object address"),
    "total": _l("amount to pay as people read it (e.g. 12 500,00 ₽)"),
    "total_in_words": _l("amount to pay in words"),
    "bureau_name": _l("the bureau's name"),
    "bureau_inn": _l("the bureau's INN"),
    "bureau_address": _l("the bureau's address"),
    "director": _l("the bureau's director"),
    "today": _l("today's date"),
}
PDF_DOCUMENTS = {"invoice": _l("Invoice"), "act": _l("Act"), "card": _l("Request card"),
                 "proposal": _l("Commercial proposal")}
PDF_PARTS = {"header": _l("Header"), "terms": _l("Terms"), "footer": _l("Footer"),
             "signature": _l("Signature block (one line per column)")}


class TemplateRefused(ValueError):
    """An edited text that cannot be saved; str() is the message shown next to the field."""


def check_template(text: str, placeholders: dict, html: bool = False,
                   limit: int = TEXT_LIMIT, values: dict | None = None) -> str:
    """The text, checked: a syntax error, an unknown placeholder or a forbidden access
    raises TemplateRefused with a message people read; returns the rendered sample."""
    if "\x00" in text:
        raise TemplateRefused(_("The text contains a NUL character."))
    if len(text) > limit:
        raise TemplateRefused(_("The text is too long: at most %(n)s characters.", n=limit))
    sample = values if values is not None else {name: f"[{name}]" for name in placeholders}
    try:
        rendered = _render(text, sample, html)
    except SecurityError as error:  # our own words (_refuse_costly) or the sandbox's
        reason = (error.message or str(error)).rstrip(".")
        what = f"{reason}. {_('Use only the placeholders listed.')}"
        line = getattr(error, "lineno", None) or _template_line(error)
        raise TemplateRefused(
            _("Error in the template, line %(line)s: %(what)s", line=line, what=what) if line
            else _("Error in the template: %(what)s", what=what)) from None
    except (TemplateError, ArithmeticError, TypeError, ValueError,
            RecursionError) as error:
        raise TemplateRefused(template_error_text(error)) from None
    if len(rendered) > OUTPUT_LIMIT:
        raise TemplateRefused(_("The text grows too long when filled in."))
    return rendered


# Jinja's messages (English only) of the mistakes people make, read for what they name
_UNCLOSED_BLOCK = re.compile(r"innermost block that needs to be closed is '(\w+)'")
_UNKNOWN_TAG = re.compile(r"^Encountered unknown tag '(\w+)'")
_UNDEFINED = re.compile(r"^'(\w+)' is undefined")
_NO_FILTER = re.compile(r"^No (filter|test) named '(\w+)'")


def template_error_text(error: Exception) -> str:
    """What is wrong with an admin's text and where, in the reader's language: "Error in the
    template, line 3: the block “if” is not closed (“endif” is missing)." The common
    mistakes in words of their own; any other with the line and Jinja's text in parentheses."""
    message = getattr(error, "message", None) or str(error)
    line = error.lineno if isinstance(error, TemplateSyntaxError) else _template_line(error)
    what = _what_is_wrong(error, message)
    if what is None and isinstance(error, TemplateSyntaxError):
        what = _("the text cannot be read as a template, check its brackets and tags "
                 "(%(error)s).", error=message)
    elif what is None:
        what = _("the text cannot be filled in (%(error)s).", error=message)
    if line is None:
        return _("Error in the template: %(what)s", what=what)
    return _("Error in the template, line %(line)s: %(what)s", line=line, what=what)


def _what_is_wrong(error: Exception, message: str) -> str | None:
    """The common mistakes in the reader's language; None for any other."""
    if isinstance(error, UndefinedError):
        found = _UNDEFINED.match(message)
        if found:
            return _("unknown placeholder “%(name)s”. Use only the placeholders listed.",
                     name=found.group(1))
        return _("use only the placeholders listed (%(error)s).", error=message)
    if not isinstance(error, TemplateSyntaxError):
        return None
    block, tag = _UNCLOSED_BLOCK.search(message), _UNKNOWN_TAG.match(message)
    if tag:
        return _misplaced_tag(tag.group(1), block.group(1) if block else None)
    if message.startswith("Unexpected end of template") and block:
        return _("the block “%(block)s” is not closed (“end%(block)s” is missing).",
                 block=block.group(1))
    for start, words in _UNCLOSED:
        if message.startswith(start):
            return str(words)
    if message.lower().startswith("unexpected end of template"):
        return _("the template ends too early (%(error)s).", error=message)
    found = _NO_FILTER.match(message)
    if found and found.group(1) == "filter":
        return _("unknown filter “%(name)s”.", name=found.group(2))
    if found:
        return _("unknown test “%(name)s”.", name=found.group(2))
    return None


# the start of Jinja's message → what is not closed
_UNCLOSED = (
    ("unexpected end of template, expected 'end of print statement'",
     _l("a placeholder is not closed (“}}” is missing).")),
    ("unexpected end of template, expected 'end of statement block'",
     _l("a tag is not closed (“%}” is missing).")),
    ("Missing end of comment tag", _l("a comment is not closed (“#}” is missing).")),
)


def _misplaced_tag(tag: str, open_block: str | None) -> str:
    """An unknown tag, or an end tag where another block is open or none is."""
    if open_block:
        return _("the tag “%(tag)s” does not fit here: the block “%(block)s” is still open "
                 "(“end%(block)s” is missing before it).", tag=tag, block=open_block)
    if tag.startswith("end"):
        return _("“%(tag)s” closes a block that is not open.", tag=tag)
    return _("unknown tag “%(tag)s”.", tag=tag)


def _template_line(error: Exception) -> int | None:
    """The line of the admin's text a rendering error happened on (Jinja's compiled code
    keeps the template's line numbers in its traceback), else None."""
    line, trace = None, error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _render(text: str, values: dict, html: bool) -> str:
    return _compiled(text, html).render(**values)


@functools.lru_cache(maxsize=512)
def _compiled(text: str, html: bool):
    """A text parsed, checked and compiled once per process (compiling is ~1 ms; every
    e-mail, notification and PDF renders two or three texts). A refused text raises here
    each time: errors are not cached."""
    env = _HTML if html else _PLAIN
    tree = env.parse(text)
    _refuse_costly(tree)
    return env.from_string(tree)


def _refuse_costly(node) -> None:
    """SecurityError naming the first construct a text may not use (children first, so an
    escape attempt inside a loop is named by its attribute)."""
    for child in node.iter_child_nodes():
        _refuse_costly(child)
    if isinstance(node, nodes.Getattr):
        raise _at_line(node, _("“%(name)s” is not available", name=node.attr))
    if isinstance(node, nodes.Filter) and node.name not in SAFE_FILTERS:
        raise _at_line(node, _("the filter “%(name)s” is not available", name=node.name))
    if isinstance(node, _REFUSED_NODES):
        raise _at_line(node, _("“%(what)s” is not available (no loops, calls or "
                               "multiplication in these texts)", what=_node_word(node)))


def _at_line(node, message: str) -> SecurityError:
    """The refusal with the line of the text it names (said like the other errors)."""
    error = SecurityError(message)
    error.lineno = getattr(node, "lineno", None)
    return error


def _node_word(node) -> str:
    words = {nodes.For: "for", nodes.Macro: "macro", nodes.CallBlock: "call",
             nodes.FilterBlock: "filter", nodes.Call: "()", nodes.Mul: "*", nodes.Pow: "**",
             nodes.Mod: "%", nodes.FloorDiv: "//", nodes.Getitem: "[]", nodes.Slice: "[:]"}
    return words.get(type(node), type(node).__name__.lower())


def render_or_default(text: str | None, default: str, values: dict, html: bool = False,
                      what: str = "") -> str:
    """The admin's text filled in; the default (and an error in the log) if it fails."""
    if text is not None:
        try:
            rendered = _render(text, values, html)
            if len(rendered) <= OUTPUT_LIMIT:
                return rendered
            log.error("edited text %s grows too long: default used", what)
        except Exception:  # noqa: BLE001 — never fail a send or a document over a text
            log.exception("edited text %s failed to render: default used", what)
    return _render(default, values, html)


def one_line(text: str) -> str:
    """A subject: whitespace collapsed (no header injection), cut to the limit."""
    return " ".join(text.split())[:SUBJECT_LIMIT]


# ---- e-mails ----------------------------------------------------------------------------

def default_email(locale: str) -> tuple[str, str]:
    """The code's subject and body of every e-mail in `locale`, as templates."""
    with force_locale(locale):
        body = _("%(text)s\n\nOpen: %(link)s\n\nE-mail copies of notifications are "
                 "switched in your profile: %(prefs)s",
                 text="{{ text }}", link="{{ link }}", prefs="{{ preferences_link }}")
    return "{{ brand }}: {{ subject }}", body


def render_email(event: str, values: dict, locale: str | None = None) -> tuple[str, str]:
    """Subject and plain body of the e-mail about `event` (the HTML part is built from the
    plain one by app.mail, escaped)."""
    locale = locale or current_locale()
    full = {name: "" for name in EMAIL_PLACEHOLDERS} | {k: str(v) for k, v in values.items()
                                                        if k in EMAIL_PLACEHOLDERS}
    full["brand"] = brand()  # the product's name (app.branding), whoever the event
    subject, body = default_email(locale)
    row = override_of(KIND_EMAIL, event, locale)
    what = f"email {event} ({locale})"
    return (one_line(render_or_default(row.subject if row else None, subject, full,
                                       what=what)),
            render_or_default(row.body if row else None, body, full, what=what))


# ---- PDF texts --------------------------------------------------------------------------

def default_pdf_text(document: str, part: str, locale: str) -> str:
    """The code's wording of one part of a PDF in `locale` (a template)."""
    with force_locale(locale):
        director = _("Director") + " ____________ {{ director }}"
        texts = {
            ("invoice", "signature"): director + "\n" + _("Accountant") + " ____________",
            ("act", "terms"): _("The services above were rendered in full and on time. The "
                                "customer has no claims as to volume, quality and terms."),
            ("act", "signature"): _("Contractor") + " ____________ {{ director }}\n"
            + _("Customer") + " ____________",
            ("proposal", "header"): "{{ bureau_name }} · " + _("INN")
            + " {{ bureau_inn }} · {{ bureau_address }}",
            ("proposal", "terms"): _("The proposal is valid for 30 days."),
            ("proposal", "signature"): director,
        }
    return texts.get((document, part), "")


def pdf_texts(document: str, values: dict, locale: str | None = None) -> dict:
    """{part: Markup} of a document's free texts, filled in; "signature" is a list of
    columns. Tags beyond simple emphasis are removed."""
    locale = locale or current_locale()
    full = {name: "" for name in PDF_PLACEHOLDERS} | {k: str(v) for k, v in values.items()
                                                      if k in PDF_PLACEHOLDERS}
    parts = {}
    for part in PDF_PARTS:
        row = override_of(KIND_PDF, f"{document}.{part}", locale)
        rendered = render_or_default(row.body if row else None,
                                     default_pdf_text(document, part, locale), full,
                                     html=True, what=f"pdf {document}.{part} ({locale})")
        parts[part] = pdf_markup(rendered)
    parts["signature"] = [line for line in parts["signature"].split(Markup("<br>"))
                          if line.strip()]
    return parts


def pdf_markup(rendered: str) -> Markup:
    """Rendered (escaped) HTML kept to simple emphasis, line breaks as <br>."""
    clean = nh3.clean(rendered.strip(), tags=PDF_TAGS, attributes={})
    return Markup("<br>").join(Markup(line) for line in clean.splitlines())


def plain_preview(text: str) -> Markup:
    """A rendered e-mail as the page shows it (escaped, line breaks kept)."""
    return Markup("<br>").join(escape(line) for line in text.splitlines())
