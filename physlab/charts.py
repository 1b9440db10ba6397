"""Plotly figures for the dashboard and notebooks: plain data in, a figure out, no Streamlit calls.

Every function takes simple Python data (dicts and lists, the shapes physlab writes to disk)
so it can be tested without a browser and reused from a notebook. Ratios are the physics
demand / capacity ratios r: a mode fails when r > 1, so every ratio chart draws the r = 1 line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

FAIL_COLOUR = "#d73a49"
OK_COLOUR = "#2da44e"
THRESHOLD_COLOUR = "#57606a"
# One colour per model, stable across charts so "student" is the same colour everywhere.
MODEL_COLOURS = ("#1f6feb", "#f0883e", "#8250df", "#2da44e", "#d73a49", "#6e7781", "#bf8700")


def model_colour(index: int) -> str:
    return MODEL_COLOURS[index % len(MODEL_COLOURS)]


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", margin=dict(l=40, r=20, t=50, b=40), **kwargs)
    return fig


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why it is blank (no data yet, metric missing ...)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, "")


# --------------------------------------------------------------------------- scenarios


def ratio_bars(ratios: Mapping[str, float], label: str | None = None, title: str = "Demand / capacity per mode") -> go.Figure:
    """One bar per failure mode, red above r = 1; the true label's bar is outlined."""
    modes = list(ratios)
    values = [float(ratios[m]) for m in modes]
    colours = [FAIL_COLOUR if v > 1.0 else OK_COLOUR for v in values]
    outline = [3 if m == label else 0 for m in modes]
    fig = go.Figure(go.Bar(x=modes, y=values, marker=dict(color=colours, line=dict(width=outline, color="#24292f")),
                           text=[f"{v:.2f}" for v in values], textposition="outside",
                           hovertemplate="%{x}: r = %{y:.3f}<extra></extra>"))
    fig.add_hline(y=1.0, line_dash="dash", line_color=THRESHOLD_COLOUR, annotation_text="r = 1 (fails above)")
    top = max([1.2, *values]) * 1.15
    fig.update_yaxes(title="ratio r", range=[0, top])
    return _layout(fig, title, showlegend=False)


def label_counts(rows: Sequence[Mapping[str, Any]], title: str = "Scenarios per label") -> go.Figure:
    """Stacked bars: labels on x, one colour per split."""
    counts: dict[str, dict[str, int]] = {}
    labels: list[str] = []
    for r in rows:
        split, label = str(r.get("split") or "-"), str(r.get("label"))
        counts.setdefault(split, {}).setdefault(label, 0)
        counts[split][label] += 1
        if label not in labels:
            labels.append(label)
    labels.sort(key=lambda x: (x != "success", x))
    fig = go.Figure([go.Bar(name=split, x=labels, y=[c.get(label, 0) for label in labels]) for split, c in counts.items()])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="scenarios")
    return _layout(fig, title)


def margin_histogram(rows: Sequence[Mapping[str, Any]], title: str = "Margin (deciding or largest r)") -> go.Figure:
    fails = [float(r["margin"]) for r in rows if r.get("label") != "success"]
    oks = [float(r["margin"]) for r in rows if r.get("label") == "success"]
    fig = go.Figure([go.Histogram(x=oks, name="success", marker_color=OK_COLOUR, opacity=0.7),
                     go.Histogram(x=fails, name="failure", marker_color=FAIL_COLOUR, opacity=0.7)])
    fig.add_vline(x=1.0, line_dash="dash", line_color=THRESHOLD_COLOUR)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="r")
    return _layout(fig, title)


def _rotate(points: Sequence[tuple[float, float]], angle_rad: float) -> list[tuple[float, float]]:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return [(x * c - y * s, x * s + y * c) for x, y in points]


