"""Load the demo knowledge base, CRM roster and intents (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conversations.demo_data import load_demo_intents
from crm.demo_data import load_demo_prospects
from knowledge.demo_data import load_demo_documents


class Command(BaseCommand):
    help = "Load the demo knowledge base, prospects and intents. Safe to run repeatedly."

    def handle(self, *args, **options) -> None:
        documents = load_demo_documents()
        prospects = load_demo_prospects()
        intents = load_demo_intents()
        for label, (created, updated) in (
            ("documents", documents),
            ("prospects", prospects),
            ("intents", intents),
        ):
            self.stdout.write(f"{label}: {created} created, {updated} existing")
