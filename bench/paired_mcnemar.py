"""Exact McNemar between two models from two evaluations of the same scenarios.

One evaluation's summary.json already holds McNemar between its own models. Two runs evaluated
on different days sit in two evaluations; this pairs their answers by scenario id. Each side is
an evaluation id (its records.jsonl under results/evaluations/) or a folder packed by
bench/pack_benchmark.py (its answers.jsonl, tracked under results/benchmarks/), so a new try can
be paired with an old one whose run and evaluation are long gone.

    .venv/bin/python bench/paired_mcnemar.py worked14-standard-test run:std-worked-try14:grammar \
        results/benchmarks/worked-try13-standard-test run:std-worked-try13:grammar

Prints, for binary and 8-way: the scenarios both answered, how many only A and only B got right,
and the two-sided exact p (physlab.metrics.mcnemar_exact). Refuses evaluations of other splits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/pack_benchmark


def _records(source: str, model: str) -> dict[str, dict]:
    from pack_benchmark import read_answers

    from physlab import fileio

    folder = Path(source) if Path(source).is_dir() else fileio.results_dir() / "evaluations" / source
    try:
        answers = read_answers(folder)
    except FileNotFoundError as err:
        raise SystemExit(str(err)) from None
    rows = {r["scenario_id"]: r["correct"] for r in answers if r.get("model") == model}
    if not rows:
        raise SystemExit(f"no answers of {model!r} in {folder}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_a", help="an evaluation id, or a folder packed by bench/pack_benchmark.py")
    parser.add_argument("model_a")
    parser.add_argument("eval_b", help="the same, for the other model")
    parser.add_argument("model_b")
    args = parser.parse_args(argv)

    from physlab.metrics import mcnemar_exact

    a, b = _records(args.eval_a, args.model_a), _records(args.eval_b, args.model_b)
    if set(a) != set(b):
        raise SystemExit(f"the two evaluations hold different scenarios ({len(a)} and {len(b)}, "
                         f"{len(set(a) & set(b))} shared): pair only evaluations of the same split")
    ids = sorted(a)
    for key in ("binary", "eight_way"):
        test = mcnemar_exact([bool(a[i][key]) for i in ids], [bool(b[i][key]) for i in ids])
        print(f"{key:<9} {len(ids)} scenarios: only A right {test['b']}, only B right {test['c']}, "
              f"p = {test['p_value']:.2g}  (A = {args.model_a}, B = {args.model_b})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
