"""A second set of 24 descriptions written by hand (tests/fixtures/handwritten_fresh.jsonl), by a
writer who never read the generator's templates, before any model answered them. Since then it is
a development set (BENCHMARKS.md: its first answers led to the role words); the untouched measure
is tests/fixtures/handwritten_final.jsonl. The same checks as
tests/test_handwritten.py (labels worked out on paper agree with physlab.physics, the text states
every number the worked teacher needs and no word that gives the label away), and every label
appears three times. No model is loaded here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from physlab.physics import LABELS
from tests import test_handwritten as first

FIXTURE = Path(__file__).parent / "fixtures" / "handwritten_fresh.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def test_twenty_four_cases_three_per_label() -> None:
    assert [c["id"] for c in CASES] == [f"fresh-{i:02d}" for i in range(1, 25)]
    assert Counter(c["label"] for c in CASES) == {label: 3 for label in LABELS}
    assert {c["id"] for c in CASES} == {c["params"]["id"] for c in CASES}


def test_no_text_repeats_the_first_set() -> None:
    assert not {c["text"] for c in CASES} & {c["text"] for c in first.CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hand_label_matches_physics(case: dict) -> None:
    first.test_hand_label_matches_physics(case)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_text_states_what_the_worked_teacher_needs(case: dict) -> None:
    first.test_the_text_states_what_the_worked_teacher_needs(case)
