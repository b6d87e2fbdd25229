"""The partner's Telegram link, in the profile: "Link Telegram" (the deep link shown once)
and "Unlink"; both 404 when no bot is configured (app.telegram_pages)."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from app.telegram_pages import page_context, start_link, unlink
from cabinet import bp
from cabinet.access import partner_required


def telegram_context(form, kinds) -> dict:
    """The profile page's Telegram section and switches (cabinet/profile.html)."""
    return page_context(form, kinds, url_for("cabinet.telegram_link"),
                        url_for("cabinet.telegram_unlink"))


@bp.route("/profile/telegram/link", methods=["POST"])
@partner_required
def telegram_link():
    return render_template("cabinet/telegram_link.html", **start_link(),
                           back_url=url_for("cabinet.profile", _anchor="telegram"))


@bp.route("/profile/telegram/unlink", methods=["POST"])
@partner_required
def telegram_unlink():
    unlink()
    return redirect(url_for("cabinet.profile", _anchor="telegram"))
