"""The bot's webhook: POST /telegram/webhook/<secret>, called by Telegram with each update.

Registered only when TELEGRAM_BOT_TOKEN is set (otherwise the address is 404). The secret is
TELEGRAM_WEBHOOK_SECRET, both in the path and in the X-Telegram-Bot-Api-Secret-Token header
that Telegram sends (setWebhook's secret_token, `flask replan telegram-set-webhook`): a wrong
path is 404, a wrong header 403. No cookies, no CSRF token (Telegram cannot send one): the
secret is the authentication. Only "/start <token>" and "/stop" in a private chat do
anything; every other update is answered 200 and ignored, so Telegram does not repeat it.
The bot's replies go through the outbox (app.telegram_outbox) like every notification.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _

from app.notifications import user_language
from app.telegram import link_chat, reply_text, stop_chat
from app.telegram_outbox import queue_telegram
from app.uow import unit_of_work

bp = Blueprint("telegram", __name__, url_prefix="/telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHAT_ID_LIMIT = 2 ** 63  # BIGINT


def install_telegram_webhook(app, csrf) -> None:
    """Add the webhook when a bot is configured; without a token the address stays 404."""
    if not app.config.get("TELEGRAM_BOT_TOKEN"):
        return
    csrf.exempt(bp)
    app.register_blueprint(bp)


def _same(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


@bp.route("/webhook/<secret>", methods=["POST"])
def webhook(secret: str):
    """One Telegram update: link on "/start <token>", unlink on "/stop", else nothing."""
    expected = current_app.config.get("TELEGRAM_WEBHOOK_SECRET")
    if not expected or not _same(secret, expected):
        abort(404)
    if not _same(request.headers.get(SECRET_HEADER), expected):
        abort(403)
    try:
        update = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser recurses: not an update (no 500,
        update = None       # which Telegram would repeat for hours)
    command = _command(update)
    if command is not None:
        _answer(*command)
    return jsonify({})


def _command(update) -> tuple[str, str, int, dict] | None:
    """(command, argument, chat id, sender) of a private /start or /stop, else None."""
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict):
        return None
    chat, text = message.get("chat"), message.get("text")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(text, str):
        return None
    chat_id = chat.get("id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool) or \
            not -CHAT_ID_LIMIT < chat_id < CHAT_ID_LIMIT:
        return None
    parts = text.strip().split(maxsplit=1)
    name = parts[0].split("@", 1)[0].lower() if parts else ""
    if name not in ("/start", "/stop"):
        return None
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    return name, (parts[1].strip() if len(parts) > 1 else ""), chat_id, sender


def _answer(name: str, argument: str, chat_id: int, sender: dict) -> None:
    with unit_of_work():
        if name == "/stop":
            with force_locale(_sender_language(sender)):
                reply = _("Telegram is unlinked: %(brand)s sends nothing more here. Link it "
                          "again from your profile.") if stop_chat(chat_id) else \
                    _("This chat is not linked to %(brand)s.")
        else:
            outcome, user = link_chat(argument[:200], chat_id, _chat_name(sender))
            locale = user_language(user) if user is not None else _sender_language(sender)
            with force_locale(locale):
                reply = reply_text(outcome)
        queue_telegram(chat_id, reply, kind="bot_reply")


def _sender_language(sender: dict) -> str:
    code = sender.get("language_code")
    return "en" if isinstance(code, str) and code.lower().startswith("en") else "ru"


def _chat_name(sender: dict) -> str | None:
    username, first = sender.get("username"), sender.get("first_name")
    if isinstance(username, str) and username:
        return "@" + username
    return first if isinstance(first, str) and first else None
