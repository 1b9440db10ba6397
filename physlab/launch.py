"""What the dashboard starts: background jobs (training, evaluation) through physlab.jobs, and
the quick in-process actions (generate a preset, build the physics curriculum); plus the model
specs a person can pick.

The pages never start processes themselves: they hand an argument list to physlab.jobs, which
owns the job folder (status, log, outputs), the queue and cancellation. The argument list of an
evaluation job is built here (`evaluate_argv`), and `physlab evaluate --background` uses the same
function, so the CLI and the dashboard start exactly the same command. A job identical to one
already queued or running is refused (`DuplicateJob`) unless the caller says otherwise.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physlab.fileio import data_dir
from physlab.results_io import ACTIVE_STATES, jobs_dir, list_runs, preferred_runs, runs_dir


class DuplicateJob(ValueError):
    """An identical job is already queued or running."""

    def __init__(self, job_id: str, state: str) -> None:
        super().__init__(f"an identical job ({job_id}) is already {state}: wait for it or cancel it first")
        self.job_id, self.state = job_id, state


# --------------------------------------------------------------------------- quick actions

def generatable_presets() -> list[str]:
    """Preset names physlab.scenarios can generate (seed, standard, ...)."""
    try:
        from physlab.scenarios import PRESETS
    except ImportError:
        return ["seed", "standard"]
    return list(PRESETS)


def generate_preset(preset: str, seed: int | None = None, root: Path | None = None) -> dict[str, int]:
    """Generate data/<preset>/ with the library (`physlab data generate` runs the same two calls);
    returns the number of scenarios per split. Raises ValueError for an unknown preset or seed."""
    from physlab.datasets_io import write_dataset
    from physlab.scenarios import DEFAULT_SEED, generate

    seed = DEFAULT_SEED if seed is None else seed
    splits = generate(preset, seed)
    write_dataset((root or data_dir()) / preset, splits, {"preset": preset, "seed": seed})
    return {split: len(records) for split, records in splits.items()}


# --------------------------------------------------------------------------- model choices


def ollama_models(timeout_s: float = 1.0) -> list[str]:
    """Models an Ollama server (OLLAMA_HOST) has, as specs 'ollama:<name>'; [] when none answers."""
    try:
        import httpx
        import ollama

        host = os.environ.get("OLLAMA_HOST") or "http://127.0.0.1:11434"
        listed = ollama.Client(host=host, timeout=httpx.Timeout(timeout_s)).list()
    except Exception:  # noqa: BLE001 - no client, no server, a refused connection: simply none to offer
        return []
    names = [getattr(m, "model", None) or (m.get("model") if isinstance(m, dict) else None)
             for m in getattr(listed, "models", []) or []]
    return [f"ollama:{n}" for n in names if n]


def model_choices(include_ollama: bool = True) -> list[str]:
    """Backend specs a person can pick: the base model, baselines, finished runs (the most
    meaningful first: full trainings before smoke runs, see results_io.preferred_runs; a worked
    student also as `run:<id>:typed` and `run:<id>:grammar`), Ollama models."""
    specs = ["base", "fewshot", "majority"]
    for run in preferred_runs(list_runs()):
        specs.append(f"run:{run.run_id}")
        # a worked student may also answer with typed copying (physlab.typedcopy)
        if (run.manifest.get("answer_format") or run.config.get("answer_format")) == "worked":
            specs += [f"run:{run.run_id}:typed", f"run:{run.run_id}:grammar"]
    if include_ollama:
        specs += ollama_models()
    return specs


# --------------------------------------------------------------------------- background jobs (physlab.jobs)


def _jobs_module():
    try:
        from physlab import jobs
    except ImportError as err:
        raise ValueError(f"background jobs are not available in this checkout (physlab.jobs: {err})") from None
    return jobs


# Flags whose value names the job's own output folder: two jobs that differ only there are the same job.
_OWN_NAME_FLAGS = ("--run-id", "--eval-id")


def job_key(argv: list[str]) -> tuple[str, ...]:
    """What a job does, independent of its output folder's name and of the interpreter's path."""
    args = list(argv)
    if "physlab" in args:
        args = args[args.index("physlab") + 1:]
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in _OWN_NAME_FLAGS:
            skip = True
            continue
        if any(a.startswith(f + "=") for f in _OWN_NAME_FLAGS):
            continue
        out.append(a)
    return tuple(out)


def find_duplicate(kind: str, argv: list[str]) -> dict[str, Any] | None:
    """The queued or running job of `kind` that would do the same as `argv`, if any."""
    key = job_key(argv)
    for row in list_job_rows():
        if row["kind"] == kind and row["state"] in ACTIVE_STATES and job_key(row.get("command") or []) == key:
            return row
    return None


def submit_job(kind: str, argv: list[str], outputs: dict[str, Any] | None = None, allow_duplicate: bool = False) -> Any:
    """Queue `physlab <argv...>` as a background job of `kind` under results/jobs; returns the Job.

    `argv` may be the CLI arguments alone (["evaluate", ...]) or a full command line; the
    interpreter running the dashboard runs the CLI, so the job uses the same environment.
    Raises DuplicateJob when an identical job is queued or running (unless allow_duplicate).
    """
    if argv and argv[0] != sys.executable and not Path(argv[0]).name.startswith("python"):
        argv = [sys.executable, "-m", "physlab", *argv]
    if not allow_duplicate:
        twin = find_duplicate(kind, argv)
        if twin:
            raise DuplicateJob(twin["id"], twin["state"])
    return _jobs_module().submit(kind, argv, jobs_dir(), outputs=outputs)


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    return {}


def list_job_rows() -> list[dict[str, Any]]:
    """Every job, newest first: id, kind, state, started, ended, error, folder, argv, outputs."""
    try:
        jobs = _jobs_module()
    except ValueError:
        return []
    rows = []
    for job in jobs.list_jobs(jobs_dir()):
        try:
            status = _as_dict(job.status())
        except (OSError, ValueError):
            status = {}
        info = {**_as_dict(job), **status}
        folder = Path(info.get("folder") or info.get("path") or getattr(job, "folder", "") or getattr(job, "path", ""))
        rows.append({
            "id": str(info.get("job_id") or info.get("id") or folder.name),
            "kind": info.get("kind"),
            "state": info.get("state", "unknown"),
            "queued": info.get("created_at"),
            "started": info.get("started_at"),  # None while queued: a queued job has not started
            "ended": info.get("ended_at"),
            "error": info.get("error"),
            "folder": folder,
            "outputs": info.get("outputs") or {},
            "command": list(info.get("command") or []),
        })
    return rows


def cancel_job(folder: Path) -> None:
    _jobs_module().Job.load(folder).cancel()


# Library noise a person does not need in a job's log tail (the full log keeps it).
_LOG_NOISE = ("FutureWarning", "DeprecationWarning", "UserWarning", "warnings.warn(")


def clean_log(text: str) -> str:
    """A log tail without Python warnings (the warning line and the source line printed after it)."""
    out: list[str] = []
    skip_next = False
    for line in text.splitlines():
        if skip_next:
            skip_next = False
            if line.startswith((" ", "\t")):
                continue
        if any(n in line for n in _LOG_NOISE):
            skip_next = True
            continue
        out.append(line)
    return "\n".join(out)


def job_log_tail(folder: Path, lines: int = 20) -> str:
    """The last `lines` lines of a job's log, warnings left out."""
    jobs = _jobs_module()
    try:
        tail = jobs.Job.load(folder).log_tail(lines * 4)
    except (OSError, ValueError, TypeError):
        return ""
    tail = tail if isinstance(tail, str) else "\n".join(tail)
    return "\n".join(clean_log(tail).splitlines()[-lines:])


