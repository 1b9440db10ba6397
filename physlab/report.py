"""Reports of an evaluation: a terminal table and a Markdown file a person can read.

`render_table(summary)` prints the models side by side (binary, failure-mode, 8-way accuracy
with Wilson 95% intervals, macro-F1, McNemar p against the first model); `write_report(dir)`
writes report.md beside summary.json: the same table, the published figures for reference,
confusion matrices, calibration where the models gave probabilities, and the ten most
instructive errors with the physics that decides each scenario.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from physlab.fileio import write_text_atomic
from physlab.metrics import wilson_interval

# The published experiment (docs/published-experiment.md): (k, n) per metric.
PUBLISHED = (
    {"model": "published baseline (qwen2.5:1.5b, Ollama)", "binary": (16, 34), "failure_mode": (2, 19)},
    {"model": "published student (Qwen2.5-0.5B + LoRA)", "binary": (19, 34), "failure_mode": (15, 19)},
)
# (column title, keys tried in order in a model's metrics; the first found is shown)
HEADLINE = (
    ("binary", ("binary", "binary_accuracy")),
    ("failure mode", ("failure_mode", "failure_mode_accuracy", "mode", "mode_accuracy")),
    ("8-way", ("eight_way", "eight_way_accuracy", "label_accuracy", "accuracy_8way")),
)


# --------------------------------------------------------------------------- lookups


def _find(metrics: dict[str, Any], *names: str) -> Any:
    """metrics[name] for the first name present, also inside an 'accuracy(ies)' sub-dict."""
    for name in names:
        if name in metrics:
            return metrics[name]
    for container in ("accuracy", "accuracies", "probabilities"):
        sub = metrics.get(container)
        if isinstance(sub, dict):
            found = _find(sub, *names)
            if found is not None:
                return found
    return None


def _fmt_interval(value: Any) -> str:
    """'55.9% [38-72] 19/34' from {"value","k","n","lo","hi"}; '-' when missing."""
    if isinstance(value, dict) and value.get("value") is not None:
        v = float(value["value"])
        text = f"{v:.1%}"
        if value.get("lo") is not None and value.get("hi") is not None:
            text += f" [{float(value['lo']) * 100:.0f}-{float(value['hi']) * 100:.0f}]"
        if value.get("k") is not None and value.get("n") is not None:
            text += f" {value['k']}/{value['n']}"
        return text
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:.1%}"
    return "-"


def _fmt_number(value: Any, digits: int = 3) -> str:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:.{digits}f}"
    return "-"


def _fmt_p(p: Any) -> str:
    if not isinstance(p, (int, float)) or not math.isfinite(p):
        return "-"
    return f"{p:.2g}" if p >= 0.001 else "<0.001"


def model_metrics(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    models = summary.get("models") or {}
    order = summary.get("model_order") or list(models)
    return {name: models[name] for name in order if name in models}


def mcnemar_p(summary: dict[str, Any], model: str, metric: str) -> float | None:
    for row in summary.get("mcnemar") or []:
        if row.get("model_b") == model and row.get("metric") == metric:
            return row.get("p_value", row.get("p"))
    return None


def _published_interval(k: int, n: int) -> dict[str, float]:
    lo, hi = wilson_interval(k, n)
    return {"value": k / n, "k": k, "n": n, "lo": lo, "hi": hi}


# --------------------------------------------------------------------------- tables


def table_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """One row of display strings per model, in evaluation order."""
    rows = []
    metrics_by_model = model_metrics(summary)
    first = next(iter(metrics_by_model), None)
    for name, metrics in metrics_by_model.items():
        row = {"model": name, "n": str(metrics.get("n", "-"))}
        for title, keys in HEADLINE:
            row[title] = _fmt_interval(_find(metrics, *keys))
        row["macro-F1"] = _fmt_number(_find(metrics, "macro_f1", "macro_F1"))
        unparsed = metrics.get("unparsed")
        row["unparsed"] = str(unparsed.get("k") if isinstance(unparsed, dict) else unparsed if unparsed is not None else "-")
        if name == first:
            row["McNemar p binary"] = row["McNemar p 8-way"] = "(ref)"
        else:
            row["McNemar p binary"] = _fmt_p(mcnemar_p(summary, name, "binary"))
            row["McNemar p 8-way"] = _fmt_p(mcnemar_p(summary, name, "eight_way"))
        rows.append(row)
    return rows


def render_table(summary: dict[str, Any]) -> str:
    """The models side by side for a terminal; intervals are Wilson 95%."""
    rows = table_rows(summary)
    if not rows:
        return "(no results yet)"
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns),
             "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns) for r in rows]
    head = (f"evaluation {summary.get('eval_id') or '?'}: preset {summary.get('preset') or '?'}, "
            f"split {summary.get('split') or '?'}, mode {summary.get('mode') or '?'}")
    first = rows[0]["model"]
    foot = (f"accuracy [95% Wilson interval] k/n; failure mode = right mode among the true failures "
            f"(the published metric); McNemar exact p vs {first} on the same scenarios.")
    return "\n".join([head, *lines, foot])


def published_table() -> str:
    lines = ["| model | binary | failure mode |", "|---|---|---|"]
    for row in PUBLISHED:
        lines.append(f"| {row['model']} | {_fmt_interval(_published_interval(*row['binary']))} | "
                     f"{_fmt_interval(_published_interval(*row['failure_mode']))} |")
    return "\n".join(lines)


def _markdown_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "(none)"
    columns = list(rows[0])
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(out)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def confusion_markdown(records: list[dict[str, Any]]) -> str:
    """Truth rows x predicted columns (with 'unparsed'), counted from the records."""
    from physlab.labels import LABELS, UNPARSED

    counts = Counter((r.get("truth"), (r.get("parsed") or {}).get("label") or UNPARSED) for r in records)
    truths = [lab for lab in LABELS if any(t == lab for t, _ in counts)]
    preds = list(LABELS) + [UNPARSED]
    preds = [p for p in preds if any(q == p for _, q in counts) or p in truths]
    out = ["| truth \\ answer | " + " | ".join(preds) + " | n |", "|---|" + "---|" * (len(preds) + 1)]
    for t in truths:
        row = [counts.get((t, p), 0) for p in preds]
        cells = [f"**{c}**" if p == t and c else str(c) for p, c in zip(preds, row, strict=True)]
        out.append(f"| {t} | " + " | ".join(cells) + f" | {sum(row)} |")
    return "\n".join(out)


# --------------------------------------------------------------------------- errors


def _clarity(margin: Any) -> float:
    """How far the physics is from its threshold: |ln r| (r = 1 is the knife edge)."""
    try:
        r = float(margin)
    except (TypeError, ValueError):
        return 0.0
    return abs(math.log(r)) if r > 0 and math.isfinite(r) else 0.0


def _confidence(record: dict[str, Any]) -> float | None:
    probs = record.get("probabilities")
    label = (record.get("parsed") or {}).get("label")
    if isinstance(probs, dict) and label in probs:
        return float(probs[label])
    return None


def error_kind(record: dict[str, Any]) -> str:
    parsed = record.get("parsed") or {}
    if parsed.get("label") == "unparsed":
        return "unparsed answer"
    tags = []
    if _clarity(record.get("margin")) >= math.log(1.5):  # r <= 0.67 or >= 1.5: not a coin flip
        tags.append("clear margin")
    conf = _confidence(record)
    if conf is not None and conf >= 0.8:
        tags.append("confident")
    if record.get("truth") != "success" and parsed.get("fails") and parsed.get("label") != record.get("truth"):
        tags.append("wrong mode")
    return ", ".join(tags) or "near threshold"


def instructive_errors(records: list[dict[str, Any]], model_order: list[str], k: int = 10) -> list[dict]:
    """The k most instructive wrong answers, shared round-robin among the models starting
    with the last (by convention the student). Within a model: clear-margin and confident
    errors first (the physics was unambiguous, so the miss is real), unparsed answers last."""
    wrong_by_model: dict[str, list[dict]] = {}
    for rec in records:
        if not (rec.get("correct") or {}).get("eight_way"):
            wrong_by_model.setdefault(rec.get("model"), []).append(rec)

    def rank(rec: dict[str, Any]) -> tuple:
        unparsed = (rec.get("parsed") or {}).get("label") == "unparsed"
        return (unparsed, -(_clarity(rec.get("margin")) + (_confidence(rec) or 0.0)), str(rec.get("scenario_id")))

    queues = {m: sorted(wrong_by_model.get(m, []), key=rank) for m in reversed(model_order)}
    picked: list[dict] = []
    while len(picked) < k and any(queues.values()):
        for model in list(queues):
            if queues[model] and len(picked) < k:
                picked.append(queues[model].pop(0))
    return picked


def _excerpt(text: Any, limit: int = 320) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def errors_markdown(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "No errors: every answer was right."
    parts = []
    for i, rec in enumerate(errors, 1):
        parsed = rec.get("parsed") or {}
        conf = _confidence(rec)
        margin = rec.get("margin")
        margin_txt = f"{float(margin):.2f}" if isinstance(margin, (int, float)) else "-"
        parts.append(
            f"### {i}. {rec.get('scenario_id')} — {rec.get('model')} ({error_kind(rec)})\n\n"
            f"- truth: **{rec.get('truth')}** (margin r = {margin_txt})\n"
            f"- answer: **{parsed.get('label')}**"
            + (f" (p = {conf:.2f})" if conf is not None else "") + "\n"
            f"- raw output: `{_excerpt(rec.get('raw_output'), 160).replace('`', chr(39))}`\n"
            f"- scenario: {_excerpt(rec.get('description'))}\n"
            f"- physics: {_excerpt(rec.get('explanation'), 500) or '-'}\n"
        )
    return "\n".join(parts)


def calibration_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for name, metrics in model_metrics(summary).items():
        auc = _find(metrics, "roc_auc", "auc")
        brier = _find(metrics, "brier", "brier_score")
        ece = _find(metrics, "ece", "expected_calibration_error")
        if all(v is None for v in (auc, brier, ece)):
            continue
        rows.append({"model": name, "ROC-AUC (fail)": _fmt_number(auc), "Brier": _fmt_number(brier),
                     "ECE": _fmt_number(ece)})
    return rows


def margin_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """Binary accuracy per margin bucket (metrics.summarize's by_margin), one row per model."""
    rows = []
    for name, metrics in model_metrics(summary).items():
        by_margin = metrics.get("by_margin")
        buckets = by_margin.get("binary") if isinstance(by_margin, dict) else None
        if not isinstance(buckets, list):
            continue
        row = {"model": name}
        for b in buckets:
            if isinstance(b, dict) and b.get("n"):
                row[f"r {b.get('name')}"] = _fmt_interval({"value": b.get("value"), "k": b.get("k"), "n": b.get("n"),
                                                           "lo": b.get("lo_ci"), "hi": b.get("hi_ci")})
        rows.append(row)
    # Models may fill different buckets: keep the union of columns, in the metrics' order.
    columns: list[str] = ["model"]
    for r in rows:
        columns += [c for c in r if c not in columns]
    return [{c: r.get(c, "-") for c in columns} for r in rows]


# --------------------------------------------------------------------------- report


def write_report(eval_dir: str | Path) -> Path:
    """Write <eval_dir>/report.md from summary.json and records.jsonl; returns its path."""
    from physlab.evaluate import read_records, summarize_records

    eval_dir = Path(eval_dir)
    if not eval_dir.is_dir():
        raise FileNotFoundError(f"no evaluation folder {eval_dir}")
    records = read_records(eval_dir / "records.jsonl")
    summary_path = eval_dir / "summary.json"
    if summary_path.is_file():
        summary = json.loads(summary_path.read_text())
    elif records:  # an interrupted evaluation: report what it finished
        summary = summarize_records(records)
        summary["eval_id"] = eval_dir.name
    else:
        raise FileNotFoundError(f"{eval_dir} has neither summary.json nor records: has the evaluation run?")
    order = list(model_metrics(summary))
    sections = [
        f"# Evaluation {summary.get('eval_id') or eval_dir.name}",
        f"Preset **{summary.get('preset')}**, split **{summary.get('split')}**, answers by "
        f"**{summary.get('mode')}**, {len(records)} answers in records.jsonl."
        + ("" if summary_path.is_file() else " *(interrupted: summary computed from the records so far)*"),
        "## Results\n\nAccuracy with its Wilson 95% interval and k/n. *Failure mode* is the published "
        "metric: over the scenarios that truly fail, the model said it fails and named the right mode. "
        f"McNemar: exact two-sided test against **{order[0] if order else '-'}** on the same scenarios "
        "(a small p means the difference is unlikely to be luck).",
        _markdown_table(table_rows(summary)),
        "## The published experiment, for reference\n\n34 test scenarios (19 failures); intervals are "
        "Wilson 95% computed here from the published counts.",
        published_table(),
    ]
    calibration = calibration_rows(summary)
    if calibration:
        sections += ["## Calibration (score mode)\n\nP(fail) = 1 - p(success) against the truth.",
                     _markdown_table(calibration)]
    margins = margin_rows(summary)
    if margins:
        sections += ["## Binary accuracy by margin\n\nMargin r: the deciding ratio (r = 1 is the "
                     "threshold); scenarios near 1 are hard even for a perfect reader of the numbers.",
                     _markdown_table(margins)]
    sections.append("## Confusion matrices\n\nRows: truth; columns: the model's answer (bold: right).")
    for model in order:
        recs = [r for r in records if r.get("model") == model]
        sections += [f"### {model}", confusion_markdown(recs)]
    sections += ["## The ten most instructive errors\n\nClear-margin and confident errors first: there "
                 "the physics was unambiguous, so the miss says something about the model.",
                 errors_markdown(instructive_errors(records, order))]
    text = "\n\n".join(sections) + "\n"
    path = eval_dir / "report.md"
    return write_text_atomic(path, text)
