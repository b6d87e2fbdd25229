"""A tiny browser for tools/smoke.py: cookies, HTML forms (hidden CSRF and one-time tokens
included), url-encoded and multipart posts. Standard library only."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list = field(default_factory=list)  # (name, value) as a browser would send them
    buttons: list = field(default_factory=list)  # dicts of each submit button's attributes
    selects: dict = field(default_factory=dict)  # name -> [option values]
    # a service's own fields (data-sf-key blocks): key -> services, required, kind, choices
    service_fields: dict = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select = None
        self._textarea = None
        self._field = None  # the data-sf-key block being read
        self._field_key = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").lower(),
                                   a.get("enctype") or "application/x-www-form-urlencoded"))
        if not self.forms:
            return
        form = self.forms[-1]
        self._note_service_field(form, tag, a)
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "image", "file", "button", "reset"):
                return
            form.fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "button":
            form.buttons.append(a)
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None, []]  # name, the selected value, every value
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select[2].append(value)
            if "selected" in a:
                self._select[1] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def _note_service_field(self, form, tag, a):
        """Remember which service each of its own questions belongs to, and its kind."""
        if tag == "div" and a.get("data-sf-key"):
            self._field_key = a["data-sf-key"]
            self._field = form.service_fields.setdefault(a["data-sf-key"], {
                "services": (a.get("data-sf-services") or "").split(), "required": False,
                "kind": None, "choices": []})
        if self._field is None:
            return
        if a.get("name") and a["name"] != self._field_key:
            self._field = None  # past the block: the form's own inputs
            return
        if a.get("name") and tag in ("input", "select", "textarea"):
            kind = a.get("inputmode") or a.get("type") or tag
            self._field["kind"] = "multiselect" if self._field["kind"] == "fieldset" else kind
            if self._field["kind"] in ("multiselect", "checkbox"):
                self._field["choices"].append(a.get("value", ""))
        if a.get("aria-required") == "true":
            self._field["required"] = True
            if tag == "fieldset":
                self._field["kind"] = "fieldset"
        if tag == "option" and self._select is not None and self._select[0] == self._field_key:
            self._field["choices"].append(a.get("value", ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self.forms:
            name, chosen, options = self._select
            self.forms[-1].selects[name] = options
            chosen = chosen if chosen is not None else (options[0] if options else None)
            if chosen is not None:
                self.forms[-1].fields.append((name, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1].fields.append(tuple(self._textarea))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    text: str


class Browser:
    """One signed-in (or anonymous) user: a cookie jar and the pages it fetched."""

    def __init__(self, base: str, timeout: float = 30.0):
        self.base, self.timeout = base.rstrip("/"), timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None, follow: bool = True) -> Response:
        url = urllib.parse.urljoin(self.base + "/", path)
        for _ in range(10):
            req = urllib.request.Request(url, data=body, method=method)
            if content_type:
                req.add_header("Content-Type", content_type)
            try:
                with self.opener.open(req, timeout=self.timeout) as raw:
                    return Response(raw.status, url, dict(raw.headers),
                                    raw.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as error:
                location = error.headers.get("Location")
                if error.code in (301, 302, 303, 307, 308) and location and follow:
                    url, method, body, content_type = urllib.parse.urljoin(url, location), \
                        "GET", None, None
                    continue
                return Response(error.code, url, dict(error.headers),
                                error.read().decode("utf-8", "replace"))
        raise RuntimeError(f"too many redirects from {path}")

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def form(self, page: Response, action_pattern: str, button: dict | None = None) -> Form:
        """The first form on `page` whose action matches the regular expression."""
        for candidate in forms_of(page.text):
            if re.search(action_pattern, candidate.action or page.url):
                if button is None or any(all(b.get(k) == v for k, v in button.items())
                                         for b in candidate.buttons):
                    return candidate
        raise AssertionError(f"no form for {action_pattern!r} {button or ''} on {page.url} "
                             f"(status {page.status})")

    def submit(self, page: Response, form: Form, values: dict | None = None,
               files: dict | None = None, extra: list | None = None) -> Response:
        """Send `form` as a browser would, with `values` replacing its fields."""
        values = values or {}
        pairs = [(k, v) for k, v in form.fields if k not in values]
        for key, value in values.items():
            for item in (value if isinstance(value, list) else [value]):
                pairs.append((key, item))
        pairs += extra or []
        target = urllib.parse.urljoin(page.url, form.action or page.url)
        if files or form.enctype == "multipart/form-data":
            body, content_type = _multipart(pairs, files or {})
        else:
            body = urllib.parse.urlencode(pairs).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.request("POST", target, body, content_type)

    def login(self, username: str, password: str) -> Response:
        page = self.get("/login/")
        response = self.submit(page, self.form(page, r"login"),
                               {"username": username, "password": password})
        if "/login" in response.url:
            raise AssertionError(f"login of {username} failed (status {response.status})")
        return response


def _multipart(pairs, files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks = []
    for name, value in pairs:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                      f"{value}\r\n".encode())
    for name, (filename, content, mime) in files.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
                      + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
