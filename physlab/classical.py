"""Classical reference learners on the true structured parameters (scikit-learn).

`sklearn:logreg` (multinomial logistic regression on standardized features) and `sklearn:gbt`
(histogram gradient-boosted trees) are fitted on the preset's train split, reading the exact
scenario parameters, never the text. They answer the same 8-way question as the students and
show how hard the physics rule is to learn from examples even for a learner that reads exact
numbers: the rule is a product of ratios with thresholds, which neither a linear model nor
axis-aligned splits capture from ~1,300 examples.

They read parameters, so they answer dataset scenarios (evaluate), not free text (predict).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from physlab.backends import BackendError, RecordBackend
from physlab.labels import LABELS

LEARNERS = ("logreg", "gbt")
SHAPES = ("box", "cylinder", "sphere")


def features(params: dict[str, Any]) -> list[float]:
    """One row of numbers per scenario: every physics parameter (SI), flags for the optional
    ones, and the one-hot shape; absent values are 0 with their flag 0."""
    o, g, m = params["object"], params["gripper"], params["motion"]
    env = params.get("environment") or {}

    def opt(value: Any) -> tuple[float, float]:
        return (0.0, 0.0) if value is None else (float(value), 1.0)

    crush, has_crush = opt(o.get("crush_force_n"))
    fill, has_fill = opt(o.get("fill_fraction"))
    clearance, has_clearance = opt(m.get("clearance_m"))
    row = [
        o["mass_kg"], o["width_m"], o["depth_m"], o["height_m"], o["com_height_m"], crush, has_crush,
        fill, has_fill, float(bool(o.get("open_top"))), float(bool(o.get("hollow"))),
        float(o.get("orientation") == "on_side"), *[float(o["shape"] == s) for s in SHAPES],
        float(g.get("kind") == "three_finger"), g["grip_force_n"], g["payload_kg"], g["pad_friction"],
        g.get("pad_radius_m", 0.008), g.get("grasp_offset_m", 0.0),
        float(m.get("carry", "grasped") == "on_tray"), m.get("lift_accel_mps2", 0.0),
        m.get("transport_accel_mps2", 0.0), m.get("ramp_time_s", 0.5), m.get("speed_mps", 0.3),
        m.get("tracking_error_m", 0.002), clearance, has_clearance,
        float(m.get("clearance_phase") == "approach"), float(bool(m.get("stop_before_obstacle"))),
        m.get("reaction_time_s", 0.05), m.get("brake_decel_mps2", 5.0), m.get("release_height_m", 0.0),
        m.get("release_speed_mps", 0.0), env.get("support_friction", 0.5), env.get("slope_deg", 0.0),
        env.get("rolling_resistance", 0.01), env.get("roll_tolerance_m", 0.05),
    ]
    return [float(x) for x in row]


class ClassicalBackend(RecordBackend):
    """A fitted scikit-learn classifier answering dataset records (see the module doc)."""

    supports_score = True

    def __init__(self, learner: str, train_records: Sequence[dict], seed: int = 0) -> None:
        if learner not in LEARNERS:
            raise BackendError(f"unknown classical learner '{learner}'; allowed: "
                               + ", ".join(f"sklearn:{x}" for x in LEARNERS))
        if not train_records:
            raise BackendError(f"sklearn:{learner} needs training records (data/<preset>/train.jsonl is empty)")
        self.name = f"sklearn:{learner}"
        self.learner = learner
        x = [features(r["params"]) for r in train_records]
        y = [r["label"] for r in train_records]
        if learner == "logreg":
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
        else:
            from sklearn.ensemble import HistGradientBoostingClassifier

            self.model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1, random_state=seed)
        self.model.fit(x, y)
        self.classes = [str(c) for c in self.model.classes_]

    def answer_settings(self) -> dict[str, Any]:
        return {"answer_format": "answer", "reads": "structured parameters"}

    def probabilities(self, records: Sequence[dict]) -> list[dict[str, float]]:
        rows = [features(r["params"]) for r in records]
        out = []
        for probs in self.model.predict_proba(rows):
            by_label = {label: 0.0 for label in LABELS}
            for label, p in zip(self.classes, probs, strict=True):
                by_label[label] = float(p) if math.isfinite(p) else 0.0
            out.append(by_label)
        return out

    def score_records(self, records: Sequence[dict]) -> list[dict[str, float]]:
        return self.probabilities(records)

    def generate_records(self, records: Sequence[dict], max_new_tokens: int = 64) -> list[str]:
        from physlab.evaluate import answer_from_probabilities  # the same decision-then-mode rule

        return [answer_from_probabilities(probs)[0] for probs in self.probabilities(records)]
