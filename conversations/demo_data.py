"""The taxonomy's intents with example utterances, shipped as ``conversations/demo/intents.json``."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from conversations.models import Intent

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "intents.json"


@transaction.atomic
def load_demo_intents() -> tuple[int, int]:
    """Upsert intents by name; returns (created, updated)."""
    created = updated = 0
    for row in json.loads(DEMO_FILE.read_text(encoding="utf-8")):
        intent = Intent.objects.filter(name=row["name"]).first()
        defaults = {
            "description": row.get("description", ""),
            "primary_action": row["primary_action"],
            "examples": row.get("examples", []),
            "knowledge_categories": row.get("knowledge_categories", []),
        }
        if intent is None:
            Intent.objects.create(name=row["name"], **defaults)
            created += 1
        elif any(getattr(intent, key) != value for key, value in defaults.items()):
            for key, value in defaults.items():
                setattr(intent, key, value)
            intent.save()
            updated += 1
    return created, updated
