"""Import Markdown, plain-text and HTML files (or folders of them) into the knowledge base."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge.services import documents_ingest


class Command(BaseCommand):
    help = (
        "Upsert knowledge documents from files; the slug is the file name without extension. Markdown "
        "front matter may set title, category, tags, language and translation_of (the original's slug). "
        "Unreadable or empty files are reported and skipped; the rest are imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="Files or folders (searched recursively).")

    def handle(self, *args, **options) -> None:
        counter = {"n": 0}

        def progress(path: Path, outcome: str, detail: str) -> None:
            counter["n"] += 1
            line = f"[{counter['n']}] {path}: {outcome}" + (f" ({detail})" if detail else "")
            self.stdout.write(self.style.ERROR(line) if outcome == "failed" else line)

        report = documents_ingest(paths=options["paths"], progress=progress)
        if report.total == 0:
            raise CommandError("No Markdown, text or HTML files found in the given paths.")
        self.stdout.write(
            f"{report.total} file(s): {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.failed)} failed."
        )
        if report.failed and len(report.failed) == report.total:
            raise CommandError("No file could be imported.")
