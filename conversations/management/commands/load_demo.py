"""Load a demo company (knowledge base, CRM roster, price book, profile, intents), never overwriting
what staff changed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from company.demo_data import load_demo_company
from conversations.demo_data import load_demo_intents, load_taxonomy_intents
from conversations.reader.setup import reader_setup
from crm.demo_data import load_demo_prospects
from knowledge.demo_data import load_demo_documents
from pricing.demo_data import load_demo_price_book
from salesagent.demo import DEMO_COMPANIES_DIR, DemoLoadReport, demo_companies

DEFAULT_COMPANY = "orbit"


class Command(BaseCommand):
    help = (
        "Create the demo company's knowledge base, prospects, price book, profile and intents that are "
        "missing. Existing rows are left alone (staff may have edited them) unless --reset is given. "
        "--company loads another demo company from demo_companies/ (into an empty database)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore demo rows that differ from the demo data, discarding edits made to them.",
        )
        parser.add_argument(
            "--company",
            default=DEFAULT_COMPANY,
            help=f"{DEFAULT_COMPANY} (the default demo) or a folder of demo_companies/.",
        )

    def handle(
        self, *args: object, reset: bool = False, company: str = DEFAULT_COMPANY, **options: object
    ) -> None:
        if company == DEFAULT_COMPANY:
            reports = self._orbit(reset=reset)
        elif company in demo_companies():
            reports = self._from_folder(company, reset=reset)
        else:
            choices = ", ".join([DEFAULT_COMPANY, *demo_companies()])
            raise CommandError(f"Unknown demo company {company!r}; choose one of: {choices}.")
        for label, report in reports:
            self.stdout.write(report.summary(label))
        if not reset and any(report.edited for _, report in reports):
            self.stdout.write("Edited rows were kept; `load_demo --reset` restores the demo versions.")
        reader_setup(self.stdout.write)

    def _orbit(self, *, reset: bool) -> list[tuple[str, DemoLoadReport]]:
        self.stdout.write(load_demo_company(reset=reset).summary())
        return [
            ("documents", load_demo_documents(reset=reset)),
            ("prospects", load_demo_prospects(reset=reset)),
            ("intents", load_demo_intents(reset=reset)),
            ("price book", load_demo_price_book(reset=reset)),
        ]

    def _from_folder(self, name: str, *, reset: bool) -> list[tuple[str, DemoLoadReport]]:
        folder = DEMO_COMPANIES_DIR / name
        self.stdout.write(load_demo_company(reset=reset, path=folder / "company.json").summary())
        return [
            ("documents", load_demo_documents(reset=reset, directory=folder / "knowledge")),
            ("prospects", load_demo_prospects(reset=reset, path=folder / "prospects.json")),
            ("intents", load_taxonomy_intents(reset=reset)),
            ("price book", load_demo_price_book(reset=reset, path=folder / "price_book.json")),
        ]
