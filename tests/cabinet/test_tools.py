"""Calculator and quotes, knowledge base, notifications, team."""

import re
from urllib.parse import urlsplit
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from models.catalog import Quote, Service
from models.knowledge import KbArticle, KbCategory
from models.notifications import Notification
from models.request_status import Status
from tests.factories import Staff, login, sign_in, make_partner, make_request, make_user, post


def services(*codes):
    return [str(db.session.query(Service).filter_by(code=c).one().id) for c in codes]


def test_calculator_breakdown_with_discount_and_saved_quote(app, client):
    make_partner(username="p", company=None)
    partner = db.session.query(User).filter_by(username="p").one()
    partner.profile.partner_company.discount_percent = 10
    db.session.commit()
    sign_in(client, "p")
    data = {"services": services("measure", "approval"), "area": "50",
            "object_type": "house", "urgency": "express", "options": ["courier"],
            "calculate": "1"}
    html = post(client, "/cabinet/calculator", data).get_data(as_text=True)
    # measure: (5 000 + 60 × 50) × 1.3 × 1.6 = 16 640; approval: 25 000 × 1.3 × 1.6 = 52 000
    # + courier 1 500 = 70 140; −10 % = 63 126
    assert "16\u00a0640,00" in html and "52\u00a0000,00" in html and "1\u00a0500,00" in html
    assert "−7\u00a0014,00" in html
    assert re.search(r'data-testid="total">63\u00a0126,00', html)
    post(client, "/cabinet/calculator", dict(data, save="1"))
    quote = db.session.query(Quote).one()
    assert (quote.total_kopecks, quote.discount_kopecks) == (63126_00, 7014_00)
    response = post(client, "/cabinet/calculator", dict(data, to_request="1"))
    second = db.session.query(Quote).order_by(Quote.id.desc()).first()
    assert response.headers["Location"].endswith(f"/cabinet/requests/new?quote={second.id}")
    form = client.get(f"/cabinet/requests/new?quote={quote.id}").get_data(as_text=True)
    assert re.search(r'id="area"[^>]*value="50(\.00)?"', form)  # prefilled from the quote
    assert re.search(r'<option value="house" selected>', form)
    assert re.search(r'<option selected value="express">', form)
    other = make_partner(username="other")
    with app.test_client() as c:
        sign_in(c, "other")
        assert c.get(f"/cabinet/requests/new?quote={quote.id}").status_code == 404
    assert other.id


def test_calculator_validation(app, client):
    make_partner(username="p", locale="en")  # the fields' messages (issue 12) in English
    sign_in(client, "p")
    html = post(client, "/cabinet/calculator", {"area": "", "object_type": "apartment",
                                                "urgency": "normal", "save": "1"})
    assert "Choose at least one service." in html.get_data(as_text=True)
    for area, error in (("", "This field is required."), ("lots", "Enter a number, e.g. 12.5."),
                        ("99999999999999999999", "Enter a value from 1 to 100,000."),
                        ("0.5", "Enter a value from 1 to 100,000.")):
        text = post(client, "/cabinet/calculator", {
            "services": services("measure"), "area": area, "object_type": "apartment",
            "urgency": "normal", "save": "1"}).get_data(as_text=True)
        assert re.search(r'id="area-error"[^>]*>(?:<ul class="errors">)?(?:<li>)?'
                         + re.escape(error), text), area
        assert 'data-testid="total"' not in text
    assert db.session.query(Quote).count() == 0


def kb():
    category = KbCategory(name="Документы", slug="docs")
    db.session.add(category)
    for slug, public, staff_only, body in [
            ("open", True, False, "Публичная **статья** <script>alert(1)</script>"),
            ("partners", False, False, "Только для партнёров: техпаспорт БТИ"),
            ("staff", False, True, "Внутренний регламент")]:
        db.session.add(KbArticle(category=category, slug=slug, title=slug, body_md=body,
                                 is_public=public, staff_only=staff_only))
    db.session.commit()


