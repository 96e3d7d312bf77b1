"""The demo database as loaded at the start of a test session, and how transactional tests put it back.

A transactional test (``transaction=True``, ``live_server``) ends with Django emptying every table;
conftest.py restores this snapshot after each one, so the tests that follow see the demo data again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from pytest_django import DjangoDbBlocker


@dataclass(frozen=True)
class DemoSnapshot:
    """The test database as the demo loaded it (Django's JSON serialization), and the key to the database."""

    contents: str
    blocker: DjangoDbBlocker

    @classmethod
    def take(cls, blocker: DjangoDbBlocker) -> DemoSnapshot:
        with blocker.unblock():
            return cls(contents=connection.creation.serialize_db_to_string(), blocker=blocker)

    def restore(self) -> None:
        """Empty every table and load the snapshot back; sequences keep counting, so new ids stay unique."""
        with self.blocker.unblock():
            call_command(
                "flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True
            )
            connection.creation.deserialize_db_from_string(self.contents)


DEMO_SNAPSHOT = pytest.StashKey[DemoSnapshot]()
