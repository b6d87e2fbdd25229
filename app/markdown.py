"""Markdown to safe HTML for knowledge-base articles (nh3 removes anything active)."""

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "code",
                "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "br", "hr"}


def render_markdown(text: str) -> Markup:
    """Markdown to HTML, then sanitized: no scripts, styles or event handlers survive."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                            url_schemes={"http", "https", "mailto"}))
