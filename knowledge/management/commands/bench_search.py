"""``manage.py bench_search``: search latency and recall on a synthetic corpus in a scratch schema."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge.bench import run_benchmark


class Command(BaseCommand):
    help = "Benchmark search_knowledge on N synthetic clustered chunks (scratch schema, dropped after)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunks", type=int, default=100_000, help="corpus size (default 100000)")
        parser.add_argument("--queries", type=int, default=200, help="queries per measurement (default 200)")
        parser.add_argument("--seed", type=int, default=0, help="random seed for corpus and queries")
        parser.add_argument("--k", type=int, default=10, help="results per query (default 10)")

    def handle(self, *args: object, chunks: int, queries: int, seed: int, k: int, **options: object) -> None:
        if chunks < 100 or queries < 1 or k < 1:
            raise CommandError("need --chunks >= 100, --queries >= 1 and --k >= 1")
        report = run_benchmark(
            chunks=chunks,
            queries=queries,
            seed=seed,
            k=k,
            progress=lambda message: self.stderr.write(f"... {message}"),
        )
        for line in report.lines():
            self.stdout.write(line)
