"""The demo database as loaded at the start of a test session, and how transactional tests put it back.

A transactional test (``transaction=True``, ``live_server``) ends with Django emptying every table;
conftest.py restores this snapshot after each one, so the tests that follow see the demo data again.

The snapshot is a copy of every table in a schema of its own, taken and put back in SQL: Django's
serialize/deserialize round trip (``serialized_rollback``) saves the rows one model instance at a
time, which cost ~15 s per transactional test with the demo's knowledge base and training examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from psycopg import sql
from pytest_django import DjangoDbBlocker

SNAPSHOT_SCHEMA = "test_demo_snapshot"


def _tables() -> list[str]:
    """The tables Django's flush empties: every model's table, not django_migrations."""
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


@dataclass(frozen=True)
class DemoSnapshot:
    """The test database as the demo loaded it (a copy of each table) and the key to the database."""

    tables: tuple[str, ...]
    blocker: DjangoDbBlocker

    @classmethod
    def take(cls, blocker: DjangoDbBlocker) -> DemoSnapshot:
        with blocker.unblock(), connection.cursor() as cursor:
            tables = _tables()
            schema = sql.Identifier(SNAPSHOT_SCHEMA)
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            for table in tables:
                cursor.execute(
                    sql.SQL("CREATE TABLE {}.{} AS TABLE {}").format(
                        schema, sql.Identifier(table), sql.Identifier(table)
                    )
                )
        return cls(tables=tuple(tables), blocker=blocker)

    def restore(self) -> None:
        """Empty every table and copy the snapshot back; sequences keep counting, so new ids stay unique.

        Foreign keys and triggers are off while the rows go back (``session_replication_role``), so
        the tables can be filled in any order and stored values (search vectors) are kept as they were.
        """
        schema = sql.Identifier(SNAPSHOT_SCHEMA)
        with self.blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(
                    sql.SQL("TRUNCATE {}").format(
                        sql.SQL(", ").join(sql.Identifier(table) for table in self.tables)
                    )
                )
                for table in self.tables:
                    cursor.execute(
                        sql.SQL("INSERT INTO {} SELECT * FROM {}.{}").format(
                            sql.Identifier(table), schema, sql.Identifier(table)
                        )
                    )
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")

    def changed_tables(self) -> list[str]:
        """The tables whose rows now differ from the snapshot's, in either direction (none after restore)."""
        schema = sql.Identifier(SNAPSHOT_SCHEMA)
        changed = []
        with self.blocker.unblock(), connection.cursor() as cursor:
            for table in self.tables:
                name = sql.Identifier(table)
                cursor.execute(
                    sql.SQL(
                        "SELECT EXISTS (TABLE {} EXCEPT ALL TABLE {}.{})"
                        " OR EXISTS (TABLE {}.{} EXCEPT ALL TABLE {})"
                    ).format(name, schema, name, schema, name, name)
                )
                if cursor.fetchone()[0]:
                    changed.append(table)
        return changed


DEMO_SNAPSHOT = pytest.StashKey[DemoSnapshot]()
