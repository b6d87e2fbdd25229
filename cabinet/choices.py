"""Select and checkbox choices for cabinet forms: shared with the back office, so they live
in app.request_form (re-exported here for the cabinet's routes)."""

from app.request_form import (fill_choices, object_type_choices, rule_choices,  # noqa: F401
                              service_choices)