# --------------------------------------------------------------------------- training launch (Train page)


@dataclass(frozen=True)
class TrainForm:
    """What the Train page's form collects; validated by physlab.train.TrainConfig before launch.
    `recipe` (RECIPES) names the curriculum and the settings the form does not show."""

    preset: str
    base_model: str = "embedded"
    epochs: float = 3.0
    lora_r: int = 8
    lora_alpha: int = 32
    learning_rate: float = 2e-4
    target_modules: str = "q_proj,v_proj"
    max_steps: int | None = None
    recipe: str = "answer"
    lora_layers: int = 0  # adapt only the last N blocks; 0 = every block
    batch_size: int = 4
    max_minutes: float = 0.0  # wall-clock budget for the steps; 0 = none

    def modules(self) -> list[str]:
        return [m.strip() for m in self.target_modules.split(",") if m.strip()]


@dataclass(frozen=True)
class Recipe:
    """A training recipe the Train page offers: its curriculum file in data/<preset>/, how to
    build that file with the physics teacher, the form's starting values, and the TrainConfig
    fields the form does not show."""

    title: str
    about: str
    curriculum: str
    build: dict[str, Any]  # physlab.teacher.build_curriculum keywords
    form: dict[str, Any]  # TrainForm starting values
    fixed: dict[str, Any]  # TrainConfig fields set by the recipe alone


