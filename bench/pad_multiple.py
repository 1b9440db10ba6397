"""Training speed by batch padding: each batch padded to its own longest row, or rounded up
to a multiple of M tokens (physlab.train.CompletionCollator, pad_multiple).

Worked try 2 slowed from 5.3 s to 8.5 s per step over an hour while the process grew to 12 GB;
hundreds of distinct batch widths were the suspect. This measures the cost side at the start
of a run: the same first steps (same seed, same length-grouped batches) for each M.

    .venv/bin/python bench/pad_multiple.py --curriculum data/standard/curriculum-worked.jsonl --steps 10 --multiples 1,32

Prints, per M: non-padding tokens/s of each step (from metrics.jsonl) and their mean over
steps 2..N (step 1 includes warm-up). Runs go to a temporary folder; nothing is kept.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="standard")
    parser.add_argument("--curriculum", default="data/standard/curriculum-worked.jsonl")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--multiples", default="1,32", help="comma-separated pad multiples (tokens)")
    args = parser.parse_args(argv)

    import physlab.train as training

    with tempfile.TemporaryDirectory() as runs:
        for multiple in (int(m) for m in args.multiples.split(",")):
            # The worked try-2/3 recipe (BENCHMARKS.md), cut to a few steps.
            config = training.TrainConfig(
                preset=args.preset, curriculum=args.curriculum, run_id=f"pad-{multiple}", runs_dir=runs,
                lora_r=16, lora_alpha=32, target_modules=["all-linear"], learning_rate=1e-3, epochs=1.0,
                batch_size=4, max_length=768, warmup_ratio=0.03, max_steps=args.steps, save_checkpoints=False,
                pad_multiple=multiple)
            run_dir = training.train(config, progress=False)
            rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
            rates = [row["tokens_per_s"] for row in rows]
            print(f"pad multiple {multiple:>3}: tokens/s per step {rates}; "
                  f"mean of steps 2..{len(rates)}: {statistics.mean(rates[1:]):.1f}; "
                  f"second half (steps {len(rates) // 2 + 1}..{len(rates)}): {statistics.mean(rates[len(rates) // 2:]):.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
