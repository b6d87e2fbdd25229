"""Flask-AppBuilder views: register(appbuilder) adds them all, with translated labels."""

from flask_babel import lazy_gettext as _l


def register(appbuilder) -> None:
    """Add every back-office view and menu entry."""
    from views.requests import RequestStaffView, StatusChangeView

    appbuilder.add_view(RequestStaffView, "All requests", label=_l("All requests"),
                        icon="fa-folder-open", category="Requests",
                        category_label=_l("Requests"))
    appbuilder.add_view(StatusChangeView, "Status history", label=_l("Status history"),
                        icon="fa-history", category="Requests")
    from views.partners import PartnerApplicationView

    appbuilder.add_view(PartnerApplicationView, "Partner applications",
                        label=_l("Partner applications"), icon="fa-user-plus",
                        category="Partners", category_label=_l("Partners"))
