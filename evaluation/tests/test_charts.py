"""The report chart's geometry (no database)."""

from __future__ import annotations

import pytest

from evaluation.charts import LABEL_WIDTH, PLOT_WIDTH, ROW_HEIGHT, metric_bar_chart


def test_bars_scale_to_the_plot_clamp_and_skip_missing_values():
    chart = metric_bar_chart(
        {
            "intent_accuracy": 0.5,
            "entity_f1": 1.7,
            "review_flag_precision": None,
            "forbidden_content_rate": 0.1,
        },
        previous={"intent_accuracy": 0.25},
        names=("intent_accuracy", "entity_f1", "review_flag_precision", "forbidden_content_rate"),
    )

    intent, entity, precision, forbidden = chart.bars
    assert intent.width == pytest.approx(PLOT_WIDTH / 2)
    assert entity.width == PLOT_WIDTH  # an out-of-scale value cannot draw outside the plot
    assert precision.width is None
    assert intent.previous_x == pytest.approx(LABEL_WIDTH + PLOT_WIDTH / 4)
    assert entity.previous_x is None
    assert (intent.lower_is_better, forbidden.lower_is_better) == (False, True)
    assert entity.y - intent.y == ROW_HEIGHT
    assert chart.height > forbidden.y + chart.bar_height
