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
# Red and green mean fails / succeeds (or wrong / right) in every chart, so models never get them.
# The references have fixed colours; every other model (students, Ollama, hub models) gets one
# from MODEL_COLOURS chosen by its name, so a model keeps its colour whichever others are shown.
REFERENCE_COLOURS = {"base": "#6e7781", "majority": "#afb8c1", "fewshot": "#bf8700"}
MODEL_COLOURS = ("#1f6feb", "#8250df", "#f0883e", "#0a7ea4", "#bc4c00", "#6639ba", "#1b7c83", "#953800")
LEGEND_NAME_CHARS = 28


def model_colour(model: str | int) -> str:
    """The colour of a model in every chart: fixed for base / majority / fewshot, else by name."""
    if isinstance(model, int):
        return MODEL_COLOURS[model % len(MODEL_COLOURS)]
    if model in REFERENCE_COLOURS:
        return REFERENCE_COLOURS[model]
    import zlib

    return MODEL_COLOURS[zlib.crc32(model.encode()) % len(MODEL_COLOURS)]


def short_name(name: str, limit: int = LEGEND_NAME_CHARS) -> str:
    """A legend entry: long run names keep their start and end (the date-time part) around an ellipsis."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return name[:head] + "…" + name[-(limit - 1 - head):]


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    kwargs.setdefault("legend", dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0))
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
                             text=["CoM"], textposition="bottom center", textfont=dict(size=10),
                             hoverinfo="skip", showlegend=False))
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
        arrows.append(((0.0, base + h * 1.25), (min(a_h, 10) / 10 * 1.5 * scale + 0.2 * scale, 0.0),
                       f"a_h = {a_h:.2f} m/s²", "right", "bottom"))
    if a_z > 0:
        # Left of the left jaw, its text further left (anchored by its right edge): never over the jaws.
        arrows.append(((-w / 2 - 0.5 * scale, base + h / 2), (0.0, min(a_z, 10) / 10 * 1.2 * scale + 0.2 * scale),
                       f"a_z = {a_z:.2f} m/s²", "right", "middle"))
    for (x, y), (dx, dy), text, xanchor, yanchor in arrows:
        (x0, y0), (x1, y1) = _rotate([(x, y), (x + dx, y + dy)], slope)
        # The arrow only; its text is a separate label at the tail, anchored away from the object.
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                           showarrow=True, arrowhead=2, arrowwidth=2, arrowcolor=FAIL_COLOUR)
        fig.add_annotation(x=x0, y=y0, xref="x", yref="y", text=text, showarrow=False, xanchor=xanchor,
                           yanchor=yanchor, xshift=-4 if xanchor == "right" else 4, font=dict(size=11, color=FAIL_COLOUR))
    if release > 0:
        fig.add_annotation(x=-w / 2 - 0.2 * scale, y=release / 2, text=f"released {release * 100:.1f} cm up",
                           showarrow=False, xanchor="right")
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
    """One line per run: loss against optimizer step (metrics.jsonl rows without a loss are skipped).
    Rows with `eval_loss` (a validation loss logged during training) add a dashed line per run."""
    fig = go.Figure()
    for name, rows in runs.items():
        colour = model_colour(name if name.startswith("run:") else f"run:{name}")
        points = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None and r.get("step") is not None]
        if points:
            xs, ys = zip(*points, strict=False)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=short_name(name), line=dict(color=colour),
                                     hovertemplate="step %{x}: loss %{y:.4f}<extra>" + name + "</extra>"))
        valid = [(r["step"], r["eval_loss"]) for r in rows if r.get("eval_loss") is not None and r.get("step") is not None]
        if valid:
            xs, ys = zip(*valid, strict=False)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=short_name(f"{name} · validation"),
                                     line=dict(color=colour, dash="dash"), marker=dict(symbol="diamond"),
                                     hovertemplate="step %{x}: validation loss %{y:.4f}<extra>" + name + "</extra>"))
    if not fig.data:
        return empty_figure("No loss logged yet: it appears after the first optimizer steps.")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="loss")
    if any("validation" in (t.name or "") for t in fig.data):
        title = "Training and validation loss" if title == "Training loss" else title
    return _layout(fig, title)


# --------------------------------------------------------------------------- evaluation results


def accuracy_bars(models: Mapping[str, Mapping[str, Mapping[str, float] | None]],
                  title: str = "Accuracy with 95% Wilson intervals") -> go.Figure:
    """Grouped bars: metric on x, one bar per model, error bars from each interval's lo/hi.

    `models` maps model -> metric name -> {"value","lo","hi"} (None when the metric is missing).
    Accuracies only: a macro-F1 passed in is left out (it is no accuracy; the tables show it).
    """
    fig = go.Figure()
    for model, metrics in models.items():
        names = [m for m, iv in metrics.items() if iv and "f1" not in m.lower()]
        values = [float(metrics[m]["value"]) for m in names]  # type: ignore[index]
        hi = [float(metrics[m].get("hi", metrics[m]["value"])) - v for m, v in zip(names, values, strict=False)]  # type: ignore[union-attr,index]
        lo = [v - float(metrics[m].get("lo", metrics[m]["value"])) for m, v in zip(names, values, strict=False)]  # type: ignore[union-attr,index]
        fig.add_trace(go.Bar(name=short_name(model), x=names, y=values, marker_color=model_colour(model),
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
    """Rows are the truth, columns the model's answer (an `unparsed` column when present).

    Every cell also carries a transparent marker (trace 1) whose customdata is [truth, answer],
    so a click on a cell is a selectable point (Streamlit's on_select) that names the cell."""
    z = [[int(v) for v in row] for row in matrix]
    fig = go.Figure(go.Heatmap(z=z, x=list(predicted_labels), y=list(true_labels), colorscale="Blues",
                               text=z, texttemplate="%{text}", showscale=False,
                               hovertemplate="truth %{y} · answer %{x}: %{z}<extra></extra>"))
    xs, ys, data, counts = [], [], [], []
    for r, truth in enumerate(true_labels):
        for c, answer in enumerate(predicted_labels):
            xs.append(answer)
            ys.append(truth)
            data.append([truth, answer])
            counts.append(z[r][c] if r < len(z) and c < len(z[r]) else 0)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", customdata=data, showlegend=False, name="cells",
                             marker=dict(size=28, symbol="square", color="rgba(0,0,0,0)"),
                             text=counts, hovertemplate="truth %{y} · answer %{x}: %{text} (click to list them)<extra></extra>"))
    fig.update_xaxes(title="model answer", tickangle=-40)
    fig.update_yaxes(title="truth", autorange="reversed")
    return _layout(fig, title, height=420, clickmode="event+select", dragmode=False)


