"""Reading knowledge documents from Markdown, text and HTML files, and rejecting unusable ones."""

import pytest

from knowledge.ingestion import (
    UnreadableDocument,
    iter_document_files,
    parse_html_document,
    parse_markdown_document,
    read_document_file,
)


def test_front_matter_is_parsed_and_removed_from_the_body():
    parsed = parse_markdown_document(
        "---\ntitle: Free trial\ncategory: Trial\ntags: trial, Signup\n---\n# Free trial\n\nTry it.",
        slug="free-trial",
    )

    assert parsed.title == "Free trial"
    assert parsed.category == "trial"
    assert parsed.tags == ["trial", "signup"]
    assert parsed.body == "# Free trial\n\nTry it."


def test_front_matter_names_the_language_and_the_original_a_file_translates():
    parsed = parse_markdown_document(
        "---\nlanguage: ES\ntranslation_of: free-trial\n---\n# Prueba gratuita\n\nPruébelo.",
        slug="free-trial-es",
    )
    untagged = parse_markdown_document("# Free trial\n\nTry it.", slug="free-trial")

    assert (parsed.language, parsed.translation_of) == ("es", "free-trial")
    assert (untagged.language, untagged.translation_of) == ("", "")


def test_an_unknown_language_makes_the_file_unreadable():
    with pytest.raises(UnreadableDocument, match="unknown language 'klingon'"):
        parse_markdown_document("---\nlanguage: klingon\n---\nnuqneH", slug="greeting-tlh")


def test_title_falls_back_to_the_first_heading_then_the_slug():
    assert parse_markdown_document("# Billing\ntext", slug="x").title == "Billing"
    assert parse_markdown_document("just text", slug="billing-and-payments").title == "Billing and payments"


def test_html_becomes_markdown_with_headings_and_list_items():
    parsed = parse_html_document(
        "<html><head><title>Shipping &amp; returns</title><style>p {color: red}</style></head><body>"
        "<h1>Shipping</h1><p>We ship <b>fast</b>.</p><ul><li>EU: 2 days</li><li>US: 5 days</li></ul>"
        "<h2>Returns</h2><p>Within 30 days.</p><script>track()</script></body></html>",
        slug="shipping",
    )

    assert parsed.title == "Shipping & returns"
    assert parsed.body == (
        "# Shipping\n\nWe ship fast.\n\n- EU: 2 days\n- US: 5 days\n\n## Returns\n\nWithin 30 days."
    )


def test_plain_text_keeps_its_paragraphs_and_takes_the_title_from_the_slug(tmp_path):
    path = tmp_path / "office_hours.txt"
    path.write_text("We are open 9 to 5.\n\nClosed on holidays.\n")

    parsed = read_document_file(path)

    assert (parsed.slug, parsed.title) == ("office_hours", "Office hours")
    assert parsed.body == "We are open 9 to 5.\n\nClosed on holidays."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.md", b"   \n", "no text"),
        ("latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1"), "not UTF-8"),
        ("slides.pdf", b"%PDF-1.7", "unsupported file type '.pdf'"),
        ("only-front-matter.md", b"---\ntitle: Nothing\n---\n", "no text"),
    ],
)
def test_unusable_files_are_rejected_with_a_clear_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(UnreadableDocument, match=message):
        read_document_file(path)


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableDocument, match="cannot read the file"):
        read_document_file(tmp_path / "missing.md")


def test_folders_are_searched_recursively_for_supported_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/one.md", "a/b/two.html", "a/b/three.txt", "a/notes.docx"):
        (tmp_path / name).write_text("x")

    found = [path.relative_to(tmp_path).as_posix() for path in iter_document_files([tmp_path / "a"])]

    assert found == ["a/b/three.txt", "a/b/two.html", "a/one.md"]


def test_front_matter_tags_may_be_a_yaml_list():
    parsed = parse_markdown_document("---\ntags: [Trial, 'signup']\n---\nTry it.", slug="free-trial")

    assert parsed.tags == ["trial", "signup"]
    assert parsed.body == "Try it."


def test_front_matter_that_is_not_yaml_makes_the_file_unreadable():
    with pytest.raises(UnreadableDocument, match="front matter is not valid YAML"):
        parse_markdown_document("---\ntitle: Plans: an overview\n---\nBody", slug="plans")


def test_a_quoted_title_may_hold_a_colon():
    parsed = parse_markdown_document('---\ntitle: "Plans: an overview"\n---\nBody', slug="plans")

    assert parsed.title == "Plans: an overview"
