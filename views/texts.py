"""Back office: the words the admin edits (status labels, e-mails, PDF texts) with a preview,
and SLA thresholds per service. The rules are app.text_admin and app.sla."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange

from app.catalogue_names import service_name
from app.errors import Conflict, DomainError, InvalidInput
from app.extensions import db
from app.sla import MAX_MINUTES, SLA_STATUSES, delete_service_sla, set_service_sla
from app.status_labels import LOCALES, current_locale, staff_label
from app.text_admin import (LABEL_LIMIT, check_item, current_text, find_item, items, reset_text,
                            sample_request, sample_values, save_text, text_version)
from app.texts import (PDF_DOCUMENTS, check_template, one_line, pdf_markup,
                       plain_preview)
from app.branding import brand
from app.ui_texts import (checked_ui_text, edited_texts, msgids, orphaned_texts, search,
                          shown)
from app.ui_texts import preview as ui_preview
from app.ui_words import (MAX_CHANGES, MAX_FORMS, MAX_WORD, checked_mapping, checked_pair,
                          guess, planned_changes, replace_word, word_forms)
from app.uow import unit_of_work
from models.catalog import Service
from models.texts import (KIND_EMAIL, KIND_PARTNER_LABEL, KIND_PDF, KIND_STAFF_LABEL, KIND_UI,
                          ServiceSla)

SECTIONS = [(KIND_STAFF_LABEL, _l("Status labels for staff")),
            (KIND_PARTNER_LABEL, _l("Status labels for partners")),
            (KIND_EMAIL, _l("E-mails")), (KIND_PDF, _l("Document texts (PDF)"))]


class WordsForm(FlaskForm):
    subject = StringField(_l("Subject"))
    body = TextAreaField(_l("Text"))
    seen = HiddenField()  # app.text_admin.text_version the editor was opened on


class ServiceSlaForm(FlaskForm):
    service_id = SelectField(_l("Service"), coerce=int)
    status = SelectField(_l("Status"))
    minutes = IntegerField(_l("Minutes"), validators=[NumberRange(min=1, max=MAX_MINUTES)])


def _locale(strict: bool = False) -> str:
    """The language being edited: ?locale=, else the admin's own; an unknown one is a 404
    where it would be written to (it meant Russian, a reset too)."""
    locale = request.args.get("locale")
    if locale in LOCALES:
        return locale
    if strict and locale is not None:
        abort(404)
    return current_locale()


def _preview(item, locale: str, subject: str | None, body: str) -> dict | None:
    """The text filled in with the sample request's values (None when it does not render)."""
    if check_item(item, locale, subject, body):
        return None
    if item.is_interface:
        return {"body": ui_preview(item.msgid, checked_ui_text(item.msgid, body), brand())}
    if item.is_label:
        return {"body": body.strip()}
    values = sample_values(item, locale)
    rendered = check_template(body, item.placeholders, html=item.html, values=values)
    preview = {"body": pdf_markup(rendered) if item.html else plain_preview(rendered)}
    if item.has_subject:
        preview["subject"] = one_line(check_template(subject or "", item.placeholders,
                                                     values=values))
    return preview


def _as_shown(rows) -> list[tuple]:
    """(key, msgid, text, …) rows with the msgid and the text as the pages show them."""
    product = brand()
    return [(key, shown(msgid, msgid, product), shown(msgid, text, product), *rest)
            for key, msgid, text, *rest in rows]


