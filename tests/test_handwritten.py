"""Twenty descriptions written by hand (tests/fixtures/handwritten.jsonl): their labels, computed
on paper, agree with physlab.physics, every number the physics needs is in the text, and the
free-text answer path reads each one. The first two checks also run over the other two sets
(handwritten_fresh, handwritten_final; their own checks are in their test modules). BENCHMARKS.md shows how the students answer them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from physlab import calculator
from physlab.describe import find_leaks
from physlab.physics import assess
from physlab.schema import parse_scenario
from physlab.worked import numbers_in_text, worked_answer

FIXTURES = Path(__file__).parent / "fixtures"
SETS = ("handwritten", "handwritten_fresh", "handwritten_final")  # the first 20, the development set, the final set


def fixture_cases(name: str) -> list[dict]:
    """The cases of one hand-written set (tests/fixtures/<name>.jsonl)."""
    return [json.loads(line) for line in (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


CASES = fixture_cases("handwritten")
ALL_CASES = [case for name in SETS for case in fixture_cases(name)]


def test_twenty_cases_cover_every_label() -> None:
    assert len(CASES) == 20
    assert {c["label"] for c in CASES} == {"success", "tipping", "slipping", "crushing", "sloshing",
                                          "collision", "dropping", "rolling_away"}


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["id"] for c in ALL_CASES])
def test_hand_label_matches_physics(case: dict) -> None:
    assessment = assess(parse_scenario(case["params"]))
    assert assessment.label == case["label"]
    assert assessment.margin == pytest.approx(case["hand_ratio"], rel=0.03)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["id"] for c in ALL_CASES])
def test_the_text_states_what_the_worked_teacher_needs(case: dict) -> None:
    """The teacher's formulas for this scenario, written in SI, use only numbers the text
    states (in some unit): each SI number appears in the text, or a unit multiple of it."""
    record = {"params": case["params"], "description": case["text"]}
    stated = numbers_in_text(case["text"])
    for line in worked_answer(record).lines:
        if line.true_ratio == 0:
            continue  # e.g. rolling after a release at rest on a level table: r = 0 whatever mu is
        for slot, value in zip(line.slots, calculator.numbers(line.formula), strict=True):
            if slot == "const" or slot.endswith("(unit)") or value == 0:
                continue
            # the default expressions write lengths in mm: 40[mm] for "4 cm"
            assert any(abs(value - s * k) <= 1e-9 * max(1.0, abs(value)) for s in stated
                       for k in (1, 10, 100, 1000, 0.1, 0.01, 0.001)), (case["id"], slot, value)
    assert not find_leaks(case["text"])


def test_predict_file_keeps_the_users_own_label(tmp_path, monkeypatch) -> None:
    """`physlab predict --file` on the fixture: every line answered, and the fixture's own
    "label" (the truth) is kept as given_label beside the model's label."""
    from physlab.cli import main
    from physlab.scenarios import write_preset

    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(tmp_path / "results"))
    write_preset("seed", out=tmp_path / "data" / "seed")
    out = tmp_path / "answers.jsonl"
    fixture = Path(__file__).parent / "fixtures" / "handwritten.jsonl"
    assert main(["predict", "--model", "majority", "--preset", "seed", "--file", str(fixture), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [c["id"] for c in CASES]
    assert [r["given_label"] for r in rows] == [c["label"] for c in CASES]
    assert all(r["label"] == rows[0]["label"] and r["error"] is None for r in rows)
