"""REST API v1: a request's files, conversation, status history, and the user's notifications.

The same rules as the cabinet and the desk (app.request_conversation, app.messages,
app.attachments): the request is loaded through app.access (404 outside the token user's
scope), engineers never read the partner thread nor its files (app.visibility), uploads are
checked as in the forms (size, count, real content, document slots) and stored all or none.
GET /notifications lists the token user's in-app notifications (the bell), newest first.
"""

from __future__ import annotations

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access import get_request_or_404, own_notifications
from app.api import api_blueprint
from app.api_idempotency import idempotent
from app.api_input import (in_api_locale, json_or_none, newest_first_page,
                           refuse_unknown_params)
from app.api_tokens import SCOPE_WRITE, require_scope
from app.errors import InvalidInput
from app.extensions import db
from app.messages import add_note, post_partner_message, post_staff_message
from app.notifications import kind_label, shown_text
from app.permissions import is_partner
from app.request_conversation import (NOTE, add_request_files, conversation,
                                      get_file_or_404, history_for, uploader_role,
                                      visible_files)
from app.storage import send_stored
from app.thread import ANSWER, DATA_REQUEST, MESSAGE
from app.uow import unit_of_work
from models.notifications import Notification
from models.requests import ATTACHMENT_KINDS, Message

bp = api_blueprint("api_v1_conversation")
BODY_MAX = 10_000  # characters of a message


def iso(moment) -> str | None:
    """A naive UTC datetime as ISO 8601 with Z."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z" if moment else None


def file_json(attachment) -> dict:
    return {
        "id": attachment.id, "name": attachment.original_name, "size": attachment.size,
        "content_type": attachment.content_type, "kind": attachment.kind,
        "slot": attachment.slot_key, "version": attachment.version,
        "released": bool(attachment.is_released), "sha256": attachment.sha256,
        "message_id": attachment.message_id, "uploaded_at": iso(attachment.created_at),
        "uploaded_by_role": uploader_role(attachment),
        "download_url": url_for("api_v1_conversation.download_file",
                                file_id=attachment.id),
    }


def message_json(entry) -> dict:
    return {"id": entry.id, "kind": entry.kind, "internal": entry.internal,
            "author_role": entry.author_role, "author_name": entry.author_name,
            "body": entry.body, "created_at": iso(entry.created_at),
            "files": [file_json(f) for f in entry.files]}


def history_json(item) -> dict:
    return {"created_at": iso(item.created_at), "action": item.action,
            "action_label": item.action_label, "from_status": item.from_status,
            "status": item.to_status, "status_label": item.status_label,
            "actor_name": item.actor_name, "comment": item.comment}


def notification_json(note) -> dict:
    return {"id": note.id, "kind": note.kind, "kind_label": kind_label(note.kind),
            "text": shown_text(note), "request_id": note.request_id,
            "request_number": note.request.number if note.request is not None else None,
            "is_read": bool(note.is_read), "created_at": iso(note.created_at)}


def page(items, next_cursor=None):
    return jsonify(items=items, next_cursor=next_cursor)


def _the_request(request_id: int):
    return get_request_or_404(g.api_user, request_id)


def _flag(value, name: str = "internal") -> bool:
    """A yes/no value of the body or the query; refused naming `name` (the query's "unread"
    was told it was "internal")."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(_("“%(name)s” is true or false.", name=name))


MESSAGE_KEYS = frozenset({"body", "internal", "files", "csrf_token"})


def _message_input():
    """(body, internal, files) of a JSON or multipart POST."""
    if request.mimetype == "multipart/form-data" or request.mimetype == \
            "application/x-www-form-urlencoded":
        data, files = request.form, request.files.getlist("files")
    else:
        data, files = json_or_none(), []
        if not isinstance(data, dict):
            raise InvalidInput(_("Send a JSON object with “body” (or a multipart form with "
                                 "“body” and “files”)."))
    unknown = sorted(set(data) - MESSAGE_KEYS)  # as read_json: docs/api.md refuses them
    if unknown:
        raise InvalidInput(_("Unknown field: “%(name)s”.", name=str(unknown[0])[:100]))
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise InvalidInput(_("“body” is text."))
    if body is not None and len(body) > BODY_MAX:
        raise InvalidInput(_("The message is too long: at most %(max)s characters.",
                             max=BODY_MAX))
    return body, _flag(data.get("internal")), files


