"""The request table carries no index that only repeats the leading part of another: every
insert and every update PostgreSQL cannot keep on the row's page writes an entry into each
index (0034_drop_prefix_indexes dropped four such)."""

from models.requests import Request


def _plain_btrees(table):
    """(name, key columns) of the table's whole-table b-tree indexes that are not unique."""
    for index in table.indexes:
        pg, lite = index.dialect_options["postgresql"], index.dialect_options["sqlite"]
        partial = pg.get("where") is not None or lite.get("where") is not None
        if index.unique or partial or pg.get("using") not in (None, False, "btree"):
            continue
        yield index.name, tuple(column.name for column in index.columns)


def test_no_request_index_is_the_leading_part_of_another():
    indexes = dict(_plain_btrees(Request.__table__))
    repeated = sorted((name, wider) for name, columns in indexes.items()
                      for wider, more in indexes.items()
                      if wider != name and len(more) > len(columns)
                      and more[:len(columns)] == columns)
    assert repeated == []


def test_the_dropped_indexes_are_gone_and_their_wider_ones_stay():
    names = {index.name for index in Request.__table__.indexes}
    assert not names & {"ix_request_status", "ix_request_created_at", "ix_request_engineer_id",
                        "ix_request_manager_status"}
    assert {"ix_request_status_id", "ix_request_created_cover", "ix_request_engineer_id_id",
            "ix_request_manager_status_changed"} <= names
