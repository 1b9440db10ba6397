"""`physlab train`, `physlab runs list|show|cancel` and `physlab jobs list|show|cancel`.

The train flags are made from physlab.train.TrainConfig's fields (name, type, help text), so
the CLI, config.json and the dashboard's form always agree. torch and transformers are
imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json
import types
import typing
from pathlib import Path
from typing import Any

from physlab import fileio, jobs


def _flag_type(annotation: Any) -> Any:
    """The argparse type for a TrainConfig field: int / float / str; lists arrive comma-separated."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _flag_type(args[0])
    if annotation in (int, float, str, bool):
        return annotation
    return str  # list[str]: "q_proj,v_proj" (TrainConfig splits it)


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One --flag per TrainConfig field; an unset flag keeps the config's default."""
    from physlab.train import TrainConfig

    for name, field in TrainConfig.model_fields.items():
        flag = "--" + name.replace("_", "-")
        kind = _flag_type(field.annotation)
        default = field.get_default(call_default_factory=True)
        shown = ",".join(default) if isinstance(default, list) else default
        help_text = f"{field.description} (default: {shown})" if name != "preset" else field.description
        help_text = help_text.replace("%", "%%")  # argparse formats help with %: "13% faster" crashed --help
        if kind is bool:
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=help_text)
        else:
            parser.add_argument(flag, dest=name, type=kind, default=argparse.SUPPRESS,
                                metavar=name.upper(), help=help_text)


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train", help="LoRA fine-tune the student on a curriculum",
        description="LoRA fine-tune a base model on data/<preset>/curriculum.jsonl; writes results/runs/<run_id>/.",
    )
    add_config_flags(train)
    train.add_argument("--resume", action="store_true",
                       help="continue run --run-id from its last checkpoint (its saved config; flags given here override it)")
    train.add_argument("--background", action="store_true",
                       help="queue the run as a background job (results/jobs/) and return at once")
    train.set_defaults(func=cmd_train)

    runs = subparsers.add_parser("runs", help="list, show or cancel training runs")
    runs_sub = runs.add_subparsers(dest="runs_action", metavar="ACTION")
    runs_list = runs_sub.add_parser("list", help="every run with its state, step and loss")
    runs_show = runs_sub.add_parser("show", help="a run's config, manifest, status and last metrics")
    runs_show.add_argument("run_id", metavar="RUN")
    runs_cancel = runs_sub.add_parser("cancel", help="stop a queued or running run")
    runs_cancel.add_argument("run_id", metavar="RUN")
    for p in (runs_list, runs_show, runs_cancel):
        p.add_argument("--runs-dir", default=None, help="folder of run folders (default: $PHYSLAB_RESULTS_DIR/runs, else results/runs)")
    runs_list.set_defaults(func=_with_dirs(cmd_runs_list))
    runs_show.set_defaults(func=_with_dirs(cmd_runs_show))
    runs_cancel.set_defaults(func=_with_dirs(cmd_runs_cancel))
    runs.set_defaults(func=lambda args: _usage(runs))

    jobs_parser = subparsers.add_parser("jobs", help="list, show or cancel background jobs")
    jobs_sub = jobs_parser.add_subparsers(dest="jobs_action", metavar="ACTION")
    jobs_list = jobs_sub.add_parser("list", help="every job with its state")
    jobs_show = jobs_sub.add_parser("show", help="a job's status and the end of its log")
    jobs_show.add_argument("job_id", metavar="JOB")
    jobs_show.add_argument("--lines", type=int, default=30, help="log lines to show (default: %(default)s)")
    jobs_cancel = jobs_sub.add_parser("cancel", help="stop a queued or running job (its whole process group)")
    jobs_cancel.add_argument("job_id", metavar="JOB")
    for p in (jobs_list, jobs_show, jobs_cancel):
        p.add_argument("--jobs-dir", default=None, help="folder of job folders (default: $PHYSLAB_RESULTS_DIR/jobs, else results/jobs)")
    jobs_list.set_defaults(func=_with_dirs(cmd_jobs_list))
    jobs_show.set_defaults(func=_with_dirs(cmd_jobs_show))
    jobs_cancel.set_defaults(func=_with_dirs(cmd_jobs_cancel))
    jobs_parser.set_defaults(func=lambda args: _usage(jobs_parser))