# The worked recipe is try 15's (BENCHMARKS.md: the try-10 curriculum, LoRA on the last 22
# blocks, a 58-minute budget, decision tokens weighted 4 in the loss, batches of 2: twice try
# 13's optimizer steps for the same examples). Try 16, the same with batches of 1, is tied with
# it on test (paired p = 0.85 and 1) and is the measured headline only because try 15's adapter
# could not be evaluated again under the current typed-copying rules. Try 12 added
# n/a lines (`na_lines`) and was worse (BENCHMARKS.md, try 12), so the recipe leaves them off.
RECIPES: dict[str, Recipe] = {
    "answer": Recipe(
        title="Published (answer + reasoning)",
        about="The published experiment: YES/NO, FAILURE_MODE and a reasoning line (curriculum.jsonl).",
        curriculum="curriculum.jsonl", build={}, form={}, fixed={}),
    "worked": Recipe(
        title="Worked (formula lines + calculator)",
        about="The student writes each check's formula with the description's numbers, a calculator "
              "evaluates it, then it answers (curriculum-worked.jsonl; BENCHMARKS.md, the worked student).",
        curriculum="curriculum-worked.jsonl",
        build={"answer_format": "worked", "rare_target": 250, "max_variants": 6, "balance_by": "formula",
               "set_down": 0.1, "tilt": 1.0, "stop": 0.6, "decide_target": 40, "compare": True, "na_lines": False},
        form={"lora_r": 16, "lora_alpha": 32, "learning_rate": 1e-3, "target_modules": "all-linear",
              "max_steps": 920, "lora_layers": 22, "batch_size": 2, "max_minutes": 58.0},
        fixed={"max_length": 768, "warmup_ratio": 0.03, "pad_multiple": 32, "answer_logits": False,
               "decision_weight": 4.0}),
}


def recipe_of(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"recipe: one of {', '.join(RECIPES)} (got {name!r})")
    return RECIPES[name]


def recipe_summary(name: str) -> str:
    """One line for the Train page, written from the recipe itself so it cannot go stale."""
    recipe, form = recipe_of(name), recipe_form(name, preset="")
    length = f"{form.max_steps} steps" if form.max_steps else f"{form.epochs:g} epochs"
    parts = [f"r = {form.lora_r}", f"α = {form.lora_alpha}", form.target_modules.replace(",", " + "),
             *([f"the last {form.lora_layers} blocks"] if form.lora_layers else []),
             f"lr {form.learning_rate:g}", f"{length} of {form.batch_size} examples",
             *([f"at most {form.max_minutes:g} minutes"] if form.max_minutes else []),
             *([f"check heads and answer weighted {recipe.fixed['decision_weight']:g} in the loss"]
               if recipe.fixed.get("decision_weight", 1.0) != 1.0 else [])]
    return f"{recipe.title}: " + ", ".join(parts) + "."


def recipe_form(name: str, preset: str) -> TrainForm:
    """The form's starting values for a recipe."""
    return TrainForm(preset=preset, recipe=name, **recipe_of(name).form)


def training_config(form: TrainForm) -> Any:
    """physlab.train.TrainConfig from the form (data and runs folders from the environment).

    A bad field raises ValueError naming it (pydantic's ValidationError is a ValueError).
    """
    from physlab.train import LIMITS, TrainConfig

    recipe = recipe_of(form.recipe)
    if not form.base_model.strip():
        raise ValueError("base_model: give a model: embedded (ships with physlab), a Hugging Face id or a local folder")
    if not form.modules():
        raise ValueError("target_modules: give at least one module name, e.g. q_proj,v_proj")
    # The form's 0 means "off" (every block, no budget), where TrainConfig says unset: check here
    # so the message speaks the form's language.
    for name, value, top in (("lora_layers", form.lora_layers, LIMITS["lora_layers"]),
                             ("max_minutes", form.max_minutes, LIMITS["max_minutes"])):
        if not 0 <= value <= top:
            raise ValueError(f"{name}: 0 (off) to {top} (got {value:g})")
    curriculum = str(data_dir() / form.preset / recipe.curriculum) if form.recipe != "answer" else None
    try:
        return TrainConfig(preset=form.preset, base_model=form.base_model, epochs=form.epochs, lora_r=form.lora_r,
                           lora_alpha=form.lora_alpha, learning_rate=form.learning_rate,
                           target_modules=form.modules(), max_steps=form.max_steps,
                           lora_layers=form.lora_layers or None, batch_size=form.batch_size,
                           max_minutes=form.max_minutes or None, curriculum=curriculum,
                           data_dir=str(data_dir()), runs_dir=str(runs_dir()), **recipe.fixed)
    except ValueError as err:
        from pydantic import ValidationError

        if isinstance(err, ValidationError):
            from physlab.train import format_validation_error

            raise ValueError(format_validation_error(err)) from None
        raise


