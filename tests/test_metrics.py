"""Metrics against hand-computed tables, including the published experiment's figures."""

from __future__ import annotations

import json
import math

import pytest

from physlab.labels import LABELS, UNPARSED
from physlab.metrics import (
    Rate,
    accuracy_by_margin,
    binary_accuracy,
    brier_score,
    calibration_curve,
    confusion_matrix,
    eight_way_accuracy,
    expected_calibration_error,
    failure_mode_accuracy,
    macro_f1,
    mcnemar_exact,
    per_class,
    roc_auc,
    summarize,
    wilson_interval,
)


def published_student() -> tuple[list[str], list[str]]:
    """A test set shaped like the published one: 19 failures, 15 successes; the student
    says "fails" every time, names the right mode on 15 failures, and calls collision and
    sloshing "tipping" twice each (the published error table)."""
    truth = (["tipping"] * 4 + ["slipping"] * 4 + ["crushing"] * 3 + ["sloshing"] * 3
             + ["collision"] * 3 + ["dropping"] + ["rolling_away"] + ["success"] * 15)
    pred = list(truth[:19])
    pred[14] = pred[15] = "tipping"  # collision -> tipping, twice
    pred[11] = pred[12] = "tipping"  # sloshing -> tipping, twice
    pred += ["tipping"] * 15  # every success called a failure
    return truth, pred


def test_published_figures_reproduce_with_their_wilson_intervals():
    truth, pred = published_student()
    mode = failure_mode_accuracy(truth, pred)
    binary = binary_accuracy(truth, pred)
    assert (mode.k, mode.n) == (15, 19)
    assert (binary.k, binary.n) == (19, 34)
    assert round(mode.value, 3) == 0.789
    assert round(binary.value, 3) == 0.559
    # Wilson by hand, z = 1.96, z^2 = 3.8416:
    # 15/19: p = 0.789474, denominator 1 + 3.8416/19 = 1.202189,
    #   centre (0.789474 + 3.8416/38) / 1.202189 = 0.740780,
    #   half 1.96 * sqrt(0.166205/19 + 3.8416/1444) / 1.202189 = 1.96 * 0.106807 / 1.202189 = 0.174134
    #   -> [0.5667, 0.9149]
    # 19/34: p = 0.558824, denominator 1 + 3.8416/34 = 1.112988,
    #   centre (0.558824 + 3.8416/68) / 1.112988 = 0.552852,
    #   half 1.96 * sqrt(0.246540/34 + 3.8416/4624) / 1.112988 = 1.96 * 0.089900 / 1.112988 = 0.158316
    #   -> [0.3945, 0.7112]
    assert mode.interval == pytest.approx((0.5667, 0.9149), abs=1e-4)
    assert binary.interval == pytest.approx((0.3945, 0.7112), abs=1e-4)
    # An always-fail model scores exactly n_failing / n on binary: the published 19/34.
    summary = summarize(truth, pred)
    assert summary["said_fail"]["value"] == 1.0
    assert summary["binary_accuracy"]["k"] == summary["n_failing"] == 19


def test_wilson_edge_cases():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)  # z^2/(n + z^2) = 3.8416/13.8416
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and lo == pytest.approx(1 - 0.2775, abs=1e-4)
    with pytest.raises(ValueError, match="k=5, n=3"):
        wilson_interval(5, 3)


def test_rate_as_dict_is_json_ready_even_when_empty():
    assert Rate(0, 0).as_dict() == {"value": None, "k": 0, "n": 0, "lo": 0.0, "hi": 1.0}
    assert Rate(3, 4).as_dict()["value"] == 0.75


# A small hand table (6 items):
#   truth      pred
#   tipping    tipping     right
#   tipping    slipping    wrong mode, right decision
#   slipping   unparsed    wrong everything (unless fails says YES)
#   success    success     right
#   success    crushing    wrong
#   crushing   crushing    right
TRUTH = ["tipping", "tipping", "slipping", "success", "success", "crushing"]
PRED = ["tipping", "slipping", UNPARSED, "success", "crushing", "crushing"]


