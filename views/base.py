"""Replan's base for generated back-office screens: bounded counts, eager loads, capped pages."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import selectinload

MAX_PAGE_SIZE = 100
COUNT_LIMIT = 10_000


class ReplanInterface(SQLAInterface):
    """SQLAInterface that never counts a whole table and loads related columns in bulk."""

    def __init__(self, obj, session=None, eager: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.eager = eager

    def query_count(self, query, filters=None, select_columns=None) -> int:
        """Exact up to COUNT_LIMIT, then 'COUNT_LIMIT+1' (shown as 'more than')."""
        inner = self._apply_inner_all(query, filters, select_columns=select_columns,
                                      aliases_mapping={})
        return inner.limit(COUNT_LIMIT + 1).count()

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        query = self.session.query(self.obj)
        count = self.query_count(query, filters, select_columns)
        query = self.apply_all(query, filters, order_column, order_direction, page, page_size,
                               select_columns, outer_default_load)
        if self.eager:
            query = query.options(*[selectinload(getattr(self.obj, name))
                                    for name in self.eager])
        return count, query.all()


class ReplanModelView(ModelView):
    """Explicit columns everywhere; page size from the URL is capped."""

    page_size = 25
    search_form_query_rel_fields: dict = {}

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        page_size = min(int(page_size or self.page_size), MAX_PAGE_SIZE)
        return super()._get_list_widget(filters, actions, order_column, order_direction,
                                        page, page_size, widgets, **kwargs)


class ReadOnlyView(ReplanModelView):
    base_permissions = ["can_list", "can_show"]