@bp.get("/requests/<int:request_id>/files")
@in_api_locale
def list_files(request_id: int):
    """The request's files the token's user may see (the cabinet's or the desk's list)."""
    refuse_unknown_params(set())  # the whole list: no paging, no filter
    req = _the_request(request_id)
    return page([file_json(f) for f in visible_files(g.api_user, req)])


@bp.post("/requests/<int:request_id>/files")
@in_api_locale
@idempotent
def upload_files(request_id: int):
    """Add files: a partner's draft inputs (optionally into a document slot), an engineer's
    work, a manager's next package version; all stored or none."""
    require_scope(g.api_token, SCOPE_WRITE)
    req = _the_request(request_id)
    if request.mimetype != "multipart/form-data":
        raise InvalidInput(_("Send the files as multipart/form-data in the “files” field."))
    misnamed = sorted(set(request.files) - {"files"})
    if misnamed and not request.files.getlist("files"):  # "Attach at least one file" misled
        raise InvalidInput(_("Send the files in the “files” field, not “%(name)s”.",
                             name=misnamed[0][:40]))
    with unit_of_work():
        rows = add_request_files(g.api_user, req, request.files.getlist("files"),
                                 request.form.get("kind") or None,
                                 request.form.get("slot") or None)
    response = page([file_json(f) for f in rows])
    response.status_code = 201
    return response


@bp.get("/files/<int:file_id>")
@in_api_locale
def download_file(file_id: int):
    """The file's bytes with its original name (404 for a file the user may not see)."""
    attachment = get_file_or_404(g.api_user, file_id)
    return send_stored(attachment.stored_name, attachment.original_name,
                       attachment.content_type)


@bp.get("/requests/<int:request_id>/messages")
@in_api_locale
def list_messages(request_id: int):
    """The conversation as the user's page shows it, oldest first."""
    refuse_unknown_params(set())  # the whole list: no paging, no filter
    req = _the_request(request_id)
    return page([message_json(e) for e in conversation(g.api_user, req)])


@bp.post("/requests/<int:request_id>/messages")
@in_api_locale
@idempotent
def post_message(request_id: int):
    """A partner's message (the answer while data is requested), a manager's message to the
    partner, or a staff note ("internal": true); files with a multipart body."""
    require_scope(g.api_token, SCOPE_WRITE)
    user = g.api_user
    req = _the_request(request_id)
    body, internal, files = _message_input()
    answered = False
    with unit_of_work():
        if is_partner(user):
            if internal:
                raise InvalidInput(_("Partners write no internal notes."))
            answered = post_partner_message(user, req, body, files)
            message = db.session.query(Message).filter_by(
                request_id=req.id, author_id=user.id, is_internal=False) \
                .order_by(Message.id.desc()).first()
        elif internal:
            if files:
                raise InvalidInput(_("Internal notes take no files."))
            message = add_note(user, req, body)
        else:
            message = post_staff_message(user, req, body, files)
        db.session.flush()
        message_id = message.id
    message = db.session.get(Message, message_id)
    kind = NOTE if message.is_internal else (ANSWER if answered else MESSAGE)
    result = {"id": message.id, "kind": kind, "internal": bool(message.is_internal),
              "author_role": "partner" if is_partner(user) else "staff",
              "author_name": user.get_full_name(), "body": message.body,
              "created_at": iso(message.created_at),
              "files": [file_json(f) for f in sorted(message.attachments, key=lambda a: a.id)]}
    response = jsonify(result)
    response.status_code = 201
    return response


@bp.get("/requests/<int:request_id>/history")
@in_api_locale
def request_history(request_id: int):
    """The status history in the reader's words and language."""
    refuse_unknown_params(set())  # the whole list: no paging, no filter
    req = _the_request(request_id)
    return page([history_json(h) for h in history_for(g.api_user, req)])


@bp.get("/notifications")
@in_api_locale
def list_notifications():
    """The token user's in-app notifications, newest first; ?unread=true for unread only."""
    refuse_unknown_params({"limit", "cursor", "unread"})
    query = own_notifications(g.api_user)
    if _flag(request.args.get("unread"), "unread"):
        query = query.filter(Notification.is_read.is_(False))
    rows, next_cursor = newest_first_page(query, Notification.id)
    return page([notification_json(n) for n in rows], next_cursor)


# ---- OpenAPI (app/api_surface.py assembles the document) ----

