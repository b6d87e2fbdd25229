"""The list filter form with its related-column selects rendered once per user and kept.

Flask-AppBuilder renders every filter field of a list page into the page, the selects of
related columns (partner companies, managers, engineers) with all their options: at a
million requests that was ~450 options read and rendered on every page of the staff list,
~60 % of its time. The rendered select is kept per process for the user, the view, the
column and the language under the shared-cache stamp "choices" (app.shared_cache), bumped
after any commit that changed a company, a user, an end client or a request — the rows the
options come from and the requests that decide which of them a user sees. Without Redis the
select is rendered each time, as before. The other fields (text, dates, fixed selects such as
the statuses) are the same for every user: kept per view, column and language under the
stamp "texts" (the statuses' labels are the admin's), ~10 % of a staff list page's time.
"""

from __future__ import annotations

from flask import g
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.widgets import SearchWidget

from app.shared_cache import CHOICES, TEXTS, cached
from app.status_labels import current_locale


class KeptChoicesSearchWidget(SearchWidget):
    """FAB's SearchWidget; a related column's select comes from app.shared_cache."""

    def __call__(self, **kwargs):
        form = self.template_args["form"]
        view = self.template_args.get("route_base", "")
        user_id = getattr(g.get("user"), "id", None)
        label_columns, form_fields, search_filters = {}, {}, {}
        by_column = self.filters.get_search_filters()
        for col in self.template_args["include_cols"]:
            field = form[col]
            label_columns[col] = str(field.label.text)
            if isinstance(field, QuerySelectField):
                form_fields[col] = field() if user_id is None else cached(
                    CHOICES, (view, col, current_locale(), user_id), field.__call__)
            else:  # the same for every user: empty (the page's script fills the values in)
                # and worded in the language, statuses by the admin's labels (app.texts)
                form_fields[col] = cached(TEXTS, (view, col, current_locale()),
                                          field.__call__)
            search_filters[col] = [str(flt.name) for flt in by_column[col]]
        kwargs.update(label_columns=label_columns, form_fields=form_fields,
                      search_filters=search_filters,
                      active_filters=self.filters.get_filters_values_tojson())
        return super(SearchWidget, self).__call__(**kwargs)
