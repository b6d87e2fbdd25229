"""as_user's shortcut (tests.factories.sign_in) leaves the session the login form leaves, so
the hundreds of tests that sign in through it test what a real sign-in gives."""

from flask import session

from app.extensions import db
from app.sessions import end_all_sessions
from tests.factories import login, make_partner, make_user, sign_in


def _session(client) -> dict:
    with client.session_transaction() as stored:
        return dict(stored)


def _signed_in_both_ways(app, user):
    by_form, by_shortcut = app.test_client(), app.test_client()
    assert login(by_form, user.username).status_code == 302
    sign_in(by_shortcut, user)
    return by_form, by_shortcut


def test_the_shortcut_leaves_the_keys_and_values_the_login_form_leaves(app):
    admin = make_user("Admin")
    end_all_sessions(admin.id)  # a generation above 0 is copied too
    db.session.commit()
    for user in (make_partner(locale="en"), make_user("Manager"), admin):
        by_form, by_shortcut = _signed_in_both_ways(app, user)
        form, shortcut = _session(by_form), _session(by_shortcut)
        assert form.keys() == shortcut.keys(), user.username
        # the CSRF token is random in both; everything else is the same value
        assert {k: v for k, v in form.items() if k != "csrf_token"} == \
            {k: v for k, v in shortcut.items() if k != "csrf_token"}, user.username
        assert len(form["csrf_token"]) == len(shortcut["csrf_token"]) == 40


def test_pages_answer_both_sessions_alike_and_both_end_together(app):
    partner = make_partner(locale="en")
    by_form, by_shortcut = _signed_in_both_ways(app, partner)
    form_page, shortcut_page = by_form.get("/cabinet/"), by_shortcut.get("/cabinet/")
    assert form_page.status_code == shortcut_page.status_code == 200
    assert 'lang="en"' in form_page.get_data(as_text=True)
    assert 'lang="en"' in shortcut_page.get_data(as_text=True)
    for client in (by_form, by_shortcut):
        with client:  # Flask-Login's session protection kept the session fresh
            client.get("/cabinet/")
            assert session["_fresh"] is True and session["_user_id"] == str(partner.id)
    end_all_sessions(partner.id)  # logout elsewhere, password change, blocking
    db.session.commit()
    for client in (by_form, by_shortcut):
        ended = client.get("/cabinet/")
        assert ended.status_code == 302 and "/login/" in ended.headers["Location"]
