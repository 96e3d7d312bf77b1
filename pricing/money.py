"""How an amount of money is written in text: one pattern, for every module that finds prices in a
draft, a document or a message ("$49", "€1,200.50", "£ 9")."""

from __future__ import annotations

import re

# A currency sign, then digits with thousands commas and an optional decimal part.
MONEY_PATTERN = r"[$€£]\s?\d[\d,]*(?:\.\d+)?"
MONEY_RE = re.compile(MONEY_PATTERN)
