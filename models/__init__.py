"""All Replan tables, registered on Flask-AppBuilder's Model.metadata."""

from flask_appbuilder.security.sqla import models as fab_models  # noqa: F401

from models.api_idempotency import ApiIdempotencyKey
from models.api_tokens import ApiToken
from models.approvals import ApprovalStep, RequestApproval
from models.audit import AuditEvent, Setting
from models.base import Model
from models.catalog import PriceRule, Quote, Service
from models.day_bounds import RequestDayBounds
from models.document_slots import DocumentSlot
from models.exports import ExportTask, JobMarker
from models.finance import Payment
from models.knowledge import KbArticle, KbCategory
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.partners import EndClient, PartnerApplication, PartnerCompany, UserProfile
from models.prefill import PrefillToken
from models.requests import (Attachment, Message, Request, RequestCounter, RequestService,
                             RequestThread, StatusChange)
from models.rollups import StatusDayRollup
from models.schedule import ScheduleEntry
from models.service_fields import ServiceField
from models.security import AuthToken, SessionEpoch, UsedFormNonce
from models.signatures import ConfirmationCode, Signature
from models.telegram import TelegramChat, TelegramLinkToken, TelegramMessage
from models.texts import ServiceSla, TextOverride
from models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Attachment", "AuditEvent", "AuthToken", "ConfirmationCode", "EndClient", "ExportTask",
    "JobMarker", "KbArticle", "KbCategory", "Message", "Model", "Notification", "OutboxMessage",
    "PartnerApplication", "PartnerCompany", "Payment", "PriceRule", "Quote", "Request",
    "RequestCounter", "RequestService", "ScheduleEntry", "Service", "ServiceSla", "SessionEpoch",
    "Setting", "Signature", "StatusChange", "TextOverride", "UsedFormNonce", "UserProfile",
    "WebhookDelivery", "WebhookEndpoint",
]
__all__ += ["ServiceField"]  # issue 12: per-service request forms
__all__ += ["DocumentSlot"]  # issue 12: document checklist at intake
__all__ += ["ApprovalStep", "RequestApproval"]  # issue 12: approval steps
__all__ += ["ApiToken"]  # issue 13: personal API tokens
__all__ += ["TelegramChat", "TelegramLinkToken", "TelegramMessage"]  # issue 13: Telegram
__all__ += ["RequestThread"]  # issue 14: a thread's latest public message, off the request row
__all__ += ["PrefillToken"]  # issue 13: prefill links from a partner's site
__all__ += ["ApiIdempotencyKey"]  # issue 13: Idempotency-Key of the API's creating POSTs
__all__ += ["StatusDayRollup"]  # issue 14: daily rollups for the dashboard
__all__ += ["RequestDayBounds"]  # issue 14: per-day bounds of the staff list's date sorts
