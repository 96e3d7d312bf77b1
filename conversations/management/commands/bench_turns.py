"""``manage.py bench_turns``: turns per second and latency through gunicorn with unique messages."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.bench import run_turn_benchmark


class Command(BaseCommand):
    help = (
        "Serve the project with gunicorn on 127.0.0.1 against a scratch database and post unique turns "
        "through the API from N concurrent clients; prints turns/s and latency percentiles."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--turns", type=int, default=400, help="measured turns (default 400)")
        parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(
        self,
        *args: object,
        turns: int,
        concurrency: int,
        workers: int,
        threads: int,
        seed: int,
        **options: object,
    ) -> None:
        if turns < 1 or concurrency < 1 or workers < 1 or threads < 1:
            raise CommandError("--turns, --concurrency, --workers and --threads must be at least 1")
        if os.environ.get("DATABASE_URL"):
            # Its scratch database lives in the embedded server; a shared server gets no benchmark rows.
            raise CommandError("bench_turns runs against the embedded database only (unset DATABASE_URL)")
        database = f"{settings.DATABASES['default']['NAME']}_bench"
        report = run_turn_benchmark(
            turns=turns,
            concurrency=concurrency,
            workers=workers,
            threads=threads,
            database=database,
            seed=seed,
            progress=lambda message: self.stderr.write(f"... {message}"),
        )
        for line in report.lines():
            self.stdout.write(line)
