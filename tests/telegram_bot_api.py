"""A real HTTP server on loopback that plays the Telegram Bot API for the Telegram tests.

It records every call (token, method, JSON body) and answers {"ok": true, ...}, or the
failures a test scripted with `fail_next` (HTTP status + the Bot API's error body), in order.
Helpers build the app with a bot configured, link a user's chat end to end, and post updates
to the webhook as Telegram does. Its fixtures (`bot`, `tg_app`, `tg`: the fake API and an app
with a bot, per test module) are loaded for every test module by tests/conftest.py.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import current_app, g

from app import create_app
from app.extensions import db
from config import TestConfig
from app.worker import run_worker
from tests.factories import post
from tests.jobs.servers import serve_in_thread

BOT_TOKEN = "123456:TEST-token_abc"
BOT_NAME = "replan_test_bot"
SECRET = "hook-Secret_42"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class FakeBotApi:
    """The Bot API on 127.0.0.1:<free port>."""

    def __init__(self):
        self.calls: list[dict] = []
        self.failures: list[tuple[int, str, int | None]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                token, _slash, method = self.path.lstrip("/").partition("/")
                status, answer = fake.answer(token.removeprefix("bot"), method, body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeBotApi:
        serve_in_thread(self.server)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, token: str, method: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.calls.append({"token": token, "method": method, "body": body})
            if self.failures:
                status, description, retry_after = self.failures.pop(0)
                answer = {"ok": False, "error_code": status, "description": description}
                if retry_after is not None:
                    answer["parameters"] = {"retry_after": retry_after}
                return status, answer
        return 200, {"ok": True, "result": {"message_id": len(self.calls), "chat": {
            "id": body.get("chat_id")}, "text": body.get("text")}}

    def fail_next(self, status: int, description: str, retry_after: int | None = None):
        self.failures.append((status, description, retry_after))

    def sent(self, chat_id: int | None = None) -> list[str]:
        """Texts of the sendMessage calls (to one chat)."""
        return [c["body"]["text"] for c in self.calls if c["method"] == "sendMessage"
                and (chat_id is None or c["body"]["chat_id"] == chat_id)]


def bot_settings(bot: FakeBotApi, **extra) -> dict:
    return dict(TELEGRAM_BOT_TOKEN=BOT_TOKEN, TELEGRAM_BOT_USERNAME=BOT_NAME,
                TELEGRAM_API_BASE=bot.url, TELEGRAM_WEBHOOK_SECRET=SECRET, **extra)


def bot_app(app, bot: FakeBotApi):
    """Another app with the bot configured (the session's app has none), same database."""
    config = type("TelegramTestConfig", (TestConfig,), {
        **bot_settings(bot), "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "EXPORT_DIR": app.config["EXPORT_DIR"]})
    application = create_app(config)
    application.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    return application


def dispose(application) -> None:
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def run_jobs() -> None:
    """With Redis the send jobs wait in the queue: run them (inline they already ran)."""
    if current_app.config.get("REDIS_URL"):
        db.session.commit()
        run_worker(burst=True, with_cron=False)
    db.session.expire_all()


def update(text: str, chat_id: int, chat_type: str = "private", **sender) -> dict:
    """A Telegram update carrying a text message."""
    sender = {"id": chat_id, "is_bot": False, "first_name": "Иван", **sender}
    return {"update_id": 1, "message": {"message_id": 5, "date": 0, "text": text,
                                        "chat": {"id": chat_id, "type": chat_type},
                                        "from": sender}}


def send_update(client, payload: dict, secret: str = SECRET, header: str | None = SECRET):
    headers = {SECRET_HEADER: header} if header is not None else {}
    response = client.post(f"/telegram/webhook/{secret}", json=payload, headers=headers)
    run_jobs()
    return response


def deep_link_token(client, link_url: str) -> str:
    """Press "Link Telegram" on a profile page: the token of the deep link it shows."""
    page = post(client, link_url).get_data(as_text=True)
    prefix = f"https://t.me/{BOT_NAME}?start="
    start = page.index(prefix) + len(prefix)
    return page[start:page.index('"', start)]


@pytest.fixture(scope="module")
def bot():
    fake = FakeBotApi().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def tg_app(app, bot):
    application = bot_app(app, bot)
    yield application
    dispose(application)


@pytest.fixture
def tg(tg_app, bot):
    bot.calls.clear()
    bot.failures.clear()
    with tg_app.app_context():
        yield tg_app
        db.session.remove()
