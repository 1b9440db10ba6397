"""CLI: `physlab validate`: the analytic labels against a MuJoCo simulation, per mode.

Needs the optional extra `physlab[sim]` (package `mujoco`); it is imported inside the command.
"""

from __future__ import annotations

import argparse

SPLIT_CHOICES = ("test", "train", "ood", "boundary", "wording")


def register(subparsers: argparse._SubParsersAction) -> None:
    va = subparsers.add_parser(
        "validate", help="check the physics labels in a rigid-body simulator (MuJoCo)",
        description="Rebuilds each scenario of a split whose label a rigid-body simulator can show "
                    "(tipping, slipping, dropping, rolling_away, collision, success) as a MuJoCo scene "
                    "and compares the simulated outcome with the analytic label. Crushing and sloshing "
                    "are analytic only. Needs `pip install physlab[sim]`.")
    va.add_argument("--preset", default="seed", help="data/<preset>/ to read (default: seed)")
    va.add_argument("--split", default="test", choices=SPLIT_CHOICES, help="which split (default: test)")
    va.add_argument("--n", type=int, default=200, help="simulate at most N scenarios (default: 200)")
    va.add_argument("--seconds", type=float, default=1.5, help="simulated seconds per scene (default: 1.5)")
    va.set_defaults(func=cmd_validate)


def format_agreement(summary: dict, preset: str, split: str) -> str:
    """The per-mode table, analytic-only counts, and every disagreement with both stories."""
    lines = [f"Simulated vs analytic labels: {preset}/{split}", "",
             f"{'mode':<14}{'n':>5}{'agree':>7}{'rate':>8}"]
    for row in summary["rows"]:
        lines.append(f"{row['mode']:<14}{row['n']:>5}{row['agree']:>7}{row['rate']:>8.1%}")
    total = summary["total"]
    rate = summary["agree"] / total if total else 0.0
    lines.append(f"{'all':<14}{total:>5}{summary['agree']:>7}{rate:>8.1%}")
    lines.append(f"\n{summary['seconds_per_scenario'] * 1000:.0f} ms of CPU per scenario (all its scenes)")
    if summary["analytic_only"]:
        only = ", ".join(f"{mode} {count}" for mode, count in sorted(summary["analytic_only"].items()))
        lines.append(f"Analytic only (no rigid-body equivalent), not simulated: {only}")
    if summary["undecided"]:
        lines.append(f"\nSimulation cannot decide ({len(summary['undecided'])}):")
        for item in summary["undecided"]:
            lines.append(f"  {item['id']} [{item['label']}]: {item['reason']}")
    if summary["disagreements"]:
        lines.append(f"\nDisagreements ({len(summary['disagreements'])}):")
        for item in summary["disagreements"]:
            lines.append(f"  {item['id']} ({item['family']}): physics says {item['label']}, simulation shows "
                         f"{item['simulated']}")
            lines.append(f"    physics:    {item['physics']}")
            lines.append(f"    simulation: {item['simulation']}")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    from physlab.datasets_io import preset_dir, read_split

    if args.n is not None and args.n < 1:
        raise ValueError(f"--n must be at least 1 (got {args.n})")
    if not 0.3 <= args.seconds <= 10:
        raise ValueError(f"--seconds must be between 0.3 and 10 (got {args.seconds})")
    try:
        import mujoco  # noqa: F401
    except ModuleNotFoundError:
        raise ValueError("the simulator is not installed: pip install 'physlab[sim]' (package mujoco)") from None
    from physlab.sim import agreement

    records = read_split(preset_dir(args.preset) / f"{args.split}.jsonl")
    summary = agreement(records, n=args.n, seconds=args.seconds)
    print(format_agreement(summary, args.preset, args.split))
    return 0
