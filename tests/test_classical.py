"""Classical reference learners read the structured parameters and join an evaluation."""

from __future__ import annotations

import json

import pytest

from physlab.backends import BackendError, check_spec, make_backend
from physlab.classical import features
from physlab.evaluate import EvalConfig, evaluate
from physlab.scenarios import write_preset


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_preset("seed", out=root / "seed")
    return root


def test_features_are_numbers_of_fixed_length(seed_dir) -> None:
    rows = [json.loads(line) for line in (seed_dir / "seed" / "train.jsonl").read_text().splitlines()]
    lengths = {len(features(r["params"])) for r in rows}
    assert len(lengths) == 1 and all(isinstance(x, float) for x in features(rows[0]["params"]))


@pytest.mark.parametrize("learner", ["logreg", "gbt"])
def test_learners_evaluate_side_by_side(seed_dir, tmp_path, learner: str) -> None:
    config = EvalConfig(preset="seed", split="test", models=["majority", f"sklearn:{learner}"], mode="score",
                        data_dir=str(seed_dir), results_dir=str(tmp_path), eval_id=f"c-{learner}")
    out = evaluate(config, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    model = summary["models"][f"sklearn:{learner}"]
    assert model["n"] == 34 and model["not_ok"] == 0
    # it learned something from 180 examples: better than always answering the majority label
    assert model["eight_way_accuracy"]["k"] >= summary["models"]["majority"]["eight_way_accuracy"]["k"]


def test_bad_learner_and_free_text_are_refused(seed_dir) -> None:
    with pytest.raises(BackendError, match="sklearn:logreg"):
        check_spec("sklearn:svm", preset="seed", data_dir=seed_dir)
    backend = make_backend("sklearn:logreg", preset="seed", data_dir=seed_dir)
    with pytest.raises(BackendError, match="structured parameters"):
        backend.generate(["a mug"])
