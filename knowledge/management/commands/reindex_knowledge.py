"""Reindex the knowledge base: stale documents by default, everything with --all, one with --document."""

from __future__ import annotations

from time import perf_counter

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge.indexing import documents_needing_reindex, reindex_document
from knowledge.models import Document
from knowledge.services import schedule_reindex


class Command(BaseCommand):
    help = (
        "Re-chunk and re-embed knowledge documents. Without options: only those whose text or embedding "
        "model changed, or whose last reindex failed. Queued for the Celery worker unless --sync."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--all", action="store_true", help="Reindex every document, changed or not.")
        which.add_argument("--document", metavar="SLUG", help="Reindex one document.")
        parser.add_argument("--sync", action="store_true", help="Run here and now instead of queueing.")

    def handle(self, *args, **options) -> None:
        force = bool(options["all"] or options["document"])
        if options["document"]:
            ids = list(Document.objects.filter(slug=options["document"]).values_list("pk", flat=True))
            if not ids:
                raise CommandError(f"No document with slug {options['document']!r}.")
        elif options["all"]:
            ids = list(Document.objects.order_by("slug").values_list("pk", flat=True))
        else:
            ids = documents_needing_reindex()
        if not ids:
            self.stdout.write("Nothing to reindex: every document is indexed with the current model.")
            return
        if not options["sync"]:
            schedule_reindex(ids, force=force)
            self.stdout.write(f"Queued {len(ids)} document(s) for reindexing.")
            return
        self._reindex_here(ids, force=force)

    def _reindex_here(self, ids: list[int], *, force: bool) -> None:
        slugs = dict(Document.objects.filter(pk__in=ids).values_list("pk", "slug"))
        counts: dict[str, int] = {}
        chunks = 0
        started = perf_counter()
        for number, document_id in enumerate(ids, start=1):
            step_started = perf_counter()
            outcome = reindex_document(document_id, force=force)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            if outcome.status == "indexed":
                chunks += outcome.chunk_count
            detail = f": {outcome.error}" if outcome.error else ""
            self.stdout.write(
                f"[{number}/{len(ids)}] {slugs.get(document_id, document_id)}: {outcome.status}, "
                f"{outcome.chunk_count} chunks, {perf_counter() - step_started:.2f} s{detail}"
            )
        elapsed = perf_counter() - started
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        rate = chunks / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Done in {elapsed:.1f} s: {summary}; {chunks} chunks embedded ({rate:.0f} chunks/s)."
        )
        if counts.get("failed"):
            raise CommandError(f"{counts['failed']} document(s) failed to index; see their index errors.")