def _with_dirs(command):
    """Fill --runs-dir / --jobs-dir from physlab.fileio when not given (at run time, so the
    environment of the moment counts), then run the command."""
    def run(args: argparse.Namespace) -> int:
        if getattr(args, "runs_dir", "unset") is None:
            args.runs_dir = str(fileio.runs_dir())
        if getattr(args, "jobs_dir", "unset") is None:
            args.jobs_dir = str(fileio.jobs_dir())
        return command(args)

    run.__name__ = command.__name__
    return run


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# --------------------------------------------------------------------------- train


def config_from_args(args: argparse.Namespace):
    """TrainConfig from the flags given; with --resume, the run's saved config.json underneath."""
    from physlab.train import TrainConfig

    given = {name: getattr(args, name) for name in TrainConfig.model_fields if hasattr(args, name)}
    if getattr(args, "resume", False):
        if not given.get("run_id"):
            raise ValueError("--resume needs --run-id RUN (see `physlab runs list`)")
        saved_path = Path(given.get("runs_dir") or fileio.runs_dir()) / given["run_id"] / "config.json"
        if saved_path.is_file():
            saved = json.loads(saved_path.read_text())
            given = {**{k: v for k, v in saved.items() if k in TrainConfig.model_fields}, **given}
    if "preset" not in given:
        raise ValueError("--preset is required (e.g. --preset seed)")
    return TrainConfig.from_dict(given)


def cmd_train(args: argparse.Namespace) -> int:
    from physlab import train as training

    config = config_from_args(args)
    if args.background:
        job = training.submit_training(config, resume=args.resume,
                                       jobs_dir=fileio.jobs_dir())
        status = job.status()
        print(f"queued job {job.id} ({status.get('state')})")
        print(f"  run folder: {status.get('outputs', {}).get('run_dir')}")
        print(f"  log:        {job.log_path}")
        print(f"  follow with `physlab jobs show {job.id} --jobs-dir {job.folder.parent}`; "
              f"stop with `physlab jobs cancel {job.id} --jobs-dir {job.folder.parent}`")
        return 0
    run_dir = training.train(config, progress=True, resume=args.resume)
    if training._rank() != 0:
        return 0  # rank 0 of a torchrun / accelerate launch reports for all
    manifest = _read_json(run_dir / "manifest.json")
    loss = manifest.get("final_loss")
    loss_text = f"{loss:.4f}" if isinstance(loss, (int, float)) else "-"
    print(f"run {manifest.get('run_id', run_dir.name)}: {manifest.get('total_steps')} steps in "
          f"{manifest.get('train_time_s')} s ({manifest.get('seconds_per_step')} s/step), final loss {loss_text}")
    print(f"adapter: {run_dir}")
    return 0


# --------------------------------------------------------------------------- runs


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_state(run_dir: Path) -> dict[str, Any]:
    """The run's status (process liveness checked); a folder with an adapter and no status is done."""
    if (run_dir / jobs.STATUS_FILE).is_file():
        return jobs.Job(run_dir).status()
    return {"state": "done" if (run_dir / "adapter_config.json").is_file() else "unknown"}


def _job_for_run(run_id: str, jobs_dir: Path) -> jobs.Job | None:
    """The newest job that trains `run_id` (queued jobs have no run folder yet)."""
    for job in jobs.list_jobs(jobs_dir):
        if (job.raw_status().get("outputs") or {}).get("run_id") == run_id:
            return job
    return None


