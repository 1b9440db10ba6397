"""Training speed by batch padding and by where the loss projects onto the vocabulary.

Padding: each batch padded to its own longest row, or rounded up to a multiple of M tokens
(TrainConfig.pad_multiple). Worked try 2 slowed from 5.3 s to 8.5 s per step over an hour while
the process grew to 12 GB; hundreds of distinct batch widths were the suspect (try 4 confirmed
it over a whole run, BENCHMARKS.md). Answer logits: the vocabulary projection only at answer
positions (TrainConfig.answer_logits, on) or at every position from the batch's shortest
prompt on (off). This runs the same first steps (same seed, same length-grouped batches) for
each combination.

    .venv/bin/python bench/pad_multiple.py --curriculum data/standard/curriculum-worked.jsonl --steps 10 --multiples 1,32
    .venv/bin/python bench/pad_multiple.py --steps 20 --multiples 32 --answer-logits off,on

Prints, per combination: non-padding tokens/s of each step (from metrics.jsonl) and their mean over
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
    parser.add_argument("--answer-logits", default="on", help="comma-separated on/off: vocabulary logits only at "
                        "answer positions (TrainConfig.answer_logits), or at every kept position")
    args = parser.parse_args(argv)

    import physlab.train as training

    with tempfile.TemporaryDirectory() as runs:
        for multiple, logits in ((int(m), a) for m in args.multiples.split(",") for a in args.answer_logits.split(",")):
            # The worked try-2/3 recipe (BENCHMARKS.md), cut to a few steps.
            config = training.TrainConfig(
                preset=args.preset, curriculum=args.curriculum, run_id=f"pad-{multiple}-{logits}", runs_dir=runs,
                lora_r=16, lora_alpha=32, target_modules=["all-linear"], learning_rate=1e-3, epochs=1.0,
                batch_size=4, max_length=768, warmup_ratio=0.03, max_steps=args.steps, save_checkpoints=False,
                pad_multiple=multiple, answer_logits=logits == "on")
            run_dir = training.train(config, progress=False)
            rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
            rates = [row["tokens_per_s"] for row in rows]
            print(f"pad multiple {multiple:>3}, answer logits {logits:>3}: tokens/s per step {rates}; "
                  f"mean of steps 2..{len(rates)}: {statistics.mean(rates[1:]):.1f}; "
                  f"second half (steps {len(rates) // 2 + 1}..{len(rates)}): {statistics.mean(rates[len(rates) // 2:]):.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