def _path(points: Sequence[tuple[float, float]]) -> str:
    return "M " + " L ".join(f"{x:.5f},{y:.5f}" for x, y in points) + " Z"


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def setup_drawing(params: Mapping[str, Any], title: str = "Set-up (side view, to scale)") -> go.Figure:
    """A side view of the scenario: support (tilted by the slope), tray, object, liquid, centre of
    mass, gripper jaws, the obstacle at its clearance, and arrows for the accelerations.

    `params` is a scenario dict (object, gripper, motion, environment). Lengths in metres.
    """
    obj = params.get("object", {}) or {}
    motion = params.get("motion", {}) or {}
    env = params.get("environment", {}) or {}
    shape = obj.get("shape", "box")
    on_side = obj.get("orientation") == "on_side"
    w = float(obj.get("width_m", 0.08))
    h = float(obj.get("height_m", 0.1))
    if shape == "sphere" or on_side:
        h = w if shape == "sphere" else float(obj.get("width_m", 0.08))
    com = float(obj.get("com_height_m", h / 2)) if not (shape == "sphere" or on_side) else h / 2
    slope = math.radians(float(env.get("slope_deg", 0.0) or 0.0))
    carry = motion.get("carry", "grasped")
    release = float(motion.get("release_height_m", 0.0) or 0.0)
    scale = max(w, h, 0.05)
    fig = go.Figure()
    shapes: list[dict[str, Any]] = []

    def add(points: list[tuple[float, float]], fill: str, line: str = "#24292f", opacity: float = 1.0) -> None:
        shapes.append(dict(type="path", path=_path(_rotate(points, slope)), fillcolor=fill,
                           line=dict(color=line, width=1), opacity=opacity))

    # Support surface (rotated with the slope so the object sits on it).
    span = 3 * scale
    add(_rect(-span, -0.06 * scale, span, 0.0), "#d0d7de")
    base = release
    if carry == "on_tray":
        add(_rect(-1.2 * w, base, 1.2 * w, base + 0.04 * scale), "#afb8c1")
        base += 0.04 * scale
    if shape == "sphere" or on_side:
        r = h / 2
        circle = [(r * math.cos(t), base + r + r * math.sin(t)) for t in (i * math.pi / 18 for i in range(36))]
        add(circle, "#ffd8b5")
    else:
        add(_rect(-w / 2, base, w / 2, base + h), "#ffd8b5")
        fill = obj.get("fill_fraction")
        if obj.get("open_top") and fill:
            add(_rect(-w / 2 * 0.92, base, w / 2 * 0.92, base + float(fill) * h), "#54aeff", opacity=0.7)
    # Centre of mass: a small cross-hair circle.
    cx, cy = _rotate([(0.0, base + com)], slope)[0]
    fig.add_trace(go.Scatter(x=[cx], y=[cy], mode="markers+text", marker=dict(size=10, color="#24292f", symbol="circle-x"),
                             text=["CoM"], textposition="middle right", hoverinfo="skip", showlegend=False))
    if carry == "grasped":
        jaw_w, jaw_h = 0.12 * scale, 0.35 * h
        y_mid = base + h / 2
        offset = float(params.get("gripper", {}).get("grasp_offset_m", 0.0) or 0.0)
        for side in (-1, 1):
            x_in = side * (w / 2)
            add(_rect(min(x_in, x_in + side * jaw_w) + offset, y_mid - jaw_h / 2,
                      max(x_in, x_in + side * jaw_w) + offset, y_mid + jaw_h / 2), "#6e7781")
    clearance = motion.get("clearance_m")
    if clearance:
        x0 = w / 2 + float(clearance)
        add(_rect(x0, 0.0, x0 + 0.2 * scale, base + 1.4 * h), "#8c959f")
        shapes[-1]["line"] = dict(color=FAIL_COLOUR, width=1, dash="dot")
    # Acceleration arrows (length ~ magnitude, capped so the drawing stays readable).
    arrows = []
    a_h = float(motion.get("transport_accel_mps2", 0.0) or 0.0)
    a_z = float(motion.get("lift_accel_mps2", 0.0) or 0.0)
    if a_h > 0:
        arrows.append(((0.0, base + h * 1.25), (min(a_h, 10) / 10 * 1.5 * scale + 0.2 * scale, 0.0), f"a_h = {a_h:.2f} m/s²"))
    if a_z > 0:
        arrows.append(((-w / 2 - 0.5 * scale, base + h / 2), (0.0, min(a_z, 10) / 10 * 1.2 * scale + 0.2 * scale),
                       f"a_z = {a_z:.2f} m/s²"))
    for (x, y), (dx, dy), text in arrows:
        (x0, y0), (x1, y1) = _rotate([(x, y), (x + dx, y + dy)], slope)
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text=text,
                           showarrow=True, arrowhead=2, arrowwidth=2, arrowcolor=FAIL_COLOUR)
    if release > 0:
        fig.add_annotation(x=-w, y=release / 2, text=f"released {release * 100:.1f} cm up", showarrow=False)
    fig.update_layout(shapes=shapes)
    extent = span * 0.8
    fig.update_xaxes(range=[-extent, extent], title="m", zeroline=False)
    fig.update_yaxes(range=[-0.3 * scale, 2.6 * scale], scaleanchor="x", scaleratio=1, zeroline=False)
    subtitle = f"{obj.get('type', '?')} · {motion.get('action', '?')} · {carry}"
    if slope:
        subtitle += f" · slope {math.degrees(slope):.0f}°"
    return _layout(fig, f"{title}<br><sup>{subtitle}</sup>", height=360)


