"""The partner's API tokens, in the profile: create (the secret shown once) and revoke."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from app.api_token_pages import create_from_form, revoke_from_form, section_context
from cabinet import bp
from cabinet.access import partner_required


def api_token_context() -> dict:
    """The profile page's API token section (cabinet/profile.html includes it)."""
    return {**section_context(), "api_token_create_url": url_for("cabinet.create_api_token"),
            "api_token_revoke_endpoint": "cabinet.revoke_api_token"}


@bp.route("/profile/api-tokens", methods=["POST"])
@partner_required
def create_api_token():
    created = create_from_form()
    if created is None:
        return redirect(url_for("cabinet.profile", _anchor="api-tokens"))
    token, secret = created
    return render_template("cabinet/api_token_created.html", token=token, secret=secret,
                           back_url=url_for("cabinet.profile", _anchor="api-tokens"))


@bp.route("/profile/api-tokens/<int:token_id>/revoke", methods=["POST"])
@partner_required
def revoke_api_token(token_id: int):
    revoke_from_form(token_id)
    return redirect(url_for("cabinet.profile", _anchor="api-tokens"))
