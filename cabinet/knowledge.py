"""Knowledge base: categories, Markdown articles (sanitized), FAQ, templates, search.

Public articles are readable without login; staff-only articles never reach partners.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import or_

from app.extensions import db
from app.markdown import render_markdown
from app.permissions import is_partner, is_staff
from app.request_filters import contains
from app.translations import in_language
from app.storage import send_stored
from cabinet import bp
from models.knowledge import KbArticle, KbCategory

def visible_articles():
    """Published articles this visitor may read."""
    query = db.session.query(KbArticle).filter(KbArticle.is_published.is_(True))
    if current_user.is_authenticated and is_staff(current_user):
        return query
    query = query.filter(KbArticle.staff_only.is_(False))
    if current_user.is_authenticated and is_partner(current_user):
        return query
    return query.filter(KbArticle.is_public.is_(True))


@bp.route("/kb")
def kb_index():
    text = request.args.get("q", "").strip()
    query = visible_articles()
    if text:
        # any case, any alphabet (on SQLite too: app.sqlite_functions); % and _ as typed
        query = query.filter(or_(*(contains(column, text, indexed=False) for column in (
            KbArticle.title, KbArticle.body_md, KbArticle.title_en, KbArticle.body_md_en))))
    articles = query.order_by(KbArticle.category_id, KbArticle.title).limit(200).all()
    categories = db.session.query(KbCategory).order_by(KbCategory.sort_order).all()
    by_category = {c.id: [a for a in articles if a.category_id == c.id] for c in categories}
    return render_template("cabinet/kb_index.html", categories=categories,
                           by_category=by_category, q=text, found=len(articles))


def _article_or_404(slug: str) -> KbArticle:
    article = visible_articles().filter(KbArticle.slug == slug).one_or_none()
    if article is None:
        abort(404)
    return article


@bp.route("/kb/<slug>")
def kb_article(slug: str):
    article = _article_or_404(slug)
    return render_template("cabinet/kb_article.html", article=article,
                           body=render_markdown(in_language(article.body_md,
                                                           article.body_md_en) or ""))


@bp.route("/kb/<slug>/template")
def kb_template(slug: str):
    article = _article_or_404(slug)
    if not article.template_stored:
        abort(404)
    return send_stored(article.template_stored, article.template_name or article.slug)
