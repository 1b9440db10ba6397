"""CLI: `physlab data generate | stats | show`.

Thin over physlab.scenarios (generation, shortcut check) and physlab.datasets_io (files).
Bad input raises ValueError / FileNotFoundError; physlab.cli prints it and exits with 2.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

PRESET_CHOICES = ("seed", "standard")


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="generate, summarize and inspect scenario datasets",
                                 description="Scenario datasets under data/<preset>/.")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data.set_defaults(func=lambda args: (data.print_help(), 2)[1])

    gen = sub.add_parser("generate", help="generate a preset's splits (deterministic for a seed)",
                         description="Write <out>/{train,test,ood,boundary}.jsonl (standard also wording.jsonl: "
                                     "clear scenarios of the test families described in held-out wording) and "
                                     "manifest.json. Everything is generated in memory first: on an error nothing "
                                     "is written.")
    gen.add_argument("--preset", default="seed", choices=PRESET_CHOICES,
                     help="seed: 180 train / 34 test, the published experiment's sizes; "
                          "standard: >= 1,200 train / 660 test / 336 ood / 224 boundary / 280 wording "
                          "(default: seed)")
    gen.add_argument("--seed", type=int, default=None, help="random seed, an integer >= 0 (default: 0)")
    gen.add_argument("--out", default=None, help="output folder (default: data/<preset>)")
    gen.add_argument("--wording-holdout", action="store_true",
                     help="describe test, ood and boundary in held-out wording (sentence templates and "
                          "synonyms never used for train; units and number styles are shared). Train is "
                          "always described in training wording, a wording split always in held-out "
                          "wording. The choice per split is recorded in manifest.json ('wording').")
    gen.set_defaults(func=cmd_generate)

    stats = sub.add_parser("stats", help="counts per split and label, and the shortcut check",
                           description="Counts per split x label, the object-type shortcut check and the "
                                       "'always fails' accuracy, and whether files match the manifest.")
    stats.add_argument("dir", help="a preset folder (data/seed) or a preset name (seed)")
    stats.set_defaults(func=cmd_stats)

    show = sub.add_parser("show", help="one scenario: description, parameters, ratios, explanation")
    show.add_argument("id", help="scenario id, e.g. seed-test-00001")
    show.add_argument("--dir", default=None, help="preset folder to search (default: every preset under data/)")
    show.set_defaults(func=cmd_show)


def _resolve_dir(name: str) -> Path:
    """A folder as given, or a preset name under the data root."""
    from physlab.datasets_io import data_root

    path = Path(name)
    if path.is_dir():
        return path
    if (data_root() / name).is_dir():
        return data_root() / name
    raise FileNotFoundError(f"{name}: no such dataset folder (nor {data_root() / name})")


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    return "\n".join(lines)


def counts_table(counts: dict[str, dict[str, int]]) -> str:
    from physlab.labels import LABELS

    rows = [["split", *LABELS, "total"]]
    for split, per_label in counts.items():
        rows.append([split, *[str(per_label.get(label, 0)) for label in LABELS], str(per_label.get("total", 0))])
    return _table(rows)


def cmd_generate(args: argparse.Namespace) -> int:
    from physlab.scenarios import DEFAULT_SEED, write_preset

    seed = DEFAULT_SEED if args.seed is None else args.seed
    if seed < 0:
        raise ValueError(f"--seed must be an integer >= 0 (got {seed})")
    start = time.perf_counter()
    out, manifest = write_preset(args.preset, seed, args.out, wording_holdout=args.wording_holdout)
    files = ", ".join(f"{s}.jsonl" for s in manifest["counts"])
    print(f"wrote {out}/ ({files}, manifest.json) in {time.perf_counter() - start:.1f} s")
    print(counts_table(manifest["counts"]))
    _print_shortcut(manifest["shortcut_check"])
    return 0


def _print_shortcut(shortcut: dict[str, Any]) -> None:
    verdict = "ok (<= 0.65)" if shortcut["passes"] else "TOO HIGH (> 0.65): labels follow object types"
    print(f"shortcut check (fail/success from the object type alone, majority per type on train): "
          f"{shortcut['object_majority_accuracy']:.1%} on test, {verdict}")
    print(f"always answering 'fails' scores {shortcut['always_fail_accuracy']:.1%} on test "
          f"({shortcut['n_test']} scenarios)")


def cmd_stats(args: argparse.Namespace) -> int:
    from physlab.datasets_io import counts, folder_hash, read_dataset, read_manifest
    from physlab.physics import assess
    from physlab.scenarios import shortcut_check
    from physlab.schema import parse_scenario

    folder = _resolve_dir(args.dir)
    splits = read_dataset(folder)  # validates every line: a corrupt file is an error naming file and line
    print(f"{folder}/")
    print(counts_table(counts(splits)))
    try:
        manifest = read_manifest(folder)
    except FileNotFoundError:
        manifest = None
    if manifest is None:
        print("manifest: missing")
    else:
        same = manifest.get("content_hash") == folder_hash(folder)
        print(f"manifest: preset {manifest.get('preset')}, seed {manifest.get('seed')}, "
              f"{manifest.get('created_by', '?')}; content hash "
              f"{'matches' if same else 'DIFFERS: files changed since generation'}")
    disagree = [r["id"] for recs in splits.values() for r in recs
                if assess(parse_scenario(r["params"])).label != r["label"]]
    total = sum(len(recs) for recs in splits.values())
    print(f"labels agree with physics.assess: {total - len(disagree)}/{total}"
          + (f" (first disagreeing: {', '.join(disagree[:5])})" if disagree else ""))
    for split in ("test", "ood"):
        if "train" in splits and split in splits and splits[split]:
            if split != "test":
                check = shortcut_check(splits["train"], splits[split])
                print(f"on {split}: object-type shortcut {check['object_majority_accuracy']:.1%}, "
                      f"always 'fails' {check['always_fail_accuracy']:.1%}")
            else:
                _print_shortcut(shortcut_check(splits["train"], splits["test"]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from physlab.datasets_io import data_root, find_record, preset_folders
    from physlab.physics import assess, explain_ratios
    from physlab.schema import parse_scenario

    folders = [_resolve_dir(args.dir)] if args.dir else preset_folders()
    if not folders:
        raise FileNotFoundError(f"no datasets under {data_root()}/: run `physlab data generate` first")
    record, path = find_record(args.id, folders)
    print(f"{record['id']}  ({path})")
    print(f"family {record['family']}, object {record['object']}, action {record.get('action', '?')}")
    print(f"label: {record['label']}   margin r = {record['margin']:.3f}")
    print("\ndescription:\n  " + record["description"])
    print("\nratios (fails when r > 1):")
    for mode, ratio in sorted(record["ratios"].items(), key=lambda kv: -kv[1]):
        print(f"  {mode:<13} {ratio:8.3f}")
    print("\nexplanation:\n  " + record.get("explanation", ""))
    print("\nchecks in time order (→ decides):")
    for line in explain_ratios(assess(parse_scenario(record["params"]))):
        print("  " + line)
    print("\nparameters:")
    for section in ("object", "gripper", "motion", "environment"):
        values = record["params"].get(section, {})
        print(f"  {section}: " + json.dumps(values, ensure_ascii=False))
    return 0
