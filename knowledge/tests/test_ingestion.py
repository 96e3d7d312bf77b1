from knowledge.ingestion import parse_markdown_document


def test_front_matter_is_parsed_and_removed_from_the_body():
    parsed = parse_markdown_document(
        "---\ntitle: Free trial\ncategory: Trial\ntags: trial, Signup\n---\n# Free trial\n\nTry it.",
        slug="free-trial",
    )

    assert parsed.title == "Free trial"
    assert parsed.category == "trial"
    assert parsed.tags == ["trial", "signup"]
    assert parsed.body == "# Free trial\n\nTry it."


def test_title_falls_back_to_the_first_heading_then_the_slug():
    assert parse_markdown_document("# Billing\ntext", slug="x").title == "Billing"
    assert parse_markdown_document("just text", slug="billing-and-payments").title == "Billing and payments"
