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

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from conversations.agent.policy import REFERENCED_INTENTS
from conversations.demo_data import TAXONOMY_FILE
from conversations.models import Action, Intent, ReaderModel

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
    rows = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    return _problems({row["name"]: row["primary_action"] for row in rows}, "the taxonomy's intents file")


@register(Tags.database)
def check_intent_table(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        intents = dict(Intent.objects.filter(is_active=True).values_list("name", "primary_action"))
    except DatabaseError:
        return []  # no table yet (before migrate): nothing to check
    if not intents:
        return []  # a fresh database: load_demo or the admin will create them
    return _problems(intents, "the intents table")


@register(Tags.database)
def check_company_setup(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn about what a turn needs and the database lacks: intents, an active price book, knowledge."""
    from knowledge.models import Document
    from pricing.models import PriceBook

    try:
        has_intents = Intent.objects.filter(is_active=True).exists()
        # A reader trained before it had a risk head reads no risky request (its metrics say which).
        active_readers = ReaderModel.objects.filter(is_active=True).order_by("-version")
        reader_metrics = active_readers.values_list("metrics", flat=True).first()
        has_price_book = PriceBook.objects.filter(is_active=True).exists()
        has_knowledge = Document.objects.filter(
            is_active=True, index_status=Document.IndexStatus.INDEXED
        ).exists()
    except DatabaseError:
        return []  # no tables yet (before migrate)
    problems: list[CheckMessage] = []
    if not has_intents:
        problems.append(
            Warning(
                "No intents: every turn would be answered with an empty intent and a holding reply.",
                hint="Run `manage.py load_taxonomy` (the default intents) or `manage.py load_demo`.",
                id="conversations.W001",
            )
        )
    if not has_price_book:
        problems.append(
            Warning(
                "No active price book: price questions cannot be quoted.",
                hint="Add one in the admin (Pricing > Price books) and mark it active.",
                id="conversations.W002",
            )
        )
    if not has_knowledge:
        problems.append(
            Warning(
                "No indexed knowledge: drafts cannot answer from your documents.",
                hint="Run `manage.py ingest_knowledge <folder>` with your Markdown, text or HTML documents.",
                id="conversations.W003",
            )
        )
    if reader_metrics is not None and "risk" not in reader_metrics:
        problems.append(
            Warning(
                "The active reader has no risk head: no request to refuse (instructions to the agent, "
                "other customers' data, promises outside policy) would be flagged.",
                hint="Run `manage.py load_taxonomy` (it adds the bundled risk examples and retrains).",
                id="conversations.W004",
            )
        )
    return problems