def test_knowledge_base_visibility_sanitizing_and_search(app, client):
    kb()
    assert client.get("/cabinet/kb/open").status_code == 200
    assert client.get("/cabinet/kb/partners").status_code == 404
    html = client.get("/cabinet/kb/open").get_data(as_text=True)
    assert "<strong>статья</strong>" in html and "<script>alert" not in html
    make_partner(username="p")
    sign_in(client, "p")
    assert client.get("/cabinet/kb/partners").status_code == 200
    assert client.get("/cabinet/kb/staff").status_code == 404
    found = client.get("/cabinet/kb?q=техпаспорт").get_data(as_text=True)
    assert "/cabinet/kb/partners" in found and "/cabinet/kb/open" not in found
    assert "/cabinet/kb/staff" not in client.get("/cabinet/kb?q=регламент").get_data(
        as_text=True)


def test_the_knowledge_base_reads_in_english_where_it_is_written(app, client):
    """Sections and articles had no English: an English cabinet listed Russian ones. Their
    English wording is shown in English, searched too; empty, the Russian one stays."""
    category = KbCategory(name="Документы", name_en="Documents", slug="docs")
    db.session.add_all([category, KbArticle(
        category=category, slug="bti", title="Техпаспорт БТИ", title_en="BTI passport",
        body_md="Закажите **техпаспорт**", body_md_en="Order the **BTI passport**",
        is_public=True), KbArticle(category=category, slug="ru-only", title="Только по-русски",
                                   body_md="Текст", is_public=True)])
    db.session.commit()
    client.get("/lang/en")
    index = client.get("/cabinet/kb").get_data(as_text=True)
    assert "<h2>Documents</h2>" in index and ">BTI passport</a>" in index
    assert ">Только по-русски</a>" in index  # no English: the Russian title
    article = client.get("/cabinet/kb/bti").get_data(as_text=True)
    assert "<h1>BTI passport</h1>" in article and "<strong>BTI passport</strong>" in article
    found = client.get("/cabinet/kb?q=passport").get_data(as_text=True)
    assert "/cabinet/kb/bti" in found and "/cabinet/kb/ru-only" not in found
    client.get("/lang/ru")
    russian = client.get("/cabinet/kb/bti").get_data(as_text=True)
    assert "<h1>Техпаспорт БТИ</h1>" in russian and "<strong>техпаспорт</strong>" in russian


def test_knowledge_base_search_ignores_case_in_every_alphabet(app, client):
    """“бти”, “ТЕХПАСПОРТ” find “техпаспорт БТИ” (SQLite's own lower() folds ASCII only:
    app.sqlite_functions replaces it); % and _ are letters, not wildcards."""
    kb()
    make_partner(username="p")
    sign_in(client, "p")
    for text in ("бти", "ТЕХПАСПОРТ", "Только ДЛЯ", "PARTNERS"):
        found = client.get(f"/cabinet/kb?q={text}").get_data(as_text=True)
        assert "/cabinet/kb/partners" in found and "/cabinet/kb/open" not in found, text
    for text in ("%", "_", "техпаспорт%бти"):
        found = client.get(f"/cabinet/kb?q={text}").get_data(as_text=True)
        assert "/cabinet/kb/partners" not in found and "/cabinet/kb/open" not in found, text


def test_bell_list_mark_one_and_all(app, client):
    partner = make_partner(username="p")
    staff = Staff()
    req = make_request(partner, Status.NEEDS_INFO, staff)
    sign_in(client, "p")
    assert re.search(r'data-testid="bell-count">(\d+)<',
                     client.get("/cabinet/").get_data(as_text=True)).group(1) == "2"
    notes = db.session.query(Notification).filter_by(user_id=partner.id).all()
    html = client.get("/cabinet/notifications").get_data(as_text=True)
    assert f"Заявка {req.number}: менеджеру нужны от вас данные: because" in html
    post(client, f"/cabinet/notifications/{notes[0].id}/read")
    db.session.expire_all()
    assert db.session.get(Notification, notes[0].id).is_read
    foreign = db.session.query(Notification).filter_by(user_id=staff.manager.id).first()
    assert post(client, f"/cabinet/notifications/{foreign.id}/read").status_code == 404
    post(client, "/cabinet/notifications/read-all")
    db.session.expire_all()
    assert db.session.query(Notification).filter_by(user_id=partner.id,
                                                    is_read=False).count() == 0
    assert not db.session.get(Notification, foreign.id).is_read


