from itertools import pairwise

from knowledge.chunking import chunk_markdown, estimate_tokens

DOC = """# Plans and pricing

Intro paragraph about plans.

## Basic plan
Basic costs $19 per seat per month.

## Premium plan
Premium costs $99 per seat per month.

### Support
- 24/7 support
- Dedicated success manager
"""


def test_chunks_keep_their_heading_path():
    chunks = chunk_markdown(DOC, title="Plans and pricing")

    assert [c.heading_path for c in chunks] == [
        "Plans and pricing",
        "Plans and pricing > Basic plan",
        "Plans and pricing > Premium plan",
        "Plans and pricing > Premium plan > Support",
    ]
    assert chunks[1].text == "Basic costs $19 per seat per month."
    assert [c.ordinal for c in chunks] == [0, 1, 2, 3]


def test_title_is_prepended_when_the_body_has_no_h1():
    chunks = chunk_markdown("## Refunds\nMoney back within 30 days.", title="Refunds and cancellation")

    assert chunks[0].heading_path == "Refunds and cancellation > Refunds"
    assert chunks[0].embedding_text.startswith("Refunds and cancellation > Refunds\n")


def test_list_items_stay_whole_and_headings_inside_code_are_ignored():
    chunks = chunk_markdown("## A\n```\n# not a heading\n```\n- one item here\n- two item here", title="T")

    assert len(chunks) == 1
    assert "# not a heading" in chunks[0].text
    assert "- two item here" in chunks[0].text


def test_long_sections_split_within_budget_with_overlap():
    sentences = [f"Sentence number {i} talks about feature {i} in detail." for i in range(60)]
    chunks = chunk_markdown("## Long\n" + " ".join(sentences), title="T", max_tokens=60, overlap_tokens=15)

    assert len(chunks) > 3
    assert all(estimate_tokens(c.text) <= 60 for c in chunks)
    # consecutive chunks share their boundary sentence
    for previous, following in pairwise(chunks):
        assert previous.text.splitlines()[-1] == following.text.splitlines()[0]
    # nothing is lost
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_empty_sections_produce_no_chunks():
    assert chunk_markdown("# Title\n\n## Empty\n\n## Also empty\n", title="Title") == []
