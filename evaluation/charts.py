"""Geometry of the report page's bar chart of a run's quality metrics (0-1 scale).

The page draws it as inline SVG from these numbers: no JavaScript and nothing fetched from a CDN,
so it works offline and under a strict content security policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evaluation.compare import LOWER_IS_BETTER
from evaluation.metrics import QUALITY_METRIC_NAMES

LABEL_WIDTH = 210
PLOT_WIDTH = 360
VALUE_WIDTH = 70
ROW_HEIGHT = 20
BAR_HEIGHT = 13
TOP = 18  # room for the axis labels above the first bar


@dataclass(frozen=True)
class ChartBar:
    """One metric's row: ``width`` is None when the metric has no value (nothing to measure)."""

    name: str
    value: float | None
    y: int
    width: float | None
    # Where the previous run's value falls on the same axis, when there is one.
    previous_x: float | None
    lower_is_better: bool

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 2

    @property
    def tick_x(self) -> float | None:
        """Left edge of the 2 px tick centred on the previous value."""
        return None if self.previous_x is None else round(self.previous_x - 1, 1)

    @property
    def tick_y(self) -> int:
        return self.y - 2


@dataclass(frozen=True)
class BarChart:
    bars: list[ChartBar]
    label_width: int = LABEL_WIDTH
    plot_width: int = PLOT_WIDTH
    bar_height: int = BAR_HEIGHT
    top: int = TOP

    @property
    def tick_height(self) -> int:
        return self.bar_height + 4

    @property
    def width(self) -> int:
        return self.label_width + self.plot_width + VALUE_WIDTH

    @property
    def height(self) -> int:
        return self.top + len(self.bars) * ROW_HEIGHT + 4

    @property
    def label_x(self) -> int:
        return self.label_width - 6

    @property
    def plot_end(self) -> int:
        return self.label_width + self.plot_width

    @property
    def plot_middle(self) -> float:
        return self.label_width + self.plot_width / 2

    @property
    def value_x(self) -> int:
        return self.plot_end + 6


def _scaled(value: float) -> float:
    # Rates and scores live in 0-1; clamp so one odd value cannot draw outside the plot.
    return round(min(max(value, 0.0), 1.0) * PLOT_WIDTH, 1)


def metric_bar_chart(
    metrics: Mapping[str, float | None],
    *,
    previous: Mapping[str, float | None] | None = None,
    names: Sequence[str] = QUALITY_METRIC_NAMES,
) -> BarChart:
    """A horizontal bar per quality metric, with a tick at the previous run's value if given."""
    bars = []
    for index, name in enumerate(names):
        value = metrics.get(name)
        before = (previous or {}).get(name)
        bars.append(
            ChartBar(
                name=name,
                value=value,
                y=TOP + index * ROW_HEIGHT,
                width=None if value is None else _scaled(value),
                previous_x=None if before is None else LABEL_WIDTH + _scaled(before),
                lower_is_better=name in LOWER_IS_BETTER,
            )
        )
    return BarChart(bars=bars)
