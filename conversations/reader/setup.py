"""The last step of loading a taxonomy: out-of-scope and risk examples, then a reader trained on it all."""

from __future__ import annotations

from collections.abc import Callable

from conversations.demo_data import out_of_scope_examples, risk_examples
from conversations.models import TrainingExample
from conversations.reader.services import reader_train, training_examples_load


def reader_setup(write: Callable[[str], object]) -> None:
    """Load the out-of-scope and risk examples that are missing and train the reader if its data changed;
    each step's outcome goes to ``write``."""
    added = training_examples_load(out_of_scope_examples(), kind=TrainingExample.Kind.OUT_OF_SCOPE)
    write(f"out-of-scope examples: {added} added")
    added = training_examples_load(risk_examples(), kind=TrainingExample.Kind.RISK)
    write(f"risk examples: {added} added")
    outcome = reader_train()
    if outcome is None:
        write("reader: not trained (fewer than two intents have examples)")
    elif outcome.trained:
        accuracy = outcome.reader.metrics.get("intent", {}).get("accuracy")
        write(f"reader: trained v{outcome.reader.version} (cross-validated intent accuracy {accuracy})")
    else:
        write(f"reader: v{outcome.reader.version} is current")
