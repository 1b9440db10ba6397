"""Where does the student's difficulty lie? Build probe datasets that hand it more of the physics.

The issue-6 student names the failure mode well from the words but does not learn *whether* a
manipulation fails. Deciding needs three skills: reading the numbers, computing each check's
demand and capacity from them, and comparing the two. Each probe preset below adds one sentence
to every scenario description (train, test, ood, boundary) and takes the work of one skill away:

* ``quantities``: every applicable check's demand and capacity, already computed, in time order
  ("lifting at 2.27 m/s² needs 14 N of friction, pads give 2·0.654·31.9 N = 41.7 N"). The model
  only has to compare two numbers per check and pick the first failing phase.
* ``ratios``: every check's ratio r = demand / capacity, in time order ("lift slipping r 0.34").
  The model only has to find the first r above 1.

Training the same recipe on each probe preset and on the raw preset separates the skills: if
``ratios`` is learned and raw is not, the threshold logic and the answer format are learnable and
the gap is the arithmetic. Labels are unchanged (they come from physics, not from the text).

    python bench/learnability.py --preset standard --hint ratios
    # writes data/standard-hint-ratios/{train,test,ood,boundary}.jsonl and curriculum.jsonl
    # (answer-only targets), then prints the train and evaluate commands to run.

A probe preset is an experiment, not a product dataset: its descriptions state the answer's
ingredients, which a real user's description never would.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physlab import datasets_io, prompts  # noqa: E402
from physlab.fileio import write_jsonl_atomic  # noqa: E402
from physlab.probes import HINTS, hint_sentence  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="standard", help="source preset under --data-dir (default: standard)")
    parser.add_argument("--hint", choices=HINTS, required=True)
    parser.add_argument("--data-dir", default="data")
    args = parser.parse_args(argv)

    source = Path(args.data_dir) / args.preset
    name = f"{args.preset}-hint-{args.hint}"
    out = Path(args.data_dir) / name
    out.mkdir(parents=True, exist_ok=True)
    for split, path in datasets_io.split_files(source).items():
        rows = datasets_io.read_split(path)
        for row in rows:
            row["description"] = f"{row['description']} {hint_sentence(row, args.hint)}"
        write_jsonl_atomic(out / f"{split}.jsonl", rows)
        if split == "train":
            # Answer-only targets (the decision and mode get the whole gradient; try 2 in BENCHMARKS.md).
            write_jsonl_atomic(out / "curriculum.jsonl", [
                {"prompt": prompts.build_prompt(r["description"]), "completion": prompts.format_answer(r["label"]),
                 "scenario_id": r["id"], "label": r["label"], "teacher": "physics", "fallback_reason": None}
                for r in rows])
    if (source / "manifest.json").is_file():
        shutil.copyfile(source / "manifest.json", out / "manifest.json")
    example = json.loads((out / "test.jsonl").open().readline())
    print(f"wrote {out}/ — e.g. {example['id']}:\n  {example['description']}\n")
    print(f"physlab train --preset {name} --max-steps 120 --lora-r 16 --lora-alpha 32 --target-modules all-linear "
          f"--learning-rate 1e-3 --run-id {name}-r16all-s120")
    print(f"physlab evaluate --preset {name} --split test --models base,run:{name}-r16all-s120 --mode score "
          f"--limit 300 --eval-id {name}-s120-test300-score")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