def test_accuracies_on_a_hand_table():
    assert (binary_accuracy(TRUTH, PRED).k, binary_accuracy(TRUTH, PRED).n) == (4, 6)
    assert (failure_mode_accuracy(TRUTH, PRED).k, failure_mode_accuracy(TRUTH, PRED).n) == (2, 4)
    assert (eight_way_accuracy(TRUTH, PRED).k, eight_way_accuracy(TRUTH, PRED).n) == (3, 6)


def test_binary_accuracy_counts_a_parsed_decision_whose_mode_did_not_parse():
    # Item 3 said YES but no readable mode: label "unparsed", decision right.
    fails = [True, True, True, False, True, True]
    assert binary_accuracy(TRUTH, PRED, fails=fails).k == 5
    # No decision at all (None) is wrong.
    assert binary_accuracy(TRUTH, PRED, fails=[True, True, None, False, True, True]).k == 4


def test_confusion_matrix_on_the_hand_table():
    cm = confusion_matrix(TRUTH, PRED)
    assert cm["rows"] == list(LABELS)
    assert cm["columns"] == [*LABELS, UNPARSED]
    cell = {(r, c): cm["counts"][i][j] for i, r in enumerate(cm["rows"]) for j, c in enumerate(cm["columns"])}
    assert cell[("tipping", "tipping")] == 1
    assert cell[("tipping", "slipping")] == 1
    assert cell[("slipping", UNPARSED)] == 1
    assert cell[("success", "success")] == 1
    assert cell[("success", "crushing")] == 1
    assert cell[("crushing", "crushing")] == 1
    assert sum(map(sum, cm["counts"])) == 6


def test_per_class_and_macro_f1_on_the_hand_table():
    table = per_class(TRUTH, PRED)
    # tipping: tp 1, fp 0, fn 1 -> P 1, R 0.5, F1 2/3
    assert table["tipping"]["precision"] == 1.0
    assert table["tipping"]["recall"] == 0.5
    assert table["tipping"]["f1"] == pytest.approx(2 / 3)
    # slipping: tp 0, fp 1, fn 1 -> P 0, R 0, F1 0
    assert table["slipping"]["f1"] == 0.0
    # crushing: tp 1, fp 1, fn 0 -> P 0.5, R 1, F1 2/3
    assert table["crushing"]["precision"] == 0.5 and table["crushing"]["recall"] == 1.0
    # success: tp 1, fp 0, fn 1 -> F1 2/3
    assert table["success"]["f1"] == pytest.approx(2 / 3)
    # sloshing: never true, never predicted -> undefined, left out of the macro mean
    assert table["sloshing"] == {"precision": None, "recall": None, "f1": None,
                                 "support": 0, "predicted": 0, "tp": 0}
    assert macro_f1(TRUTH, PRED) == pytest.approx((2 / 3 + 0 + 2 / 3 + 2 / 3) / 4)


def test_labels_are_validated_with_the_position():
    with pytest.raises(ValueError, match=r"pred\[1\]: 'toppling'"):
        eight_way_accuracy(["success", "tipping"], ["success", "toppling"])
    with pytest.raises(ValueError, match=r"truth\[0\]"):
        eight_way_accuracy([UNPARSED], ["success"])
    with pytest.raises(ValueError, match="length"):
        binary_accuracy(["success"], [])


def test_mcnemar_exact_on_small_tables():
    # b = 1 (A right, B wrong), c = 6 (A wrong, B right), 3 concordant:
    # p = 2 * P(X <= 1 | n=7, 1/2) = 2 * (1 + 7) / 128 = 0.125
    a = [True] + [False] * 6 + [True] * 3
    b = [False] + [True] * 6 + [True] * 3
    result = mcnemar_exact(a, b)
    assert (result["b"], result["c"], result["both_correct"]) == (1, 6, 3)
    assert result["p_value"] == pytest.approx(0.125)
    assert mcnemar_exact(b, a)["p_value"] == pytest.approx(0.125)  # symmetric
    assert mcnemar_exact([True, False], [True, False])["p_value"] == 1.0  # b + c = 0
    assert mcnemar_exact([False] * 5, [True] * 5)["p_value"] == pytest.approx(2 / 32)
    assert mcnemar_exact([True, False], [False, True])["p_value"] == 1.0  # capped at 1
    # Large n must not overflow a float: 2000 discordant, split evenly -> p near 1.
    big = mcnemar_exact([True] * 1000 + [False] * 1000, [False] * 1000 + [True] * 1000)
    assert 0.9 < big["p_value"] <= 1.0


