"""``manage.py run_eval``: run a golden dataset through the agent, print the metrics, store the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from conversations.agent.pipeline import BRAINS
from evaluation.datasets import DatasetError, load_dataset, resolve_dataset_path
from evaluation.metrics import METRIC_NAMES, CaseOutcome
from evaluation.runner import run_evaluation, run_report
from knowledge.search import SEARCH_MODES


class Command(BaseCommand):
    help = "Evaluate the agent on a golden dataset (default: the bundled dev dataset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            help="Path to a dataset JSON file, or a bundled dataset name (dev_dataset, seed_golden_dataset).",
        )
        parser.add_argument("--brain", choices=BRAINS, help="Brain to evaluate (default: AGENT_BRAIN).")
        parser.add_argument(
            "--json", dest="json_path", help="Write the full report (metrics + per case) here."
        )
        parser.add_argument(
            "--search-mode",
            choices=SEARCH_MODES,
            help="Knowledge search mode for the turns (default: KNOWLEDGE_SEARCH_MODE, hybrid); "
            "compare retrieval metrics across modes.",
        )
        parser.add_argument(
            "--show-errors", action="store_true", help="List the cases whose intent or action was wrong."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dataset = load_dataset(resolve_dataset_path(options["dataset"]))
        except DatasetError as error:
            raise CommandError(str(error)) from error

        verbose = options["verbosity"] >= 2
        self.stdout.write(f"Evaluating {dataset.name} ({len(dataset.cases)} cases) ...")

        def progress(index: int, total: int, outcome: CaseOutcome) -> None:
            if verbose:
                mark = "ok " if outcome.intent_correct and outcome.action_correct else "ERR"
                self.stdout.write(
                    f"  [{index}/{total}] {mark} {outcome.case_id}: {outcome.predicted_intent} "
                    f"({outcome.latency_ms:.1f} ms)"
                )

        search_mode = options["search_mode"] or settings.KNOWLEDGE_SEARCH_MODE
        self.stdout.write(f"Knowledge search mode: {search_mode}")
        with override_settings(KNOWLEDGE_SEARCH_MODE=search_mode):
            run = run_evaluation(dataset, brain=options["brain"], progress=progress)
        report = run_report(run)
        self._print_table(report)
        if options["show_errors"]:
            self._print_errors(report)
        if options["json_path"]:
            path = Path(options["json_path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            self.stdout.write(f"Report written to {path}")

    def _print_table(self, report: dict[str, Any]) -> None:
        self.stdout.write(
            f"\nRun {report['run_id']}: dataset={report['dataset']} brain={report['brain']} "
            f"model={report['model'] or '-'} cases={report['cases']}"
        )
        width = max(len(name) for name in METRIC_NAMES)
        for name in METRIC_NAMES:
            value = report["metrics"].get(name)
            shown = "n/a" if value is None else f"{value:.4f}"
            self.stdout.write(f"  {name:<{width}}  {shown:>10}")

    def _print_errors(self, report: dict[str, Any]) -> None:
        self.stdout.write("\nMisclassified cases:")
        for case in report["per_case"]:
            expected, predicted = case["expected"], case["predicted"]
            steps = expected.get("internal_next_steps") or [{}]
            if expected.get("intent") != predicted["intent"] or steps[0].get("action") != predicted["action"]:
                self.stdout.write(
                    f"  {case['id']}: expected {expected.get('intent')}, got {predicted['intent']} "
                    f"(confidence {predicted['confidence_score']:.2f})"
                )
