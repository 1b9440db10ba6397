"""CLI: `physlab pipeline`: the published experiment end to end in one command."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pipeline", help="generate, build the curriculum, train, evaluate base and student, report",
        description="The published experiment in one command. Each step writes its usual files "
                    "(data/<preset>/, results/runs/<run>/, results/evaluations/<eval>/report.md).")
    p.add_argument("--preset", default="seed", help="seed (the published sizes) or standard (default: seed)")
    p.add_argument("--seed", type=int, default=0, help="scenario generation seed (default: 0)")
    p.add_argument("--split", default="test", choices=("test", "ood", "boundary", "wording"))
    p.add_argument("--mode", default="generate", choices=("generate", "score"),
                   help="generate: the published method; score: answer likelihoods (default: generate)")
    p.add_argument("--base-model", default="embedded", help="embedded, a Hugging Face id or a local folder")
    p.add_argument("--epochs", type=float, default=None)
    p.add_argument("--lora-r", type=int, default=None)
    p.add_argument("--lora-alpha", type=int, default=None)
    p.add_argument("--target-modules", default=None, help="comma-separated, e.g. q_proj,v_proj or all-linear")
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None, help="training batch size")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--regenerate", action="store_true", help="rebuild data and curriculum even if present")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_pipeline)


def cmd_pipeline(args: argparse.Namespace) -> int:
    from physlab.pipeline import PipelineConfig, run_pipeline

    overrides = {"base_model": args.base_model, "epochs": args.epochs, "lora_r": args.lora_r,
                 "lora_alpha": args.lora_alpha, "learning_rate": args.learning_rate,
                 "batch_size": args.batch_size, "max_steps": args.max_steps,
                 "target_modules": args.target_modules.split(",") if args.target_modules else None}
    config = PipelineConfig(preset=args.preset, seed=args.seed, split=args.split, mode=args.mode,
                            regenerate=args.regenerate,
                            train={k: v for k, v in overrides.items() if v is not None})
    run_pipeline(config, progress=not args.quiet)
    return 0