def submit_training(form: TrainForm, allow_duplicate: bool = False) -> Any:
    """Validate and check (curriculum present, modules exist: no model load), then queue the run
    with physlab.train.submit_training; returns the Job (its outputs name the run folder)."""
    from physlab.train import submit_training as queue_run
    from physlab.train import train_argv

    config = training_config(form)
    if not allow_duplicate:
        twin = find_duplicate("train", train_argv(config))
        if twin:
            raise DuplicateJob(twin["id"], twin["state"])
    return queue_run(config, jobs_dir())


def evaluate_argv(config: Any) -> list[str]:
    """`physlab evaluate ...` for an EvalConfig as an argument list (never a shell string); the
    CLI's --background and the Evaluate page both start this."""
    argv = ["evaluate", "--preset", config.preset, "--split", config.split, "--models", ",".join(config.models),
            "--mode", config.mode, "--batch-size", str(config.batch_size),
            "--max-new-tokens", str(config.max_new_tokens), "--fewshot-k", str(config.fewshot_k),
            "--precision", config.precision, "--eval-id", str(config.eval_id), "--quiet"]
    if config.limit is not None:
        argv += ["--limit", str(config.limit)]
    return argv


def submit_evaluation(config: Any, allow_duplicate: bool = False) -> Any:
    """Queue `physlab evaluate ...` for a validated physlab.evaluate.EvalConfig; returns the Job.
    ValueError when the split is missing; DuplicateJob when the same evaluation is queued or running."""
    split = Path(config.split_path)
    if not split.exists():
        raise ValueError(f"split: {split} not found; generate the preset first")
    return submit_job("evaluate", evaluate_argv(config), allow_duplicate=allow_duplicate,
                      outputs={"eval_id": config.eval_id, "eval_dir": str(config.eval_dir)})


def has_curriculum(preset: str, recipe: str = "answer") -> bool:
    return (data_dir() / preset / recipe_of(recipe).curriculum).exists()


def curriculum_command(preset: str, recipe: str = "answer") -> str:
    """The `physlab curriculum build` command that writes the recipe's curriculum."""
    flags = []
    for key, value in recipe_of(recipe).build.items():
        flag = "--format" if key == "answer_format" else "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value not in (False, None):
            flags += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return " ".join(["physlab curriculum build --preset", preset, *flags])


def curriculum_differences(preset: str, recipe: str = "answer") -> list[str]:
    """How the recipe's curriculum on disk was built differently from the recipe ("compare:
    False, the recipe says True"), read from its sidecar; [] when it matches, is missing, or
    the recipe sets no flags."""
    from physlab.fileio import read_meta

    build = recipe_of(recipe).build
    if not build:
        return []
    try:
        meta = read_meta(data_dir() / preset / recipe_of(recipe).curriculum)
    except ValueError:
        return ["its sidecar cannot be read"]
    if meta is None:
        return []
    import inspect

    from physlab.teacher import build_worked_curriculum

    # Every option the sidecar records is compared, also those the recipe leaves out (then it
    # means the builder's default, e.g. --copy-wording train or no --fill); an option an older
    # sidecar lacks was built at that default.
    defaults = {name: p.default for name, p in inspect.signature(build_worked_curriculum).parameters.items()
                if p.default is not p.empty and name in meta}
    out = []
    for key, want in {**defaults, **build}.items():
        default = defaults.get(key, False if isinstance(want, bool) else None)
        got = meta.get("format" if key == "answer_format" else key, default)
        if got != want:
            out.append(f"{key}: {got}, the recipe says {want}")
    return out


def build_physics_curriculum(preset: str, recipe: str = "answer") -> Path:
    """data/<preset>/<the recipe's curriculum> from the built-in physics teacher (offline,
    seconds; the worked one with the recipe's augmentation, ~25 s on the standard preset)."""
    from physlab.teacher import build_curriculum

    try:
        return build_curriculum(preset, "physics", data_dir=data_dir(), progress=False, **recipe_of(recipe).build)
    except FileNotFoundError as err:
        raise ValueError(str(err)) from None
