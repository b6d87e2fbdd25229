"""Flask-AppBuilder's own strings that its Russian catalogue lacks.

Listed here only so that `make translations` extracts them into Replan's catalogue, which
Flask-Babel merges over FAB's (ours wins). Nothing imports these names at run time.
"""

from flask_babel import lazy_gettext as _l

FAB_STRINGS_MISSING_IN_RU = (
    _l("Add"), _l("Edit"), _l("Show"), _l("Delete"), _l("Detail"), _l("Groups"),
    _l("List Groups"), _l("Add Group"), _l("Edit Group"), _l("Show Group"), _l("User"),
    _l("Edit User Information"), _l("User information changed"), _l("Statistics"),
    _l("Are you sure you want to delete this item?"), _l("Contains (insensitive)"),
    _l("Database Error"), _l("In"), _l("Not In"), _l("Order by"), _l("Select Value"),
    _l("Either select a role or a group"), _l("User(s) exists in the group, cannot delete"),
    _l("User(s) exists in the role, cannot delete"), _l("The user role on the application,"),
    _l("The user group on the application,"),
    _l("Cancel"), _l("OK"),  # the confirm and alert dialogs on every page
)

# FAB's Russian for these reads badly ("подтверждение пользователя требуется"): ours wins
FAB_STRINGS_RETRANSLATED = (_l("User confirmation needed"),)