def test_email_copies_follow_preferences(app, client, mailbox, jobs):
    partner = make_partner(username="p")
    partner.profile.notify_prefs = {"status": False}
    db.session.commit()
    staff = Staff()
    make_request(partner, Status.NEEDS_INFO, staff)  # status moves + a data request
    from app.mail import flush_outbox

    flush_outbox()
    jobs.run()
    subjects = [m["Subject"] for m in mailbox.to(partner.email)]
    assert len(subjects) == 1  # only the data request; status e-mails are switched off
    text = mailbox.text(mailbox.to(partner.email)[0])
    assert "менеджеру нужны от вас данные: because" in text  # the manager's question itself


def test_team_invite_block_and_unblock(app, client, mailbox, jobs):
    owner = make_partner(username="owner")
    sign_in(client, "owner")
    assert 'href="/cabinet/team"' in client.get("/cabinet/").get_data(as_text=True)
    post(client, "/cabinet/team", {"first_name": "Олег", "last_name": "Новиков",
                                   "email": "oleg@agency.example"})
    jobs.run()
    member = db.session.query(User).filter_by(email="oleg@agency.example").one()
    assert member.profile.partner_role == "member"
    assert member.profile.partner_company_id == owner.profile.partner_company_id
    password = re.search(r"Одноразовый пароль: (\S+)",
                         mailbox.text(mailbox.to("oleg@agency.example")[0])).group(1)
    html = post(client, "/cabinet/team", {"first_name": "X", "last_name": "Y",
                                          "email": "oleg@agency.example"})
    assert "уже существует" in html.get_data(as_text=True)
    m = app.test_client()
    login(m, member.username, password)
    first_page = m.get("/cabinet/team")  # a one-time password: first a password of one's own
    assert urlsplit(first_page.headers["Location"]).path == "/cabinet/password"
    team = client.get("/cabinet/team").get_data(as_text=True)  # the confirmation names whom
    assert "Закрыть доступ для Олег Новиков? Все сеансы завершатся" in team
    blocked = post(client, f"/cabinet/team/{member.id}/toggle", follow=True)
    text = blocked.get_data(as_text=True)  # words that fit a man and a woman alike
    assert "Доступ для Олег Новиков закрыт." in text and "доступ закрыт</span>" in text
    assert "(а)" not in text and "Открыть доступ для Олег Новиков?" in text
    assert m.get("/cabinet/", follow_redirects=True).request.path == "/login/"
    post(client, f"/cabinet/team/{member.id}/toggle")
    db.session.expire_all()
    assert db.session.get(User, member.id).active
    page = post(client, f"/cabinet/team/{owner.id}/toggle", follow=True)
    assert "нельзя" in page.get_data(as_text=True)
    stranger = make_partner()
    assert post(client, f"/cabinet/team/{stranger.id}/toggle").status_code == 404
    assert db.session.get(User, stranger.id).active


def test_member_cannot_manage_team(app, client):
    owner = make_partner(username="owner")
    make_partner(company=owner.profile.partner_company, owner=False, username="member")
    sign_in(client, "member")
    assert 'href="/cabinet/team"' not in client.get("/cabinet/").get_data(as_text=True)
    assert client.get("/cabinet/team").status_code == 403
    assert post(client, f"/cabinet/team/{owner.id}/toggle").status_code == 403


def test_staff_roles_get_403_in_the_partner_cabinet(app):
    for role in ("Admin", "Director", "Supermanager", "Manager", "Engineer"):
        make_user(role, username=f"s_{role.lower()}")
        with app.test_client() as c:
            sign_in(c, f"s_{role.lower()}")
            for url in ("/cabinet/", "/cabinet/requests", "/cabinet/requests/new",
                        "/cabinet/calculator", "/cabinet/team", "/cabinet/profile",
                        "/cabinet/requests/1", "/cabinet/files/1"):
                assert c.get(url).status_code == 403, (role, url)


def test_area_with_a_comma_is_the_area_typed(app, client):
    make_partner(username="p", company=None)
    sign_in(client, "p")
    page = client.get("/cabinet/calculator").get_data(as_text=True)
    assert re.search(r'<input[^>]*type="text"[^>]*id="area"', page)  # never type=number
    assert 'inputmode="decimal"' in page
    data = {"services": services("measure"), "area": "54,5", "object_type": "apartment",
            "urgency": "normal", "save": "1"}
    post(client, "/cabinet/calculator", data)
    post(client, "/cabinet/calculator", dict(data, area="1 054.5"))
    assert [q.area for q in db.session.query(Quote).order_by(Quote.id)] == \
        [Decimal("54.5"), Decimal("1054.5")]
