"""``manage.py run_eval``: run a golden dataset through the agent, print the metrics, store the run.

With ``--compare RUN_ID`` it also prints per-metric deltas against an earlier run and fails (non-zero
exit) when a metric got worse by more than allowed, so it can gate CI. With ``--all`` it runs every
bundled dataset and prints one table, a column per dataset.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from tqdm import tqdm

from conversations.agent.pipeline import BRAINS
from conversations.reader.learning_curve import CurveError, LabelledMessage, learning_curve
from conversations.reader.services import reader_training_set
from evaluation.calibration import threshold_for_cases
from evaluation.compare import (
    DEFAULT_MAX_DROP,
    DEFAULT_MAX_LATENCY_INCREASE,
    ComparisonError,
    check_baseline,
    compare_metrics,
    format_comparison,
    regressions,
)
from evaluation.datasets import (
    BUNDLED_DIR,
    Dataset,
    DatasetError,
    bundled_datasets,
    first_cases,
    load_dataset,
    resolve_dataset_path,
)
from evaluation.metrics import CaseOutcome
from evaluation.models import EvalRun
from evaluation.runner import run_evaluation, run_report, turn_logs_quiet
from evaluation.tables import format_metrics_table
from knowledge.search import SEARCH_MODES


class Command(BaseCommand):
    help = "Evaluate the agent on a golden dataset (default: the bundled dev dataset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            help="Path to a dataset JSON file, or a bundled dataset name "
            "(dev_dataset, seed_golden_dataset, challenge_dataset, realistic_dev).",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Run every dataset (*.json) in --datasets-dir and print one table, a column per dataset; "
            "--json is then a directory that gets one report per dataset (DATASET.json).",
        )
        parser.add_argument(
            "--datasets-dir",
            type=Path,
            default=BUNDLED_DIR,
            help="With --all: the directory of datasets (default: the bundled evaluation/datasets/).",
        )
        parser.add_argument(
            "--limit",
            type=int,
            metavar="N",
            help="Evaluate only the first N cases of each dataset (a quick check; such a run is compared "
            "only with runs on the same N cases).",
        )
        parser.add_argument("--brain", choices=BRAINS, help="Brain to evaluate (default: AGENT_BRAIN).")
        parser.add_argument(
            "--json",
            dest="json_path",
            help="Write the full report (metrics + per case) to this file; with --all, to this directory.",
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
            default=DEFAULT_MAX_DROP,
            help="With --compare: largest absolute worsening allowed for a quality metric (default 0.02). "
            "For the error rates (unsupported_claim_rate, forbidden_content_rate, unflagged_failure_rate) "
            "and confidence_ece lower is better, so a rise counts as the drop.",
        )
        parser.add_argument(
            "--max-latency-increase",
            type=float,
            default=DEFAULT_MAX_LATENCY_INCREASE,
            help="With --compare: latency p50/p95 are gated relative to the baseline, not in ms (machines "
            "and brains differ in ms): the largest increase allowed as a fraction (default 0.5 = 50%%).",
        )
        parser.add_argument(
            "--ignore-latency",
            action="store_true",
            help="With --compare: report latency deltas but never fail on them (e.g. on shared CI runners).",
        )
        parser.add_argument(
            "--learning-curve",
            action="store_true",
            help="Instead of evaluating turns: hold out half of --dataset's messages, train the reader "
            "on its examples plus 0, 25, 50, 75 and 100%% of the other half as if reviewers had labelled "
            "them, and print the held-out intent accuracy and flag rate of each reader.",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="With --learning-curve: the split and training seed."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --compare: compare against a run on a different dataset (a warning, not an error).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            self._handle_all(options)
            return
        try:
            dataset = first_cases(load_dataset(resolve_dataset_path(options["dataset"])), options["limit"])
        except DatasetError as error:
            raise CommandError(str(error)) from error
        if options["learning_curve"]:
            self._print_learning_curve(dataset, seed=options["seed"])
            return

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

        self._print_search_mode(options)
        run, report = self._evaluate(dataset, options)
        self._print_table(report)
        self.stdout.write("")
        self._print_threshold(report["review_threshold"])
        if options["show_errors"]:
            self._print_errors(report)
        if options["json_path"]:
            self._write_report(report, Path(options["json_path"]))
        if baseline is not None:
            self._compare(baseline, run, options)

    def _handle_all(self, options: dict[str, Any]) -> None:
        if options["dataset"] or options["compare"] is not None:
            raise CommandError("--all runs every dataset: it takes neither --dataset nor --compare")
        # Every dataset is read and validated before any is run, so a bad file fails at once.
        try:
            datasets = [
                first_cases(load_dataset(path), options["limit"])
                for path in bundled_datasets(options["datasets_dir"])
            ]
        except DatasetError as error:
            raise CommandError(str(error)) from error
        self._print_search_mode(options)
        reports = [self._evaluate(dataset, options)[1] for dataset in datasets]

        first = reports[0]
        run_ids = ", ".join(f"#{report['run_id']}" for report in reports)
        self.stdout.write(f"\nRuns {run_ids}: brain={first['brain']} model={first['model'] or '-'}")
        columns = [(report["dataset"], {**report["metrics"], "cases": report["cases"]}) for report in reports]
        for line in format_metrics_table(columns, extra_rows=["cases"]):
            self.stdout.write(line)
        self.stdout.write("")
        for report in reports:
            self._print_threshold(report["review_threshold"], dataset=report["dataset"])
        if options["show_errors"]:
            for report in reports:
                self._print_errors(report)
        if options["json_path"]:
            directory = Path(options["json_path"])
            for report in reports:
                self._write_report(report, directory / f"{report['dataset']}.json")

    def _print_learning_curve(self, dataset: Dataset, *, seed: int) -> None:
        messages = [
            LabelledMessage(case.message, str(case.expected.get("intent") or ""), case.expected_language)
            for case in dataset.cases
        ]
        threshold = settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
        try:
            points = learning_curve(reader_training_set(), messages, review_threshold=threshold, seed=seed)
        except CurveError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Learning curve on {dataset.name}: {points[0].held_out} messages held out, the others "
            f"reviewed in growing shares (seed {seed}; flagged below confidence {threshold:.2f})."
        )
        self.stdout.write(f"  {'reviewed':>8}  {'share':>5}  {'intent accuracy':>15}  {'flag rate':>9}")
        for point in points:
            self.stdout.write(
                f"  {point.reviewed:>8}  {point.share:>5.2f}  {point.intent_accuracy:>15.3f}  "
                f"{point.flag_rate:>9.3f}"
            )

    def _print_search_mode(self, options: dict[str, Any]) -> None:
        search_mode = options["search_mode"] or settings.KNOWLEDGE_SEARCH_MODE
        self.stdout.write(f"Knowledge search mode: {search_mode}")

    def _evaluate(self, dataset: Dataset, options: dict[str, Any]) -> tuple[EvalRun, dict[str, Any]]:
        """Run one dataset and build its report (with the suggested review threshold)."""
        verbose = options["verbosity"] >= 2
        self.stdout.write(f"Evaluating {dataset.name} ({len(dataset.cases)} cases) ...")
        # A progress bar for a person at a terminal; nothing for CI logs and pipes.
        bar = tqdm(
            total=len(dataset.cases), unit="case", leave=False, disable=verbose or not sys.stderr.isatty()
        )

        def progress(index: int, total: int, outcome: CaseOutcome) -> None:
            bar.update(1)
            if verbose:
                mark = "ok " if outcome.intent_correct and outcome.action_correct else "ERR"
                self.stdout.write(
                    f"  [{index}/{total}] {mark} {outcome.case_id}: {outcome.predicted_intent} "
                    f"({outcome.latency_ms:.1f} ms)"
                )

        search_mode = options["search_mode"] or settings.KNOWLEDGE_SEARCH_MODE
        with override_settings(KNOWLEDGE_SEARCH_MODE=search_mode), turn_logs_quiet(unless=verbose), bar:
            run = run_evaluation(dataset, brain=options["brain"], progress=progress)
        report = run_report(run)
        choice = threshold_for_cases(report["per_case"])
        report["review_threshold"] = {
            **choice.as_dict(),
            "current": settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD,
            "rule": "maximise F1 of confidence < threshold against intent or action wrong",
        }
        return run, report

    def _write_report(self, report: dict[str, Any], path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.stdout.write(f"Report written to {path}")

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
        for line in format_metrics_table([(report["dataset"], report["metrics"])]):
            self.stdout.write(line)
        usage = report["usage"]
        self.stdout.write(
            f"  model usage: {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion "
            f"tokens, estimated ${usage['cost_usd']:.4f} (${usage['cost_usd_per_case']:.6f} per case); "
            f"{usage['degraded_cases']} case(s) answered by the local fallback"
        )
        self._print_breakdown(report)

    def _print_breakdown(self, report: dict[str, Any]) -> None:
        """Who answered when a model was asked: counts, each fallback reason, metrics per group."""
        breakdown = report.get("answered_by") or {}
        if not breakdown:
            return
        models = ", ".join(f"{name or '-'} {count}" for name, count in breakdown["models"].items()) or "none"
        self.stdout.write(
            f"  answered by the model: {breakdown['model_answered']}/{report['cases']} ({models}); "
            f"by the local fallback: {breakdown['fallback']}; "
            f"circuit-breaker skips: {breakdown['breaker_skips']}"
        )
        for reason, count in breakdown["fallback_reasons"].items():
            self.stdout.write(f"    fallback x{count}: {reason}")
        columns = [
            (name, metrics)
            for name, metrics in (
                ("model-answered", breakdown["metrics_model_answered"]),
                ("fallback", breakdown["metrics_fallback"]),
            )
            if metrics
        ]
        if columns:
            for line in format_metrics_table(columns):
                self.stdout.write(line)

    def _print_threshold(self, choice: dict[str, Any], *, dataset: str = "") -> None:
        current = settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
        where = f" ({dataset})" if dataset else ""
        if choice["threshold"] is None:
            self.stdout.write(
                f"Human-review threshold{where}: no wrong intent/action in this run, so none can be "
                f"chosen from it (current HUMAN_REVIEW_CONFIDENCE_THRESHOLD={current:.2f})."
            )
            return
        self.stdout.write(
            f"Suggested HUMAN_REVIEW_CONFIDENCE_THRESHOLD={choice['threshold']:.2f}{where} "
            f"(best F1 of flag vs wrong: flags {choice['flagged']}/{choice['cases']}, "
            f"catches {choice['caught']}/{choice['wrong']} wrong, precision {choice['precision']:.2f}, "
            f"F1 {choice['f1']:.2f}; current {current:.2f})."
        )

    def _print_errors(self, report: dict[str, Any]) -> None:
        self.stdout.write(f"\nMisclassified cases ({report['dataset']}):")
        for case in report["per_case"]:
            expected, predicted = case["expected"], case["predicted"]
            steps = expected.get("internal_next_steps") or [{}]
            if expected.get("intent") != predicted["intent"] or steps[0].get("action") != predicted["action"]:
                self.stdout.write(
                    f"  {case['id']}: expected {expected.get('intent')}, got {predicted['intent']} "
                    f"(confidence {predicted['confidence_score']:.2f})"
                )
