"""Every add, edit and delete made through a generated back-office form is audited.

Mixed into views.base (ReplanInterface, ReplanModelView), so no view repeats it: the event
({field: [old, new]} of what changed, app.audit) is written in the same transaction as the
change, and a save that changed nothing writes none.
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.exceptions import DatabaseException
from sqlalchemy.exc import SQLAlchemyError

from app.audit import record_created, record_deleted, record_update, remember


class AuditedInterface:
    """FAB datamodel methods that add the audit event before their one commit."""

    def add(self, item, commit: bool = True) -> None:
        super().add(item, commit=False)
        self._audited(record_created, item, commit)

    def edit(self, item, commit: bool = True) -> None:
        super().edit(item, commit=False)
        self._audited(record_update, item, commit)

    def delete(self, item, commit: bool = True) -> None:
        self._audited(record_deleted, item, commit=False)  # its values, before they go
        super().delete(item, commit)

    def _audited(self, write, item, commit: bool) -> None:
        try:
            write(getattr(g, "user", None), item)
            if commit:
                self.session.commit()
        except SQLAlchemyError as error:
            self.session.rollback()
            raise DatabaseException from error


class AuditedEdits:
    """ModelView mixin: the row's values are remembered before the edit form changes them
    (a use case in pre_update may flush, which would lose SQLAlchemy's own history)."""

    def _edit(self, pk):
        if request.method == "POST":
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None:
                remember(item)
        return super()._edit(pk)
