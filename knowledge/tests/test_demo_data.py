"""The demo knowledge base: English originals and their translations, loaded, linked and indexed."""

from __future__ import annotations

import re

import pytest

from knowledge.demo_data import DEMO_DIR, demo_document_files
from knowledge.ingestion import read_document_file
from knowledge.models import Document

TRANSLATED_LANGUAGES = ("es", "pt", "fr", "de")
# What a translation must carry over verbatim: prices, percentages, counts, times, versions, links.
FIGURE_RE = re.compile(r"\$?\d+(?:[.,:/]\d+)*%?|\b[\w.]+\.com(?:/\w+)?")
HEADING_RE = re.compile(r"^(#+) ", re.MULTILINE)

ORIGINALS = sorted(DEMO_DIR.glob("*.md"))


@pytest.mark.django_db
def test_the_demo_loads_every_original_and_translation_all_indexed():
    # Given the demo loaded by the session fixture
    documents = Document.objects.filter(source__startswith="demo/")

    # Then 12 originals and 4 translations of each are stored and indexed
    assert documents.count() == len(demo_document_files()) == 60
    assert not documents.exclude(index_status=Document.IndexStatus.INDEXED).exists()
    assert all(document.chunks.exists() for document in documents)
    originals = documents.filter(translation_of=None)
    assert set(originals.values_list("language", flat=True)) == {"en"}
    assert originals.count() == 12


@pytest.mark.django_db
def test_each_translation_is_linked_to_its_original():
    for original in Document.objects.filter(source__startswith="demo/", translation_of=None):
        translations = {document.language: document for document in original.translations.all()}
        assert sorted(translations) == sorted(TRANSLATED_LANGUAGES), original.slug
        for language, translation in translations.items():
            assert translation.slug == f"{original.slug}-{language}"
            assert translation.category == original.category
            assert translation.source == f"demo/{language}/{translation.slug}.md"


@pytest.mark.parametrize("path", ORIGINALS, ids=[path.stem for path in ORIGINALS])
def test_translations_keep_the_originals_structure_and_figures(path):
    original = read_document_file(path)
    for language in TRANSLATED_LANGUAGES:
        translation = read_document_file(DEMO_DIR / language / f"{original.slug}-{language}.md")
        assert (translation.language, translation.translation_of) == (language, original.slug)
        assert translation.category == original.category
        assert HEADING_RE.findall(translation.body) == HEADING_RE.findall(original.body), language
        missing = set(FIGURE_RE.findall(original.body)) - set(FIGURE_RE.findall(translation.body))
        assert not missing, (language, missing)