def cmd_runs_list(args: argparse.Namespace) -> int:
    runs_dir = Path(args.runs_dir)
    folders = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                     reverse=True) if runs_dir.is_dir() else []
    rows = []
    for folder in folders:
        status, config, manifest = run_state(folder), _read_json(folder / "config.json"), _read_json(folder / "manifest.json")
        loss = manifest.get("final_loss", status.get("loss"))
        step = f"{status.get('step', manifest.get('total_steps', '-'))}/{status.get('total_steps') or manifest.get('total_steps') or '?'}"
        rows.append((folder.name, str(status.get("state", "unknown")), str(config.get("preset", "?")),
                     str(config.get("base_model", "?")), step,
                     f"{loss:.4f}" if isinstance(loss, (int, float)) else "-", str(status.get("started_at") or "-")))
    queued = [j for j in jobs.list_jobs(fileio.jobs_dir())
              if j.raw_status().get("kind") == "train" and j.status().get("state") == "queued"]
    for job in queued:
        run_id = (job.raw_status().get("outputs") or {}).get("run_id", "?")
        if run_id not in {r[0] for r in rows}:
            rows.append((run_id, "queued", "-", "-", "-", "-", f"job {job.id}"))
    if not rows:
        print(f"no runs in {runs_dir} (start one with `physlab train --preset seed`)")
        return 0
    header = ("RUN", "STATE", "PRESET", "BASE MODEL", "STEP", "LOSS", "STARTED")
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_runs_show(args: argparse.Namespace) -> int:
    run_dir = Path(args.runs_dir) / args.run_id
    if not run_dir.is_dir():
        raise ValueError(f"no run {args.run_id!r} in {args.runs_dir} (see `physlab runs list`)")
    print(f"run {args.run_id}  ({run_dir})")
    print(json.dumps({"status": run_state(run_dir), "config": _read_json(run_dir / "config.json"),
                      "manifest": _read_json(run_dir / "manifest.json")}, indent=2))
    metrics = (run_dir / "metrics.jsonl")
    if metrics.is_file():
        lines = [line for line in metrics.read_text().splitlines() if line.strip()]
        print(f"metrics.jsonl: {len(lines)} lines; last {min(5, len(lines))}:")
        for line in lines[-5:]:
            print("  " + line)
    return 0


def cmd_runs_cancel(args: argparse.Namespace) -> int:
    run_dir = Path(args.runs_dir) / args.run_id
    jobs_dir = fileio.jobs_dir()
    status = jobs.read_status_file(run_dir) if run_dir.is_dir() else {}
    # A run started as a job is stopped through its job: the whole process group, and the job records it.
    job = jobs.Job(status["job_dir"]) if status.get("job_dir") else _job_for_run(args.run_id, jobs_dir)
    if job is not None and job.status().get("state") in jobs.ACTIVE_STATES:
        final = job.cancel()
    elif status:
        final = jobs.Job(run_dir).cancel()
    else:
        raise ValueError(f"no run {args.run_id!r} in {args.runs_dir} and no job for it in {jobs_dir}")
    print(f"run {args.run_id}: {final.get('state')}")
    return 0


# --------------------------------------------------------------------------- jobs


def _job(args: argparse.Namespace) -> jobs.Job:
    folder = Path(args.jobs_dir) / args.job_id
    if not (folder / jobs.STATUS_FILE).is_file():
        raise ValueError(f"no job {args.job_id!r} in {args.jobs_dir} (see `physlab jobs list`)")
    return jobs.Job(folder)


def cmd_jobs_list(args: argparse.Namespace) -> int:
    found = jobs.list_jobs(args.jobs_dir)
    if not found:
        print(f"no jobs in {args.jobs_dir}")
        return 0
    rows = []
    for job in found:
        status = job.status()
        outputs = status.get("outputs") or {}
        rows.append((job.id, str(status.get("kind", "?")), str(status.get("state", "?")),
                     str(status.get("started_at") or "-"), str(outputs.get("run_id") or outputs.get("run_dir") or "-"),
                     str(status.get("error") or "")[:60]))
    header = ("JOB", "KIND", "STATE", "STARTED", "OUTPUT", "ERROR")
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_jobs_show(args: argparse.Namespace) -> int:
    job = _job(args)
    print(json.dumps(job.status(), indent=2))
    print(f"--- {job.log_path} (last {args.lines} lines)")
    print(job.log_tail(args.lines))
    return 0


def cmd_jobs_cancel(args: argparse.Namespace) -> int:
    final = _job(args).cancel()
    print(f"job {args.job_id}: {final.get('state')}")
    return 0

