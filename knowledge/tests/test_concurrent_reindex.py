"""Concurrent edits of one document: the newest content wins, with no duplicated or orphaned chunks."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from knowledge.indexing import document_content_hash
from knowledge.models import Chunk, Document
from knowledge.services import document_upsert

# Each thread has its own connection and really commits, as web processes and workers do.
pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
EDITS_PER_WRITER = 3


def _body(writer: int, edit: int) -> str:
    sections = "\n\n".join(
        f"## Part {part}\nWriter {writer} edit {edit} says part {part} is ready."
        for part in range(writer + 2)
    )
    return f"# Gears\n\n{sections}"


def test_concurrent_edits_converge_on_the_last_committed_content():
    document_upsert(slug="gears", title="Gears", body=_body(0, 0))
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        try:
            start.wait()
            for edit in range(1, EDITS_PER_WRITER + 1):
                # Saving commits and then reindexes inline (no broker), racing the other writers.
                document_upsert(slug="gears", title="Gears", body=_body(number, edit))
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    document = Document.objects.get(slug="gears")
    assert document.index_status == Document.IndexStatus.INDEXED
    assert document.indexed_hash == document_content_hash(document)
    texts = list(document.chunks.order_by("ordinal").values_list("text", flat=True))
    expected = [section.split("\n", 1)[1].strip() for section in document.body.split("## ")[1:]]
    assert texts == expected
    ordinals = list(document.chunks.values_list("ordinal", flat=True))
    assert sorted(ordinals) == list(range(len(expected)))
    assert Chunk.objects.filter(document__slug="gears").count() == len(expected)
