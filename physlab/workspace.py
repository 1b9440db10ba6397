"""Read-side helpers for the dashboard: what is on disk under the data and results folders.

Everything here reads files (JSON, JSONL) and never imports torch, so the Overview, Scenarios,
Results and Errors pages stay fast. The folders come from the environment so tests (and users
with several workspaces) can point the dashboard elsewhere:

    PHYSLAB_DATA_DIR     (default "data")     data/<preset>/{train,test,ood,boundary}.jsonl
    PHYSLAB_RESULTS_DIR  (default "results")  results/runs/<run_id>/, results/evaluations/<eval_id>/

Where a library module already reads a file (datasets_io.read_split), it is used, so the
dashboard reports the same errors as the CLI.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physlab.fileio import data_dir, results_dir  # noqa: F401  (the pages use them from here)

SPLITS = ("train", "test", "ood", "boundary")
# Job / run states as physlab.jobs writes them; "unknown" when a folder has no status file yet.
ACTIVE_STATES = ("queued", "running")
FINISHED_STATES = ("done", "failed", "cancelled")


# --------------------------------------------------------------------------- folders


def runs_dir() -> Path:
    return results_dir() / "runs"


def evaluations_dir() -> Path:
    return results_dir() / "evaluations"


def jobs_dir() -> Path:
    return results_dir() / "jobs"


def mtime(path: Path) -> float:
    """Modification time (s) or 0.0 when missing: part of every st.cache_data key."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def tree_mtime(path: Path) -> float:
    """Newest mtime of a folder and its direct children: changes when a file is added or rewritten."""
    if not path.exists():
        return 0.0
    times = [mtime(path)] + [mtime(p) for p in path.iterdir()]
    return max(times)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from disk, or None when the file is missing or half-written."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Lines of a JSONL file; a torn last line (a writer mid-append) is skipped, not fatal."""
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text()
    except OSError:
        return rows
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class PresetInfo:
    name: str
    path: Path
    counts: dict[str, int]  # split -> number of scenarios
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def list_presets(root: Path | None = None) -> list[PresetInfo]:
    """Every data/<preset>/ folder holding at least one split file, with counts per split."""
    root = root or data_dir()
    if not root.is_dir():
        return []
    presets = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        counts = {s: _count_lines(folder / f"{s}.jsonl") for s in SPLITS if (folder / f"{s}.jsonl").exists()}
        if counts:
            presets.append(PresetInfo(folder.name, folder, counts, read_json(folder / "manifest.json") or {}))
    return presets


def split_path(preset: str, split: str, root: Path | None = None) -> Path:
    return (root or data_dir()) / preset / f"{split}.jsonl"


def load_split(path: Path) -> list[dict[str, Any]]:
    """Records of one split. Uses datasets_io.read_split (validating, clear errors) when present.

    Raises ValueError with the file and line for a corrupt file.
    """
    try:
        from physlab.datasets_io import read_split
    except ImportError:
        read_split = None
    if read_split is not None:
        return list(read_split(path))
    return read_jsonl(path)


