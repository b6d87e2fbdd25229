"""Knowledge base: categories and Markdown articles, FAQ entries and templates."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, utcnow

ARTICLE_KINDS = ("article", "faq", "template")
ARTICLE_KIND_LABELS = {"article": _l("Article"), "faq": _l("FAQ"), "template": _l("Template")}


class KbCategory(Model):
    __tablename__ = "kb_category"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    name_en = Column(String(200))  # empty: the Russian name in English too
    slug = Column(String(100), nullable=False, unique=True)
    sort_order = Column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return self.name


class KbArticle(Model):
    """An article in Markdown; public ones are readable without login."""

    __tablename__ = "kb_article"
    id = Column(Integer, primary_key=True)
    category_id = Column(Integer, ForeignKey("kb_category.id"), nullable=False, index=True)
    title = Column(String(300), nullable=False)
    title_en = Column(String(300))  # empty: the Russian title (and text) in English too
    slug = Column(String(150), nullable=False, unique=True)
    kind = Column(String(20), nullable=False, default="article")
    body_md = Column(Text, nullable=False, default="")
    body_md_en = Column(Text)
    is_public = Column(Boolean, nullable=False, default=False)
    is_published = Column(Boolean, nullable=False, default=True)
    staff_only = Column(Boolean, nullable=False, default=False)
    template_name = Column(String(255))  # original name of a downloadable template
    template_stored = Column(String(80))
    created_at = created_at_column()
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    category = relationship(KbCategory, backref="articles")

    def __repr__(self) -> str:
        return self.title
