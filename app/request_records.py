"""A request's messages, files and status history, each loaded by one statement.

A request page shows these rows several ways (the partner thread, internal notes, files by
kind, the history, the approval round): it loads them once here and hands the same lists to
app.thread, app.visibility and app.request_conversation, so the page's statement count does
not grow with the rows nor with the number of blocks that read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.orm import joinedload

from app.extensions import db
from models.requests import Attachment, Message, Request, StatusChange


# what a request page shows of the request itself, loaded with it: the people and the
# company and the service lines (hours, approval steps, fields) joined into its statement
PAGE_OPTIONS = (joinedload(Request.company), joinedload(Request.author),
                joinedload(Request.filed_by), joinedload(Request.manager),
                joinedload(Request.engineer), joinedload(Request.end_client),
                joinedload(Request.lines))


@dataclass(frozen=True)
class RequestRecords:
    """Every message (notes too, authors loaded), file and history row of one request."""

    messages: list[Message]  # oldest first
    files: list[Attachment]  # by id
    history: list[StatusChange]  # oldest first, actors loaded

    @cached_property
    def _files_by_message(self) -> dict[int, list[Attachment]]:
        found: dict[int, list[Attachment]] = {}
        for attachment in self.files:
            found.setdefault(attachment.message_id, []).append(attachment)
        return found

    def files_of(self, message_id: int) -> list[Attachment]:
        """The files sent with one message, by id."""
        return self._files_by_message.get(message_id, [])


def load_records(request: Request) -> RequestRecords:
    """The request's messages, files and history: three statements, whatever they hold."""
    messages = db.session.query(Message).filter(Message.request_id == request.id) \
        .options(joinedload(Message.author)).order_by(Message.id).all()
    files = db.session.query(Attachment).filter(Attachment.request_id == request.id) \
        .order_by(Attachment.id).all()
    history = db.session.query(StatusChange).filter(StatusChange.request_id == request.id) \
        .options(joinedload(StatusChange.actor)).order_by(StatusChange.id).all()
    return RequestRecords(messages, files, history)
