"""Flask-AppBuilder views: register(appbuilder) adds them all, with translated labels.

Menu and view names here are the names app/permissions.py grants.
"""

from flask_babel import lazy_gettext as _l

from views.admin import (AttachmentView, AuditEventView, EndClientView, KbArticleView,
                         KbCategoryView, MessageView, PartnerCompanyView, PaymentView,
                         PriceRuleView, QuoteView, ScheduleEntryView, ServiceView)
from views.approvals import ApprovalStepView
from views.dashboard import DashboardView
from views.desk import DeskView
from views.distribution import DistributionView
from views.document_slots import DocumentSlotView
from views.catalogue_import import CatalogueImportView
from views.service_fields import ServiceFieldView
from views.jobs import JobsView
from views.notifications import StaffNotificationView
from views.on_behalf import OnBehalfView
from views.partners import PartnerApplicationView
from views.profile import StaffProfileView
from views.reports import ReportsView
from views.requests import RequestStaffView, StatusChangeView
from views.schedule import ScheduleView
from views.settings import SettingsView
from views.texts import ServiceSlaView, TextsView
from views.webhooks import WebhooksView


def register(appbuilder) -> None:
    """Add every back-office view and menu entry."""
    work = {"category": "Work", "category_label": _l("Work"), "category_icon": "fa-briefcase"}
    appbuilder.add_view(DeskView, "My requests", label=_l("My requests"), icon="fa-inbox",
                        **work)
    appbuilder.add_view(DistributionView, "New requests", label=_l("New requests"),
                        icon="fa-random", **work)
    appbuilder.add_view(OnBehalfView, "Request for a partner",
                        label=_l("Request for a partner"), icon="fa-plus", **work)
    appbuilder.add_view(ScheduleView, "Schedule", label=_l("Schedule"), icon="fa-calendar",
                        **work)
    appbuilder.add_view(DashboardView, "Dashboard", label=_l("Dashboard"),
                        icon="fa-bar-chart", **work)
    appbuilder.add_view(ReportsView, "Excel reports", label=_l("Excel reports"),
                        icon="fa-file-excel-o", **work)
    appbuilder.add_view(StaffProfileView, "My profile", label=_l("My profile"),
                        icon="fa-user", **work)
    lists = {"category": "Requests", "category_label": _l("Requests")}
    for view, name, label, icon in [
            (RequestStaffView, "All requests", _l("All requests"), "fa-folder-open"),
            (StatusChangeView, "Status history", _l("Status history"), "fa-history"),
            (MessageView, "Messages", _l("Messages"), "fa-comments"),
            (AttachmentView, "Files", _l("Files"), "fa-paperclip"),
            (ScheduleEntryView, "Schedule entries", _l("Schedule entries"), "fa-clock-o"),
            (PaymentView, "Payments", _l("Payments"), "fa-rub"),
            (QuoteView, "Quotes", _l("Quotes"), "fa-calculator"),
            (EndClientView, "End clients", _l("End clients"), "fa-address-book")]:
        appbuilder.add_view(view, name, label=label, icon=icon, **lists)
    partners = {"category": "Partners", "category_label": _l("Partners")}
    appbuilder.add_view(PartnerApplicationView, "Partner applications",
                        label=_l("Partner applications"), icon="fa-user-plus", **partners)
    appbuilder.add_view(PartnerCompanyView, "Companies", label=_l("Companies"),
                        icon="fa-building", **partners)
    catalog = {"category": "Catalogue", "category_label": _l("Catalogue")}
    appbuilder.add_view(ServiceView, "Services", label=_l("Services"), icon="fa-list",
                        **catalog)
    appbuilder.add_view(PriceRuleView, "Price rules", label=_l("Price rules"),
                        icon="fa-percent", **catalog)
    appbuilder.add_view(ApprovalStepView, "Approval steps", label=_l("Approval steps"),
                        icon="fa-check", **catalog)
    appbuilder.add_view(DocumentSlotView, "Documents at intake",
                        label=_l("Documents at intake"), icon="fa-list-alt", **catalog)
    appbuilder.add_view(ServiceFieldView, "Request form fields",
                        label=_l("Request form fields"), icon="fa-list-alt", **catalog)
    appbuilder.add_view(CatalogueImportView, "Catalogue import", label=_l("Catalogue import"),
                        icon="fa-upload", **catalog)
    kb = {"category": "Knowledge", "category_label": _l("Knowledge base")}
    appbuilder.add_view(KbArticleView, "Articles", label=_l("Articles"), icon="fa-book", **kb)
    appbuilder.add_view(KbCategoryView, "Categories", label=_l("Categories"),
                        icon="fa-folder", **kb)
    admin = {"category": "Administration", "category_label": _l("Administration")}
    appbuilder.add_view(SettingsView, "Settings", label=_l("Settings"), icon="fa-cog",
                        **admin)
    appbuilder.add_view(TextsView, "Texts and labels", label=_l("Texts and labels"),
                        icon="fa-edit", **admin)
    appbuilder.add_view(ServiceSlaView, "SLA by service", label=_l("SLA by service"),
                        icon="fa-clock-o", **admin)
    appbuilder.add_view(AuditEventView, "Audit log", label=_l("Audit log"),
                        icon="fa-shield", **admin)
    appbuilder.add_view(JobsView, "Background jobs", label=_l("Background jobs"),
                        icon="fa-cogs", **admin)
    appbuilder.add_view(WebhooksView, "Webhooks", label=_l("Webhooks"), icon="fa-link",
                        **admin)
    appbuilder.add_view_no_menu(StaffNotificationView)  # the bell (navbar_right.html)