def per_mode_f1(models: Mapping[str, Mapping[str, float]], title: str = "F1 per label") -> go.Figure:
    """Grouped bars: label on x, one bar per model (F1 in [0, 1])."""
    fig = go.Figure()
    for model, f1 in models.items():
        fig.add_trace(go.Bar(name=short_name(model), x=list(f1), y=[float(v) for v in f1.values()],
                             marker_color=model_colour(model), hovertemplate="%{x}: F1 %{y:.2f}<extra>" + model + "</extra>"))
    if not fig.data:
        return empty_figure("No per-label F1 in this evaluation.")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="F1", range=[0, 1.05])
    return _layout(fig, title)


def accuracy_vs_margin(models: Mapping[str, Sequence[Mapping[str, Any]]],
                       title: str = "Binary accuracy against margin") -> go.Figure:
    """One line per model over margin buckets; each bucket row has a label or lo/hi, value and n.
    Each point's customdata is [model, bucket index, n], so a click names the scenarios behind it."""
    fig = go.Figure()
    for model, buckets in models.items():
        xs = [str(b.get("bucket") or b.get("name") or b.get("label") or f"{b.get('lo', '?')}–{b.get('hi', '?')}") for b in buckets]
        ys = [b.get("value", b.get("accuracy")) for b in buckets]
        custom = [[model, i, b.get("n", "")] for i, b in enumerate(buckets)]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=short_name(model), line=dict(color=model_colour(model)),
                                 marker=dict(size=10), customdata=custom,
                                 hovertemplate="margin %{x}: %{y:.1%} (n = %{customdata[2]})<extra>" + model + "</extra>"))
    if not fig.data:
        return empty_figure("No margin buckets in this evaluation.")
    fig.update_xaxes(title="margin bucket (r)", type="category")
    fig.update_yaxes(title="binary accuracy", range=[0, 1.05], tickformat=".0%")
    return _layout(fig, title, clickmode="event+select")


