"""The default intents (the taxonomy) and the demo company's additions to them.

``conversations/taxonomy/intents.json`` holds every default intent's policy and reply frames, written
for any company; ``taxonomy/neutral_examples.json`` company-neutral examples of each in five languages
``taxonomy/out_of_scope.json`` what people write to other businesses (with what each asks for in
``taxonomy/out_of_scope_intents.json``) and
``taxonomy/risk_examples.json`` requests the agent must refuse (with ordinary look-alikes).
``load_taxonomy`` loads those. The demo company adds its own examples
(``conversations/demo/intents.json`` and, in other languages, ``demo/intent_examples/<language>.json``)
and may override a frame; ``load_demo`` loads the taxonomy with those additions.
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
TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomy"
TAXONOMY_FILE = TAXONOMY_DIR / "intents.json"
NEUTRAL_EXAMPLES_FILE = TAXONOMY_DIR / "neutral_examples.json"
OUT_OF_SCOPE_FILE = TAXONOMY_DIR / "out_of_scope.json"
OUT_OF_SCOPE_INTENTS_FILE = TAXONOMY_DIR / "out_of_scope_intents.json"
RISK_EXAMPLES_FILE = TAXONOMY_DIR / "risk_examples.json"


def neutral_examples() -> dict[str, list[str]]:
    """Per default intent, its company-neutral examples (every language, English first)."""
    by_intent = json.loads(NEUTRAL_EXAMPLES_FILE.read_text(encoding="utf-8"))
    return {
        name: [text for texts in by_language.values() for text in texts]
        for name, by_language in by_intent.items()
    }


def out_of_scope_examples() -> list[dict[str, str]]:
    """The bundled out-of-scope messages, each with its act's intent under ``intent`` (what it asks
    for, whatever the business: "where is my parcel?" is a complaint)."""
    examples = json.loads(OUT_OF_SCOPE_FILE.read_text(encoding="utf-8"))["examples"]
    acts = json.loads(OUT_OF_SCOPE_INTENTS_FILE.read_text(encoding="utf-8"))["intents"]
    return [{**example, "intent": acts[example["text"]]} for example in examples]


def risk_examples() -> list[dict[str, str]]:
    """The bundled risk examples, each with its label under ``risk`` (a ``RiskKind`` or ``none``)."""
    by_label = json.loads(RISK_EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]
    return [{**example, "risk": label} for label, examples in by_label.items() for example in examples]


def taxonomy_intent_rows() -> list[dict[str, Any]]:
    """The default intents with their company-neutral examples (every language)."""
    rows = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    neutral = neutral_examples()
    for row in rows:
        row["examples"] = list(dict.fromkeys(neutral.get(row["name"], [])))
    return rows


def demo_intent_rows() -> list[dict[str, Any]]:
    """The default intents with the demo company's examples (English, then other languages) before the
    company-neutral ones, and its reply frames where it overrides one."""
    demo = {row["name"]: row for row in json.loads(DEMO_FILE.read_text(encoding="utf-8"))}
    translated = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXAMPLES_DIR.glob("*.json"))
    ]
    rows = taxonomy_intent_rows()
    for row in rows:
        addition = demo.get(row["name"], {})
        examples = [*addition.get("examples", [])]
        for by_intent in translated:
            examples += by_intent.get(row["name"], [])
        row["examples"] = list(dict.fromkeys([*examples, *row["examples"]]))
        for language, frame in addition.get("reply_frames", {}).items():
            row["reply_frames"][language] = {**row["reply_frames"].get(language, {}), **frame}
    return rows


def _demo_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in INTENT_POLICY_FIELDS if key in row} | {
        "description": row.get("description", ""),
        "examples": row.get("examples", []),
    }


def load_taxonomy_intents(*, reset: bool = False) -> DemoLoadReport:
    """Create the default intents that are missing, with company-neutral examples; with ``reset``,
    also restore edited ones."""
    return _load_intents(taxonomy_intent_rows(), reset=reset)


def load_demo_intents(*, reset: bool = False) -> DemoLoadReport:
    """Create the demo intents that are missing; with ``reset``, also restore edited ones."""
    return _load_intents(demo_intent_rows(), reset=reset)


@transaction.atomic
def _load_intents(rows: list[dict[str, Any]], *, reset: bool) -> DemoLoadReport:
    report = DemoLoadReport()
    for row in rows:
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
