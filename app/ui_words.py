"""One word replaced in every interface text: the bureau's own trade word in all its forms.

A car-inspection bureau calls its engineers experts: in Russian "инженер" is written in ten
forms across hundreds of texts ("инженера", "инженеру", "инженерами" …), and rewording each
text by hand (app.ui_texts) took an admin some forty edits. Here the admin names the word and
its replacement once; `word_forms` lists every form of the word the interface has (in the
language being edited), each with a guessed replacement the admin corrects where Russian
declension differs (a fleeting vowel, a feminine noun); `planned_changes` shows every text
before and after; `replace_word` saves the ones the admin keeps as interface texts, each
checked and audited as a single edit is. Placeholders (%(engineer)s) are never touched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from app.errors import Conflict, InvalidInput
from app.text_admin import save_text
from app.ui_texts import PLACEHOLDER, default_text, interface_texts, msgids
from models.texts import KIND_UI

WORD = re.compile(r"\w+")
MIN_WORD = 3  # shorter words are parts of too many others ("до", "по")
MAX_WORD = 60
MAX_FORMS = 40
MAX_CHANGES = 500  # texts saved by one replacement
VOWELS = set("аеёиоуыэюяйь")  # Russian endings a stem drops ("заявка" → "заявк")
FLEETING = set("оеё")  # the vowel a Russian plural puts back ("заявк" → "заявок")
# the texts that explain the tool with the very word as an example: never offered
ABOUT_THE_TOOL = ("Your trade's word in place of ours", "Any text of the pages, forms, "
                  "messages and e-mails")
HUSHING = set("кгхжшчщ")  # Russian spelling: after these "ы" is written "и"
VELAR = set("кгх")  # … so their "и" is another stem's "ы"


@dataclass(frozen=True)
class Form:
    """A form of the word as the texts write it (lower case), in how many texts."""

    form: str
    texts: int


@dataclass(frozen=True)
class Change:
    """One text before and after, and the fingerprint of its wording read for the plan."""

    key: str
    msgid: str
    before: str
    after: str
    seen: str


def stem(word: str) -> str:
    """The part every form of the word shares: the word without a final vowel, й or ь
    ("заявка" → "заявк", "инженер" → "инженер")."""
    word = word.casefold()
    return word[:-1] if len(word) > MIN_WORD and word[-1] in VOWELS else word


def checked_word(word: str | None, label: str) -> str:
    word = (word or "").strip()
    if not WORD.fullmatch(word) or not MIN_WORD <= len(word) <= MAX_WORD or "_" in word \
            or not any(ch.isalpha() for ch in word):
        raise InvalidInput(_("%(what)s: one word of %(min)s to %(max)s letters.",
                             what=label, min=MIN_WORD, max=MAX_WORD))
    return word


def checked_pair(word: str | None, replacement: str | None) -> tuple[str, str]:
    """The word and its replacement, each a word, and not the same word."""
    word = checked_word(word, _("The word"))
    replacement = checked_word(replacement, _("The replacement"))
    if word.casefold() == replacement.casefold():
        raise InvalidInput(_("The replacement is the word itself: nothing would change."))
    return word, replacement


def _is_form_of(form: str, start: str) -> bool:
    """A form of the word with this stem: it begins with the stem, or it is the stem with a
    fleeting vowel put back before its last letter ("заявок" of "заявк")."""
    return form.startswith(start) or (
        len(start) > MIN_WORD and len(form) == len(start) + 1 and form[-1] == start[-1]
        and form[:-2] == start[:-1] and form[-2] in FLEETING)


def texts_now(locale: str) -> dict[str, tuple[str, str]]:
    """key → (msgid, the text as the interface shows it now in `locale`)."""
    edited = interface_texts(locale)
    return {key: (msgid, edited.get(msgid) or default_text(msgid, locale))
            for key, msgid in msgids().items()}


def _words(text: str):
    """The words of a text outside its placeholders, as regex matches; a name of the code
    written in a text ("object_type", a field's key) is not a word of the language and is
    never offered nor changed."""
    protected = [m.span() for m in PLACEHOLDER.finditer(text)]
    for match in WORD.finditer(text):
        if "_" not in match.group() and \
                not any(start <= match.start() < end for start, end in protected):
            yield match


def word_forms(word: str, locale: str) -> list[Form]:
    """Every form of `word` the interface texts of `locale` write (a word beginning with its
    stem), the most used first; at most MAX_FORMS."""
    start = stem(checked_word(word, _("The word")))
    counts: dict[str, int] = {}
    for msgid, text in texts_now(locale).values():
        if msgid.startswith(ABOUT_THE_TOOL):
            continue
        found = {m.group().casefold() for m in _words(text)
                 if _is_form_of(m.group().casefold(), start)}
        for form in found:
            counts[form] = counts.get(form, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    return [Form(form, n) for form, n in ordered[:MAX_FORMS]]


def guess(form: str, word: str, replacement: str) -> str:
    """The replacement's form for a form of the word: the new stem with the old ending
    ("инженерами" with "эксперт" → "экспертами"), "ы" written "и" after к, г, х, ж, ш, ч, щ
    ("оценщики"), and back ("заявки" with "анкета": "анкеты"). A guess: the admin
    corrects it where the two words decline apart."""
    old, new = stem(word), stem(replacement)
    form = form.casefold()
    if not form.startswith(old):  # a fleeting vowel ("заявок"): the bare new stem
        return new
    ending = form[len(old):]
    if new and new[-1] in HUSHING and ending.startswith("ы"):
        ending = "и" + ending[1:]
    elif old[-1:] in VELAR and new[-1:] not in HUSHING and ending.startswith("и"):
        ending = "ы" + ending[1:]  # "заявки" with "анкета": "анкеты"
    if ending == "":
        return replacement.casefold()  # the word itself: the replacement as typed
    return new + ending


def _cased_like(model: str, word: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# English "a"/"an" right before a word: "an engineer" becomes "a translator", not "an
# translator" (by the new word's first letter: a guess the preview shows before saving)
ARTICLE = re.compile(r"\b(a|an)(\s+)$", re.IGNORECASE)


def replaced(text: str, mapping: dict[str, str], locale: str = "") -> str:
    """`text` with each word whose lower case is in `mapping` replaced, cased like it (in
    English the article before it made to agree)."""
    pieces, last = [], 0
    for match in _words(text):
        new = mapping.get(match.group().casefold())
        if new:
            before = text[last:match.start()]
            if locale == "en":
                before = ARTICLE.sub(lambda m: _article(m.group(1), new) + m.group(2), before)
            pieces += [before, _cased_like(match.group(), new)]
            last = match.end()
    return "".join(pieces) + text[last:] if pieces else text


def _article(model: str, word: str) -> str:
    article = "an" if word[:1].casefold() in "aeiou" else "a"
    return _cased_like(model, article)


def fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def planned_changes(locale: str, mapping: dict[str, str]) -> list[Change]:
    """Every text of `locale` the mapping (form → its replacement) changes, shortest first."""
    mapping = {form.casefold(): new.strip() for form, new in mapping.items() if new.strip()}
    if not mapping:
        return []
    changes = []
    for key, (msgid, now) in texts_now(locale).items():
        if msgid.startswith(ABOUT_THE_TOOL):
            continue
        after = replaced(now, mapping, locale)
        if after != now:
            changes.append(Change(key, msgid, now, after, fingerprint(now)))
    changes.sort(key=lambda c: (len(c.before), c.before))
    return changes


def checked_mapping(pairs) -> dict[str, str]:
    """{form: replacement} from the admin's table: each form a word, each replacement a word
    or empty (that form is left as it is)."""
    mapping = {}
    for form, new in pairs:
        if not (form or "").strip() and not (new or "").strip():
            continue  # the empty row for a form of one's own, left empty
        new = (new or "").strip()
        if not new:
            continue  # a form emptied: left as it is, whatever it is
        form = checked_word(form, _("A form of the word")).casefold()
        mapping[form] = checked_word(new, _("The replacement of “%(form)s”", form=form))
    if not mapping:
        raise InvalidInput(_("Give the replacement of at least one form."))
    return mapping


def replace_word(user, locale: str, mapping: dict[str, str], chosen: dict[str, str]) -> int:
    """Save the planned wording of the chosen texts (key → the fingerprint of the text the
    admin saw); Conflict, saving none, when one of them changed since. The caller commits."""
    plan = {change.key: change for change in planned_changes(locale, mapping)}
    if not chosen:
        raise InvalidInput(_("Tick at least one text to change."))
    if len(chosen) > MAX_CHANGES:
        raise InvalidInput(_("At most %(n)s texts at once.", n=MAX_CHANGES))
    for key, seen in chosen.items():
        change = plan.get(key)
        if change is None or change.seen != seen:
            raise Conflict(_("A text changed since the list was shown: show the changes "
                             "again and check them."))
    for key in chosen:
        save_text(user, KIND_UI, key, locale, plan[key].after)
    return len(chosen)
