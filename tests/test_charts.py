"""physlab.charts without Streamlit: each figure carries the data a reader relies on."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from physlab import charts

RATIOS = {"tipping": 0.2, "slipping": 1.6, "crushing": 0.0, "sloshing": 0.0, "collision": 0.0, "dropping": 0.1,
          "rolling_away": 0.0}


def _hlines_at(fig: go.Figure, y: float) -> list:
    return [s for s in fig.layout.shapes if s.type == "line" and s.y0 == y and s.y1 == y]


def test_ratio_bars_mark_failures_against_the_r_equals_1_line() -> None:
    fig = charts.ratio_bars(RATIOS, label="slipping")
    bar = fig.data[0]
    assert list(bar.x) == list(RATIOS) and list(bar.y) == list(RATIOS.values())
    colours = dict(zip(bar.x, bar.marker.color, strict=False))
    assert colours["slipping"] == charts.FAIL_COLOUR and colours["tipping"] == charts.OK_COLOUR
    assert _hlines_at(fig, 1.0), "the r = 1 threshold line is missing"
    assert fig.layout.yaxis.range[1] > 1.6  # the tallest bar is not clipped


def test_setup_drawing_shows_tray_liquid_obstacle_and_slope() -> None:
    params = {"object": {"type": "bowl", "shape": "cylinder", "width_m": 0.16, "depth_m": 0.16, "height_m": 0.07,
                         "com_height_m": 0.03, "open_top": True, "fill_fraction": 0.5},
              "motion": {"action": "tray_carry", "carry": "on_tray", "transport_accel_mps2": 3.0, "clearance_m": 0.05},
              "environment": {"slope_deg": 10}}
    fig = charts.setup_drawing(params)
    fills = [s.fillcolor for s in fig.layout.shapes]
    assert "#54aeff" in fills  # liquid
    assert "#8c959f" in fills  # obstacle
    assert any("a_h = 3.00" in a.text for a in fig.layout.annotations)
    assert "slope 10°" in fig.layout.title.text
    # The y axis is locked to x so lengths are drawn to scale.
    assert fig.layout.yaxis.scaleanchor == "x"


def test_setup_drawing_of_a_grasped_sphere_has_jaws_and_a_round_body() -> None:
    params = {"object": {"type": "ball", "shape": "sphere", "width_m": 0.07, "depth_m": 0.07, "height_m": 0.07,
                         "com_height_m": 0.035},
              "motion": {"action": "pick_and_place", "lift_accel_mps2": 2.0}}
    fig = charts.setup_drawing(params)
    assert sum(s.fillcolor == "#6e7781" for s in fig.layout.shapes) == 2  # two jaws
    assert any(s.path.count("L") > 30 for s in fig.layout.shapes)  # the circle polygon


def test_accuracy_bars_use_the_interval_bounds_as_error_bars() -> None:
    fig = charts.accuracy_bars({"base": {"binary": {"value": 0.5, "lo": 0.3, "hi": 0.7}, "8-way": None},
                                "student": {"binary": {"value": 0.8, "lo": 0.6, "hi": 0.9}}})
    base, student = fig.data
    assert list(base.x) == ["binary"]  # a missing metric is left out, not drawn as 0
    assert base.error_y.array[0] == pytest.approx(0.2) and base.error_y.arrayminus[0] == pytest.approx(0.2)
    assert student.error_y.array[0] == pytest.approx(0.1) and student.error_y.arrayminus[0] == pytest.approx(0.2)


def test_accuracy_bars_without_metrics_say_so() -> None:
    fig = charts.accuracy_bars({})
    assert "No metrics" in fig.layout.annotations[0].text


def test_confusion_heatmap_rows_are_truth() -> None:
    fig = charts.confusion_heatmap([[3, 1], [0, 2]], ["success", "tipping"], ["success", "tipping"], title="m")
    heat = fig.data[0]
    assert list(heat.y) == ["success", "tipping"] and heat.z[0][1] == 1
    assert fig.layout.yaxis.autorange == "reversed"  # first truth row at the top, like a table


def test_loss_curves_skip_rows_without_loss_and_explain_empty() -> None:
    rows = [{"step": 1, "loss": 2.0}, {"step": 2, "eval": 1}, {"step": 3, "loss": 1.0}]
    fig = charts.loss_curves({"run": rows})
    assert list(fig.data[0].x) == [1, 3] and list(fig.data[0].y) == [2.0, 1.0]
    assert "No loss" in charts.loss_curves({"run": []}).layout.annotations[0].text


def test_calibration_curve_keeps_the_diagonal_and_drops_empty_bins() -> None:
    bins = [{"mean_p": 0.1, "frac_fail": 0.2, "n": 5}, {"mean_p": None, "frac_fail": None, "n": 0},
            {"mean_p": 0.9, "frac_fail": 0.7, "n": 4}]
    fig = charts.calibration_curve({"m": bins})
    diagonal, model = fig.data
    assert list(diagonal.x) == [0, 1]
    assert list(model.x) == [0.1, 0.9] and list(model.y) == [0.2, 0.7]
    assert "score mode" in charts.calibration_curve({"m": []}).layout.annotations[0].text


def test_accuracy_vs_margin_uses_bucket_names() -> None:
    fig = charts.accuracy_vs_margin({"m": [{"name": "< 0.8", "value": 0.9, "n": 10}, {"name": ">= 1.25", "value": 0.6, "n": 5}]})
    assert list(fig.data[0].x) == ["< 0.8", ">= 1.25"]


def test_what_if_sweep_puts_probabilities_on_a_second_axis() -> None:
    fig = charts.what_if_sweep("grip force (N)", [1, 2, 3], [2.0, 1.0, 0.5], {"base": [0.9, 0.8, None]})
    physics, model = fig.data
    assert list(physics.y) == [2.0, 1.0, 0.5] and physics.yaxis in (None, "y")
    assert model.yaxis == "y2" and fig.layout.yaxis2.range[1] == pytest.approx(1.02)
    assert _hlines_at(fig, 1.0)
    assert fig.layout.xaxis.title.text == "grip force (N)"


def test_label_counts_and_margin_histogram() -> None:
    rows = [{"split": "train", "label": "success", "margin": 0.5}, {"split": "train", "label": "tipping", "margin": 1.5},
            {"split": "test", "label": "tipping", "margin": 2.0}]
    counts = charts.label_counts(rows)
    by_split = {t.name: dict(zip(t.x, t.y, strict=False)) for t in counts.data}
    assert by_split == {"train": {"success": 1, "tipping": 1}, "test": {"success": 0, "tipping": 1}}
    hist = charts.margin_histogram(rows)
    assert sorted(hist.data[1].x) == [1.5, 2.0] and list(hist.data[0].x) == [0.5]


def test_figures_serialize_to_json() -> None:
    # Streamlit sends figures as JSON: NaN-free, serializable output for every chart.
    figs = [charts.ratio_bars(RATIOS), charts.empty_figure("x"), charts.label_probabilities({"success": 0.4, "tipping": 0.6})]
    for fig in figs:
        text = fig.to_json()
        assert "NaN" not in text
