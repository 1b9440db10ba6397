"""An evaluation's summary.json as the Markdown rows BENCHMARKS.md shows, so no figure is retyped.

    .venv/bin/python bench/summary_table.py results/benchmarks/worked-standard-test/summary.json

Prints one row per model (binary, failure mode and 8-way accuracy with 95% Wilson intervals,
macro-F1, copied numbers exact for worked students, scenarios/s), then McNemar's exact p for
every pair against the first model (binary / 8-way), then binary accuracy by margin band.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _acc(a: dict | None) -> str:
    if not a or not a.get("n"):
        return "–"
    return f"{100 * a['value']:.1f}% [{100 * a['lo']:.0f}–{100 * a['hi']:.0f}] {a['k']}/{a['n']}"


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.0e}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("summary", help="an evaluation's summary.json")
    args = parser.parse_args(argv)

    summary = json.loads(Path(args.summary).read_text())
    order = summary.get("model_order") or list(summary["models"])
    print(f"{summary.get('eval_id')}: {summary.get('preset')} / {summary.get('split')}, mode {summary.get('mode')}\n")
    print("| model | binary | failure mode | 8-way | macro-F1 | copied numbers exact | scenarios/s |")
    print("|---|---|---|---|---|---|---|")
    for spec in order:
        m = summary["models"][spec]
        copied = m.get("copied_numbers") or {}
        copied_text = (f"{copied['exact']}/{copied['total']} ({100 * copied['exact'] / copied['total']:.1f}%)"
                       if copied.get("total") else "–")
        speed = m.get("scenarios_per_s")
        print(f"| `{spec}` | {_acc(m.get('binary_accuracy'))} | {_acc(m.get('failure_mode_accuracy'))} | "
              f"{_acc(m.get('eight_way_accuracy'))} | {m.get('macro_f1', 0):.3f} | {copied_text} | "
              f"{f'{speed:.2f}' if speed else '–'} |")
    first = order[0]
    pairs: dict[str, dict[str, float]] = {}
    for test in summary.get("mcnemar") or []:
        if first in (test["model_a"], test["model_b"]):
            other = test["model_b"] if test["model_a"] == first else test["model_a"]
            pairs.setdefault(other, {})[test["metric"]] = test["p_value"]
    if pairs:
        print(f"\nMcNemar (exact), `{first}` against (binary / 8-way):")
        for other, p in pairs.items():
            print(f"- `{other}`: p = {_p(p.get('binary', 1.0))} / {_p(p.get('eight_way', 1.0))}")
    print("\nbinary accuracy by margin band:")
    for spec in order:
        bands = (summary["models"][spec].get("by_margin") or {}).get("binary") or []
        cells = ", ".join(f"{b['name']}: {100 * b['value']:.1f}% {b['k']}/{b['n']}" for b in bands if b.get("n"))
        print(f"- `{spec}`: {cells or '–'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
