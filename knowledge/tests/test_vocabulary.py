"""The knowledge base's vocabulary: the words it uses and what its prices are per."""

from __future__ import annotations

import pytest

from knowledge.vocabulary import priced_unit_in


def test_the_unit_is_what_prices_are_per_and_its_plural_as_written_after_a_number():
    texts = [
        "Growth is $39 per agent per month, billed annually.",
        "Scale costs $79 per agent per month. Teams of up to 200 agents.",
        "Monthly billing costs 15% more.",
    ]

    assert priced_unit_in(texts) == ("agent", "agents")


@pytest.mark.parametrize(
    ("texts", "unit"),
    [
        # A price per period says nothing about the unit.
        (["Support costs $5 per month.", "Storage is $2 per month."], None),
        # One price is not enough to tell.
        (["The add-on is $10 per mailbox per month."], None),
        # No number before the plural: the singular with an s.
        (["Pro is $12 a user each month.", "Team is $20 per user per month."], ("user", "users")),
        (["Licences cost €15 per licence.", "Enterprise is €40 per licence."], ("licence", "licences")),
    ],
)
def test_the_unit_needs_two_prices_per_the_same_thing(texts, unit):
    assert priced_unit_in(texts) == unit
