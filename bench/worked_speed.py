"""Evaluation speed of a worked student with the calculator, by batch size (CPU or GPU).

Tool-paused generation (physlab.toolgen) writes ~100-250 tokens per scenario, the
calculator's values included, so it is far slower than score mode. Target (issue 11):
>= 0.5 scenarios/s on the 2-core CPU.

    .venv/bin/python bench/worked_speed.py --run std-worked-r16all-e1 --n 64 --batch-sizes 8,16,32

Prints one row per batch size: scenarios/s, generated tokens/s, mean tokens and calculator
insertions per scenario, and the binary accuracy on those scenarios (a sanity check that the
fast path still answers). The same scenarios (the first --n of the split, sorted by prompt
length as `physlab evaluate` does) are used for every batch size; the model loads once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a run trained on the worked format")
    parser.add_argument("--preset", default="standard")
    parser.add_argument("--split", default="test")
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--no-calculator", action="store_true")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args(argv)

    from physlab import fileio
    from physlab.backends import make_backend
    from physlab.datasets_io import read_split
    from physlab.evaluate import parse_output

    records = read_split(fileio.data_dir() / args.preset / f"{args.split}.jsonl")[: args.n]
    spec = f"run:{args.run}" + (":no-calculator" if args.no_calculator else "")
    t0 = time.perf_counter()
    backend = make_backend(spec, preset=args.preset, precision=args.precision)
    print(f"{spec}: loaded in {time.perf_counter() - t0:.1f} s; {len(records)} scenarios of "
          f"{args.preset}/{args.split}; precision {backend.precision}")
    prompts = sorted(((backend.build_prompt(r["description"]), r) for r in records), key=lambda pr: len(pr[0]))
    print(f"{'batch':>5}  {'scen/s':>7}  {'tok/s':>6}  {'tokens':>6}  {'values':>6}  {'binary':>6}")
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        backend.batch_size = batch
        backend.generate([prompts[0][0], prompts[1][0]], max_new_tokens=4)  # warm-up, prefix cache
        start = time.perf_counter()
        texts, stats = [], []
        for i in range(0, len(prompts), batch):
            chunk = [p for p, _ in prompts[i:i + batch]]
            texts += backend.generate(chunk)
            stats += backend.last_stats
        seconds = time.perf_counter() - start
        tokens = sum(s["new_tokens"] for s in stats)
        right = sum((parse_output(t)["fails"] is True) == (r["label"] != "success")
                    for t, (_, r) in zip(texts, prompts, strict=True))
        print(f"{batch:>5}  {len(prompts) / seconds:>7.2f}  {tokens / seconds:>6.0f}  "
              f"{tokens / len(prompts):>6.0f}  {sum(s['inserted'] for s in stats) / len(prompts):>6.1f}  "
              f"{right / len(prompts):>6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
