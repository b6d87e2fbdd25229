"""Partner downloads: quote proposals and request documents as PDF."""

from __future__ import annotations

import logging
import shutil
import zipfile
from io import BytesIO

from flask import Response, abort, flash, redirect, send_file, url_for
from flask_login import current_user

from app.access import get_quote_or_404, get_request_or_404
from app.errors import DomainError
from app.file_store import file_store
from app.uow import unit_of_work
from app.validators import clean_filename
from cabinet import bp
from cabinet.access import partner_required
from cabinet.requests import partner_files
from reports.documents import proposal_pdf, request_pdf

log = logging.getLogger(__name__)
COPY_CHUNK = 1024 * 1024


def pdf_response(data: bytes, filename: str) -> Response:
    return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=filename)


@bp.route("/quotes/<int:quote_id>/pdf")
@partner_required
def quote_pdf(quote_id: int):
    quote = get_quote_or_404(current_user, quote_id)
    # named as the other documents are (invoice-…, act-…): "КП-1.pdf" read "-1.pdf" in ASCII
    return pdf_response(proposal_pdf(quote), f"proposal-{quote.id}.pdf")


@bp.route("/requests/<int:request_id>/pdf/<document>")
@partner_required
def request_document(request_id: int, document: str):
    req = get_request_or_404(current_user, request_id)
    try:
        with unit_of_work():  # the first invoice or act stores its number
            data = request_pdf(req, document, for_partner=True, user=current_user)
    except DomainError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("cabinet.request_detail", request_id=req.id))
    return pdf_response(data, f"{document}-{req.number}.pdf")


@bp.route("/requests/<int:request_id>/package.zip")
@partner_required
def package_zip(request_id: int):
    """The whole released document package as one zip (original names kept)."""
    req = get_request_or_404(current_user, request_id)
    _inputs, released = partner_files(req)
    if not released:
        abort(404)
    buffer, store = BytesIO(), file_store()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        used: set[str] = set()
        for attachment in released:
            name = clean_filename(attachment.original_name)
            if name in used:
                name = f"{attachment.id}-{name}"
            used.add(name)
            try:  # from any store (the local disk or another), streamed into the archive
                with store.open(attachment.stored_name) as source, \
                        archive.open(name, "w") as target:
                    shutil.copyfileobj(source, target, COPY_CHUNK)
            except FileNotFoundError:  # a row without its file: no half package
                log.error("stored file %s of request %s is missing from the storage",
                          attachment.stored_name, req.number)
                abort(404)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"{req.number}-v{released[0].version}.zip")
