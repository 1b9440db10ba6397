"""Where a worked student goes wrong: its evaluation records, line by line against physics.

    .venv/bin/python bench/worked_analysis.py worked-standard-test [--model run:<id>]

Prints, for each worked model of the evaluation:
- accuracy on scenarios whose derivation has no reasoning error vs the others (if the first is
  ~100%, the verdict logic is learned and the errors come from writing the lines);
- the reasoning-error categories with counts;
- per check (phase and mode): how often the student wrote it when the teacher did, and how
  often the formula's structure was the teacher's (unit conversions are part of the structure);
- copied numbers exact (and the slots with wrong copies, each with an example), and the
  calculator's r against the true r on the lines that match;
- wrong answers by the teacher's deciding check and the form of its formula
  (physlab.teacher.formula_form): where the misses are;
- the last step: where the student's own lines fail in a lift or transport phase (the largest
  r decides), how often its answer is the label its own lines imply, split by one or several
  failing modes, and how often it wrote the comparison line (`--compare` students) and
  answered what the comparison named.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_id")
    parser.add_argument("--model", default=None, help="one model spec (default: every worked model)")
    parser.add_argument("--text", default=None, metavar="REGEX",
                        help="also count copies apart in the scenarios whose description matches REGEX "
                             "(a phrasing suspected of being misread)")
    parser.add_argument("--by-object", default=None, metavar="CHECK",
                        help="also break one check ('transport sloshing') down by object type and by family: "
                             "how often it is written where the teacher writes it")
    args = parser.parse_args(argv)

    from physlab import fileio, worked
    from physlab.teacher import formula_form

    path = fileio.results_dir() / "evaluations" / args.eval_id / "records.jsonl"
    records = [r for r in fileio.read_jsonl(path) if "reasoning_errors" in r]
    models = sorted({r["model"] for r in records}) if args.model is None else [args.model]
    for model in models:
        rows = [r for r in records if r["model"] == model]
        if not rows:
            continue
        clean = [r for r in rows if not r["reasoning_errors"]]
        dirty = [r for r in rows if r["reasoning_errors"]]

        def acc(rs: list[dict], key: str) -> str:
            vals = [r["correct"][key] for r in rs if r["correct"][key] is not None]
            return f"{sum(vals) / len(vals):.1%} ({sum(vals)}/{len(vals)})" if vals else "-"

        print(f"\n{model}: {len(rows)} scenarios of {args.eval_id}")
        print(f"  derivation without error: {len(clean)}/{len(rows)} ({len(clean) / len(rows):.1%})")
        print(f"    binary {acc(clean, 'binary')}, 8-way {acc(clean, 'eight_way')}")
        print(f"  derivation with an error: binary {acc(dirty, 'binary')}, 8-way {acc(dirty, 'eight_way')}")
        cats = Counter(c for r in rows for c in r["reasoning_errors"])
        print("  reasoning errors (scenarios): " + ", ".join(f"{k} {v}" for k, v in cats.most_common()))
        written, structure = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
        said_na: Counter = Counter()  # missed checks the student wrote as `n/a` (--na-lines runs)
        ratio_errors = []
        for r in rows:
            teacher = [t.split(":")[0] for t in r["teacher_derivation"]]
            student = [f"{d['phase']} {d['mode']}" for d in r["derivation"] if d["phase"]]
            na = set()
            for line in (r.get("raw_output") or "").splitlines():
                if re.match(r"^\s*(yes|no)\b", line, re.IGNORECASE):
                    break  # the derivation ends at the answer head, as in worked.read_lines
                match = worked.NA_RE.match(line)
                if match:
                    na.add(f"{match.group('phase')} {match.group('mode')}")
            for check in teacher:
                written[check][1] += 1
                written[check][0] += int(check in student)
                said_na[check] += int(check not in student and check in na)
            for d in r["derivation"]:
                if d["phase"] and d["true_ratio"] is not None:
                    key = f"{d['phase']} {d['mode']}"
                    structure[key][1] += 1
                    structure[key][0] += int("wrong_formula" not in d["errors"])
                    if d["value"] is not None and d["true_ratio"] > 1e-3 and not d["errors"]:
                        ratio_errors.append(abs(d["value"] / d["true_ratio"] - 1))
        print("  check                       written when the teacher writes it   teacher's formula structure"
              + ("   missed: written as n/a" if said_na.total() else ""))
        for key in sorted(written, key=lambda k: -written[k][1]):
            w, s = written[key], structure.get(key, [0, 0])
            print(f"  {key:<27} {w[0]:>5}/{w[1]:<5} {w[0] / w[1]:>6.1%}" +
                  (f"{'':>22}{s[0]:>5}/{s[1]:<5} {s[0] / s[1]:>6.1%}" if s[1] else f"{'':>40}") +
                  (f"{'':>5}{said_na[key]:>5}/{w[1] - w[0]:<5}" if said_na.total() else ""))
        if args.by_object:
            _by_object(rows, args.by_object)
        exact = sum(r["copied"]["exact"] for r in rows)
        total = sum(r["copied"]["total"] for r in rows)
        print(f"  copied numbers exact: {exact}/{total} ({exact / max(total, 1):.2%}) of the slots in lines "
              f"with the teacher's structure")
        _wrong_copies(rows, args.text)
        if ratio_errors:
            ratio_errors.sort()
            print(f"  the value after = (the calculator's, or the student's own without it) vs true r on error-free lines: median {ratio_errors[len(ratio_errors) // 2]:.2%}, "
                  f"max {ratio_errors[-1]:.2%} relative")
        deciding: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            # in the lift and transport phases the largest r decides: the true mode's largest FAILS line
            fails = [t for t in r["teacher_derivation"] if t.endswith("FAILS") and f" {r['truth']}:" in t]
            if fails:
                line = max(fails, key=lambda t: float(t.rsplit(" = ", 1)[1].split()[0]))
                head, _, rest = line.partition(": ")
                key = f"{head}: {formula_form(rest.rsplit(' = ', 1)[0])}"
            elif not r["teacher_derivation"]:
                key = "(no teacher derivation)"
            else:
                key = "success" if r["truth"] == "success" else "(deciding line not found)"
            deciding[key][1] += 1
            deciding[key][0] += int(not r["correct"]["eight_way"])
        print("  wrong (8-way) by the teacher's deciding check and its formula form")
        for key in sorted(deciding, key=lambda k: (-deciding[k][0], k)):
            wrong, n = deciding[key]
            print(f"  {wrong:>4}/{n:<4} {key}")
        _last_step(rows)
    return 0


def _by_object(rows: list[dict], check: str) -> None:
    """Where the teacher writes `check`: how often the student does, by object type and by
    family. Tells a check tied to object names (written for the types train filled, left out
    for a new one) from one left out everywhere."""
    for key in ("object", "family"):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            if any(t.split(":")[0] == check for t in r["teacher_derivation"]):
                written = any(f"{d['phase']} {d['mode']}" == check for d in r["derivation"] if d["phase"])
                counts[str(r.get(key))][1] += 1
                counts[str(r.get(key))][0] += int(written)
        print(f"  {check} written, by {key}: " + ", ".join(
            f"{name} {w}/{n}" for name, (w, n) in sorted(counts.items(), key=lambda kv: -kv[1][1])))


def _last_step(rows: list[dict]) -> None:
    """Does the answer follow the student's own lines where the largest ratio decides?"""
    from physlab.physics import MAX_RATIO_PHASES
    from physlab.worked import WORD_PHASES, label_from_lines

    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # agree, n, compared, follows it
    for r in rows:
        lines = [d for d in r["derivation"] if d["phase"] and d["mode"] != "largest" and d["value"] is not None]
        if not lines or WORD_PHASES[lines[-1]["phase"]] not in MAX_RATIO_PHASES:
            continue
        phase = lines[-1]["phase"]
        failing = {d["mode"] for d in lines if d["phase"] == phase and d["value"] > 1.0}
        if not failing:
            continue
        implied = label_from_lines((WORD_PHASES[d["phase"]], d["mode"], d["value"]) for d in lines)
        said = (r.get("parsed") or {}).get("label")
        comparison = next((d for d in r["derivation"] if d["mode"] == "largest"), None)
        key = "one failing mode" if len(failing) == 1 else "two or more failing modes"
        row = table[key]
        row[0] += int(said == implied)
        row[1] += 1
        row[2] += int(comparison is not None)
        row[3] += int(comparison is not None and comparison.get("result") == said)
    if table:
        print("  the last step, where its own lines fail in a largest-r phase: answer = its lines' label; "
              "comparison line written; answer = what the comparison named")
        for key, (agree, n, compared, follows) in sorted(table.items()):
            print(f"  {key:<26} {agree:>4}/{n:<4} {compared:>4}/{n:<4} {follows:>4}/{n}")