def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problems(*names: str) -> dict:
    codes = {"NotFound": "404", "InvalidInput": "422", "Forbidden": "403", "Conflict": "409"}
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


def _list_of(name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": _ref(name)},
                       "next_cursor": {"type": ["string", "null"]}}}}}}


DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_TEXT = {"type": ["string", "null"]}
ID_PARAMETER = [{"name": "request_id", "in": "path", "required": True,
                 "description": _l("Request id."),
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}]
IDEMPOTENCY = {"$ref": "#/components/parameters/IdempotencyKey"}

SCHEMAS = {
    "RequestFile": {
        "type": "object",
        "required": ["id", "name", "size", "content_type", "kind", "slot", "version",
                     "released", "sha256", "message_id", "uploaded_at", "uploaded_by_role",
                     "download_url"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "content_type": {"type": "string", "description": _l("Sniffed from the content.")},
            "kind": {"type": "string", "enum": list(ATTACHMENT_KINDS),
                     "description": _l("input: the partner's files; work: the engineer's; "
                                       "deliverable: the document package (versioned); "
                                       "message: files staff sent with a message.")},
            "slot": {"type": ["string", "null"],
                     "description": _l("The document slot key a partner input fills.")},
            "version": {"type": "integer"}, "released": {"type": "boolean"},
            "sha256": {"type": "string"},
            "message_id": {"type": ["integer", "null"]},
            "uploaded_at": DATETIME,
            "uploaded_by_role": {"type": "string", "enum": ["partner", "staff"]},
            "download_url": {"type": "string"},
        },
    },
    "RequestMessage": {
        "type": "object",
        "required": ["id", "kind", "internal", "author_role", "author_name", "body",
                     "created_at", "files"],
        "properties": {
            "id": {"type": ["integer", "null"],
                   "description": _l("null: an old data request kept in the history "
                                     "only.")},
            "kind": {"type": "string", "enum": [MESSAGE, DATA_REQUEST, ANSWER, NOTE]},
            "internal": {"type": "boolean",
                         "description": _l("A staff note (never partners).")},
            "author_role": {"type": "string", "enum": ["partner", "staff", "system"]},
            "author_name": {"type": "string"}, "body": {"type": "string"},
            "created_at": DATETIME,
            "files": {"type": "array", "items": _ref("RequestFile")},
        },
    },
    "NewMessage": {
        "type": "object",
        "properties": {
            "body": {"type": "string", "maxLength": BODY_MAX},
            "internal": {"type": "boolean", "default": False,
                         "description": _l("Staff: a note for the staff only.")},
        },
    },
    "HistoryEntry": {
        "type": "object",
        "required": ["created_at", "action", "action_label", "from_status", "status",
                     "status_label", "actor_name", "comment"],
        "properties": {
            "created_at": DATETIME,
            "action": NULLABLE_TEXT, "action_label": NULLABLE_TEXT,
            "from_status": NULLABLE_TEXT,
            "status": {"type": "string", "description": _l("Staff: the status; partners: "
                                                            "the status group they read.")},
            "status_label": {"type": "string"}, "actor_name": NULLABLE_TEXT,
            "comment": NULLABLE_TEXT,
        },
    },
    "Notification": {
        "type": "object",
        "required": ["id", "kind", "kind_label", "text", "request_id", "request_number",
                     "is_read", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"},
            "kind_label": {"type": "string"}, "text": {"type": "string"},
            "request_id": {"type": ["integer", "null"]}, "request_number": NULLABLE_TEXT,
            "is_read": {"type": "boolean"}, "created_at": DATETIME,
        },
    },
}

_UPLOAD_FORM = {"type": "object", "required": ["files"], "properties": {
    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
    "kind": {"type": "string", "enum": ["input", "work", "deliverable"],
             "description": _l("Partners: input (the default); engineers: work; managers: "
                               "deliverable.")},
    "slot": {"type": "string", "description": _l("A document slot key (partner drafts).")}}}