def calibration_curve(models: Mapping[str, Sequence[Mapping[str, Any]]],
                      title: str = "Calibration: predicted P(fail) against observed failure rate") -> go.Figure:
    """Reliability diagram: each bin's mean predicted P(fail) against the observed failure rate;
    the diagonal is perfect calibration. Bin rows: {"mean_p", "frac_fail", "n"} (metrics.calibration_curve)."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line=dict(dash="dash", color=THRESHOLD_COLOUR)))
    for model, bins in models.items():
        pts = [(b.get("confidence", b.get("mean_p", b.get("mean_predicted"))), b.get("frac_fail", b.get("accuracy", b.get("observed"))),
                b.get("n", b.get("count", 0))) for b in bins]
        pts = [p for p in pts if p[0] is not None and p[1] is not None and (p[2] or 0) > 0]
        if pts:
            xs, ys, ns = zip(*pts, strict=False)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=short_name(model), line=dict(color=model_colour(model)),
                                     marker=dict(size=[6 + 2 * math.sqrt(n) for n in ns]), customdata=ns,
                                     hovertemplate="predicted %{x:.2f} → observed %{y:.2f} (n = %{customdata})<extra></extra>"))
    if len(fig.data) == 1:
        return empty_figure("No probabilities in this evaluation: run it in score mode for a calibration curve.")
    fig.update_xaxes(title="predicted", range=[0, 1])
    fig.update_yaxes(title="observed", range=[0, 1])
    return _layout(fig, title)


# --------------------------------------------------------------------------- comparing experiments


def leaderboard_chart(rows: Sequence[Mapping[str, Any]], metric: str = "binary",
                      title: str = "Leaderboard with 95% Wilson intervals") -> go.Figure:
    """Horizontal bars, best at the top: one per (model, way of answering), error bars lo..hi."""
    if not rows:
        return empty_figure("No evaluation of this preset and split yet.")
    labels = [short_name(f"{r.get('name') or r['model']} · {r.get('mode', '')}", 40) for r in rows]
    values = [float(r["value"]) for r in rows]
    hi = [float(r["hi"] if r.get("hi") is not None else r["value"]) - v for r, v in zip(rows, values, strict=True)]
    lo = [v - float(r["lo"] if r.get("lo") is not None else r["value"]) for r, v in zip(rows, values, strict=True)]
    fig = go.Figure(go.Bar(y=labels, x=values, orientation="h", marker_color=[model_colour(str(r["model"])) for r in rows],
                           error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                           customdata=[[r["model"], r.get("n"), r.get("evaluation")] for r in rows],
                           text=[f"{v:.1%}" for v in values], textposition="inside",
                           hovertemplate="%{customdata[0]}: %{x:.1%} (n = %{customdata[1]}, %{customdata[2]})<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=f"{metric} accuracy", range=[0, 1.05], tickformat=".0%")
    return _layout(fig, title, height=max(260, 60 + 34 * len(rows)), showlegend=False)


def learning_curve(points: Sequence[Mapping[str, Any]], x: str = "step", metric: str = "binary",
                   reference: Mapping[str, float] | None = None, title: str = "Learning curve") -> go.Figure:
    """Accuracy (with its interval band) against training steps or examples seen, one point per
    evaluated checkpoint; `reference` draws dotted lines for baselines (e.g. majority, base)."""
    if not points:
        return empty_figure("No evaluation of this run's checkpoints on this preset and split yet.")
    xs = [p[x] for p in points]
    ys = [float(p["value"]) for p in points]
    hi = [float(p["hi"] if p.get("hi") is not None else p["value"]) - v for p, v in zip(points, ys, strict=True)]
    lo = [v - float(p["lo"] if p.get("lo") is not None else p["value"]) for p, v in zip(points, ys, strict=True)]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", name="student", line=dict(color=MODEL_COLOURS[0]),
                               error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                               customdata=[[p.get("n"), p.get("evaluation")] for p in points],
                               hovertemplate="%{x}: %{y:.1%} (n = %{customdata[0]}, %{customdata[1]})<extra></extra>"))
    for name, value in (reference or {}).items():
        fig.add_hline(y=float(value), line_dash="dot", line_color=model_colour(name), annotation_text=name)
    fig.update_xaxes(title="optimizer steps" if x == "step" else "training examples seen")
    fig.update_yaxes(title=f"{metric} accuracy", range=[0, 1.05], tickformat=".0%")
    return _layout(fig, title)


# --------------------------------------------------------------------------- the student's work


def reasoning_error_bars(models: Mapping[str, Mapping[str, Mapping[str, Any]]], categories: Sequence[str] = (),
                         title: str = "Reasoning errors by kind") -> go.Figure:
    """Grouped bars: error category on x, one bar per model, height = scenarios with that error.
    customdata [model, category] so a click on a bar names what to list."""
    fig = go.Figure()
    for model, errors in models.items():
        cats = list(categories) or list(errors)
        counts = [int((errors.get(c) or {}).get("count") or 0) for c in cats]
        fig.add_trace(go.Bar(name=short_name(model), x=cats, y=counts, marker_color=model_colour(model),
                             customdata=[[model, c] for c in cats], text=counts, textposition="outside",
                             hovertemplate="%{x}: %{y} scenarios (click to list them)<extra>" + model + "</extra>"))
    if not fig.data or not any(sum(t.y) for t in fig.data):
        return empty_figure("No reasoning errors recorded: this evaluation has no worked student, or it made none.")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="scenarios")
    return _layout(fig, title, clickmode="event+select")


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
    for model, ps in p_fail.items():
        fig.add_trace(go.Scatter(x=list(values), y=list(ps), mode="lines+markers", name=f"P(fail) · {model}",
                                 yaxis="y2", line=dict(color=model_colour(model), dash="dot")))
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
