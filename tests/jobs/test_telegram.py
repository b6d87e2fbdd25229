"""The bot's outbox: notifications reach a linked chat per the Telegram switches, through the
outbox and send jobs, retried after Bot API failures; a 403 unlinks the chat; engineers read
the e-mail's own text (no partner words). The Bot API is a real HTTP server on loopback."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_appbuilder.security.sqla.models import User

import app.jobs as jobs_module
from app.extensions import db
from app.telegram_outbox import send_telegram_message, sweep_telegram
from app.uow import unit_of_work
from app.workflow import transition
from models.base import utcnow
from models.outbox import OutboxMessage
from models.partners import UserProfile
from models.request_status import Status
from models.requests import Request
from models.telegram import TelegramChat, TelegramLinkToken, TelegramMessage
from tests.factories import Staff, make_company, make_partner, make_request
from tests.jobs.servers import free_port
from tests.telegram_bot_api import BOT_TOKEN, SECRET, run_jobs


def build_world() -> dict:
    staff = Staff()
    partner = make_partner(company=make_company("ООО Тайный Заказчик"), phone="+79990001122")
    req = make_request(partner, Status.ASSIGNED, staff)
    link_chat(partner, 1001)
    return {"staff": {who: getattr(staff, who).id
                      for who in ("supermanager", "manager", "engineer")},
            "partner": partner.id, "request": req.id}


@pytest.fixture
def world(tg, snapshot):
    """A partner's request waiting with its manager, the partner's chat linked (built once
    per run, conftest.snapshot)."""
    ids = snapshot("telegram-world", build_world)
    staff = SimpleNamespace(**{who: db.session.get(User, i) for who, i in ids["staff"].items()})
    return (staff, db.session.get(User, ids["partner"]),
            db.session.get(Request, ids["request"]))


def link_chat(user, chat_id: int) -> TelegramChat:
    chat = TelegramChat(user_id=user.id, chat_id=chat_id)
    db.session.add(chat)
    db.session.commit()
    return chat


def move(req, action: str, actor, comment: str = "Нужна выписка ЕГРН") -> None:
    """A workflow move through a unit of work, as every surface makes it."""
    with unit_of_work():
        transition(req, action, actor, comment)
    run_jobs()


def rows(user=None) -> list[TelegramMessage]:
    query = db.session.query(TelegramMessage).order_by(TelegramMessage.id)
    return query.filter_by(user_id=user.id).all() if user is not None else query.all()


def make_due(row: TelegramMessage) -> None:
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_notification_reaches_the_linked_chat_once_with_the_e_mail_text(world, bot):
    staff, partner, req = world
    move(req, "ask_info", staff.manager)
    (row,) = rows(partner)
    assert (row.status, row.attempts, row.chat_id, row.kind) == ("sent", 1, 1001, "needs_info")
    mail = db.session.query(OutboxMessage).filter_by(recipient=partner.email,
                                                     kind="needs_info").one()
    assert bot.sent(1001) == [mail.body]  # the e-mail's rendered text, exactly once
    assert bot.calls[0]["token"] == BOT_TOKEN
    sweep_telegram()
    run_jobs()
    assert len(bot.sent(1001)) == 1


def test_a_bot_api_500_is_retried_after_a_backoff_and_delivered_once(world, bot):
    staff, partner, req = world
    bot.fail_next(500, "Internal Server Error")
    move(req, "ask_info", staff.manager)
    (row,) = rows(partner)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "500" in row.last_error and row.next_attempt_at > utcnow()
    sweep_telegram()  # not due yet: nothing is sent
    run_jobs()
    assert len(bot.calls) == 1
    make_due(row)
    sweep_telegram()
    run_jobs()
    row = db.session.get(TelegramMessage, row.id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(bot.sent(1001)) == 2 and bot.sent(1001)[0] == bot.sent(1001)[1]
    sweep_telegram()
    run_jobs()
    assert len(bot.sent(1001)) == 2  # nothing more once sent


def test_too_many_requests_waits_as_long_as_the_bot_api_asks(world, bot):
    staff, partner, req = world
    bot.fail_next(429, "Too Many Requests: retry after 120", retry_after=120)
    move(req, "ask_info", staff.manager)
    (row,) = rows(partner)
    assert row.status == "pending"
    assert timedelta(seconds=100) < row.next_attempt_at - utcnow() <= timedelta(seconds=120)


def test_an_unreachable_bot_api_is_retried_and_the_token_is_never_stored(world, bot, tg):
    staff, partner, req = world
    saved = tg.config["TELEGRAM_API_BASE"]
    tg.config["TELEGRAM_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nothing listens
    try:
        move(req, "ask_info", staff.manager)
    finally:
        tg.config["TELEGRAM_API_BASE"] = saved
    (row,) = rows(partner)
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert BOT_TOKEN not in row.last_error
    make_due(row)
    sweep_telegram()
    run_jobs()
    assert db.session.get(TelegramMessage, row.id).status == "sent"


def test_a_403_blocked_by_the_user_unlinks_the_chat_and_drops_its_queue(world, bot):
    staff, partner, req = world
    bot.fail_next(403, "Forbidden: bot was blocked by the user")
    move(req, "ask_info", staff.manager)
    chat = db.session.query(TelegramChat).filter_by(user_id=partner.id).one()
    assert chat.unlinked_at is not None and chat.unlink_reason == "blocked"
    assert [r.status for r in rows(partner)] == ["dropped"]
    calls = len(bot.calls)
    move(req, "answer", partner, "Вот выписка")  # later notifications: no Telegram at all
    assert len(rows(partner)) == 1 and len(bot.calls) == calls


def test_a_bad_request_is_not_retried(world, bot):
    staff, partner, req = world
    bot.fail_next(400, "Bad Request: message text is empty")
    move(req, "ask_info", staff.manager)
    (row,) = rows(partner)
    assert row.status == "failed" and "400" in row.last_error
    sweep_telegram()
    run_jobs()
    assert len(bot.calls) == 1


def test_chat_not_found_unlinks_too(world, bot):
    staff, partner, req = world
    bot.fail_next(400, "Bad Request: chat not found")
    move(req, "ask_info", staff.manager)
    assert db.session.query(TelegramChat).one().unlink_reason == "blocked"


def test_a_message_for_a_chat_unlinked_meanwhile_is_dropped(world, bot, monkeypatch):
    staff, partner, req = world
    monkeypatch.setattr(jobs_module, "enqueue_each", lambda func, ids, **kw: len(ids))
    move(req, "ask_info", staff.manager)
    (row,) = rows(partner)
    db.session.query(TelegramChat).update({"unlinked_at": utcnow(), "unlink_reason": "user"})
    db.session.commit()
    assert send_telegram_message(row.id) == "dropped"
    assert bot.calls == [] and db.session.get(TelegramMessage, row.id).status == "dropped"


def test_a_stuck_send_is_sent_again_by_the_sweep(world, bot, monkeypatch):
    staff, partner, req = world
    monkeypatch.setattr(jobs_module, "enqueue_each", lambda func, ids, **kw: len(ids))
    move(req, "ask_info", staff.manager)
    (row,) = rows(partner)
    row.status, row.claimed_at = "sending", utcnow() - timedelta(minutes=11)
    db.session.commit()
    monkeypatch.undo()
    sweep_telegram()
    run_jobs()
    assert db.session.get(TelegramMessage, row.id).status == "sent"
    assert len(bot.sent(1001)) == 1


def test_the_sweep_deletes_link_tokens_a_day_after_they_expired(world):
    _staff, partner, _req = world
    now = utcnow()
    for n, expired_ago in enumerate((timedelta(days=2), timedelta(hours=1), -timedelta(minutes=5))):
        db.session.add(TelegramLinkToken(user_id=partner.id, token_hash=f"{n:064d}",
                                         expires_at=now - expired_ago))
    db.session.commit()
    sweep_telegram()
    kept = sorted(t.token_hash[-1] for t in db.session.query(TelegramLinkToken))
    assert kept == ["1", "2"]


def test_the_telegram_switches_decide_per_kind(world, bot):
    staff, partner, req = world
    profile = db.session.get(UserProfile, partner.id)
    profile.notify_prefs = {"telegram:needs_info": False}
    db.session.commit()
    move(req, "ask_info", staff.manager)
    assert rows(partner) == [] and bot.calls == []
    assert db.session.query(OutboxMessage).filter_by(recipient=partner.email,
                                                     kind="needs_info").count() == 1
    move(req, "answer", partner, "Вот выписка")
    # a kind without a Telegram switch follows its e-mail switch: off here
    profile = db.session.get(UserProfile, partner.id)
    profile.notify_prefs = {"needs_info": False, "status": False}
    db.session.commit()
    move(req, "ask_info", staff.manager)
    assert rows(partner) == []
    profile = db.session.get(UserProfile, partner.id)
    profile.notify_prefs = {"needs_info": False, "telegram:needs_info": True}
    db.session.commit()
    before = db.session.query(OutboxMessage).filter_by(recipient=partner.email).count()
    move(req, "answer", partner, "Ещё раз")
    move(req, "ask_info", staff.manager)
    assert [r.kind for r in rows(partner)] == ["needs_info"]  # Telegram only, no e-mail
    assert db.session.query(OutboxMessage).filter_by(recipient=partner.email).count() == before


def test_engineers_read_no_partner_words_in_telegram(tg, bot):
    staff = Staff()
    company = make_company("ООО Тайный Заказчик")
    partner = make_partner(company=company, phone="+79990001122")
    req = make_request(partner, Status.ON_REVIEW, staff)
    link_chat(staff.engineer, 2002)
    move(req, "return", staff.manager, "Нет размеров")
    (text,) = bot.sent(2002)
    mail = db.session.query(OutboxMessage).filter_by(recipient=staff.engineer.email,
                                                     kind="rework").one()
    assert text == mail.body and req.number in text
    for word in (company.name, partner.email, partner.get_full_name(), "+79990001122",
                 "/cabinet/"):
        assert word not in text


def test_set_webhook_command_registers_the_secret_address(tg, bot):
    runner = tg.test_cli_runner()
    result = runner.invoke(args=["replan", "telegram-set-webhook", "https://replan.example/"])
    assert result.exit_code == 0, result.output
    (call,) = bot.calls
    assert call["method"] == "setWebhook" and call["token"] == BOT_TOKEN
    assert call["body"]["url"] == f"https://replan.example/telegram/webhook/{SECRET}"
    assert call["body"]["secret_token"] == SECRET
    bot.fail_next(401, "Unauthorized")
    result = runner.invoke(args=["replan", "telegram-set-webhook"])
    assert result.exit_code != 0 and "setWebhook failed" in result.output
    assert BOT_TOKEN not in result.output
    assert bot.calls[-1]["body"]["url"].startswith(tg.config["BASE_URL"])
