"""``manage.py export_eval_cases``: write reviewed turns as an evaluation dataset for ``run_eval``.

Which turns become cases, and what is expected of them, is described in ``reviews/eval_export.py``.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from reviews.eval_export import eval_cases


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time")
        moment = datetime.combine(day, time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Export reviewed turns (approved, or rejected with a corrected reply) as evaluation cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Only decisions made on or after this date (YYYY-MM-DD) or time.")
        parser.add_argument("--out", help="Write the dataset to this file (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = eval_cases(since=_since(options.get("since")))
        if not cases:
            # An empty list is not a valid dataset (run_eval would refuse it): say so, write nothing.
            raise CommandError(
                "No reviewed turns to export (approve drafts, or reject them with a correction)."
            )
        text = json.dumps(cases, indent=2, ensure_ascii=False) + "\n"
        out = options.get("out")
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {len(cases)} cases to {out}")
        else:
            self.stdout.write(text, ending="")
