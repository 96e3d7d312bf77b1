"""The knowledge management commands: ingest_knowledge and reindex_knowledge."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from knowledge.models import Document
from knowledge.services import document_upsert

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def import_folder(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "shipping-policy.md").write_text(
        "---\ncategory: shipping\ntags: delivery\n---\n"
        "# Shipping policy\n\n## Europe\nParcels arrive in 2 days."
    )
    (folder / "office-hours.html").write_text(
        "<html><head><title>Office hours</title></head><body><h1>Office hours</h1>"
        "<p>The office is open from 8 to 16.</p></body></html>"
    )
    (folder / "empty.txt").write_text("\n")
    (folder / "broken.md").write_bytes(b"\xff\xfe\x00bad")
    return folder


def test_ingest_imports_good_files_and_reports_bad_ones(import_folder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = _run("ingest_knowledge", str(import_folder))

    assert "empty.txt: failed (the file has no text)" in output
    assert "broken.md: failed (not UTF-8 text" in output
    assert "4 file(s): 2 created, 0 updated, 0 unchanged, 2 failed." in output
    shipping = Document.objects.get(slug="shipping-policy")
    assert (shipping.category, shipping.tags, shipping.index_status) == ("shipping", ["delivery"], "indexed")
    assert shipping.chunks.get().heading_path == "Shipping policy > Europe"
    hours = Document.objects.get(slug="office-hours")
    assert hours.title == "Office hours"
    assert hours.chunks.filter(text__contains="open from 8 to 16").exists()
    assert not Document.objects.filter(slug__in=["empty", "broken"]).exists()


def test_ingest_again_upserts_by_slug(import_folder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _run("ingest_knowledge", str(import_folder))
    (import_folder / "office-hours.html").write_text("<h1>Office hours</h1><p>Open from 9 to 17.</p>")

    with django_capture_on_commit_callbacks(execute=True):
        output = _run("ingest_knowledge", str(import_folder))

    assert "2 failed" in output
    assert "0 created, 1 updated, 1 unchanged" in output
    assert Document.objects.filter(slug="office-hours").count() == 1
    hours = Document.objects.get(slug="office-hours")
    assert [chunk.text for chunk in hours.chunks.all()] == ["Open from 9 to 17."]


def test_ingest_links_translations_to_originals_whatever_order_the_files_sort_in(
    tmp_path, django_capture_on_commit_callbacks
):
    # Given a translation whose file sorts before its original's, and one naming no existing original
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "shipping-policy-es.md").write_text(
        "---\ncategory: shipping\nlanguage: es\ntranslation_of: shipping-policy\n---\n"
        "# Política de envíos\n\n## Europa\nLos paquetes llegan en 2 días."
    )
    (tmp_path / "es" / "returns-es.md").write_text(
        "---\nlanguage: es\ntranslation_of: returns\n---\n# Devoluciones\n\nDentro de 30 días."
    )
    (tmp_path / "shipping-policy.md").write_text(
        "---\ncategory: shipping\n---\n# Shipping policy\n\n## Europe\nParcels arrive in 2 days."
    )

    # When the folder is imported
    with django_capture_on_commit_callbacks(execute=True):
        output = _run("ingest_knowledge", str(tmp_path))

    # Then the translation is stored in its language, linked to its original and indexed
    assert "3 file(s): 2 created, 0 updated, 0 unchanged, 1 failed." in output
    assert "returns-es.md: failed (translation_of 'returns': no document has that slug)" in output
    translation = Document.objects.get(slug="shipping-policy-es")
    assert translation.language == "es"
    assert translation.translation_of == Document.objects.get(slug="shipping-policy", language="en")
    assert translation.index_status == Document.IndexStatus.INDEXED
    assert translation.chunks.get().heading_path == "Política de envíos > Europa"
    assert not Document.objects.filter(slug="returns-es").exists()


def test_ingest_with_nothing_usable_fails(tmp_path):
    (tmp_path / "empty.md").write_text("")
    with pytest.raises(CommandError, match="No file could be imported"):
        _run("ingest_knowledge", str(tmp_path / "empty.md"))


def test_reindex_document_sync_rebuilds_its_chunks(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document, _ = document_upsert(slug="gizmos", title="Gizmos", body="# Gizmos\n\nGizmos hum.")
    old_ids = set(document.chunks.values_list("pk", flat=True))

    output = _run("reindex_knowledge", "--document", "gizmos", "--sync")

    assert "[1/1] gizmos: indexed, 1 chunks" in output
    assert set(document.chunks.values_list("pk", flat=True)).isdisjoint(old_ids)


def test_reindex_by_default_only_touches_stale_documents(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document_upsert(slug="gizmos", title="Gizmos", body="# Gizmos\n\nGizmos hum.")
    Document.objects.filter(slug="gizmos").update(body="# Gizmos\n\nGizmos sing.")  # edited behind our back

    output = _run("reindex_knowledge", "--sync")

    assert "[1/1] gizmos: indexed" in output
    assert Document.objects.get(slug="gizmos").chunks.get().text == "Gizmos sing."
    assert "Nothing to reindex" in _run("reindex_knowledge", "--sync")


def test_reindex_unknown_document_is_an_error():
    with pytest.raises(CommandError, match="No document with slug 'nope'"):
        _run("reindex_knowledge", "--document", "nope")
