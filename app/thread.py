"""Reading a request's partner thread: one conversation of messages with their files.

The thread holds every non-internal message: the manager's data requests (written by the
ask_info move, app.workflow), the partner's answers and any other message of either side,
each with the files sent along. Internal notes are never part of it. Which move a message
came with is read from the status history: a message is the data request (or the answer)
when a move of that kind by its author carried its text, paired in order. A data request
of an older request that has no message of its own still appears, from its history comment.

Who may read the thread is the caller's business (app.visibility: engineers never do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.request_records import RequestRecords
from models.request_status import Action
from models.requests import ATTACH_MESSAGE, Attachment, Message, Request, StatusChange

DATA_REQUEST = "data_request"
ANSWER = "answer"
MESSAGE = "message"
KIND_OF_ACTION = {Action.ASK_INFO: DATA_REQUEST, Action.ANSWER: ANSWER}
KIND_LABELS = {DATA_REQUEST: _l("Data request"), ANSWER: _l("Answer to the data request")}


@dataclass
class ThreadEntry:
    """One message of the thread as both sides see it."""

    created_at: datetime
    author_id: int | None
    author_name: str
    body: str
    kind: str = MESSAGE
    files: list[Attachment] = field(default_factory=list)
    message_id: int | None = None  # None: a data request kept in the history only

    @property
    def label(self) -> str | None:
        label = KIND_LABELS.get(self.kind)
        return str(label) if label is not None else None


def thread_of(request: Request, records: RequestRecords | None = None) -> list[ThreadEntry]:
    """The partner thread of the request, oldest first (internal notes never included).

    `records`: the request's rows a page already loaded (app.request_records); without
    them the thread loads its own."""
    messages, moves, files_of = _rows(request, records)
    entries = {m.id: ThreadEntry(m.created_at, m.author_id, _name(m.author), m.body,
                                 files=sorted(files_of(m.id), key=lambda a: a.id),
                                 message_id=m.id)
               for m in messages}
    unpaired = []
    for change in moves:
        message = _pair(change, messages, entries)
        if message is not None:
            entries[message.id].kind = KIND_OF_ACTION[change.action]
        elif change.action == Action.ASK_INFO and change.comment:
            unpaired.append(ThreadEntry(change.created_at, change.actor_id,
                                        _name(change.actor), change.comment, DATA_REQUEST))
    ordered = [entries[m.id] for m in messages]
    if unpaired:  # older requests: data requests kept in the history only
        ordered = sorted(ordered + unpaired, key=lambda e: e.created_at)
    return ordered


def _rows(request: Request, records: RequestRecords | None):
    """The thread's messages, the data-request and answer moves, and a message's files."""
    if records is not None:
        return ([m for m in records.messages if not m.is_internal],
                [c for c in records.history if c.action in KIND_OF_ACTION], records.files_of)
    messages = db.session.query(Message) \
        .filter(Message.request_id == request.id, Message.is_internal.is_(False)) \
        .options(selectinload(Message.author), selectinload(Message.attachments)) \
        .order_by(Message.id).all()
    moves = db.session.query(StatusChange) \
        .filter(StatusChange.request_id == request.id,
                StatusChange.action.in_(tuple(KIND_OF_ACTION))) \
        .options(selectinload(StatusChange.actor)).order_by(StatusChange.id).all()
    files = {m.id: list(m.attachments) for m in messages}
    return messages, moves, files.__getitem__


def _pair(change: StatusChange, messages: list[Message], entries: dict) -> Message | None:
    """The first message of the move's author, not paired yet, that carries its text."""
    for message in messages:
        if message.author_id == change.actor_id and entries[message.id].kind == MESSAGE \
                and change.comment is not None and message.body == change.comment:
            return message
    return None


def _name(user) -> str:
    return user.get_full_name() if user is not None else ""


def is_thread_file(attachment: Attachment) -> bool:
    """A file staff sent to the partner with a (non-internal) thread message."""
    return attachment.kind == ATTACH_MESSAGE and attachment.message is not None \
        and not attachment.message.is_internal