def records_table(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows for a table and its filters (no nested params)."""
    rows = []
    for r in records:
        params = r.get("params") or {}
        motion = params.get("motion") or {}
        rows.append({
            "id": r.get("id", ""),
            "split": r.get("split", ""),
            "label": r.get("label", ""),
            "margin": float(r.get("margin", 0.0) or 0.0),
            "object": r.get("object", ""),
            "family": r.get("family", ""),
            "action": r.get("action") or motion.get("action", ""),
            "description": r.get("description", ""),
        })
    return rows


def scenario_from_record(record: dict[str, Any]):
    """The validated Scenario behind a record (params may or may not repeat id and family)."""
    from physlab.schema import parse_scenario

    params = dict(record.get("params") or {})
    params.setdefault("id", record.get("id", "scenario"))
    params.setdefault("family", record.get("family", "custom"))
    return parse_scenario(params, where=f"{params['id']}: ")


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    path: Path
    state: str  # queued | running | done | failed | cancelled | unknown
    config: dict[str, Any]
    manifest: dict[str, Any]
    status: dict[str, Any]

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    @property
    def base_model(self) -> str:
        return str(self.config.get("base_model") or self.manifest.get("base_model") or "?")

    @property
    def preset(self) -> str:
        return str(self.config.get("preset") or self.manifest.get("preset") or "?")


def read_status(folder: Path) -> dict[str, Any]:
    """status.json of a run, job or evaluation folder; a plain-text `status` file (one word) is
    accepted too. A queued or running state whose process is gone (killed before it could write
    its end state) reads as failed, as physlab.jobs reports its own jobs."""
    data = read_json(folder / "status.json")
    if data is not None:
        return _dead_is_failed(data)
    try:
        word = (folder / "status").read_text().strip()
    except OSError:
        return {}
    return read_json(folder / "status") or ({"state": word} if word else {})


def _dead_is_failed(status: dict[str, Any]) -> dict[str, Any]:
    from physlab.jobs import process_alive

    if status.get("state") in ACTIVE_STATES and status.get("pid") and \
            not process_alive(status["pid"], status.get("proc_start")):
        return {**status, "state": "failed", "error": status.get("error") or "process died without recording its end"}
    return status


def _run_state(folder: Path, status: dict[str, Any]) -> str:
    """The job's state; jobs.Job.status() is used when present (it notices dead processes)."""
    state = str(status.get("state") or "")
    if state in ACTIVE_STATES:
        try:
            from physlab.jobs import Job

            state = str(Job.load(folder).status().get("state", state))  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - no jobs module yet, or not a job folder: keep the file's word
            pass
    if not state:
        # A finished run always has its adapter; without a status file trust that.
        state = "done" if (folder / "adapter_config.json").exists() or (folder / "adapter").exists() else "unknown"
    return state


def list_runs(root: Path | None = None) -> list[RunInfo]:
    """results/runs/<run_id>/ folders, newest first."""
    root = root or runs_dir()
    if not root.is_dir():
        return []
    runs = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=mtime, reverse=True):
        status = read_status(folder)
        runs.append(RunInfo(folder.name, folder, _run_state(folder, status), read_json(folder / "config.json") or {},
                            read_json(folder / "manifest.json") or {}, status))
    return runs


def read_metrics(run_path: Path) -> list[dict[str, Any]]:
    """metrics.jsonl rows: step, epoch, loss, learning_rate, tokens_per_s, elapsed_s."""
    return read_jsonl(run_path / "metrics.jsonl")


def run_progress(run: RunInfo, metrics: list[dict[str, Any]]) -> float | None:
    """Fraction done in [0, 1] from the last logged step and the planned total, if known."""
    total = run.status.get("total_steps") or run.manifest.get("total_steps") or run.config.get("max_steps")
    if not metrics:
        return 0.0 if total else None
    step = metrics[-1].get("step")
    if total and step is not None and int(total) > 0:
        return max(0.0, min(1.0, float(step) / float(total)))
    return None


# --------------------------------------------------------------------------- evaluations


@dataclass(frozen=True)
class EvalInfo:
    eval_id: str
    path: Path
    summary: dict[str, Any] | None  # None while running or when it failed before the summary
    config: dict[str, Any]
    status: dict[str, Any]

    @property
    def models(self) -> list[str]:
        return model_names(self.summary or {}) or [str(m) for m in self.config.get("models", [])]


def list_evaluations(root: Path | None = None) -> list[EvalInfo]:
    """results/evaluations/<eval_id>/ folders, newest first."""
    root = root or evaluations_dir()
    if not root.is_dir():
        return []
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=mtime, reverse=True)
    return [EvalInfo(f.name, f, load_summary(f), read_json(f / "config.json") or {}, read_status(f)) for f in folders]


def load_summary(eval_path: Path) -> dict[str, Any] | None:
    return read_json(eval_path / "summary.json")


def load_eval_records(eval_path: Path) -> list[dict[str, Any]]:
    return read_jsonl(eval_path / "records.jsonl")