_MESSAGE_FORM = {"type": "object", "properties": {
    "body": {"type": "string", "maxLength": BODY_MAX},
    "internal": {"type": "string", "enum": ["true", "false"]},
    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}

PATHS = {
    "/requests/{request_id}/files": {
        "parameters": ID_PARAMETER,
        "get": {"operationId": "listRequestFiles", "summary": _l("A request's files"),
                "tags": ["conversation"],
                "description": _l("Partners: their input files, files staff sent them and the "
                                  "released document package. Staff: every file; engineers "
                                  "not the files of the partner conversation."),
                "responses": {"200": _list_of("RequestFile", _l("All files; next_cursor is "
                                                                 "always null.")),
                              **_problems("NotFound")}},
        "post": {"operationId": "uploadRequestFiles", "summary": _l("Add files to a request"),
                 "tags": ["conversation"],
                 "description": _l("Partners add input files to a draft (a submitted request "
                                   "takes files with a message); engineers add work files "
                                   "while the work is in progress or returned; managers add "
                                   "the next document package version on review or when "
                                   "ready. Each file is checked like in the forms (size, "
                                   "count, real content); all are stored or none."),
                 "parameters": [IDEMPOTENCY],
                 "requestBody": {"required": True, "content": {
                     "multipart/form-data": {"schema": _UPLOAD_FORM}}},
                 "responses": {"201": _list_of("RequestFile", _l("The stored files.")),
                               **_problems("Forbidden", "NotFound", "Conflict",
                                           "InvalidInput"),
                               "413": {"description": _l("The request body is too large."),
                                       "content": {"application/problem+json": {
                                           "schema": _ref("Problem")}}}}},
    },
    "/files/{file_id}": {
        "parameters": [{"name": "file_id", "in": "path", "required": True,
                        "description": _l("File id."),
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
        "get": {"operationId": "downloadFile", "summary": _l("Download a file"),
                "tags": ["conversation"],
                "responses": {"200": {"description": _l("The file (Content-Disposition "
                                                        "names it)."),
                                      "content": {"*/*": {
                                          "schema": {"type": "string",
                                                     "format": "binary"}}}},
                              **_problems("NotFound")}},
    },
    "/requests/{request_id}/messages": {
        "parameters": ID_PARAMETER,
        "get": {"operationId": "listRequestMessages", "summary": _l("A request's conversation"),
                "tags": ["conversation"],
                "description": _l("Partners: the conversation with the bureau. Managers and "
                                  "others: the conversation and the staff notes. Engineers: "
                                  "the staff notes only. Oldest first."),
                "responses": {"200": _list_of("RequestMessage", _l("All messages; "
                                                                    "next_cursor is always "
                                                                    "null.")),
                              **_problems("NotFound")}},
        "post": {"operationId": "postRequestMessage", "summary": _l("Write a message"),
                 "tags": ["conversation"],
                 "description": _l("A partner's message goes to the manager (while data is "
                                   "requested it is the answer and returns the request to the "
                                   "manager); the request's manager writes to the partner; "
                                   "the manager and engineer add notes with \"internal\": "
                                   "true. Files with a multipart body."),
                 "parameters": [IDEMPOTENCY],
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": _ref("NewMessage"), "example": {
                         "body": "The extract from the register is attached."}},
                     "multipart/form-data": {"schema": _MESSAGE_FORM}}},
                 "responses": {"201": {"description": _l("The message."),
                                       "content": {"application/json": {
                                           "schema": _ref("RequestMessage")}}},
                               **_problems("Forbidden", "NotFound", "Conflict",
                                           "InvalidInput"),
                               "413": {"description": _l("The request body is too large."),
                                       "content": {"application/problem+json": {
                                           "schema": _ref("Problem")}}}}},
    },
    "/requests/{request_id}/history": {
        "parameters": ID_PARAMETER,
        "get": {"operationId": "listRequestHistory", "summary": _l("A request's status history"),
                "tags": ["conversation"],
                "description": _l("Labels in the reader's language (Accept-Language, else the "
                                  "user's). Partners read the status groups they see in the "
                                  "cabinet; engineers get no partner words."),
                "responses": {"200": _list_of("HistoryEntry", _l("All entries; next_cursor "
                                                                  "is always null.")),
                              **_problems("NotFound")}},
    },
    "/notifications": {
        "get": {"operationId": "listNotifications", "summary": _l("My notifications"),
                "tags": ["conversation"],
                "description": _l("The token user's in-app notifications (the bell), newest "
                                  "first, in the reader's language (Accept-Language, else the "
                                  "user's own)."),
                "parameters": [
                    {"$ref": "#/components/parameters/Cursor"},
                    {"$ref": "#/components/parameters/Limit"},
                    {"name": "unread", "in": "query", "required": False,
                     "schema": {"type": "boolean"}}],
                "responses": {"200": _list_of("Notification", _l("One page.")),
                              **_problems("InvalidInput")}},
    },
}
