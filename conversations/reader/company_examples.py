"""Examples that teach the reader the company's own names: templates of the taxonomy
(``conversations/taxonomy/company_templates.json``) filled with the company profile's tools and
competitors and the price book's plans.

Company-neutral examples name other companies' tools; without these, "Do you integrate with Intercom?"
is read by whatever else the reader knows about "Intercom" (for a helpdesk, a competitor). The
templates are data staff can edit, like the intents' examples; the names come from data staff edit.
"""

from __future__ import annotations

import json
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from company.vocabulary import Vocabulary

TEMPLATES_FILE = Path(__file__).resolve().parent.parent / "taxonomy" / "company_templates.json"


@cache
def company_templates() -> dict[str, dict[str, list[str]]]:
    data: dict[str, Any] = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    return {intent: by_language for intent, by_language in data.items() if not intent.startswith("_")}


def _fills(vocabulary: Vocabulary) -> dict[str, list[dict[str, str]]]:
    plans = list(vocabulary.plan_names)
    return {
        "tool": [{"tool": name} for name in vocabulary.names_of_kind("integration")],
        "competitor": [{"competitor": name} for name in vocabulary.names_of_kind("competitor")],
        "other_plan": [{"plan": a, "other_plan": b} for a, b in pairwise(plans)],
        "plan": [{"plan": name} for name in plans],
    }


def company_examples(vocabulary: Vocabulary, intents: set[str]) -> list[tuple[str, str, str]]:
    """(intent, text, language) for every template of an active intent filled with every name its
    slots take; a template whose names the company has none of gives nothing."""
    fills = _fills(vocabulary)
    examples: list[tuple[str, str, str]] = []
    for intent, by_language in company_templates().items():
        if intent not in intents:
            continue
        for language, templates in by_language.items():
            for template in templates:
                # The most specific slot a template has decides what fills it ("other_plan" before "plan").
                slot = next(name for name in fills if "{" + name + "}" in template)
                examples.extend((intent, template.format(**values), language) for values in fills[slot])
    return list(dict.fromkeys(examples))
