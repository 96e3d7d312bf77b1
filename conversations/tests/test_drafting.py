"""Knowledge-base text as draft sentences: split, and read as plain text."""

from __future__ import annotations

from conversations.agent.drafting import plain_text, split_sentences


def test_markdown_in_a_chunk_becomes_plain_sentences():
    chunk = (
        "**Growth** includes `SSO` and __audit logs__; see [the docs](https://x.example/docs).\n"
        "- *Scale* adds 24/7 support\n"
        "A sentence without markup, left as it is."
    )

    assert split_sentences(chunk) == [
        "Growth includes SSO and audit logs; see the docs (https://x.example/docs).",
        "Scale adds 24/7 support.",
        "A sentence without markup, left as it is.",
    ]


def test_a_link_whose_text_is_its_address_is_written_once():
    assert plain_text("Sign up at [example.com/signup](https://example.com/signup).") == (
        "Sign up at example.com/signup (https://example.com/signup)."
    )
    assert plain_text("Go to [https://a.example](https://a.example).") == "Go to https://a.example."
