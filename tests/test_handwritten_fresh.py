"""A second set of 24 descriptions written by hand (tests/fixtures/handwritten_fresh.jsonl), by a
writer who never read the generator's templates, before any model answered them. Since then it is
a development set (BENCHMARKS.md: its first answers led to the role words); the untouched measure
is tests/fixtures/handwritten_final.jsonl. Here: 24 cases, every label three times, no text from
the first set (tests/test_handwritten.py checks every set's labels against physlab.physics and the
numbers its texts state). No model is loaded here."""

from __future__ import annotations

from collections import Counter

from physlab.physics import LABELS
from tests import test_handwritten as first

CASES = first.fixture_cases("handwritten_fresh")


def test_twenty_four_cases_three_per_label() -> None:
    assert [c["id"] for c in CASES] == [f"fresh-{i:02d}" for i in range(1, 25)]
    assert Counter(c["label"] for c in CASES) == {label: 3 for label in LABELS}
    assert {c["id"] for c in CASES} == {c["params"]["id"] for c in CASES}


def test_no_text_repeats_the_first_set() -> None:
    assert not {c["text"] for c in CASES} & {c["text"] for c in first.CASES}
