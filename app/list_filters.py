"""Flask-AppBuilder list filters of yes/no columns that compare a boolean: FAB's own turn only
"y" into True and pass anything else on as text, which PostgreSQL refuses to compare with a
boolean (`?_flt_0_is_active=1` was a 500 on every list) and SQLite matches with nothing
(`?_flt_0_active=true` on the users list: no rows). Every back-office list (views.base) and the
users list (app.user_admin) use BooleanFilterConverter."""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import (FilterEqual, FilterNotEqual,
                                                  SQLAFilterConverter, get_field_setup_query)
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import Optional

TRUE_WORDS, FALSE_WORDS = ("y", "1", "true", "on", "yes"), ("n", "0", "false", "off", "no")


def boolean_value(value) -> bool | None:
    """A yes/no filter's value as typed in a URL ("y", "1", "true", "on" …); None if neither."""
    text = str(value).strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


class BooleanEqual(FilterEqual):
    """FAB's "equal to" for a yes/no column with the value made a boolean: FAB turns only
    "y" into True and passes anything else on as text, which PostgreSQL refuses to compare
    with a boolean (`?_flt_0_is_active=1` was a 500 on every list)."""

    def apply(self, query, value):
        flag = boolean_value(value)
        if flag is None:  # app.input_guard drops such a value before: nothing to filter
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.is_(flag))


class BooleanNotEqual(FilterNotEqual):
    def apply(self, query, value):
        flag = boolean_value(value)
        if flag is None:
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.is_not(flag))


class BooleanFilterConverter(SQLAFilterConverter):
    """FAB's converter, a yes/no column's filters comparing a boolean."""

    conversion_table = tuple(
        ("is_boolean", [BooleanEqual, BooleanNotEqual]) if kind == "is_boolean"
        else (kind, filters) for kind, filters in SQLAFilterConverter.conversion_table)


def yes_no_selects(search_form) -> None:
    """A list's search form with each yes/no filter's value a "Yes" / "No" select: FAB's
    checkbox could not say "No" (unticked, the filter was dropped and every row listed)."""
    for name, field in list(vars(search_form).items()):
        if isinstance(field, UnboundField) and field.field_class is BooleanField:
            setattr(search_form, name, UnboundField(
                SelectField, *field.args, choices=[("y", _l("Yes")), ("n", _l("No"))],
                validators=[Optional()], description=field.kwargs.get("description")))
