"""``manage.py run_eval``: run a golden dataset through the agent, print the metrics, store the run.

With ``--compare RUN_ID`` it also prints per-metric deltas against an earlier run and fails (non-zero
exit) when a metric got worse by more than allowed, so it can gate CI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from conversations.agent.pipeline import BRAINS
from evaluation.calibration import ThresholdChoice, threshold_for_cases
from evaluation.compare import (
    ComparisonError,
    check_baseline,
    compare_metrics,
    format_comparison,
    regressions,
)
from evaluation.datasets import DatasetError, load_dataset, resolve_dataset_path
from evaluation.metrics import METRIC_NAMES, CaseOutcome
from evaluation.models import EvalRun
from evaluation.runner import run_evaluation, run_report
from knowledge.search import SEARCH_MODES


class Command(BaseCommand):
    help = "Evaluate the agent on a golden dataset (default: the bundled dev dataset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            help="Path to a dataset JSON file, or a bundled dataset name "
            "(dev_dataset, seed_golden_dataset, challenge_dataset).",
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
        parser.add_argument(
            "--compare",
            type=int,
            metavar="RUN_ID",
            help="After the run, print per-metric deltas against the stored run RUN_ID and exit non-zero "
            "when a metric got worse by more than allowed. RUN_ID must have evaluated the same dataset "
            "(same sha256); otherwise the command refuses before running, unless --force.",
        )
        parser.add_argument(
            "--max-drop",
            type=float,
            default=0.02,
            help="With --compare: largest absolute worsening allowed for a quality metric (default 0.02). "
            "For unsupported_claim_rate and confidence_ece lower is better, so a rise counts as the drop.",
        )
        parser.add_argument(
            "--max-latency-increase",
            type=float,
            default=0.5,
            help="With --compare: latency p50/p95 are gated relative to the baseline, not in ms (machines "
            "and brains differ in ms): the largest increase allowed as a fraction (default 0.5 = 50%%).",
        )
        parser.add_argument(
            "--ignore-latency",
            action="store_true",
            help="With --compare: report latency deltas but never fail on them (e.g. on shared CI runners).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --compare: compare against a run on a different dataset (a warning, not an error).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dataset = load_dataset(resolve_dataset_path(options["dataset"]))
        except DatasetError as error:
            raise CommandError(str(error)) from error

        baseline: EvalRun | None = None
        if options["compare"] is not None:
            # Checked before running, so a typo in the run id does not cost a whole evaluation.
            try:
                baseline, warnings = check_baseline(
                    options["compare"],
                    dataset_hash=dataset.sha256,
                    dataset_name=dataset.name,
                    force=options["force"],
                )
            except ComparisonError as error:
                raise CommandError(str(error)) from error
            for warning in warnings:
                self.stderr.write(f"Warning: {warning}")

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
        choice = threshold_for_cases(report["per_case"])
        report["review_threshold"] = {
            **choice.as_dict(),
            "current": settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD,
            "rule": "maximise F1 of confidence < threshold against intent or action wrong",
        }
        self._print_table(report)
        self._print_threshold(choice)
        if options["show_errors"]:
            self._print_errors(report)
        if options["json_path"]:
            path = Path(options["json_path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            self.stdout.write(f"Report written to {path}")
        if baseline is not None:
            self._compare(baseline, run, options)

    def _compare(self, baseline: EvalRun, run: EvalRun, options: dict[str, Any]) -> None:
        if baseline.brain != run.brain or baseline.model_name != run.model_name:
            self.stderr.write(
                f"Warning: run {baseline.pk} used brain {baseline.brain} ({baseline.model_name or '-'}), "
                f"this run {run.brain} ({run.model_name or '-'})."
            )
        deltas = compare_metrics(
            baseline.metrics,
            run.metrics,
            max_drop=options["max_drop"],
            max_latency_increase=None if options["ignore_latency"] else options["max_latency_increase"],
        )
        self.stdout.write("")
        for line in format_comparison(deltas, baseline_id=baseline.pk, run_id=run.pk):
            self.stdout.write(line)
        failed = regressions(deltas)
        if failed:
            raise CommandError(
                f"{len(failed)} metric(s) regressed against run {baseline.pk}: "
                + ", ".join(delta.name for delta in failed)
            )
        self.stdout.write(self.style.SUCCESS(f"No metric regressed against run {baseline.pk}."))

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
        usage = report["usage"]
        self.stdout.write(
            f"  model usage: {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion "
            f"tokens, estimated ${usage['cost_usd']:.4f} (${usage['cost_usd_per_case']:.6f} per case); "
            f"{usage['degraded_cases']} case(s) answered by the local fallback"
        )

    def _print_threshold(self, choice: ThresholdChoice) -> None:
        current = settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
        if choice.threshold is None:
            self.stdout.write(
                f"\nHuman-review threshold: no wrong intent/action in this run, so none can be chosen "
                f"from it (current HUMAN_REVIEW_CONFIDENCE_THRESHOLD={current:.2f})."
            )
            return
        self.stdout.write(
            f"\nSuggested HUMAN_REVIEW_CONFIDENCE_THRESHOLD={choice.threshold:.2f} "
            f"(best F1 of flag vs wrong: flags {choice.flagged}/{choice.cases}, "
            f"catches {choice.caught}/{choice.wrong} wrong, precision {choice.precision:.2f}, "
            f"F1 {choice.f1:.2f}; current {current:.2f})."
        )

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