def test_roc_auc_tiny_cases():
    # Pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8 beats both -> 3/4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # A tie between a positive and a negative counts half: (1 + 0.5 + 2) / 4
    assert roc_auc([0, 0, 1, 1], [0.2, 0.5, 0.5, 0.9]) == pytest.approx(0.875)
    assert roc_auc([False, True], [0.3, 0.3]) == 0.5
    assert roc_auc([True, False], [0.9, 0.1]) == 1.0
    assert roc_auc([1, 1], [0.2, 0.9]) is None  # one class only


def test_brier_ece_and_calibration_tiny_case():
    p = [0.1, 0.1, 0.9, 0.9]
    y = [0, 1, 1, 1]
    # (0.01 + 0.81 + 0.01 + 0.01) / 4
    assert brier_score(p, y) == pytest.approx(0.21)
    # bin [0.1, 0.2): mean p 0.1, failure rate 0.5 -> 0.5 * 0.4; bin [0.9, 1]: 0.5 * 0.1
    assert expected_calibration_error(p, y) == pytest.approx(0.25)
    bins = calibration_curve(p, y)
    assert len(bins) == 10
    assert bins[1]["n"] == 2 and bins[1]["frac_fail"] == 0.5
    assert bins[0]["n"] == 0 and bins[0]["mean_p"] is None
    # p = 1.0 lands in the last bin, not in an eleventh one.
    assert calibration_curve([1.0], [1], n_bins=4)[-1]["n"] == 1
    assert expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0


def test_probability_functions_catch_swapped_or_bad_arguments():
    with pytest.raises(ValueError, match="swapped"):
        brier_score([0, 1], [0.3, 0.8])  # truth where probabilities belong
    with pytest.raises(ValueError, match=r"p_fail\[0\]"):
        roc_auc([0, 1], [float("nan"), 0.5])
    with pytest.raises(ValueError, match=r"p_fail\[1\]"):
        expected_calibration_error([0.2, 1.5], [0, 1])


def test_accuracy_by_margin_buckets():
    margins = [0.3, 0.5, 0.96, 1.0, 1.05, 3.0]
    correct = [True, True, False, True, True, True]
    buckets = accuracy_by_margin(correct, margins, edges=(0.5, 0.95, 1.05))
    assert [b["name"] for b in buckets] == ["< 0.5", "0.5-0.95", "0.95-1.05", ">= 1.05"]
    assert [(b["k"], b["n"]) for b in buckets] == [(1, 1), (1, 1), (1, 2), (2, 2)]
    assert buckets[2]["value"] == 0.5
    assert buckets[0]["lo"] is None and buckets[-1]["hi"] is None
    with pytest.raises(ValueError, match="ascending"):
        accuracy_by_margin([True], [1.0], edges=(1.0, 0.5))


def test_summarize_is_json_serializable_and_complete():
    truth, pred = published_student()
    p_fail = [0.9] * 19 + [0.7] * 15
    margins = [1.5] * 19 + [0.6] * 15
    summary = summarize(truth, pred, p_fail=p_fail, margins=margins)
    text = json.dumps(summary, allow_nan=False)  # strict JSON: no NaN, no inf
    back = json.loads(text)
    assert back["failure_mode_accuracy"]["k"] == 15
    assert set(back["binary_accuracy"]) == {"value", "k", "n", "lo", "hi"}
    assert back["probabilities"]["roc_auc"] == 1.0  # every failure scored above every success
    assert back["probabilities"]["brier"] == pytest.approx((19 * 0.01 + 15 * 0.49) / 34)
    assert back["by_margin"]["binary"][-2]["n"] == 19  # [1.25, 2.0)
    assert back["unparsed"]["k"] == 0
    assert back["confusion"]["counts"][LABELS.index("success")][LABELS.index("tipping")] == 15
    assert math.isclose(back["macro_f1"], macro_f1(truth, pred))


def test_summarize_uses_fails_flags_for_binary():
    summary = summarize(TRUTH, PRED, fails=[True, True, True, False, True, True])
    assert summary["binary_accuracy"]["k"] == 5
    assert summary["unparsed"]["k"] == 1
    assert summary["eight_way_accuracy"]["k"] == 3
