"""``manage.py load_taxonomy``: the default intents, actions and policies for any company."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from company.demo_data import load_demo_company
from conversations.demo_data import TAXONOMY_DIR, load_taxonomy_intents
from conversations.reader.setup import reader_setup

# The profile's defaults: priced per seat, and the taxonomy's demo-booking category is a sales pitch.
TAXONOMY_PROFILE_FILE = TAXONOMY_DIR / "company_profile.json"


class Command(BaseCommand):
    help = (
        "Create the default intents (policies, reply frames, company-neutral examples in five languages) "
        "and the out-of-scope examples that are missing, then train the reader. Nothing of the demo "
        "company is loaded. Existing intents are left alone (staff may have edited them) unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Restore default intents that differ, discarding edits."
        )

    def handle(self, *args: object, reset: bool = False, **options: object) -> None:
        # A company profile with the taxonomy's defaults when there is none yet (staff edit it after).
        self.stdout.write(load_demo_company(path=TAXONOMY_PROFILE_FILE).summary())
        report = load_taxonomy_intents(reset=reset)
        self.stdout.write(report.summary("intents"))
        if not reset and report.edited:
            self.stdout.write("Edited intents were kept; `load_taxonomy --reset` restores the defaults.")
        reader_setup(self.stdout.write)
