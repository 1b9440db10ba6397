"""Pack one evaluation into results/benchmarks/<name>/, the tracked folder BENCHMARKS.md cites.

results/evaluations/ and results/runs/ are not tracked (an evaluation's records.jsonl holds every
prompt and is tens of MB), so a figure must travel in a small folder of its own:

    summary.json             the evaluation's summary (every model's metrics, McNemar inside it)
    evaluation-config.json   what was asked: models, split and its sha256, answer settings
    config.json, manifest.json   the student run's TrainConfig and manifest (--run)
    answers.jsonl            one line per (model, scenario): truth, answer, correct; the student's
                             derivation (raw_output) for run: models. bench/paired_mcnemar.py reads
                             it, so a later try can be paired with this one without the adapter.

    .venv/bin/python bench/pack_benchmark.py worked14-standard-test worked-try14-standard-test \
        --run std-worked-try14

README.md is written by hand (what the folder shows, and how it compares). Every file is written
whole (fileio's atomic writers), so a stopped pack leaves no torn file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]


def answer_rows(records: list[dict]) -> list[dict]:
    """The compact per-scenario rows of answers.jsonl, in the records' order."""
    rows = []
    for r in records:
        parsed = r.get("parsed") or {}
        row = {"scenario_id": r["scenario_id"], "model": r["model"], "truth": r.get("truth"),
               "label": parsed.get("label"), "fails": parsed.get("fails"), "correct": r["correct"]}
        if str(r["model"]).startswith("run:"):
            row["raw_output"] = r.get("raw_output", "")
        rows.append(row)
    return rows


def read_answers(folder: Path) -> list[dict]:
    """answers.jsonl of a packed folder, or records.jsonl of an evaluation folder."""
    from physlab import fileio

    for name in ("answers.jsonl", "records.jsonl"):
        if (folder / name).is_file():
            return fileio.read_jsonl(folder / name)
    raise FileNotFoundError(f"{folder} holds neither answers.jsonl nor records.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_id", help="an evaluation under results/evaluations/")
    parser.add_argument("name", help="the folder under results/benchmarks/ to write")
    parser.add_argument("--run", action="append", default=[], metavar="RUN_ID",
                        help="a student run whose config.json and manifest.json go with it (repeatable)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "results" / "benchmarks",
                        help="where the folder goes (default: results/benchmarks/ of this checkout)")
    args = parser.parse_args(argv)

    from physlab import fileio
    from physlab.evaluate import read_records
    from physlab.fileio import write_json_atomic, write_jsonl_atomic

    source = fileio.results_dir() / "evaluations" / args.eval_id
    if not (source / "summary.json").is_file():
        raise SystemExit(f"{source}/summary.json not found: finish `physlab evaluate --eval-id {args.eval_id}` first")
    out = args.out_dir / args.name
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "summary.json", json.loads((source / "summary.json").read_text(encoding="utf-8")))
    write_json_atomic(out / "evaluation-config.json",
                      json.loads((source / "config.json").read_text(encoding="utf-8")))
    for run_id in args.run:
        run = fileio.results_dir() / "runs" / run_id
        suffix = "" if len(args.run) == 1 else f"-{run_id}"
        for name in ("config.json", "manifest.json"):
            if not (run / name).is_file():
                raise SystemExit(f"{run / name} not found")
            shutil.copyfile(run / name, out / name.replace(".json", f"{suffix}.json"))
    rows = answer_rows(read_records(source / "records.jsonl"))
    write_jsonl_atomic(out / "answers.jsonl", rows)
    print(f"wrote {out}: summary.json, evaluation-config.json, {len(args.run)} run(s), "
          f"answers.jsonl ({len(rows)} rows, {(out / 'answers.jsonl').stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
