"""Evaluation speed: scenarios/s by answer mode and batch size on one model.

    .venv/bin/python bench/eval_speed.py --preset seed --n 16 --batch-sizes 1,8 [--model base] [--precisions auto,fp32]

Prints one line per (precision, mode, batch size). Load time is excluded (the model is loaded
once and shared). Prompts go to the backend one batch at a time, as `physlab evaluate` sends
them, so the shared-prefix cache is built by the first batch and reused by the others.
"""

from __future__ import annotations

import argparse
import time

from physlab.backends import make_backend
from physlab.datasets_io import read_split
from physlab.fileio import data_dir
from physlab.prompts import build_prompt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="seed")
    ap.add_argument("--split", default="test")
    ap.add_argument("--model", default="base")
    ap.add_argument("--n", type=int, default=16, help="scenarios per measurement")
    ap.add_argument("--batch-sizes", default="1,8")
    ap.add_argument("--modes", default="score,generate")
    ap.add_argument("--precisions", default="auto", help="comma-separated: auto, bf16, fp32")
    args = ap.parse_args()

    records = read_split(data_dir() / args.preset / f"{args.split}.jsonl")[: args.n]
    # Sorted by length, as physlab evaluate sorts them (less padding per batch).
    prompts = sorted((build_prompt(r["description"]) for r in records), key=len)
    for precision in args.precisions.split(","):
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            t = time.perf_counter()
            backend = make_backend(args.model, preset=args.preset, batch_size=batch_size, precision=precision)
            load_s = time.perf_counter() - t
            for mode in args.modes.split(","):
                run = backend.score if mode == "score" else backend.generate
                t = time.perf_counter()
                backend.prepare(prompts)  # what physlab evaluate does before its first batch
                for start in range(0, len(prompts), batch_size):
                    run(prompts[start:start + batch_size])
                elapsed = time.perf_counter() - t
                print(f"{args.model} {precision} {mode:8s} batch {batch_size:2d}: {len(prompts) / elapsed:6.2f} "
                      f"scenarios/s ({elapsed:.1f} s for {len(prompts)}; load {load_s:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