def _num(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"


def _wrong_copies(rows: list[dict], text: str | None = None) -> None:
    # Which quantity a wrong copy was meant to be, with one example: a phrasing the student
    # misreads shows up as one slot with many wrong copies. With `text`, each slot's copies are
    # also split by whether the description matches that regex.
    pattern = re.compile(text) if text else None
    slots: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    split: dict[tuple[str, bool], list[int]] = defaultdict(lambda: [0, 0])
    example: dict[str, str] = {}
    for r in rows:
        matches = bool(pattern and pattern.search(r["description"]))
        for d in r["derivation"]:
            for n in d.get("numbers", []):
                wrong = int(not n["exact"])
                slots[n["slot"]][0] += wrong
                slots[n["slot"]][1] += 1
                split[n["slot"], matches][0] += wrong
                split[n["slot"], matches][1] += 1
                if wrong:
                    example.setdefault(n["slot"], f"{r['scenario_id']}: copied {_num(n['copied'])}, the text's is "
                                                  f"{_num(n['expected'])}")
    for slot in sorted((k for k in slots if slots[k][0]), key=lambda k: -slots[k][0]):
        wrong, total = slots[slot]
        print(f"    wrong copies of {slot:<16} {wrong:>4}/{total:<5} e.g. {example[slot]}")
        if pattern:
            inside, outside = split[slot, True], split[slot, False]
            print(f"      where the description matches --text: {inside[0]}/{inside[1]}; elsewhere {outside[0]}/{outside[1]}")
    if pattern:
        print(f"    scenarios whose description matches --text: {sum(bool(pattern.search(r['description'])) for r in rows)}/{len(rows)}")


if __name__ == "__main__":
    raise SystemExit(main())
