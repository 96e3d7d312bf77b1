"""Train the message reader on the current intents' examples, training examples and knowledge base."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from conversations.reader.services import reader_train


class Command(BaseCommand):
    help = (
        "Train the message reader (intent, scope and risk heads) from the intents' examples, the accepted "
        "training examples and the knowledge base, store it as the next version and make it active. "
        "Does nothing when the training data has not changed since the active version, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Train even if nothing changed.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the cross-validation folds.")

    def handle(self, *args: object, force: bool = False, seed: int = 0, **options: object) -> None:
        outcome = reader_train(force=force, seed=seed)
        if outcome is None:
            self.stdout.write("Not trained: fewer than two active intents have examples.")
            return
        reader = outcome.reader
        if not outcome.trained:
            self.stdout.write(f"Reader v{reader.version} is current (its training data has not changed).")
            return
        intent = reader.metrics.get("intent", {})
        scope = reader.metrics.get("scope", {})
        self.stdout.write(
            f"Trained reader v{reader.version} in {reader.training_seconds:.1f} s on "
            f"{reader.example_counts.get('in_scope', 0)} in-scope and "
            f"{reader.example_counts.get('out_of_scope', 0)} out-of-scope examples."
        )
        if intent:
            self.stdout.write(
                f"  intent ({reader.metrics['folds']}-fold cross-validation): "
                f"accuracy {intent['accuracy']:.3f}, macro F1 {intent['macro_f1']:.3f}, "
                f"ECE {intent['ece_uncalibrated']:.3f} -> {intent['ece']:.3f} "
                f"(temperature {intent['temperature']:.2f})"
            )
        if scope:
            self.stdout.write(
                f"  scope: flags {scope['in_scope_flagged']:.1%} of in-scope examples, catches "
                f"{scope['out_of_scope_caught']:.1%} of out-of-scope ones, ECE {scope['ece']:.3f}"
            )
        risk = reader.metrics.get("risk", {})
        if risk.get("per_kind"):
            recalls = ", ".join(
                f"{kind} {figures['recall']:.2f}/{figures['precision']:.2f}"
                for kind, figures in risk["per_kind"].items()
            )
            self.stdout.write(
                f"  risk (recall/precision at the learned thresholds): {recalls}; "
                f"reads {risk['ordinary_flagged']:.1%} of ordinary examples as a risk, ECE {risk['ece']:.3f}"
            )
