"""Services calculator: price breakdown with the company discount, saved quotes (app.quotes).

The form asks the chosen services' priced fields (app.pricing.pricing_fields), so a
redevelopment service asks the area and a car check the car class."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import visible_quotes
from app.errors import DomainError
from app.pricing import PriceError, calculate
from app.quotes import quote_summary, save_quote
from app.signatures import ConfirmationRequired
from app.uow import unit_of_work
from cabinet import bp
from cabinet.access import partner_required
from cabinet.choices import fill_choices
from cabinet.confirmation import confirmation_step, posted_code
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
        form.urgency.data = "normal"
    result = None
    if form.validate_on_submit():
        try:
            result = calculate(form.services.data, form.field_values, form.urgency.data,
                               form.options.data or [], company)
        except PriceError as error:
            _show_price_error(form, error)
        else:
            if request.form.get("save") or request.form.get("to_request"):
                return _save(form)
    quotes = visible_quotes(current_user).order_by(Quote.id.desc()).limit(10).all()
    return render_template("cabinet/calculator.html", form=form, result=result,
                           quotes=quotes, company=company,
                           summaries={q.id: quote_summary(q) for q in quotes})


def _show_price_error(form: CalculatorForm, error: PriceError) -> None:
    """Under the field it names if the form shows it, else above the form."""
    if error.field and error.field in {f.key for _g, items in form.field_groups()
                                       for f in items}:
        form.field_errors[error.field] = str(error)
    else:
        flash(str(error), "danger")


def _save(form: CalculatorForm):
    try:
        with unit_of_work():
            quote_id = save_quote(current_user, form.services.data, form.field_values,
                                  form.urgency.data, form.options.data,
                                  confirmation_code=posted_code()).id
    except ConfirmationRequired as needed:  # agreeing to the quote is signed with a code
        return confirmation_step(needed, url_for("cabinet.calculator"))
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("cabinet.calculator"))
    if request.form.get("to_request"):
        return redirect(url_for("cabinet.request_new", quote=quote_id))
    flash(_("Quote saved."), "success")
    return redirect(url_for("cabinet.calculator"))
