"""Metrics: pure functions over truth labels and predicted labels (plain Python, no numpy).

Labels are strings from labels.LABELS ("success" and the seven modes); a prediction may
also be "unparsed" (the answer could not be read), which is wrong under every metric.

Every rate comes with its count and a Wilson 95 % interval (`Rate`), because the test sets
here are small: the published 15/19 failure-mode accuracy is 0.79 with an interval from
0.57 to 0.91, which is not a precise number.

Definitions (the published experiment's where it had one)
* binary accuracy: "fails" vs "success" right, over all items.
* failure-mode accuracy: over the truly failing items only, the model said it fails AND
  named the right mode (the published 15/19).
* eight-way accuracy: the exact label right, over all items.
* per-class precision / recall / F1 over the eight labels; macro F1 is their mean over the
  labels that occur in the truth or the predictions.
* probabilities (p_fail = the model's probability that the manipulation fails): ROC AUC
  (rank based, ties count half), Brier score, expected calibration error (equal-width bins).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from physlab.labels import LABELS, UNPARSED

PRED_LABELS = (*LABELS, UNPARSED)
# Cut points of the physics margin r (demand / capacity; fails when r > 1) for
# accuracy_by_margin: [0.95, 1.05) are the near-boundary cases.
DEFAULT_MARGIN_EDGES = (0.5, 0.8, 0.95, 1.05, 1.25, 2.0)


# --------------------------------------------------------------------------- intervals

def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (0, 1) when n == 0."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"wilson_interval: need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half_width), min(1.0, centre + half_width))


@dataclass(frozen=True)
class Rate:
    """k out of n, with its Wilson interval. `value` is None when n == 0."""

    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.k, self.n)

    def as_dict(self) -> dict:
        lo, hi = self.interval
        return {"value": self.value, "k": self.k, "n": self.n, "lo": lo, "hi": hi}


# --------------------------------------------------------------------------- validation

def _check_labels(truth: Sequence[str], pred: Sequence[str]) -> None:
    if len(truth) != len(pred):
        raise ValueError(f"truth and pred differ in length: {len(truth)} vs {len(pred)}")
    for i, label in enumerate(truth):
        if label not in LABELS:
            raise ValueError(f"truth[{i}]: {label!r} is not one of {', '.join(LABELS)}")
    for i, label in enumerate(pred):
        if label not in PRED_LABELS:
            raise ValueError(f"pred[{i}]: {label!r} is not one of {', '.join(PRED_LABELS)}")


def _check_binary(y: Sequence, name: str) -> list[int]:
    """0/1 or bool only, so swapped arguments (probabilities where truth belongs) fail loudly."""
    out = []
    for i, v in enumerate(y):
        if v not in (0, 1):  # True == 1 and False == 0 in Python
            raise ValueError(f"{name}[{i}]: {v!r} is not 0/1 or a bool (are the arguments swapped?)")
        out.append(int(v))
    return out


def _check_probabilities(p: Sequence[float], name: str) -> list[float]:
    out = []
    for i, v in enumerate(p):
        try:
            value = float(v)  # also accepts numpy scalars
        except (TypeError, ValueError):
            value = math.nan
        if not 0.0 <= value <= 1.0:  # False for NaN too
            raise ValueError(f"{name}[{i}]: {v!r} is not a probability in [0, 1]")
        out.append(value)
    return out


def _same_length(a: Sequence, b: Sequence, names: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{names} differ in length: {len(a)} vs {len(b)}")


# --------------------------------------------------------------------------- accuracies

def binary_accuracy(truth: Sequence[str], pred: Sequence[str],
                    fails: Sequence[bool | None] | None = None) -> Rate:
    """Fail-vs-success right, over all items.

    Without `fails` the decision comes from the predicted label ("unparsed" is wrong).
    With `fails` (ParsedAnswer.fails per item; None = no decision, wrong) an answer whose
    YES/NO was read but whose mode was not still counts.
    """
    _check_labels(truth, pred)
    if fails is None:
        decisions: list[bool | None] = [None if p == UNPARSED else p != "success" for p in pred]
    else:
        _same_length(truth, fails, "truth and fails")
        decisions = list(fails)
    correct = sum(1 for t, d in zip(truth, decisions, strict=True) if d is not None and d == (t != "success"))
    return Rate(correct, len(truth))


def failure_mode_accuracy(truth: Sequence[str], pred: Sequence[str]) -> Rate:
    """Over the truly failing items: said it fails and named the right mode."""
    _check_labels(truth, pred)
    failing = [(t, p) for t, p in zip(truth, pred, strict=True) if t != "success"]
    return Rate(sum(1 for t, p in failing if p == t), len(failing))


def eight_way_accuracy(truth: Sequence[str], pred: Sequence[str]) -> Rate:
    """The exact label right, over all items."""
    _check_labels(truth, pred)
    return Rate(sum(1 for t, p in zip(truth, pred, strict=True) if t == p), len(truth))


def confusion_matrix(truth: Sequence[str], pred: Sequence[str]) -> dict:
    """{"rows": 8 true labels, "columns": 8 labels + "unparsed", "counts": rows x columns}."""
    _check_labels(truth, pred)
    counts = [[0] * len(PRED_LABELS) for _ in LABELS]
    for t, p in zip(truth, pred, strict=True):
        counts[LABELS.index(t)][PRED_LABELS.index(p)] += 1
    return {"rows": list(LABELS), "columns": list(PRED_LABELS), "counts": counts}


def per_class(truth: Sequence[str], pred: Sequence[str]) -> dict[str, dict]:
    """Per label: precision, recall, F1 (None where undefined), support, predicted, tp.

    F1 = 2 tp / (2 tp + fp + fn): defined whenever the label occurs in truth or predictions.
    "unparsed" predictions are misses (fn) of the true label and nobody's false positive.
    """
    _check_labels(truth, pred)
    out: dict[str, dict] = {}
    for label in LABELS:
        tp = sum(1 for t, p in zip(truth, pred, strict=True) if t == label and p == label)
        support = sum(1 for t in truth if t == label)
        predicted = sum(1 for p in pred if p == label)
        fp, fn = predicted - tp, support - tp
        out[label] = {
            "precision": tp / predicted if predicted else None,
            "recall": tp / support if support else None,
            "f1": 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else None,
            "support": support,
            "predicted": predicted,
            "tp": tp,
        }
    return out


def macro_f1(truth: Sequence[str], pred: Sequence[str]) -> float | None:
    """Mean F1 over the labels present in truth or predictions (None for empty input)."""
    scores = [c["f1"] for c in per_class(truth, pred).values() if c["f1"] is not None]
    return sum(scores) / len(scores) if scores else None


# --------------------------------------------------------------------------- comparisons

def mcnemar_exact(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> dict:
    """Exact McNemar test: do models A and B differ in accuracy on the same items?

    b = items A got right and B wrong, c = the reverse. Under "no difference" each of the
    b + c discordant items is a fair coin, so p = two-sided exact binomial(b + c, 1/2).
    """
    _same_length(correct_a, correct_b, "correct_a and correct_b")
    a, b_ = _check_binary(correct_a, "correct_a"), _check_binary(correct_b, "correct_b")
    b = sum(1 for x, y in zip(a, b_, strict=True) if x and not y)
    c = sum(1 for x, y in zip(a, b_, strict=True) if y and not x)
    n = b + c
    if n == 0:
        p_value = 1.0
    else:
        # Exact integers (Fraction): 2**n would overflow a float beyond n ~ 1000.
        tail = Fraction(sum(math.comb(n, i) for i in range(min(b, c) + 1)), 2 ** n)
        p_value = float(min(Fraction(1), 2 * tail))
    return {"b": b, "c": c, "discordant": n, "p_value": p_value,
            "both_correct": sum(1 for x, y in zip(a, b_, strict=True) if x and y),
            "both_wrong": sum(1 for x, y in zip(a, b_, strict=True) if not x and not y)}


def accuracy_by_margin(correct: Sequence[bool], margins: Sequence[float],
                       edges: Sequence[float] = DEFAULT_MARGIN_EDGES) -> list[dict]:
    """Accuracy per margin bucket; `edges` are ascending cut points, so there are
    len(edges) + 1 buckets: (-inf, e0), [e0, e1), ..., [e_last, inf). Every item lands in
    one. Each bucket: {"name", "lo", "hi" (None = unbounded), "value", "k", "n", "lo_ci", "hi_ci"}.
    """
    _same_length(correct, margins, "correct and margins")
    flags = _check_binary(correct, "correct")
    edges = list(edges)
    if any(a >= b for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"edges: must be strictly ascending, got {edges}")
    bounds = list(zip([None, *edges], [*edges, None], strict=True))
    k = [0] * len(bounds)
    n = [0] * len(bounds)
    for i, (flag, m) in enumerate(zip(flags, margins, strict=True)):
        if not isinstance(m, (int, float)) or math.isnan(m):
            raise ValueError(f"margins[{i}]: {m!r} is not a number")
        index = sum(1 for e in edges if m >= e)  # bucket index = cut points at or below m
        k[index] += flag
        n[index] += 1
    buckets = []
    for (lo, hi), ki, ni in zip(bounds, k, n, strict=True):
        name = f"< {hi:g}" if lo is None else f">= {lo:g}" if hi is None else f"{lo:g}-{hi:g}"
        rate = Rate(ki, ni).as_dict()
        buckets.append({"name": name, "lo": lo, "hi": hi, "value": rate["value"], "k": ki, "n": ni,
                        "lo_ci": rate["lo"], "hi_ci": rate["hi"]})
    return buckets


# --------------------------------------------------------------------------- probabilities

def roc_auc(y_true: Sequence[bool], p_fail: Sequence[float]) -> float | None:
    """Probability that a random failing item gets a higher p_fail than a random succeeding
    one (ties count half): the Mann-Whitney statistic. None when one class is missing."""
    _same_length(y_true, p_fail, "y_true and p_fail")
    y = _check_binary(y_true, "y_true")
    p = _check_probabilities(p_fail, "p_fail")
    positives = sum(y)
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    # Average ranks (1-based) over tied scores.
    order = sorted(range(len(p)), key=lambda i: p[i])
    ranks = [0.0] * len(p)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and p[order[end + 1]] == p[order[start]]:
            end += 1
        for j in range(start, end + 1):
            ranks[order[j]] = (start + end) / 2 + 1
        start = end + 1
    rank_sum = sum(r for r, label in zip(ranks, y, strict=True) if label)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier_score(p_fail: Sequence[float], y_true: Sequence[bool]) -> float | None:
    """Mean squared error of p_fail against the 0/1 truth (0 is perfect, 0.25 = always 0.5)."""
    _same_length(p_fail, y_true, "p_fail and y_true")
    p, y = _check_probabilities(p_fail, "p_fail"), _check_binary(y_true, "y_true")
    return sum((pi - yi) ** 2 for pi, yi in zip(p, y, strict=True)) / len(p) if p else None


def calibration_curve(p_fail: Sequence[float], y_true: Sequence[bool], n_bins: int = 10) -> list[dict]:
    """Equal-width bins over [0, 1] (1.0 falls in the last): per bin {"lo", "hi", "n",
    "mean_p", "frac_fail"}, the last two None for empty bins (kept so charts have every bin)."""
    if n_bins < 1:
        raise ValueError(f"n_bins: must be at least 1, got {n_bins}")
    _same_length(p_fail, y_true, "p_fail and y_true")
    p, y = _check_probabilities(p_fail, "p_fail"), _check_binary(y_true, "y_true")
    totals = [[0, 0.0, 0] for _ in range(n_bins)]  # count, sum of p, count of failures
    for pi, yi in zip(p, y, strict=True):
        b = min(int(pi * n_bins), n_bins - 1)
        totals[b][0] += 1
        totals[b][1] += pi
        totals[b][2] += yi
    return [{"lo": i / n_bins, "hi": (i + 1) / n_bins, "n": count,
             "mean_p": sum_p / count if count else None,
             "frac_fail": fails / count if count else None}
            for i, (count, sum_p, fails) in enumerate(totals)]


def expected_calibration_error(p_fail: Sequence[float], y_true: Sequence[bool],
                               n_bins: int = 10) -> float | None:
    """Sum over bins of (bin share of items) x |mean p_fail - observed failure rate|."""
    bins = calibration_curve(p_fail, y_true, n_bins)
    total = sum(b["n"] for b in bins)
    if total == 0:
        return None
    return sum(b["n"] / total * abs(b["mean_p"] - b["frac_fail"]) for b in bins if b["n"])


# --------------------------------------------------------------------------- summary

def summarize(truth: Sequence[str], pred: Sequence[str], fails: Sequence[bool | None] | None = None,
              p_fail: Sequence[float] | None = None, margins: Sequence[float] | None = None) -> dict:
    """Everything above as one JSON-serializable dict; rates as {"value", "k", "n", "lo", "hi"}."""
    _check_labels(truth, pred)
    if fails is None:
        said_fail = [None if p == UNPARSED else p != "success" for p in pred]
    else:
        _same_length(truth, fails, "truth and fails")
        said_fail = list(fails)
    decided = [d for d in said_fail if d is not None]
    summary: dict = {
        "n": len(truth),
        "n_failing": sum(1 for t in truth if t != "success"),
        "binary_accuracy": binary_accuracy(truth, pred, fails).as_dict(),
        "failure_mode_accuracy": failure_mode_accuracy(truth, pred).as_dict(),
        "eight_way_accuracy": eight_way_accuracy(truth, pred).as_dict(),
        "unparsed": Rate(sum(1 for p in pred if p == UNPARSED), len(pred)).as_dict(),
        # How often the model says "fails": an always-fail model scores n_failing / n on binary.
        "said_fail": Rate(sum(1 for d in decided if d), len(decided)).as_dict(),
        "macro_f1": macro_f1(truth, pred),
        "per_class": per_class(truth, pred),
        "confusion": confusion_matrix(truth, pred),
    }
    y_fail = [t != "success" for t in truth]
    if p_fail is not None:
        summary["probabilities"] = {
            "roc_auc": roc_auc(y_fail, p_fail),
            "brier": brier_score(p_fail, y_fail),
            "ece": expected_calibration_error(p_fail, y_fail),
            "calibration": calibration_curve(p_fail, y_fail),
        }
    if margins is not None:
        binary_right = [d is not None and d == y for d, y in zip(said_fail, y_fail, strict=True)]
        label_right = [t == p for t, p in zip(truth, pred, strict=True)]
        summary["by_margin"] = {
            "binary": accuracy_by_margin(binary_right, margins),
            "eight_way": accuracy_by_margin(label_right, margins),
        }
    return summary
