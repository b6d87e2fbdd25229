"""Linking Telegram from the profile (cabinet and staff) through the bot's webhook, end to end
against a real HTTP server on loopback playing the Bot API (tests/telegram_bot_api.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.telegram import EXPIRED, reply_text
from models.audit import AuditEvent
from models.base import utcnow
from models.request_status import Status
from models.telegram import TelegramChat, TelegramLinkToken, TelegramMessage
from tests.factories import Staff, as_user, make_partner, make_request, make_user, post
from tests.telegram_bot_api import (BOT_NAME, SECRET, deep_link_token,
                                    run_jobs, send_update, update)

CABINET_LINK, CABINET_UNLINK = "/cabinet/profile/telegram/link", "/cabinet/profile/telegram/unlink"
STAFF_LINK, STAFF_UNLINK = "/my-profile/telegram/link", "/my-profile/telegram/unlink"
STAFF_ROLES = ("Admin", "Director", "Supermanager", "Manager", "Engineer")


def linked_chat(user):
    return db.session.query(TelegramChat).filter_by(user_id=user.id, unlinked_at=None).first()


def link(tg, user, chat_id: int, link_url: str = CABINET_LINK):
    """Profile → "Link Telegram" → the bot receives /start <token>: the chat is linked."""
    token = deep_link_token(as_user(tg, user), link_url)
    send_update(tg.test_client(), update(f"/start {token}", chat_id, username="ivan"))
    return token


def test_partner_links_telegram_and_a_workflow_notification_arrives_exactly_once(tg, bot):
    staff = Staff()
    partner = make_partner()
    req = make_request(partner, Status.ASSIGNED, staff)
    client = as_user(tg, partner)
    profile = client.get("/cabinet/profile").get_data(as_text=True)
    assert 'data-testid="telegram-link"' in profile and 'data-testid="telegram-prefs"' in profile

    page = post(client, CABINET_LINK).get_data(as_text=True)
    token = deep_link_token(client, CABINET_LINK)  # a second press: a new token
    assert f"https://t.me/{BOT_NAME}?start=" in page
    rows = db.session.query(TelegramLinkToken).filter_by(user_id=partner.id).all()
    assert len(rows) == 2 and all(r.used_at is None for r in rows)
    assert hashlib.sha256(token.encode()).hexdigest() in {r.token_hash for r in rows}
    assert token not in {r.token_hash for r in rows}  # only the digest is stored
    assert all(timedelta(minutes=14) < r.expires_at - utcnow() <= timedelta(minutes=15)
               for r in rows)

    answer = send_update(tg.test_client(), update(f"/start {token}", 777001, username="ivan"))
    assert answer.status_code == 200
    chat = linked_chat(partner)
    assert (chat.chat_id, chat.chat_name) == (777001, "@ivan")
    assert len(bot.sent(777001)) == 1  # the bot's "linked" reply
    assert db.session.query(AuditEvent).filter_by(action="telegram_linked").count() == 1
    profile = client.get("/cabinet/profile").get_data(as_text=True)
    assert 'data-testid="telegram-linked"' in profile and "@ivan" in profile

    manager = as_user(tg, staff.manager)
    post(manager, f"/desk/{req.id}/move/ask_info", {"version": req.version,
                                                    "comment": "Нужна выписка ЕГРН"})
    run_jobs()
    notices = bot.sent(777001)[1:]
    assert len(notices) == 1 and req.number in notices[0]
    assert f"/cabinet/requests/{req.id}" in notices[0]
    sent = db.session.query(TelegramMessage).filter_by(user_id=partner.id).one()
    assert (sent.status, sent.attempts, sent.kind) == ("sent", 1, "needs_info")


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_staff_role_links_from_the_staff_profile(tg, bot, role):
    user = make_user(role)
    client = as_user(tg, user)
    page = client.get("/my-profile/").get_data(as_text=True)
    assert 'data-testid="telegram-link"' in page
    link(tg, user, 500100, STAFF_LINK)
    assert linked_chat(user).chat_id == 500100
    page = client.get("/my-profile/").get_data(as_text=True)
    assert 'data-testid="telegram-linked"' in page and 'data-testid="telegram-unlink"' in page


def test_a_partner_member_links_too_and_unlinks_from_the_profile(tg, bot):
    member = make_partner(owner=False)
    link(tg, member, 600200)
    assert linked_chat(member) is not None
    client = as_user(tg, member)
    response = post(client, CABINET_UNLINK)
    assert response.status_code == 302
    assert linked_chat(member) is None
    row = db.session.query(TelegramChat).filter_by(user_id=member.id).one()
    assert row.unlink_reason == "user" and row.unlinked_at is not None


def test_staff_profile_saves_the_telegram_switches_next_to_the_e_mail_ones(tg, bot):
    manager = make_user("Manager")
    client = as_user(tg, manager)
    page = client.get("/my-profile/").get_data(as_text=True)
    assert 'name="telegram_status"' in page and 'name="notify_status"' in page
    post(client, "/my-profile/", {"phone": "", "locale": "ru", "notify_status": "y",
                                  "telegram_message": "y"})
    db.session.expire_all()
    prefs = db.session.get(type(manager), manager.id).profile.notify_prefs
    assert prefs["status"] is True and prefs["telegram:status"] is False
    assert prefs["telegram:message"] is True


def test_partner_profile_saves_the_telegram_switches(tg, bot):
    partner = make_partner()
    client = as_user(tg, partner)
    data = {"first_name": "A", "last_name": "B", "phone": "", "email": partner.email,
            "locale": "ru", "notify_status": "y", "telegram_needs_info": "y"}
    post(client, "/cabinet/profile", data)
    db.session.expire_all()
    prefs = db.session.get(type(partner), partner.id).profile.notify_prefs
    assert prefs["telegram:needs_info"] is True and prefs["telegram:status"] is False


def test_expired_token_links_nothing_and_the_bot_answers_politely(tg, bot):
    partner = make_partner()
    token = deep_link_token(as_user(tg, partner), CABINET_LINK)
    db.session.query(TelegramLinkToken).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert send_update(tg.test_client(), update(f"/start {token}", 4242)).status_code == 200
    assert linked_chat(partner) is None
    with force_locale("ru"):
        assert bot.sent(4242) == [reply_text(EXPIRED)]


def test_reused_token_links_nothing_for_another_chat(tg, bot):
    partner = make_partner()
    token = link(tg, partner, 1111)
    send_update(tg.test_client(), update(f"/start {token}", 2222))
    assert linked_chat(partner).chat_id == 1111  # still the first chat only
    assert db.session.query(TelegramChat).filter_by(chat_id=2222).count() == 0
    assert len(bot.sent(2222)) == 1  # a polite "already used"
    # the same chat repeating its /start (Telegram redelivers) stays linked, nothing new
    send_update(tg.test_client(), update(f"/start {token}", 1111))
    assert db.session.query(TelegramChat).filter_by(user_id=partner.id).count() == 1


def test_unknown_or_missing_token_links_nothing(tg, bot):
    for text in ("/start not-a-token", "/start", "/start@replan_test_bot zzz"):
        send_update(tg.test_client(), update(text, 3333))
    assert db.session.query(TelegramChat).count() == 0
    assert len(bot.sent(3333)) == 3


def test_a_blocked_user_cannot_link(tg, bot):
    partner = make_partner()
    token = deep_link_token(as_user(tg, partner), CABINET_LINK)
    partner.active = False
    db.session.commit()
    send_update(tg.test_client(), update(f"/start {token}", 3434))
    assert db.session.query(TelegramChat).count() == 0


def test_other_messages_and_group_chats_are_ignored(tg, bot):
    partner = make_partner()
    token = deep_link_token(as_user(tg, partner), CABINET_LINK)
    client = tg.test_client()
    for payload in (update(f"/start {token}", -100500, chat_type="group"),
                    update("hello", 5555), update("/help", 5555), {"update_id": 2},
                    {"message": "x"}, ["not", "an", "object"],
                    update(f"/start {token}", True)):
        assert send_update(client, payload).status_code == 200
    assert client.post(f"/telegram/webhook/{SECRET}", data="not json", headers={
        "X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code == 200
    assert db.session.query(TelegramChat).count() == 0 and bot.calls == []
    assert db.session.get(TelegramLinkToken, 1).used_at is None


def test_stop_unlinks_the_chat(tg, bot):
    partner = make_partner()
    link(tg, partner, 8080)
    send_update(tg.test_client(), update("/stop", 8080))
    assert linked_chat(partner) is None
    assert db.session.query(TelegramChat).one().unlink_reason == "stop"
    assert len(bot.sent(8080)) == 2  # linked, then unlinked


def test_wrong_webhook_secret_is_refused_and_changes_nothing(tg, bot):
    partner = make_partner()
    token = deep_link_token(as_user(tg, partner), CABINET_LINK)
    client = tg.test_client()
    payload = update(f"/start {token}", 9090)
    assert send_update(client, payload, secret="wrong").status_code == 404
    assert send_update(client, payload, header="wrong").status_code == 403
    assert send_update(client, payload, header=None).status_code == 403
    assert db.session.query(TelegramChat).count() == 0 and bot.calls == []
    assert db.session.query(TelegramLinkToken).one().used_at is None


def test_the_webhook_needs_no_csrf_token_but_the_profile_buttons_do(tg, bot):
    partner = make_partner()
    client = as_user(tg, partner)
    assert client.post(CABINET_LINK).status_code == 400
    assert client.post(CABINET_UNLINK).status_code == 400
    assert db.session.query(TelegramLinkToken).count() == 0


def test_anonymous_and_the_other_surface_cannot_link(tg, bot):
    anonymous = tg.test_client()
    for url in (CABINET_LINK, STAFF_LINK):
        assert post(anonymous, url).status_code in (302, 401, 403)
    partner_client = as_user(tg, make_partner())
    assert post(partner_client, STAFF_LINK).status_code in (302, 403)
    staff_client = as_user(tg, make_user("Manager"))
    assert post(staff_client, CABINET_LINK).status_code in (302, 403, 404)
    assert db.session.query(TelegramLinkToken).count() == 0


def test_feature_hidden_without_a_bot_token(app, partner, staff):
    """The session's app has no TELEGRAM_BOT_TOKEN: no section, no switches, 404s."""
    client = as_user(app, partner)
    page = client.get("/cabinet/profile").get_data(as_text=True)
    assert 'data-testid="telegram' not in page and "telegram_" not in page
    assert post(client, CABINET_LINK).status_code == 404
    assert post(client, CABINET_UNLINK).status_code == 404
    manager = as_user(app, staff.manager)
    page = manager.get("/my-profile/").get_data(as_text=True)
    assert 'data-testid="telegram' not in page
    assert post(manager, STAFF_LINK).status_code == 404
    assert app.test_client().post(f"/telegram/webhook/{SECRET}", json=update("/stop", 1),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                                  ).status_code == 404
    # even a chat linked earlier hears nothing while no bot is configured
    db.session.add(TelegramChat(user_id=partner.id, chat_id=42))
    db.session.commit()
    req = make_request(partner, Status.ASSIGNED, staff)
    post(manager, f"/desk/{req.id}/move/ask_info", {"version": req.version,
                                                    "comment": "Нужна выписка"})
    assert db.session.query(TelegramMessage).count() == 0
    assert db.session.query(TelegramLinkToken).count() == 0
