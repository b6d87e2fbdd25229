"""Back office: approval steps per service (issue 12, item 5), audited like every admin edit."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from app.catalogue_names import service_name
from app.permissions import STAFF_ROLES, role_label
from models.approvals import GATE_LABELS, ApprovalStep
from views.base import ReplanInterface, ReplanModelView

POSITION_LIMIT = 1000


def _role_choices() -> list[tuple[str, str]]:
    """The staff roles by their translated names (a new role in app.permissions joins)."""
    return [(name, role_label(name)) for name in STAFF_ROLES]


class _RoleField(SelectField):
    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=_role_choices, widget=Select2Widget(),
                         **kwargs)


def _form_fields() -> dict:
    return {
        "role_name": _RoleField(_l("Decided by (role)"), [InputRequired()]),
        "gate": SelectField(_l("Holds back"), choices=list(GATE_LABELS.items()),
                            validators=[InputRequired()], widget=Select2Widget()),
        "position": IntegerField(_l("Order"), [InputRequired(), NumberRange(
            min=1, max=POSITION_LIMIT,
            message=_l("The order is a number from 1 to %(max)s.", max=POSITION_LIMIT))],
            default=1),
    }


class ApprovalStepView(ReplanModelView):
    """Steps are switched off, not deleted: the decisions recorded on requests stay."""

    datamodel = ReplanInterface(ApprovalStep, eager=("service",))
    route_base = "/approval-steps"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export"]
    base_order = ("service_id", "asc")
    list_title = _l("Approval steps")
    show_title = _l("Approval step")
    add_title = _l("New approval step")
    edit_title = _l("Editing an approval step")
    list_columns = ["service", "position", "title", "role_name", "gate", "is_active"]
    show_columns = ["service", "position", "title", "title_en", "role_name", "gate",
                    "is_active"]
    add_columns = edit_columns = show_columns
    search_columns = ["service", "title", "role_name", "gate", "is_active"]
    label_columns = {"service": _l("Service"), "position": _l("Order"), "title": _l("Step"),
                     "title_en": _l("Step (English)"), "role_name": _l("Decided by (role)"),
                     "gate": _l("Holds back"), "is_active": _l("In use")}
    description_columns = {
        "position": _l("Steps of a service are decided in this order, one after another."),
        "role_name": _l("Any user with this role who sees the request may decide the step."),
        "gate": _l("What waits for this step: accepting the work, or delivering the "
                   "documents."),
    }
    formatters_columns = {"service": service_name, "role_name": role_label,
                          "gate": lambda code: str(GATE_LABELS.get(code, code))}
    add_form_extra_fields = edit_form_extra_fields = _form_fields()
