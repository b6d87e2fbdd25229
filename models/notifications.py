"""In-app notifications (the bell)."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from models.base import Model, created_at_column, user_fk


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "is_read", "id"),)
    id = Column(Integer, primary_key=True)
    user_id = user_fk(nullable=False, index=False)
    kind = Column(String(20), nullable=False)  # one of app.notifications.KINDS
    request_id = Column(Integer, ForeignKey("request.id"))
    text = Column(Text, nullable=False)  # in the recipient's language of the moment
    # {language: text} in every interface language (app.notifications.shown_text reads the
    # reader's); NULL on rows written before 0041: `text` is all there is
    texts = Column(JSON)
    is_read = Column(Boolean, nullable=False, default=False)
    created_at = created_at_column()

    request = relationship("Request")
