"""The published experiment in one call: generate -> curriculum -> train -> evaluate -> report.

Each step is the same library call the CLI and the dashboard make, and each leaves its file
on disk, so a pipeline that stops half-way can be picked up by hand (or rerun: generation and
the curriculum are deterministic, the evaluation resumes by its id).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physlab import fileio
from physlab.scenarios import PRESETS


def reference_models(base_model: str) -> list[str]:
    """The specs the student is compared with. Its own base model zero-shot is the fair baseline
    (same weights, no adapter): `base` is the embedded model, so a student of any other base is
    compared with `hf:<base>`. The majority answer is the floor every figure must clear (on the
    published test set "always fails" scores exactly the published student's 19/34)."""
    return ["base" if base_model == "embedded" else f"hf:{base_model}", "majority"]


@dataclass
class PipelineConfig:
    preset: str = "seed"
    seed: int = 0  # scenario generation seed
    data_dir: str = field(default_factory=lambda: str(fileio.data_dir()))
    results_dir: str = field(default_factory=lambda: str(fileio.results_dir()))
    split: str = "test"
    mode: str = "generate"  # generate: the published method (greedy text, parsed); score: likelihoods
    batch_size: int = 8
    regenerate: bool = False  # rebuild data and curriculum even if they are on disk
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig overrides (epochs, lora_r, ...)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset: must be one of {', '.join(PRESETS)} (got {self.preset!r})")


def _step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def run_pipeline(config: PipelineConfig, progress: bool = True) -> dict[str, Any]:
    """Run every stage; returns the paths written and the wall time of each step (s)."""
    from physlab.evaluate import EvalConfig, evaluate
    from physlab.report import render_table, write_report
    from physlab.scenarios import write_preset
    from physlab.teacher import build_curriculum
    from physlab.train import TrainConfig, check_config, train

    preset_dir = Path(config.data_dir) / config.preset
    # Validate the training config before spending minutes on anything else.
    train_config = TrainConfig(preset=config.preset, data_dir=config.data_dir,
                               runs_dir=str(Path(config.results_dir) / "runs"), **config.train)
    seconds: dict[str, float] = {}

    t = _step(f"1/5 scenarios: data/{config.preset}")
    if config.regenerate or not (preset_dir / "manifest.json").is_file():
        write_preset(config.preset, seed=config.seed, out=preset_dir)
    else:
        from physlab.datasets_io import read_manifest

        on_disk = read_manifest(preset_dir).get("seed")
        if on_disk != config.seed:
            raise ValueError(f"seed: {preset_dir} was generated with seed {on_disk}, not {config.seed}; pass "
                             f"--regenerate to rebuild it with seed {config.seed} (or --seed {on_disk} to use it)")
        print(f"using {preset_dir} (seed {on_disk}; pass --regenerate to rebuild it)")
    seconds["generate"] = time.perf_counter() - t

    t = _step("2/5 curriculum: physics teacher")
    curriculum = preset_dir / "curriculum.jsonl"
    from physlab.fileio import check_derived

    stale = False
    if curriculum.is_file() and not config.regenerate:
        try:
            check_derived(curriculum)
        except ValueError as err:
            print(f"rebuilding: {err}")
            stale = True
    if config.regenerate or stale or not curriculum.is_file():
        build_curriculum(config.preset, data_dir=config.data_dir, progress=progress)
    print(f"using {curriculum}")
    seconds["curriculum"] = time.perf_counter() - t

    t = _step(f"3/5 LoRA training on {train_config.base_model}")
    check_config(train_config)
    run_dir = train(train_config, progress=progress)
    seconds["train"] = time.perf_counter() - t

    t = _step(f"4/5 evaluation on {config.split} ({config.mode})")
    eval_config = EvalConfig(
        preset=config.preset, split=config.split, mode=config.mode, batch_size=config.batch_size,
        models=[*reference_models(train_config.base_model), f"run:{run_dir.name}"], data_dir=config.data_dir,
        results_dir=config.results_dir, eval_id=f"{run_dir.name}-{config.split}-{config.mode}")
    eval_dir = evaluate(eval_config, progress=progress)
    seconds["evaluate"] = time.perf_counter() - t

    t = _step("5/5 report")
    report = write_report(eval_dir)
    import json

    summary = json.loads((eval_dir / "summary.json").read_text())
    print(render_table(summary))
    print(f"\nrun: {run_dir}\nevaluation: {eval_dir}\nreport: {report}")
    seconds["report"] = time.perf_counter() - t
    print("wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
          + f"; total {sum(seconds.values()) / 60:.1f} min")
    return {"run_dir": run_dir, "eval_dir": eval_dir, "report": report, "seconds": seconds}
