"""bench/pack_benchmark.py and bench/paired_mcnemar.py: an evaluation packed into a tracked
folder can still be paired, scenario by scenario, with a later evaluation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from physlab.evaluate import make_record, parse_output

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import pack_benchmark  # noqa: E402
import paired_mcnemar  # noqa: E402

TRUTHS = ["success", "tipping", "sloshing", "success", "crushing", "success"]


def _evaluation(results: Path, eval_id: str, model: str, answers: list[str]) -> None:
    folder = results / "evaluations" / eval_id
    folder.mkdir(parents=True)
    rows = []
    for i, (truth, answer) in enumerate(zip(TRUTHS, answers, strict=True)):
        scenario = {"id": f"s-{i}", "label": truth, "description": "a mug", "family": "f", "object": "mug"}
        rows.append(make_record(scenario, model, "prompt", answer, parse_output(answer), None, 0.1, "generate"))
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "summary.json").write_text(json.dumps({"eval_id": eval_id, "models": {model: {"n": len(rows)}}}))
    (folder / "config.json").write_text(json.dumps({"eval_id": eval_id, "models": [model]}))


YES = "YES\nFAILURE_MODE: {}"
NO = "NO\nFAILURE_MODE: none"


def test_packed_answers_pair_with_a_later_evaluation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(results))
    old = [NO, YES.format("tipping"), NO, NO, NO, YES.format("slipping")]  # binary right: 0 1 3 (3 of 6)
    new = [NO, YES.format("tipping"), YES.format("sloshing"), NO, YES.format("crushing"), NO]  # all 6
    _evaluation(results, "old-eval", "run:old:grammar", old)
    _evaluation(results, "new-eval", "run:new:grammar", new)
    run = results / "runs" / "old"
    run.mkdir(parents=True)
    (run / "config.json").write_text('{"run_id": "old"}')
    (run / "manifest.json").write_text('{"steps": 3}')

    assert pack_benchmark.main(["old-eval", "try-old", "--run", "old", "--out-dir", str(tmp_path / "bench")]) == 0
    packed = tmp_path / "bench" / "try-old"
    assert {p.name for p in packed.iterdir()} == {"summary.json", "evaluation-config.json", "config.json",
                                                  "manifest.json", "answers.jsonl"}
    rows = [json.loads(line) for line in (packed / "answers.jsonl").read_text().splitlines()]
    assert [r["scenario_id"] for r in rows] == [f"s-{i}" for i in range(6)]
    assert rows[2] == {"scenario_id": "s-2", "model": "run:old:grammar", "truth": "sloshing", "label": "success",
                       "fails": False, "correct": {"binary": False, "mode": False, "eight_way": False},
                       "raw_output": NO}
    # The evaluation itself goes away (results/evaluations is not tracked); the packed folder pairs.
    for path in (results / "evaluations" / "old-eval").iterdir():
        path.unlink()
    capsys.readouterr()
    assert paired_mcnemar.main(["new-eval", "run:new:grammar", str(packed), "run:old:grammar"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("binary    6 scenarios: only A right 3, only B right 0, p = 0.25")
    with pytest.raises(SystemExit, match="no answers of 'run:other'"):
        paired_mcnemar.main(["new-eval", "run:other", str(packed), "run:old:grammar"])
    with pytest.raises(SystemExit, match="neither answers.jsonl nor records.jsonl"):
        paired_mcnemar.main(["old-eval", "run:old:grammar", str(packed), "run:old:grammar"])
