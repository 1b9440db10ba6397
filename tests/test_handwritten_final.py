"""A final set of 24 descriptions written by hand (tests/fixtures/handwritten_final.jsonl), kept
untouched until the very end as a last measure of how typed descriptions are read. The same checks as
tests/test_handwritten.py (labels worked out on paper agree with physlab.physics, the text states
every number the worked teacher needs and no word that gives the label away), every label appears
three times, few cases sit near the r = 1 boundary, and no text or sentence is taken from the other
hand-written sets. No model is loaded here."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from physlab.physics import LABELS
from tests import test_handwritten as first

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "handwritten_final.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def _other_texts() -> list[str]:
    texts = [c["text"] for c in first.CASES]
    fresh = FIXTURES / "handwritten_fresh.jsonl"
    if fresh.exists():
        texts += [json.loads(line)["text"] for line in fresh.read_text(encoding="utf-8").splitlines()]
    return texts


def _sentences(text: str) -> set[str]:
    return {s.strip().lower() for s in re.split(r"(?<=[.;:!?])\s+", text) if len(s.strip()) > 20}


def test_twenty_four_cases_three_per_label() -> None:
    assert [c["id"] for c in CASES] == [f"final-{i:02d}" for i in range(1, 25)]
    assert Counter(c["label"] for c in CASES) == {label: 3 for label in LABELS}
    assert {c["id"] for c in CASES} == {c["params"]["id"] for c in CASES}


def test_few_cases_near_the_boundary() -> None:
    assert sum(0.9 <= c["hand_ratio"] <= 1.1 for c in CASES) <= 3


def test_no_text_or_sentence_repeats_another_set() -> None:
    others = _other_texts()
    assert not {c["text"] for c in CASES} & set(others)
    assert len({c["text"] for c in CASES}) == len(CASES)
    seen = set().union(*(_sentences(t) for t in others))
    for case in CASES:
        assert not _sentences(case["text"]) & seen, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hand_label_matches_physics(case: dict) -> None:
    first.test_hand_label_matches_physics(case)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_text_states_what_the_worked_teacher_needs(case: dict) -> None:
    first.test_the_text_states_what_the_worked_teacher_needs(case)