def model_summaries(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """model name -> that model's metrics, whatever the nesting of summary.json.

    Accepts {"models": {name: metrics}}, {"models": [{"model": name, ...}]} and
    {name: metrics} (each metrics dict recognised by an accuracy key).
    """
    models = summary.get("models", summary)
    if isinstance(models, list):
        return {str(m.get("model") or m.get("name") or i): m for i, m in enumerate(models) if isinstance(m, dict)}
    if isinstance(models, dict):
        return {str(k): v for k, v in models.items() if isinstance(v, dict) and _looks_like_metrics(v)}
    return {}


def _looks_like_metrics(d: dict[str, Any]) -> bool:
    return any(k in d for k in ("binary", "binary_accuracy", "accuracy", "confusion", "n"))


def model_names(summary: dict[str, Any]) -> list[str]:
    return list(model_summaries(summary))


def interval(metrics: dict[str, Any], *names: str) -> dict[str, float] | None:
    """The first of `names` as {"value","lo","hi","k","n"}; a bare number becomes value only."""
    for name in names:
        v = metrics.get(name)
        if isinstance(v, dict) and "value" in v:
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"value": float(v), "lo": float(v), "hi": float(v)}
    for container in ("accuracy", "accuracies"):
        sub = metrics.get(container)
        if isinstance(sub, dict):
            found = interval(sub, *names)
            if found:
                return found
    return None


# The headline metrics in the order the Results page shows them: (title, keys tried in order).
HEADLINE_METRICS = (
    ("binary", ("binary", "binary_accuracy")),
    ("failure mode", ("failure_mode", "failure_mode_accuracy", "mode")),
    ("8-way", ("eight_way", "eight_way_accuracy", "8way", "label")),
    ("macro-F1", ("macro_f1",)),
)


