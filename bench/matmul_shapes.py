"""Cost of a new matmul shape on the CPU: why training pads batches to a multiple of 32 tokens.

A bf16 matmul on a CPU with AMX goes through oneDNN, which builds (JIT-compiles) a kernel for
each new input shape and keeps it in a cache. Training on right-padded batches of every
possible width gives every linear layer a new row count M = batch x width almost every step.
This times one SmolLM2-sized layer (576 -> 1536, forward and backward under bf16 autocast) on
the same spread of row counts, drawn two ways:

* ``fresh``: every call a row count not seen before (what padding to the longest row gives);
* ``rounded``: the same row counts rounded up to a multiple of 4 x 32 = 128 rows (batch 4,
  --pad-multiple 32), so only a couple of dozen distinct shapes.

It prints ms per call for each block of calls and the process's resident memory, which grows
with every new shape. Idle CPU; about a minute.

    .venv/bin/python bench/matmul_shapes.py --calls 2000
"""

from __future__ import annotations

import argparse
import random
import time


def rss_gb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--block", type=int, default=500)
    parser.add_argument("--round", type=int, default=128, help="rows to round up to in the 'rounded' draw")
    args = parser.parse_args(argv)

    import torch

    torch.manual_seed(0)
    weight = torch.randn(1536, 576)  # SmolLM2-135M gate/up projection
    # Row counts of batch 4 x widths 100..1000 tokens (worked examples after the shared prefix).
    rows = random.Random(0).sample(range(400, 4000), args.calls)
    inputs = torch.randn(max(rows) + args.round, 576)

    def call(m: int) -> None:
        x = inputs[:m].requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = torch.nn.functional.linear(x, weight)
        y.float().sum().backward()

    for name, draw in (("rounded", [-(-m // args.round) * args.round for m in rows]), ("fresh", rows)):
        for start in range(0, len(draw), args.block):
            block = draw[start:start + args.block]
            began = time.perf_counter()
            for m in block:
                call(m)
            ms = (time.perf_counter() - began) / len(block) * 1000
            print(f"{name:>7} calls {start:>5}-{start + len(block) - 1:<5}: {ms:6.2f} ms/call, "
                  f"{len(set(draw[:start + len(block)]))} distinct shapes so far, resident {rss_gb():.2f} GB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