class TextsView(BaseView):
    route_base = "/texts"
    default_view = "index"
    base_permissions = ["can_index", "can_edit", "can_reset", "can_replace_word"]

    @expose("/")
    @has_access
    def index(self):
        locale = _locale()
        sections = [(kind, label, [(item, *current_text(item, locale)) for item in items(kind)])
                    for kind, label in SECTIONS]
        words = (request.args.get("q") or "").strip()[:100]
        return self.render_template("desk/texts.html", sections=sections, locale=locale,
                                    locales=LOCALES, documents=PDF_DOCUMENTS, q=words,
                                    found=_as_shown(search(words, locale)) if words else None,
                                    edited=_as_shown(edited_texts(locale)), ui_kind=KIND_UI,
                                    orphaned=orphaned_texts(locale), reset_form=WordsForm())

    @expose("/<kind>/<key>", methods=["GET", "POST"])
    @has_access
    def edit(self, kind: str, key: str):
        locale = _locale(strict=True)
        try:
            item = find_item(kind, key)
        except DomainError:
            abort(404)
        if item.is_interface and not item.msgid:  # no longer in the interface: delete only
            abort(404)
        subject, body, overridden = current_text(item, locale)
        version = text_version(item, locale)
        form = WordsForm(data={"subject": subject, "body": body, "seen": version}) \
            if request.method == "GET" else WordsForm()
        errors, preview, stored_now = {}, None, None
        if request.method == "POST" and form.validate_on_submit():
            subject, body = form.subject.data, form.body.data or ""
            errors = check_item(item, locale, subject, body)
            if errors:
                flash(_("The text has errors: nothing was saved."), "danger")
            elif request.form.get("do") == "save":
                try:
                    with unit_of_work():
                        save_text(g.user, kind, key, locale, body, subject,
                                  seen=form.seen.data)
                except Conflict as error:  # shown the stored text; the next save replaces it
                    flash(str(error), "danger")
                    stored_now, form.seen.data = current_text(item, locale), version
                except DomainError as error:
                    flash(str(error), "danger")
                else:
                    flash(_("Text saved."), "success")
                    return redirect(url_for("TextsView.edit", kind=kind, key=key,
                                            locale=locale))
        elif request.method == "POST":
            flash(_("The form has expired: reload the page and try again."), "danger")
        if not errors:
            preview = _preview(item, locale, subject, body)
        default_subject, default_body = item.default(locale)
        return self.render_template(
            "desk/text_edit.html", item=item, form=form, errors=errors, preview=preview,
            locale=locale, locales=LOCALES, overridden=overridden, sample=sample_request(),
            stored_now=stored_now, version=version, label_limit=LABEL_LIMIT,
            default_subject=default_subject, default_body=default_body)

    @expose("/<kind>/<key>/reset", methods=["POST"])
    @has_access
    def reset(self, kind: str, key: str):
        locale = _locale(strict=True)
        if not WordsForm().validate_on_submit():
            flash(_("The form has expired: reload the page and try again."), "danger")
        else:
            try:
                with unit_of_work():
                    reset_text(g.user, kind, key, locale, seen=request.form.get("seen"))
            except DomainError as error:
                flash(str(error), "danger")
            else:
                flash(_("The default text is back."), "success")
        if kind == KIND_UI and key not in msgids():  # an orphan deleted (its editor is gone)
            return redirect(url_for("TextsView.index", locale=locale, _anchor=KIND_UI))
        return redirect(url_for("TextsView.edit", kind=kind, key=key, locale=locale))


    @expose("/replace-word", methods=["GET", "POST"])
    @has_access
    def replace_word(self):
        """One word replaced in every interface text: its forms and their replacements
        (GET), the texts before and after (POST "preview"), the ticked ones saved ("apply")."""
        locale = _locale(strict=True)
        source = request.form if request.method == "POST" else request.args
        word = (source.get("word") or "").strip()[:MAX_WORD + 1]
        replacement = (source.get("replacement") or "").strip()[:MAX_WORD + 1]
        forms, mapping, changes, ticked = None, None, None, None
        try:
            if request.method == "POST" and not WordsForm().validate_on_submit():
                raise InvalidInput(_("The form has expired: reload the page and try again."))
            if word or replacement:
                checked_pair(word, replacement)
                forms = [(f.form, f.texts, guess(f.form, word, replacement))
                         for f in word_forms(word, locale)]
            if request.method == "POST":
                pairs = list(zip(request.form.getlist("form"), request.form.getlist("new")))
                if len(pairs) > MAX_FORMS:
                    raise InvalidInput(_("At most %(n)s forms at once.", n=MAX_FORMS))
                typed = dict(pairs)  # what the admin wrote stays in the table
                found = {form for form, _n, _new in forms or []}
                forms = [(form, n, typed.get(form, new)) for form, n, new in forms or []]
                forms += [(form, None, new) for form, new in pairs  # forms of one's own
                          if form.strip() and form.strip().casefold() not in found]
                ticked = set(request.form.getlist("key")) \
                    if request.form.get("do") == "apply" else None
                mapping = checked_mapping(pairs)
                if request.form.get("do") == "apply":
                    chosen = {key: request.form.get(f"seen-{key}", "")
                              for key in request.form.getlist("key")[:MAX_CHANGES]}
                    with unit_of_work():
                        saved = replace_word(g.user, locale, mapping, chosen)
                    flash(_("Texts saved: %(n)s — they now say “%(word)s”.", n=saved,
                            word=replacement), "success")
                    return redirect(url_for("TextsView.index", locale=locale,
                                            _anchor=KIND_UI))
                changes = planned_changes(locale, mapping)
        except DomainError as error:
            flash(str(error), "danger")
            if mapping is not None and changes is None:
                changes = planned_changes(locale, mapping)
        return self.render_template("desk/text_replace.html", locale=locale, locales=LOCALES,
                                    word=word, replacement=replacement, forms=forms,
                                    changes=changes, form=WordsForm(), ui_kind=KIND_UI,
                                    max_changes=MAX_CHANGES, ticked=ticked)


class ServiceSlaView(BaseView):
    route_base = "/sla-by-service"
    default_view = "index"
    base_permissions = ["can_index", "can_delete"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        form = ServiceSlaForm()
        form.service_id.choices = [(s.id, service_name(s)) for s in db.session.query(Service)
                                   .order_by(Service.sort_order, Service.name)]
        form.status.choices = [(status, staff_label(status)) for status in SLA_STATUSES]
        if request.method == "POST":
            if form.validate_on_submit():
                try:
                    with unit_of_work():
                        set_service_sla(g.user, form.service_id.data, form.status.data,
                                        form.minutes.data)
                except DomainError as error:
                    flash(str(error), "danger")
                else:
                    flash(_("Threshold saved."), "success")
                    return redirect(url_for("ServiceSlaView.index"))
            else:
                flash(_("Check the highlighted fields: nothing was saved."), "danger")
        rows = db.session.query(ServiceSla).join(Service).order_by(
            Service.name, ServiceSla.status).all()
        return self.render_template("desk/service_sla.html", form=form, rows=rows,
                                    delete_form=FlaskForm())

    @expose("/<int:row_id>/delete", methods=["POST"])
    @has_access
    def delete(self, row_id: int):
        if not FlaskForm().validate_on_submit():
            flash(_("The form has expired: reload the page and try again."), "danger")
            return redirect(url_for("ServiceSlaView.index"))
        try:
            with unit_of_work():
                delete_service_sla(g.user, row_id)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("Threshold removed: the status threshold applies."), "success")
        return redirect(url_for("ServiceSlaView.index"))
