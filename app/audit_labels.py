"""The audit log's words: every action app.audit records, by a translated label, and its
details as people read them. The back office's log (views.audit_log) and the director's
Excel report (reports.registry, the "audit" sheet) both ask here.

A new `record("some_action", …)` gets its label in ACTIONS (tests/unit/test_audit_labels.py
finds every recorded action in the source and fails on one without a label).

The details need the back office's labels (its views' column names, the settings form's
fields), which app/ and reports/ may not import: views.audit_log hands its `detail_lines`
over with `describe_details_with` when the back office is built (create_app, also for jobs);
without it a detail is shown as "key: value".
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "login": _l("Signed in"),
    "password_change": _l("Password changed"),
    "password_reset_requested": _l("Password reset requested"),
    "email_change_requested": _l("E-mail change requested"),
    "email_changed": _l("E-mail changed"),
    "profile_update": _l("Profile updated"),
    "application_filed": _l("Partner application filed"),
    "application_set_aside": _l("Partner application set aside"),
    "application_approved": _l("Partner application approved"),
    "application_rejected": _l("Partner application rejected"),
    "member_invited": _l("Team member invited"),
    "member_blocked": _l("Team member blocked"),
    "member_unblocked": _l("Team member unblocked"),
    "company_update": _l("Company changed"),
    "request_created": _l("Request created"),
    "request_filed_on_behalf": _l("Request filed for a partner"),
    "draft_updated": _l("Draft changed"),
    "draft_deleted": _l("Draft deleted"),
    "request_repeated": _l("Request repeated"),
    "status_move": _l("Status changed"),
    "approval_decided": _l("Approval step decided"),
    "booking": _l("Visit booked"),
    "schedule_entry": _l("Schedule entry added"),
    "schedule_entry_deleted": _l("Schedule entry deleted"),
    "weekly_capacity": _l("Weekly capacity changed"),
    "quote_saved": _l("Quote saved"),
    "confirmation_code_sent": _l("Confirmation code sent"),
    "signed": _l("Signed with a code"),
    "payment": _l("Payment recorded"),
    "payment_void": _l("Payment voided"),
    "document_issued": _l("Document number issued"),
    "settings_update": _l("Settings changed"),
    "text_update": _l("Text changed"),
    "text_reset": _l("Text reset to default"),
    "service_sla_update": _l("SLA by service changed"),
    "service_sla_delete": _l("SLA by service removed"),
    "kb_template": _l("Template file replaced"),
    "catalogue_imported": _l("Catalogue imported"),
    "record_created": _l("Record added"),
    "record_updated": _l("Record changed"),
    "record_deleted": _l("Record deleted"),
    "user_created": _l("User created"),
    "user_updated": _l("User changed"),
    "user_deleted": _l("User deleted"),
    "user_activated": _l("User activated"),
    "user_deactivated": _l("User deactivated"),
    "user_role_changed": _l("User role changed"),
    "user_email_changed": _l("User e-mail changed"),
    "telegram_link_started": _l("Telegram link started"),
    "telegram_linked": _l("Telegram linked"),
    "telegram_unlinked": _l("Telegram unlinked"),
    "webhook_created": _l("Webhook created"),
    "webhook_deleted": _l("Webhook deleted"),
    "webhook_enabled": _l("Webhook enabled"),
    "webhook_disabled": _l("Webhook disabled"),
}

DetailLines = Callable[[str, "str | None", "dict | None"], list[str]]
_described: dict[str, Callable] = {}


def action_label(code: str) -> str:
    """The action in the reader's language; an unknown code as stored."""
    return str(ACTIONS[code]) if code in ACTIONS else code


def describe_details_with(lines: DetailLines, object_name: Callable[[str], str]) -> None:
    """The back office's `detail_lines(action, object type, details)` and the name of an
    object type ("Request" → "Заявка") (views.audit_log)."""
    _described.update(lines=lines, object_name=object_name)


def detail_lines(action: str, model: str | None, details: dict | None) -> list[str]:
    """Each detail as 'Label: old → new' or 'Label: value' (the back office's words)."""
    if "lines" in _described:
        return _described["lines"](action, model, details)
    return [f"{key}: {value}" for key, value in (details or {}).items()]


def details_text(action: str, model: str | None, details: dict | None) -> str:
    """The details on one line, as the log's Excel exports write them."""
    return "; ".join(detail_lines(action, model, details))


def object_name(model: str | None) -> str:
    """An object type in the reader's language ("—" for none)."""
    if not model:
        return "—"
    return _described["object_name"](model) if "object_name" in _described else model