def headline_table(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per model: each headline metric as 'value [lo, hi]' text plus n."""
    rows = []
    for model, metrics in model_summaries(summary).items():
        row: dict[str, Any] = {"model": model}
        for title, keys in HEADLINE_METRICS:
            iv = interval(metrics, *keys)
            if iv is None:
                row[title] = "-"
            elif iv.get("lo") is not None and iv.get("hi") is not None and iv["lo"] != iv["hi"]:
                row[title] = f"{iv['value']:.1%} [{iv['lo']:.0%}, {iv['hi']:.0%}]"
            else:
                row[title] = f"{iv['value']:.3f}" if title == "macro-F1" else f"{iv['value']:.1%}"
        n = metrics.get("n") or (interval(metrics, "binary", "binary_accuracy") or {}).get("n")
        row["n"] = n if n is not None else "-"
        rows.append(row)
    return rows


def mcnemar_pairs(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """McNemar results stored in summary.json, as rows {a, b, p, ...}; empty when absent."""
    found = summary.get("mcnemar") or summary.get("comparisons") or []
    rows = []
    if isinstance(found, dict):
        for key, v in found.items():
            if isinstance(v, dict):
                rows.append({"pair": key, **v})
            elif isinstance(v, (int, float)):
                rows.append({"pair": key, "p": v})
    elif isinstance(found, list):
        rows = [dict(v) for v in found if isinstance(v, dict)]
    return rows


@dataclass(frozen=True)
class Counts:
    presets: int
    scenarios: int
    runs: int
    runs_done: int
    evaluations: int


def workspace_counts() -> Counts:
    presets = list_presets()
    runs = list_runs()
    return Counts(len(presets), sum(p.total for p in presets), len(runs),
                  sum(r.finished_ok for r in runs), len(list_evaluations()))


# --------------------------------------------------------------------------- actions the pages start

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


# --------------------------------------------------------------------------- summary.json -> chart inputs
# metrics.summarize owns the format; these adapters accept its documented shape and a few
# plain alternatives, so a renamed key degrades to an "absent" chart instead of a crash.


def accuracy_intervals(metrics: dict[str, Any]) -> dict[str, dict[str, float] | None]:
    """Headline metric title -> {"value","lo","hi",...} (None when the summary lacks it)."""
    return {title: interval(metrics, *keys) for title, keys in HEADLINE_METRICS}


def confusion(metrics: dict[str, Any]) -> tuple[list[list[int]], list[str], list[str]] | None:
    """(matrix, truth labels = rows, answer labels = columns) or None."""
    conf = metrics.get("confusion")
    if not isinstance(conf, dict):
        return None
    matrix = conf.get("counts", conf.get("matrix"))  # metrics.confusion_matrix: rows, columns, counts
    if isinstance(matrix, list):
        rows = [str(x) for x in conf.get("labels") or conf.get("rows") or conf.get("truth") or []]
        cols = [str(x) for x in conf.get("columns") or conf.get("predicted") or conf.get("labels") or []]
        if rows and cols:
            return [list(map(int, r)) for r in matrix], rows, cols
        return None
    # Nested {truth: {answer: count}}.
    rows = [str(k) for k in conf if isinstance(conf[k], dict)]
    if not rows:
        return None
    cols: list[str] = []
    for r in rows:
        cols.extend(c for c in conf[r] if c not in cols)
    return [[int(conf[r].get(c, 0)) for c in cols] for r in rows], rows, cols


def confusion_cell_count(metrics: dict[str, Any], truth: str, answer: str) -> int:
    found = confusion(metrics)
    if not found:
        return 0
    matrix, rows, cols = found
    return matrix[rows.index(truth)][cols.index(answer)] if truth in rows and answer in cols else 0


def f1_per_label(metrics: dict[str, Any]) -> dict[str, float]:
    per = metrics.get("per_class") or metrics.get("per_label") or metrics.get("per_mode") or {}
    out: dict[str, float] = {}
    if isinstance(per, dict):
        for label, v in per.items():
            f1 = v.get("f1") if isinstance(v, dict) else v
            if isinstance(f1, (int, float)):
                out[str(label)] = float(f1)
    elif isinstance(per, list):
        for v in per:
            if isinstance(v, dict) and isinstance(v.get("f1"), (int, float)):
                out[str(v.get("label"))] = float(v["f1"])
    return out


def margin_buckets(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Binary accuracy per margin bucket: rows with bucket (text), value, n."""
    found = metrics.get("by_margin") or metrics.get("margin_buckets") or metrics.get("accuracy_by_margin") or []
    if isinstance(found, dict) and isinstance(found.get("binary"), list):
        found = found["binary"]  # metrics.summarize: {"binary": [...], "eight_way": [...]}
    rows = []
    if isinstance(found, dict):
        found = [{"bucket": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in found.items()]
    for b in found if isinstance(found, list) else []:
        if not isinstance(b, dict):
            continue
        acc = b.get("binary", b.get("accuracy", b.get("value")))
        if isinstance(acc, dict):
            b = {**b, "n": acc.get("n", b.get("n")), "value": acc.get("value")}
        else:
            b = {**b, "value": acc}
        if b.get("value") is not None and b.get("n", 1):
            rows.append({**b, "bucket": b.get("bucket") or b.get("name")})
    return rows


def calibration_bins(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Bins {mean_p, frac_fail, n} of the reliability diagram (metrics.summarize: probabilities.calibration)."""
    probs = metrics.get("probabilities") if isinstance(metrics.get("probabilities"), dict) else {}
    cal = probs.get("calibration", metrics.get("calibration"))
    if isinstance(cal, dict):
        cal = cal.get("bins")
    return [b for b in cal if isinstance(b, dict)] if isinstance(cal, list) else []


def probability_scores(metrics: dict[str, Any]) -> dict[str, float]:
    """ROC-AUC, Brier and ECE where the evaluation had probabilities."""
    out = {}
    cal = metrics.get("probabilities") if isinstance(metrics.get("probabilities"), dict) else {}
    for key in ("roc_auc", "auc", "brier", "ece"):
        v = metrics.get(key, cal.get(key) if cal else None)
        if isinstance(v, dict):
            v = v.get("value")
        if isinstance(v, (int, float)):
            out[key] = float(v)
    return out


# --------------------------------------------------------------------------- what-if (Predict page)

# Parameters a person can edit or sweep on the Predict page: dotted path -> label with unit.
EDITABLE_PARAMS = {
    "gripper.grip_force_n": "grip force (N)",
    "gripper.pad_friction": "pad friction μ",
    "gripper.payload_kg": "rated payload (kg)",
    "gripper.grasp_offset_m": "grasp offset from CoM (m)",
    "object.mass_kg": "mass (kg)",
    "object.crush_force_n": "crush force (N)",
    "object.fill_fraction": "fill level (fraction)",
    "object.com_height_m": "centre-of-mass height (m)",
    "motion.lift_accel_mps2": "lift acceleration (m/s²)",
    "motion.transport_accel_mps2": "transport acceleration (m/s²)",
    "motion.ramp_time_s": "ramp time (s)",
    "motion.clearance_m": "clearance (m)",
    "motion.speed_mps": "speed (m/s)",
    "motion.release_height_m": "release height (m)",
    "motion.release_speed_mps": "release speed (m/s)",
    "environment.support_friction": "support friction μ",
    "environment.slope_deg": "slope (deg)",
}


def get_param(params: dict[str, Any], path: str) -> Any:
    section, name = path.split(".", 1)
    return (params.get(section) or {}).get(name)


def set_param(params: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `params` with one dotted field replaced (the input is not modified)."""
    section, name = path.split(".", 1)
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    out.setdefault(section, {})[name] = value
    return out


def present_params(params: dict[str, Any]) -> dict[str, float]:
    """The editable parameters this scenario sets (None means 'not applicable': left out)."""
    found = {}
    for path in EDITABLE_PARAMS:
        v = get_param(params, path)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            found[path] = float(v)
    return found


@dataclass(frozen=True)
class PhysicsPoint:
    value: float
    label: str
    largest_ratio: float  # max r over all modes: the scenario fails exactly when this is > 1
    ratios: dict[str, float]
    description: str


def physics_of(params: dict[str, Any], seed: int = 0) -> tuple[Any, Any, str]:
    """(scenario, assessment, description) of a parameter dict. ValueError names a bad field."""
    from physlab.describe import describe
    from physlab.physics import assess
    from physlab.schema import parse_scenario

    params = dict(params)
    params.setdefault("id", "what-if")
    params.setdefault("family", "custom")
    scenario = parse_scenario(params)
    return scenario, assess(scenario), describe(scenario, seed)


def sweep_values(low: float, high: float, points: int) -> list[float]:
    if points < 2:
        raise ValueError(f"points: at least 2 (got {points})")
    if not high > low:
        raise ValueError(f"range: the upper end must be above the lower one (got {low} .. {high})")
    return [low + (high - low) * i / (points - 1) for i in range(points)]


def physics_sweep(params: dict[str, Any], path: str, values: list[float], seed: int = 0) -> list[PhysicsPoint]:
    """The physics at each value of one parameter; the description keeps the same phrasing (seed).

    Raises ValueError naming the parameter and value when one point does not validate.
    """
    if path not in EDITABLE_PARAMS:
        raise ValueError(f"parameter: must be one of {', '.join(EDITABLE_PARAMS)} (got {path!r})")
    points = []
    for v in values:
        try:
            _, assessment, text = physics_of(set_param(params, path, v), seed)
        except ValueError as err:
            raise ValueError(f"{path} = {v:g} is not a valid scenario: {err}") from None
        points.append(PhysicsPoint(v, assessment.label, max(assessment.ratios.values(), default=0.0),
                                   dict(assessment.ratios), text))
    return points


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
    """Backend specs a person can pick: the base model, baselines, finished runs, Ollama models."""
    specs = ["base", "fewshot", "majority"]
    specs += [f"run:{r.run_id}" for r in list_runs() if r.finished_ok]
    if include_ollama:
        specs += ollama_models()
    return specs


# --------------------------------------------------------------------------- background jobs (physlab.jobs)
# The pages never start processes themselves: they hand an argument list to physlab.jobs, which
# owns the job folder (status, log, outputs), the queue and cancellation.


def _jobs_module():
    try:
        from physlab import jobs
    except ImportError as err:
        raise ValueError(f"background jobs are not available in this checkout (physlab.jobs: {err})") from None
    return jobs


def submit_job(kind: str, argv: list[str]) -> Any:
    """Queue `physlab <argv...>` as a background job of `kind` under results/jobs; returns the Job.

    `argv` may be the CLI arguments alone (["evaluate", ...]) or a full command line; the
    interpreter running the dashboard runs the CLI, so the job uses the same environment.
    """
    import sys

    if argv and argv[0] != sys.executable and not Path(argv[0]).name.startswith("python"):
        argv = [sys.executable, "-m", "physlab", *argv]
    return _jobs_module().submit(kind, argv, jobs_dir())


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
            "started": info.get("started_at") or info.get("created_at"),
            "ended": info.get("ended_at"),
            "error": info.get("error"),
            "folder": folder,
            "outputs": info.get("outputs") or {},
        })
    return rows


def cancel_job(folder: Path) -> None:
    _jobs_module().Job.load(folder).cancel()


def job_log_tail(folder: Path, lines: int = 20) -> str:
    jobs = _jobs_module()
    try:
        tail = jobs.Job.load(folder).log_tail(lines)
    except (OSError, ValueError, TypeError):
        return ""
    return tail if isinstance(tail, str) else "\n".join(tail)


# --------------------------------------------------------------------------- training launch (Train page)


@dataclass(frozen=True)
class TrainForm:
    """What the Train page's form collects; validated by physlab.train.TrainConfig before launch."""

    preset: str
    base_model: str = "embedded"
    epochs: int = 3
    lora_r: int = 8
    lora_alpha: int = 32
    learning_rate: float = 2e-4
    target_modules: str = "q_proj,v_proj"
    max_steps: int | None = None

    def modules(self) -> list[str]:
        return [m.strip() for m in self.target_modules.split(",") if m.strip()]



def training_config(form: TrainForm) -> Any:
    """physlab.train.TrainConfig from the form (data and runs folders from the environment).

    A bad field raises ValueError naming it (pydantic's ValidationError is a ValueError).
    """
    from physlab.train import TrainConfig

    if not form.modules():
        raise ValueError("target_modules: give at least one module name, e.g. q_proj,v_proj")
    try:
        return TrainConfig(preset=form.preset, base_model=form.base_model, epochs=form.epochs, lora_r=form.lora_r,
                           lora_alpha=form.lora_alpha, learning_rate=form.learning_rate,
                           target_modules=form.modules(), max_steps=form.max_steps,
                           data_dir=str(data_dir()), runs_dir=str(runs_dir()))
    except ValueError as err:
        from pydantic import ValidationError

        if isinstance(err, ValidationError):
            from physlab.train import format_validation_error

            raise ValueError(format_validation_error(err)) from None
        raise


def submit_training(form: TrainForm) -> Any:
    """Validate and check (curriculum present, modules exist: no model load), then queue the run
    with physlab.train.submit_training; returns the Job (its outputs name the run folder)."""
    from physlab.train import submit_training as queue_run

    return queue_run(training_config(form), jobs_dir())


def evaluation_progress(evaluation: EvalInfo) -> tuple[int, int | None]:
    """(answers written, answers planned) of an evaluation; planned is None when unknown."""
    records = evaluation.path / "records.jsonl"
    done = _count_lines(records) if records.exists() else 0
    cfg = evaluation.config
    split = split_path(str(cfg.get("preset", "")), str(cfg.get("split", "")), Path(cfg.get("data_dir") or data_dir()))
    if not cfg.get("models") or not split.exists():
        return done, None
    scenarios = _count_lines(split)
    if cfg.get("limit"):
        scenarios = min(scenarios, int(cfg["limit"]))
    return done, scenarios * len(cfg["models"])


def submit_evaluation(config: Any) -> Any:
    """Queue `physlab evaluate ...` for a validated physlab.evaluate.EvalConfig; returns the Job.

    The argument list comes from the CLI module itself, so the page and `physlab evaluate
    --background` start exactly the same command.
    """
    from physlab.commands.evaluate import _job_argv

    split = Path(config.split_path)
    if not split.exists():
        raise ValueError(f"split: {split} not found; generate the preset first")
    return submit_job("evaluate", _job_argv(config))


def has_curriculum(preset: str) -> bool:
    return (data_dir() / preset / "curriculum.jsonl").exists()


def build_physics_curriculum(preset: str) -> Path:
    """data/<preset>/curriculum.jsonl from the built-in physics teacher (offline, seconds)."""
    from physlab.teacher import build_curriculum

    try:
        return build_curriculum(preset, "physics", data_dir=data_dir(), progress=False)
    except FileNotFoundError as err:
        raise ValueError(str(err)) from None
