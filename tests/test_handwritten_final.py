"""A final set of 24 descriptions written by hand (tests/fixtures/handwritten_final.jsonl), kept
untouched until the very end as a last measure of how typed descriptions are read. Here: every
label appears three times, few cases sit near the r = 1 boundary, and no text or sentence is taken
from the other hand-written sets (tests/test_handwritten.py checks every set's labels against
physlab.physics and the numbers its texts state). No model is loaded here."""

from __future__ import annotations

import re
from collections import Counter

from physlab.physics import LABELS
from tests import test_handwritten as first

CASES = first.fixture_cases("handwritten_final")


def _other_texts() -> list[str]:
    return [c["text"] for name in ("handwritten", "handwritten_fresh") for c in first.fixture_cases(name)]


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
