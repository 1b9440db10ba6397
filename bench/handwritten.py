"""Hand-written descriptions: a model's answers against the labels worked out on paper.

    physlab predict --model run:<id> --file tests/fixtures/handwritten.jsonl --out answers.jsonl
    .venv/bin/python bench/handwritten.py answers.jsonl

Prints a Markdown table (case, physics label by hand, deciding r by hand, the model's label,
binary right, label right, how many numbers it had to assume) and the totals, for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "handwritten.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", help="the JSONL that `physlab predict --file ... --out` wrote")
    parser.add_argument("--fixture", default=str(FIXTURE))
    args = parser.parse_args(argv)

    cases = {c["id"]: c for c in map(json.loads, Path(args.fixture).read_text().splitlines())}
    answers = [json.loads(line) for line in Path(args.answers).read_text().splitlines() if line.strip()]
    binary = exact = 0
    print("| case | physics label (by hand) | deciding r (by hand) | model | binary | label | numbers assumed |")
    print("|---|---|---|---|---|---|---|")
    for answer in answers:
        case = cases[answer["id"]]
        truth, said = case["label"], answer.get("label")
        ok_binary = said is not None and (said == "success") == (truth == "success")
        ok_label = said == truth
        binary += ok_binary
        exact += ok_label
        assumed = len(answer.get("assumed") or [])
        print(f"| {case['id']} | {truth} | {case['hand_ratio']} | {said or answer.get('error')} | "
              f"{'✓' if ok_binary else '✗'} | {'✓' if ok_label else '✗'} | {assumed} |")
    n = len(answers)
    print(f"\nbinary {binary}/{n}, label {exact}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