# --------------------------------------------------------------------------- training


def loss_curves(runs: Mapping[str, Sequence[Mapping[str, Any]]], title: str = "Training loss") -> go.Figure:
    """One line per run: loss against optimizer step (metrics.jsonl rows without a loss are skipped)."""
    fig = go.Figure()
    for i, (name, rows) in enumerate(runs.items()):
        points = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None and r.get("step") is not None]
        if points:
            xs, ys = zip(*points, strict=False)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, line=dict(color=model_colour(i))))
    if not fig.data:
        return empty_figure("No loss logged yet: it appears after the first optimizer steps.")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="loss")
    return _layout(fig, title)


# --------------------------------------------------------------------------- evaluation results


def accuracy_bars(models: Mapping[str, Mapping[str, Mapping[str, float] | None]],
                  title: str = "Accuracy with 95% Wilson intervals") -> go.Figure:
    """Grouped bars: metric on x, one bar per model, error bars from each interval's lo/hi.

    `models` maps model -> metric name -> {"value","lo","hi"} (None when the metric is missing).
    """
    fig = go.Figure()
    for i, (model, metrics) in enumerate(models.items()):
        names = [m for m, iv in metrics.items() if iv]
        values = [float(metrics[m]["value"]) for m in names]  # type: ignore[index]
        hi = [float(metrics[m].get("hi", metrics[m]["value"])) - v for m, v in zip(names, values, strict=False)]  # type: ignore[union-attr,index]
        lo = [v - float(metrics[m].get("lo", metrics[m]["value"])) for m, v in zip(names, values, strict=False)]  # type: ignore[union-attr,index]
        fig.add_trace(go.Bar(name=model, x=names, y=values, marker_color=model_colour(i),
                             error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                             text=[f"{v:.0%}" for v in values], textposition="inside",
                             hovertemplate="%{x}: %{y:.1%}<extra>" + model + "</extra>"))
    if not fig.data:
        return empty_figure("No metrics in this evaluation.")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="accuracy", range=[0, 1.05], tickformat=".0%")
    return _layout(fig, title)


def confusion_heatmap(matrix: Sequence[Sequence[int]], true_labels: Sequence[str], predicted_labels: Sequence[str],
                      title: str = "Confusion") -> go.Figure:
    """Rows are the truth, columns the model's answer (an `unparsed` column when present)."""
    z = [[int(v) for v in row] for row in matrix]
    fig = go.Figure(go.Heatmap(z=z, x=list(predicted_labels), y=list(true_labels), colorscale="Blues",
                               text=z, texttemplate="%{text}", showscale=False,
                               hovertemplate="truth %{y} · answer %{x}: %{z}<extra></extra>"))
    fig.update_xaxes(title="model answer", tickangle=-40)
    fig.update_yaxes(title="truth", autorange="reversed")
    return _layout(fig, title, height=420)


def per_mode_f1(models: Mapping[str, Mapping[str, float]], title: str = "F1 per label") -> go.Figure:
    """Grouped bars: label on x, one bar per model (F1 in [0, 1])."""
    fig = go.Figure()
    for i, (model, f1) in enumerate(models.items()):
        fig.add_trace(go.Bar(name=model, x=list(f1), y=[float(v) for v in f1.values()], marker_color=model_colour(i)))
    if not fig.data:
        return empty_figure("No per-label F1 in this evaluation.")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="F1", range=[0, 1.05])
    return _layout(fig, title)


def accuracy_vs_margin(models: Mapping[str, Sequence[Mapping[str, Any]]],
                       title: str = "Binary accuracy against margin") -> go.Figure:
    """One line per model over margin buckets; each bucket row has a label or lo/hi, value and n."""
    fig = go.Figure()
    for i, (model, buckets) in enumerate(models.items()):
        xs = [str(b.get("bucket") or b.get("name") or b.get("label") or f"{b.get('lo', '?')}–{b.get('hi', '?')}") for b in buckets]
        ys = [b.get("value", b.get("accuracy")) for b in buckets]
        ns = [b.get("n", "") for b in buckets]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=model, line=dict(color=model_colour(i)),
                                 customdata=ns, hovertemplate="margin %{x}: %{y:.1%} (n = %{customdata})<extra></extra>"))
    if not fig.data:
        return empty_figure("No margin buckets in this evaluation.")
    fig.update_xaxes(title="margin bucket (r)", type="category")
    fig.update_yaxes(title="binary accuracy", range=[0, 1.05], tickformat=".0%")
    return _layout(fig, title)


