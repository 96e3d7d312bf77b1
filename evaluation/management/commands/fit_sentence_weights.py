"""``manage.py fit_sentence_weights``: fit the draft's sentence scorer on labelled datasets (see
``evaluation/sentence_fitting.py``), print its cross-validated figures beside the scorer in use, and with
``--write`` store it in ``conversations/agent/sentence_weights.json``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.agent.sentence_scoring import WEIGHTS_FILE, sentence_scorer
from evaluation.datasets import DatasetError, load_dataset, resolve_dataset_path
from evaluation.runner import turn_logs_quiet
from evaluation.sentence_fitting import (
    RECALL_WEIGHT,
    NothingToFit,
    SelectionScore,
    collect_labelled_selections,
    fit_sentence_scorer,
)

# The public datasets of the demo company: the held-out ones (heldout_realistic, the other companies')
# stay out, so the figures measured on them say how the fitted scorer does on messages it never saw.
DEFAULT_DATASETS = ("dev_dataset", "realistic_dev", "challenge_dataset", "seed_golden_dataset")


class Command(BaseCommand):
    help = "Fit the weights of the sentences a draft is made of, on the key facts of labelled datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            action="append",
            dest="datasets",
            help=f"A dataset to learn from (repeatable; default: {', '.join(DEFAULT_DATASETS)}).",
        )
        parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds (by case).")
        parser.add_argument(
            "--write", action="store_true", help=f"Store the fitted scorer in {WEIGHTS_FILE.name}."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["datasets"] or list(DEFAULT_DATASETS)
        try:
            datasets = [load_dataset(resolve_dataset_path(name)) for name in names]
        except DatasetError as error:
            raise CommandError(str(error)) from error
        cases = [case for dataset in datasets for case in dataset.cases]
        self.stdout.write(f"Running {len(cases)} cases of {', '.join(d.name for d in datasets)} ...")
        with turn_logs_quiet(unless=options["verbosity"] >= 2):
            labelled = collect_labelled_selections(cases)
        current = sentence_scorer()
        try:
            report = fit_sentence_scorer(
                labelled, current, folds=options["folds"], fitted_on=" + ".join(d.name for d in datasets)
            )
        except NothingToFit as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{report.selections} selections, {report.answers} candidate sentences holding a key fact."
        )
        self.stdout.write(
            f"  {'scorer':<34} {'precision':>9} {'recall':>7} {'F1':>6} {'F2':>6} {'picked':>7}"
        )
        self._row(f"in use ({current.fitted_on or 'unnamed'})", report.current)
        self._row(f"fitted, cross-validated ({options['folds']} folds)", report.cross_validated)
        fitted = json.dumps(report.scorer.to_json(), indent=2)
        self.stdout.write(fitted)
        if options["write"]:
            WEIGHTS_FILE.write_text(fitted + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote {WEIGHTS_FILE}")

    def _row(self, name: str, score: SelectionScore) -> None:
        self.stdout.write(
            f"  {name:<34} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
            f"{score.f_beta(RECALL_WEIGHT):>6.3f} {score.picked:>7}"
        )
