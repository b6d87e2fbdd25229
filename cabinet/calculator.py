"""Services calculator: price breakdown with the company discount, saved quotes."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import visible_quotes
from app.audit import record
from app.extensions import db
from app.pricing import calculate
from cabinet import bp
from cabinet.access import partner_required
from cabinet.choices import fill_choices
from cabinet.forms import CalculatorForm
from models.catalog import Quote


@bp.route("/calculator", methods=["GET", "POST"])
@partner_required
def calculator():
    """Price services; 'save' stores the quote, 'request' opens a draft from it."""
    company = current_user.profile.partner_company
    form = CalculatorForm()
    fill_choices(form)
    if request.method == "GET":
        form.object_type.data, form.urgency.data = "apartment", "normal"
    result = None
    if form.validate_on_submit():
        result = calculate(form.services.data, form.area.data, form.object_type.data,
                           form.urgency.data, form.options.data or [],
                           company.discount_percent)
        if request.form.get("save") or request.form.get("to_request"):
            quote = _save_quote(form, result, company)
            if request.form.get("to_request"):
                return redirect(url_for("cabinet.request_new", quote=quote.id))
            flash(_("Quote saved."), "success")
            return redirect(url_for("cabinet.calculator"))
    quotes = visible_quotes(current_user).order_by(Quote.id.desc()).limit(10).all()
    return render_template("cabinet/calculator.html", form=form, result=result,
                           quotes=quotes, company=company)


def _save_quote(form: CalculatorForm, result, company) -> Quote:
    quote = Quote(company_id=company.id, author_id=current_user.id,
                  object_type=form.object_type.data, area=form.area.data,
                  urgency=form.urgency.data, options=list(form.options.data or []),
                  service_ids=list(form.services.data),
                  breakdown=[{"title": line.title, "kopecks": line.kopecks,
                              "detail": line.detail} for line in result.lines],
                  subtotal_kopecks=result.subtotal, discount_kopecks=result.discount,
                  total_kopecks=result.total)
    db.session.add(quote)
    db.session.flush()
    record("quote_saved", current_user, quote, total=result.total)
    db.session.commit()
    return quote
