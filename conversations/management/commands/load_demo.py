"""Load the demo knowledge base, CRM roster and intents, never overwriting what staff changed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from conversations.demo_data import load_demo_intents, out_of_scope_examples
from conversations.models import TrainingExample
from conversations.reader.services import reader_train, training_examples_load
from crm.demo_data import load_demo_prospects
from knowledge.demo_data import load_demo_documents
from pricing.demo_data import load_demo_price_book


class Command(BaseCommand):
    help = (
        "Create the demo knowledge base, prospects and intents that are missing. Existing rows are left "
        "alone (staff may have edited them) unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore demo rows that differ from the demo data, discarding edits made to them.",
        )

    def handle(self, *args: object, reset: bool = False, **options: object) -> None:
        reports = (
            ("documents", load_demo_documents(reset=reset)),
            ("prospects", load_demo_prospects(reset=reset)),
            ("intents", load_demo_intents(reset=reset)),
            ("price book", load_demo_price_book(reset=reset)),
        )
        for label, report in reports:
            self.stdout.write(report.summary(label))
        if not reset and any(report.edited for _, report in reports):
            self.stdout.write("Edited rows were kept; `load_demo --reset` restores the demo versions.")
        added = training_examples_load(out_of_scope_examples(), kind=TrainingExample.Kind.OUT_OF_SCOPE)
        self.stdout.write(f"out-of-scope examples: {added} added")
        outcome = reader_train()
        if outcome is None:
            self.stdout.write("reader: not trained (fewer than two intents have examples)")
        elif outcome.trained:
            accuracy = outcome.reader.metrics.get("intent", {}).get("accuracy")
            self.stdout.write(
                f"reader: trained v{outcome.reader.version} (cross-validated intent accuracy {accuracy})"
            )
        else:
            self.stdout.write(f"reader: v{outcome.reader.version} is current")
