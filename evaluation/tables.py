"""Plain-text tables of evaluation metrics for the command line: one column per run or dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evaluation.metrics import METRIC_NAMES

NOT_MEASURED = "n/a"


def format_value(name: str, value: float | int | str | None) -> str:
    """A metric as printed: ``n/a`` when there was nothing to measure, milliseconds to 0.1."""
    if value is None:
        return NOT_MEASURED
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.1f}" if name.endswith("_ms") else f"{value:.4f}"


def format_metrics_table(
    columns: Sequence[tuple[str, Mapping[str, float | int | str | None]]],
    *,
    names: Sequence[str] = METRIC_NAMES,
    extra_rows: Sequence[str] = (),
) -> list[str]:
    """Rows are ``extra_rows`` (e.g. ``cases``) then the metrics, columns are the given
    (heading, values) pairs; a value missing from a column shows as ``n/a``."""
    rows = [*extra_rows, *names]
    label_width = max(len("metric"), *(len(name) for name in rows))
    widths = [
        max(10, len(heading), *(len(format_value(name, values.get(name))) for name in rows))
        for heading, values in columns
    ]
    header = "  ".join(f"{heading:>{width}}" for (heading, _), width in zip(columns, widths, strict=True))
    lines = [f"  {'metric':<{label_width}}  {header}"]
    for name in rows:
        cells = "  ".join(
            f"{format_value(name, values.get(name)):>{width}}"
            for (_, values), width in zip(columns, widths, strict=True)
        )
        lines.append(f"  {name:<{label_width}}  {cells}")
    return lines
