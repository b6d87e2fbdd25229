"""Fuzz helpers: form discovery with html.parser, fuzz values, concrete URLs for every route."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

FUZZ = ["\x00", "a\x00b", str(2**31), str(10**30), "-1", "-2147483649", "x", " ",
        "9999-12-31", "0001-01-01", "1e309", "NaN", "Ω" * 5000, "<b>'\"", "%_\\", ""]
NUMBERS = [str(2**31), str(10**30), "-1", "1e309"]
BAD_NAMES = ["plan\r\n.pdf", "a\x00b.pdf", "\r\n\x00", "../../etc/passwd.pdf"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DEFAULTS = {"number": "1", "date": "2026-12-01", "datetime-local": "2026-12-01T10:00",
            "email": "fuzz@test.example", "checkbox": "y"}
# FAB's own security screens: fuzzing their POSTs would rewrite roles and permissions that
# outlive the test (they are kept between tests); they get NUL payloads only.
SECURITY_VIEWS = ("/users/", "/roles/", "/permissions/", "/permissionviews/", "/viewmenus/",
                  "/groups/", "/resetpassword/", "/resetmypassword/", "/userinfoeditview/")


class Form:
    """One <form method=post>: its target path, fields (name -> values) and file inputs."""

    def __init__(self, action: str):
        self.action, self.fields, self.files = action, {}, []

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


class FormParser(HTMLParser):
    """Collects the POST forms of a page with their inputs, selects and textareas."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms, self.form, self.select = page_path, [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = Form(urlsplit(a.get("action") or self.page_path).path)
            self.forms.append(self.form)
        elif self.form is not None and a.get("name"):
            self._field(tag, a)
        elif tag == "option" and self.select is not None and self.select[1] is None:
            self.select[1] = a.get("value", "")

    def _field(self, tag: str, a: dict) -> None:
        kind = a.get("type", "text").lower()
        if tag == "input" and kind == "file":
            self.form.files.append(a["name"])
        elif tag == "input" and kind not in ("submit", "button", "reset", "image"):
            if kind in ("checkbox", "radio") and a["name"] in self.form.fields:
                return
            self.form.add(a["name"], a.get("value") or DEFAULTS.get(kind, "x"))
        elif tag == "select":
            self.select = [a["name"], None]
        elif tag == "textarea":
            self.form.add(a["name"], "fuzz text")

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None and self.form is not None:
            self.form.add(self.select[0], self.select[1] or "1")
            self.select = None
        elif tag == "form":
            self.form = None


def forms_of(html: str, page_path: str) -> list[Form]:
    parser = FormParser(page_path)
    parser.feed(html)
    return parser.forms


def concrete_path(rule, ids: dict, bad: str | None = None) -> str:
    """The rule's URL with real ids (or `bad` in the first parameter)."""
    path, first = rule.rule, True
    for part in re.findall(r"<[^>]+>", rule.rule):
        converter, _sep, name = part[1:-1].rpartition(":")
        value = ids.get(name, "1") if not (bad is not None and first) else bad
        if bad is not None and first and converter.startswith("int") and not bad.isdigit():
            value = str(2**31)
        path = path.replace(part, quote(str(value), safe=""), 1)
        first = False
    return path


def query_variants(view_name: str | None, search_columns, rng: random.Random) -> list[dict]:
    """Fuzzed query strings: NUL, keyset/paging ints, dates, and FAB sort/page/filter args."""
    variants = [
        {"q": "\x00", "status": "a\x00", "next": "\x00"},
        {"after": str(2**31), "before": "-5", "page": "x", "repeat": str(10**30),
         "quote": str(2**31), "week": "9999-12-31", "from": "9999-12-31", "to": "0001-01-01",
         "start": "9999-12-31T23:59", "end": "x", "object_type": "Ω" * 3000,
         "status": rng.choice(FUZZ), "q": rng.choice(FUZZ[2:]), "kind": "x"},
    ]
    if view_name:
        v = view_name
        fab = rng.choice([{f"_oc_{v}": "end_client.phone", f"_od_{v}": "asc",
                           f"page_{v}": "x", f"psize_{v}": "-1"},
                          {f"_oc_{v}": "no_such_column", f"_od_{v}": "sideways",
                           f"psize_{v}": str(10**30), f"page_{v}": str(2**31)}])
        for column in search_columns or []:
            fab[f"_flt_{rng.choice('0123')}_{column}"] = rng.choice(FUZZ[1:])
        variants.append(fab)
    return variants


def payloads(form: Form, rng: random.Random, per_field: int = 1, fields: int = 6):
    """Baseline fields with one field mutated at a time, plus a NUL in every field."""
    base = {k: list(v) for k, v in form.fields.items()}
    names = [n for n in base if n not in ("csrf_token", "form_nonce")]
    yield {**base, **{n: ["x\x00"] for n in names}}
    for name in rng.sample(names, min(len(names), fields)):
        # the same value drawn twice is sent once (the draw, and so the sample, is unchanged)
        for value in dict.fromkeys([rng.choice(NUMBERS)] + rng.sample(FUZZ, per_field)):
            yield {**base, name: [value]}


def raw_multipart(fields: dict, file_field: str, name: str) -> tuple[bytes, str]:
    """A multipart body whose file name travels as RFC 2231 `filename*` (CR/LF/NUL kept)."""
    boundary = "replan-fuzz-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
             f"{value}\r\n".encode() for key, values in fields.items() for value in values]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
                 f"filename*=UTF-8''{quote(name, safe='')}\r\n"
                 "Content-Type: application/pdf\r\n\r\n".encode() + PDF + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