def calibration_curve(models: Mapping[str, Sequence[Mapping[str, Any]]],
                      title: str = "Calibration: predicted P(fail) against observed failure rate") -> go.Figure:
    """Reliability diagram: each bin's mean predicted P(fail) against the observed failure rate;
    the diagonal is perfect calibration. Bin rows: {"mean_p", "frac_fail", "n"} (metrics.calibration_curve)."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line=dict(dash="dash", color=THRESHOLD_COLOUR)))
    for i, (model, bins) in enumerate(models.items()):
        pts = [(b.get("confidence", b.get("mean_p", b.get("mean_predicted"))), b.get("frac_fail", b.get("accuracy", b.get("observed"))),
                b.get("n", b.get("count", 0))) for b in bins]
        pts = [p for p in pts if p[0] is not None and p[1] is not None and (p[2] or 0) > 0]
        if pts:
            xs, ys, ns = zip(*pts, strict=False)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=model, line=dict(color=model_colour(i)),
                                     marker=dict(size=[6 + 2 * math.sqrt(n) for n in ns]), customdata=ns,
                                     hovertemplate="predicted %{x:.2f} → observed %{y:.2f} (n = %{customdata})<extra></extra>"))
    if len(fig.data) == 1:
        return empty_figure("No probabilities in this evaluation: run it in score mode for a calibration curve.")
    fig.update_xaxes(title="predicted", range=[0, 1])
    fig.update_yaxes(title="observed", range=[0, 1])
    return _layout(fig, title)


# --------------------------------------------------------------------------- predict


def what_if_sweep(parameter: str, values: Sequence[float], physics_ratio: Sequence[float],
                  p_fail: Mapping[str, Sequence[float | None]], ratio_name: str = "physics r") -> go.Figure:
    """The physics ratio (left axis, fails above r = 1) and each model's P(fail) (right axis,
    says "fails" above 0.5) against one swept parameter: the model's decision boundary against
    the physics threshold."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(values), y=list(physics_ratio), mode="lines+markers", name=ratio_name,
                             line=dict(color="#24292f", width=3)))
    fig.add_hline(y=1.0, line_dash="dash", line_color=FAIL_COLOUR, annotation_text="r = 1")
    for i, (model, ps) in enumerate(p_fail.items()):
        fig.add_trace(go.Scatter(x=list(values), y=list(ps), mode="lines+markers", name=f"P(fail) · {model}",
                                 yaxis="y2", line=dict(color=model_colour(i), dash="dot")))
    fig.update_layout(yaxis=dict(title="physics ratio r"),
                      yaxis2=dict(title="model P(fail)", overlaying="y", side="right", range=[0, 1.02]),
                      legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(title=parameter)
    return _layout(fig, f"What if {parameter} changes?")


def label_probabilities(probabilities: Mapping[str, float], truth: str | None = None,
                        title: str = "Probability per answer") -> go.Figure:
    labels = list(probabilities)
    colours = [OK_COLOUR if lab == truth else "#8c959f" for lab in labels]
    fig = go.Figure(go.Bar(x=labels, y=[float(probabilities[lab]) for lab in labels], marker_color=colours))
    fig.update_yaxes(range=[0, 1], title="probability")
    return _layout(fig, title, height=300)


# --------------------------------------------------------------------------- simulation


def sim_trajectory(result: Any) -> go.Figure:
    """A physlab.sim.SimResult (or a dict with trajectory, outcome, scene, reason) over time:
    horizontal and vertical position (cm) and tilt or rotation (deg, right axis)."""
    get = result.get if isinstance(result, Mapping) else lambda key, default=None: getattr(result, key, default)
    samples = list(get("trajectory", []) or [])
    if not samples:
        return empty_figure(get("reason", "") or "no trajectory: nothing of this scenario was simulated")
    t = [s[0] for s in samples]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=[s[1] * 100 for s in samples], name="x (cm)", line=dict(color=MODEL_COLOURS[0])))
    fig.add_trace(go.Scatter(x=t, y=[s[2] * 100 for s in samples], name="z (cm)", line=dict(color=MODEL_COLOURS[1])))
    fig.add_trace(go.Scatter(x=t, y=[s[3] for s in samples], name="tilt / rotation (deg)", yaxis="y2",
                             line=dict(color=FAIL_COLOUR, dash="dot")))
    outcome = get("outcome") or "undecided"
    scene = get("scene") or ""
    return _layout(fig, f"Simulated: {outcome}" + (f" ({scene} scene)" if scene else ""),
                   xaxis=dict(title="time (s)"), yaxis=dict(title="position (cm)"),
                   yaxis2=dict(title="deg", overlaying="y", side="right", showgrid=False),
                   legend=dict(orientation="h", y=-0.2))
