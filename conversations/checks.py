"""System checks: the intents and actions the code refers to must exist.

Rules in ``conversations/agent/policy.py`` name a few intents (complaint, greeting, ...) and every
intent's primary action must be one the code knows (``Action``). Staff can rename or delete intents in
the admin, so ``manage.py check --database default`` (run at deploy) verifies the intents table, and
the demo intents file is checked on every start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from conversations.agent.policy import REFERENCED_INTENTS
from conversations.demo_data import DEMO_FILE
from conversations.models import Action, Intent

ACTIONS = set(Action.values)


def _problems(intents: dict[str, str], where: str) -> list[CheckMessage]:
    problems: list[CheckMessage] = [
        Error(
            f"The code refers to intent {name!r}, which {where} does not define.",
            hint="Restore the intent (load_demo creates missing ones) or update the agent's policy module.",
            id="conversations.E001",
        )
        for name in REFERENCED_INTENTS
        if name not in intents
    ]
    problems.extend(
        Error(
            f"Intent {name!r} in {where} has primary action {action!r}, which the code does not know.",
            hint=f"Use one of: {', '.join(sorted(ACTIONS))}.",
            id="conversations.E002",
        )
        for name, action in intents.items()
        if action not in ACTIONS
    )
    return problems


@register()
def check_demo_intents(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    rows = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return _problems({row["name"]: row["primary_action"] for row in rows}, "the demo intents file")


@register(Tags.database)
def check_intent_table(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        intents = dict(Intent.objects.filter(is_active=True).values_list("name", "primary_action"))
    except DatabaseError:
        return []  # no table yet (before migrate): nothing to check
    if not intents:
        return []  # a fresh database: load_demo or the admin will create them
    return _problems(intents, "the intents table")
