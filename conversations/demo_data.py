"""The taxonomy's intents with example utterances, shipped as ``conversations/demo/intents.json``.

Example utterances in other languages live in ``conversations/demo/intent_examples/<language>.json``
(``{"<intent name>": [...]}``) and are appended to each intent's English examples, so prospects are
understood whichever of our languages they write in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from conversations.intents import intent_examples_sync, intent_save
from conversations.models import INTENT_POLICY_FIELDS, Intent
from salesagent.demo import DemoLoadReport

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_FILE = DEMO_DIR / "intents.json"
EXAMPLES_DIR = DEMO_DIR / "intent_examples"
# Company-neutral examples of every default intent in five languages, and out-of-scope messages
# (what people write to other businesses): the reader learns from them for any company.
TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomy"
NEUTRAL_EXAMPLES_FILE = TAXONOMY_DIR / "neutral_examples.json"
OUT_OF_SCOPE_FILE = TAXONOMY_DIR / "out_of_scope.json"


def neutral_examples() -> dict[str, list[str]]:
    """Per default intent, its company-neutral examples (every language, English first)."""
    by_intent = json.loads(NEUTRAL_EXAMPLES_FILE.read_text(encoding="utf-8"))
    return {
        name: [text for texts in by_language.values() for text in texts]
        for name, by_language in by_intent.items()
    }


def out_of_scope_examples() -> list[dict[str, str]]:
    return list(json.loads(OUT_OF_SCOPE_FILE.read_text(encoding="utf-8"))["examples"])


def demo_intent_rows() -> list[dict[str, Any]]:
    """The demo intents, each with its English examples followed by those in other languages, then the
    company-neutral ones."""
    rows = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    translated = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXAMPLES_DIR.glob("*.json"))
    ]
    translated.append(neutral_examples())
    for row in rows:
        examples = [*row.get("examples", [])]
        for by_intent in translated:
            examples += by_intent.get(row["name"], [])
        row["examples"] = list(dict.fromkeys(examples))
    return rows


def _demo_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in INTENT_POLICY_FIELDS if key in row} | {
        "description": row.get("description", ""),
        "examples": row.get("examples", []),
    }


@transaction.atomic
def load_demo_intents(*, reset: bool = False) -> DemoLoadReport:
    """Create the demo intents that are missing; with ``reset``, also restore edited ones."""
    report = DemoLoadReport()
    for row in demo_intent_rows():
        fields = _demo_fields(row)
        intent = Intent.objects.select_for_update().filter(name=row["name"]).first()
        differs = intent is not None and any(getattr(intent, k) != v for k, v in fields.items())
        if intent is None:
            intent_save(intent=Intent(name=row["name"], **fields), retrain=False)
        elif differs and reset:
            for key, value in fields.items():
                setattr(intent, key, value)
            intent_save(intent=intent, retrain=False)
        else:
            # Left alone, but its stored example embeddings must match it (rows written before
            # they were stored, or another embedding model): derived data, no edit is lost.
            intent_examples_sync(intent=intent)
        report.record(row["name"], created=intent is None, differs=differs, reset=reset)
    return report
