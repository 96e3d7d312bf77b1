"""The OpenAPI document's rules match what the API does."""

from __future__ import annotations

import re
import sys

from salesagent.schema import VISIBLE_TEXT


def test_the_visible_text_pattern_agrees_with_the_trimming_of_text_fields_for_every_character():
    # Given the schema's "not only whitespace" pattern, and DRF trimming text with str.strip()
    visible = re.compile(VISIBLE_TEXT)

    # When every Unicode character is checked on its own
    disagreements = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if (visible.search(chr(code)) is not None) != bool(chr(code).strip())
    ]

    # Then the schema calls visible exactly what trimming keeps (a client validating with the schema
    # never sends text the API rejects as blank)
    assert disagreements == []
