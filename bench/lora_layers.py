"""Training speed and early loss by how many transformer blocks LoRA adapts (--lora-layers).

The backward pass stops at the lowest adapted block, so adapting only the last N of the
embedded model's 30 blocks makes a step cheaper; fewer trainable weights learn less per step.
This runs the worked recipe of tries 10-11 (BENCHMARKS.md) for the same first steps (same seed,
same length-grouped batches) with each N, and prints what decides between them on a fixed wall
budget: seconds per step late in the run, and the loss reached after a given number of seconds.

    .venv/bin/python bench/lora_layers.py --steps 14 --layers all,22,15

Per N: seconds per step over the last 6 steps (the first steps build oneDNN kernels and are
slower), then (elapsed s, loss) per step. Runs go to a temporary folder; nothing is kept. Run it
on an otherwise idle CPU: two jobs at once halve each other.
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
    parser.add_argument("--steps", type=int, default=14)
    parser.add_argument("--layers", default="all,22,15",
                        help="comma-separated block counts, 'all' for every block (TrainConfig.lora_layers)")
    args = parser.parse_args(argv)

    import physlab.train as training

    with tempfile.TemporaryDirectory() as runs:
        for layers in args.layers.split(","):
            count = None if layers == "all" else int(layers)
            config = training.TrainConfig(
                preset=args.preset, curriculum=args.curriculum, run_id=f"layers-{layers}", runs_dir=runs,
                lora_r=16, lora_alpha=32, target_modules=["all-linear"], lora_layers=count, learning_rate=1e-3,
                batch_size=4, max_length=768, warmup_ratio=0.03, max_steps=args.steps, save_checkpoints=False,
                pad_multiple=32, answer_logits=False)
            run_dir = training.train(config, progress=False)
            manifest = json.loads((run_dir / "manifest.json").read_text())
            rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
            elapsed = [row["elapsed_s"] for row in rows]
            late = [b - a for a, b in zip(elapsed[:-1], elapsed[1:], strict=True)][-6:]
            curve = ", ".join(f"({row['elapsed_s']:.0f} s, {row['loss']:.2f})" for row in rows)
            print(f"lora layers {layers:>3}: {manifest['trainable_params']:,} trainable; "
                  f"{statistics.mean(late):.2f} s/step over the last {len(late)} steps; loss by time: {curve}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
