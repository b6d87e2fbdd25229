"""A refused form comes back with what the user typed.

A surface that refuses a posted form (a DomainError flashed by app.uow.run_use_case, or
its own check of the input) renders the page again in the same request instead of
redirecting, and each form of that page asks `typed_into(its action URL)`: the form that was
posted gets the values typed into it, every other form renders fresh. Nothing is kept
anywhere (no session, no cookie): a reload of the page shows it as stored.

Never re-shown: the CSRF and one-time form tokens (the page issues fresh ones, so the
corrected form submits once), the form's `version` (the page writes the stored one, so a
form refused for a concurrent change submits against what is stored now), password fields;
file inputs cannot be refilled by any page.

    PaymentForm(formdata=typed_into(url_for("DeskView.pay", pk=req.id)))
    <textarea name="body">{{ typed_text(url_for('DeskView.note', pk=req.id), 'body') }}</textarea>

A page drawn by a POST would sit at the POST's address: a reload sent the form again (its
one-time token spent: "already submitted", though nothing was stored) and the address
opened alone was a 405. So such a page names its own address (`show_page_at(url)`, else the
POST's path) in <meta name="replan-page-url">, and js/replan.js puts it in the address bar
(history.replaceState): a reload opens the page as stored; the language switch returns to it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

NEVER_SHOWN = frozenset({"csrf_token", "form_nonce", "version"})


def never_shown(name: str) -> bool:
    return name in NEVER_SHOWN or "password" in name.lower()


def typed_into(action_url: str) -> MultiDict | None:
    """The values typed into the form that posts to `action_url`, while this request is that
    form's POST (refused, its page rendered again); None otherwise (the form renders
    fresh). An empty form posted still gives a MultiDict (its fields stay empty)."""
    if not has_request_context() or request.method != "POST":
        return None
    if urlsplit(action_url).path != request.script_root + request.path:
        return None
    return MultiDict([(key, value) for key, value in request.form.items(multi=True)
                      if not never_shown(key)])


def typed_text(action_url: str, name: str) -> str:
    """One value typed into that form ('' when none): for inputs written by hand."""
    values = typed_into(action_url)
    return values.get(name, "") if values is not None else ""


def show_page_at(url: str) -> None:
    """The address of the page a refused POST draws (the request's page, the week)."""
    g.replan_page_url = url


def page_url() -> str | None:
    """Where the page drawn by this POST lives (None for a GET: it is where it is). Without
    show_page_at, the POST's own address if a GET opens it (a generated form, the login,
    the calculator); else none (a reload asks to send the form again, as browsers do)."""
    if not has_request_context() or request.method != "POST":
        return None
    named = g.get("replan_page_url")
    if named:
        return named
    try:
        current_app.url_map.bind_to_environ(request.environ).match(request.path, method="GET")
    except HTTPException:  # a POST-only address (a move, a report run): a GET would be 405
        return None
    return request.full_path.rstrip("?")
