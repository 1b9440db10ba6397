"""Probe hints: sentences that hand a model part of the physics, to find which skill is missing.

`hint_sentence(record, "ratios")` lists every applicable check's ratio r in time order
("lift slipping r 0.34"); "quantities" lists each check's demand and capacity, already
computed. bench/learnability.py builds probe presets from them (every description gets the
sentence), and the `probe:<hint>:<run_id>` model spec (physlab.backends) asks a run trained on
such a preset about ordinary scenarios with the sentence appended: the ratio oracle row beside
the students in one evaluation. A probe is an experiment, not a product: a real user's
description never states the answer's ingredients.
"""

from __future__ import annotations

from typing import Any

from physlab import physics
from physlab.backends import RecordBackend

HINTS = ("ratios", "quantities")


def hint_sentence(record: dict, hint: str) -> str:
    """One sentence listing every applicable check in time order, in the probe's terms."""
    from physlab.teacher import check_numbers, scenario_from_record

    scenario = scenario_from_record(record)
    checks = physics.assess(scenario).checks
    if hint == "ratios":
        parts = [f"{c.phase_name} {c.mode} r {c.ratio:.2f}" for c in checks]
        return "Checks in time order (demand / capacity, fails above 1): " + "; ".join(parts) + "."
    if hint == "quantities":
        parts = [f"{c.phase_name} {c.mode}: {check_numbers(scenario, c)}" for c in checks]
        return "Checks in time order: " + "; ".join(parts) + "."
    raise ValueError(f"hint: {hint!r} is not one of {', '.join(HINTS)}")


def with_hint(record: dict, hint: str) -> str:
    """The record's description with the probe sentence appended."""
    return f"{record['description']} {hint_sentence(record, hint)}"


class ProbeBackend(RecordBackend):
    """A run trained on a probe preset, asked about dataset records with the hint appended."""

    def __init__(self, inner: Any, hint: str, name: str) -> None:
        if hint not in HINTS:
            raise ValueError(f"hint: {hint!r} is not one of {', '.join(HINTS)}")
        self.inner, self.hint, self.name = inner, hint, name
        self.supports_score = inner.supports_score

    def build_prompt(self, description: str) -> str:
        return self.inner.build_prompt(description)

    def answer_settings(self) -> dict[str, Any]:
        return {**self.inner.answer_settings(), "probe_hint": self.hint}

    def _prompts(self, records: list[dict]) -> list[str]:
        return [self.inner.build_prompt(with_hint(r, self.hint)) for r in records]

    def score_records(self, records: list[dict]) -> list[dict[str, float]]:
        return self.inner.score(self._prompts(records))

    def generate_records(self, records: list[dict], max_new_tokens: int = 64) -> list[str]:
        return self.inner.generate(self._prompts(records), max_new_tokens=max_new_tokens)
