"""The admin's catalogue import: a downloadable template, a dry run, then the import."""

from __future__ import annotations

from io import BytesIO

from flask import flash, g, request, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField

from app.catalogue_import import ACTION_LABELS, MAX_BYTES, SHEETS, import_catalogue, \
    template_workbook
from app.errors import DomainError
from app.uow import unit_of_work

COLUMN_LABELS = {sheet: {column.attr: column.label for column in columns}
                 for sheet, (_title, columns) in SHEETS.items()}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(FlaskForm):
    workbook = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(
        message=_l("Choose the filled-in workbook."))])
    mode = RadioField(_l("What to do"), default="check", choices=[
        ("check", _l("Check only: show what would change, change nothing")),
        ("apply", _l("Import: apply every row (nothing if any row has an error)"))])


class CatalogueImportView(BaseView):
    route_base = "/catalogue-import"
    default_view = "index"
    base_permissions = ["can_index", "can_template"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        form, report = ImportForm(), None
        if request.method == "POST":
            if form.validate_on_submit():
                report = self._run(form)
            else:
                flash(_("Check the highlighted fields: nothing was imported."), "danger")
        return self.render_template("desk/catalogue_import.html", form=form, report=report,
                                    sheets=SHEETS, actions=ACTION_LABELS, labels=COLUMN_LABELS,
                                    max_mb=MAX_BYTES // 2 ** 20)

    def _run(self, form):
        data = form.workbook.data.read(MAX_BYTES + 1)
        apply = form.mode.data == "apply"
        try:
            with unit_of_work():
                report = import_catalogue(g.user, data, apply=apply)
        except DomainError as error:
            flash(str(error), "danger")
            return None
        if report.errors:
            flash(_("%(n)s row(s) have errors: nothing was imported.", n=len(report.errors)),
                  "danger")
        elif report.applied:
            flash(_("Imported: %(added)s added, %(changed)s changed.",
                    added=report.count("create"), changed=report.count("update")), "success")
        else:
            flash(_("Checked: no errors. Nothing was changed yet — choose “Import” to apply."),
                  "info")
        return report

    @expose("/template.xlsx")
    @has_access
    def template(self):
        return send_file(BytesIO(template_workbook()), mimetype=XLSX, as_attachment=True,
                         download_name="replan-catalogue-template.xlsx")
