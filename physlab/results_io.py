"""Reading what is on disk under the data and results folders, for the dashboard and the CLI.

Everything here reads files (JSON, JSONL) and never imports torch, so pages that only read stay
fast. The folders come from the environment (physlab.fileio), so tests and users with several
workspaces can point the dashboard elsewhere:

    PHYSLAB_DATA_DIR     (default "data")     data/<preset>/{train,test,ood,boundary}.jsonl
    PHYSLAB_RESULTS_DIR  (default "results")  results/runs/<run_id>/, results/evaluations/<eval_id>/

Run and evaluation states are what physlab.jobs reports (it notices dead processes, and
cancelled ones); summary.json adapters accept metrics.summarize's shape and a few plain
alternatives, so a renamed key degrades to an absent chart instead of a crash.
Sibling modules: physlab.whatif (parameter sweeps), physlab.launch (what the pages start).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physlab.fileio import (  # noqa: F401  (the pages use them from here)
    data_dir,
    evaluations_dir,
    jobs_dir,
    read_jsonl,
    results_dir,
    runs_dir,
)

SPLITS = ("train", "test", "ood", "boundary")
# Job / run states as physlab.jobs writes them; "unknown" when a folder has no status file yet.
ACTIVE_STATES = ("queued", "running")
FINISHED_STATES = ("done", "failed", "cancelled")
LABELS_FILE = "labels.json"  # a run's name and tags, written by the dashboard (never by training)


# --------------------------------------------------------------------------- folders


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
    labels: dict[str, Any] = field(default_factory=dict)  # {"name", "tags"} given on the Compare page

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    @property
    def name(self) -> str:
        return str(self.labels.get("name") or "")

    @property
    def tags(self) -> list[str]:
        return [str(t) for t in self.labels.get("tags") or []]

    @property
    def title(self) -> str:
        """The given name with the id, or the id alone: what a legend or a select box shows."""
        return f"{self.name} ({self.run_id})" if self.name else self.run_id

    @property
    def base_model(self) -> str:
        return str(self.config.get("base_model") or self.manifest.get("base_model") or "?")

    @property
    def preset(self) -> str:
        return str(self.config.get("preset") or self.manifest.get("preset") or "?")


def read_status(folder: Path) -> dict[str, Any]:
    """status.json of a run, job or evaluation folder as physlab.jobs reports it: a queued or
    running state whose process is gone reads as failed (or cancelled when a cancel was asked)."""
    if not (folder / "status.json").is_file():
        return {}
    from physlab.jobs import Job

    try:
        status = Job(folder).status()
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def _run_state(folder: Path, status: dict[str, Any]) -> str:
    state = str(status.get("state") or "")
    if not state:
        # A finished run always has its adapter; without a status file trust that.
        state = "done" if (folder / "adapter_config.json").exists() else "unknown"
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
                            read_json(folder / "manifest.json") or {}, status, read_json(folder / LABELS_FILE) or {}))
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




# --------------------------------------------------------------------------- choosing what to show (defaults)


def _student_models(models: list[str]) -> list[str]:
    return [m for m in models if m.startswith("run:")]


def preferred_evaluation(evaluations: list[EvalInfo]) -> tuple[EvalInfo | None, str]:
    """The evaluation a page should open on, and why: finished ones (a summary) that contain a
    student (run:<id>) first, the most scenarios next, the newest last. Not merely the newest,
    which is often a smoke test of the baselines."""
    finished = [e for e in evaluations if e.summary]
    if not finished:
        return None, "no finished evaluation yet"

    def rank(e: EvalInfo) -> tuple[int, int, int]:
        per_model = model_summaries(e.summary or {})
        n = max((int(m.get("n") or 0) for m in per_model.values()), default=0)
        return (1 if _student_models(e.models) else 0, n, len(per_model))

    best = max(finished, key=rank)  # max keeps the first (newest) among equals
    students = _student_models(best.models)
    why = (f"the largest finished evaluation with a student ({', '.join(students)}), most models first" if students
           else "the largest finished evaluation (none has a student yet)")
    return best, why


def run_steps(run: RunInfo, metrics: list[dict[str, Any]] | None = None) -> int | None:
    steps = run.manifest.get("total_steps") or run.status.get("step")
    if steps is None and metrics:
        steps = metrics[-1].get("step")
    return int(steps) if isinstance(steps, (int, float)) else None


def run_of_spec(spec: str) -> str | None:
    """The run id in a model spec: "run:<id>", with an answer mode ("run:<id>:grammar") or a
    checkpoint ("run:<id>@5", "run:<id>/checkpoint-5"); None for any other model."""
    if not spec.startswith("run:"):
        return None
    return re.split(r"[:@/]", spec[4:], maxsplit=1)[0] or None


def loss_weight_note(runs: list[RunInfo]) -> str | None:
    """A caption for a loss chart over these runs when their losses are not on one scale: a run
    trained with decision_weight W != 1 logs the weighted loss (physlab.train.decision_spans).
    None when every run used the plain loss."""
    weighted = {r.run_id: float(r.config.get("decision_weight") or 1.0) for r in runs}
    weighted = {k: w for k, w in weighted.items() if w != 1.0}
    if not weighted:
        return None
    names = ", ".join(f"{k} (×{w:g})" for k, w in weighted.items())
    return (f"Weighted loss: {names} counted each check line's head and the answer lines more than once "
            f"(--decision-weight), so {'its' if len(weighted) == 1 else 'their'} loss is not on the "
            f"scale of a plain-loss run.")


def preferred_runs(runs: list[RunInfo]) -> list[RunInfo]:
    """Finished runs, the most meaningful first: full trainings (no max_steps cap) before smoke
    runs, then the most optimizer steps, then the newest."""
    done = [r for r in runs if r.finished_ok]
    steps = {r.run_id: run_steps(r, read_metrics(r.path)) or 0 for r in done}
    return sorted(done, key=lambda r: (r.config.get("max_steps") in (None, -1, 0), steps[r.run_id]), reverse=True)


# --------------------------------------------------------------------------- comparing runs


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def curriculum_format(run: RunInfo) -> str:
    """How the targets were written: reasoning + answer, answers only, or worked (formula lines)."""
    explicit = run.config.get("format") or run.manifest.get("format")
    if explicit:
        return str(explicit)
    curriculum = str(run.config.get("curriculum") or run.manifest.get("curriculum") or "")
    if "worked" in curriculum:
        return "worked"
    if "answers" in curriculum:
        return "answers only"
    return "reasoning"


def run_row(run: RunInfo, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """One runs-table row with the config columns a comparison needs."""
    cfg, man = run.config, run.manifest
    modules = cfg.get("target_modules") or man.get("target_modules")
    speeds = [float(m["tokens_per_s"]) for m in metrics if isinstance(m.get("tokens_per_s"), (int, float))]
    wall = man.get("wall_time_s") or (metrics[-1].get("elapsed_s") if metrics else None)
    return {
        "run": run.run_id,
        "name": run.name,
        "tags": ", ".join(run.tags),
        "state": run.state,
        "preset": run.preset,
        "base model": run.base_model,
        "format": curriculum_format(run),
        "r": cfg.get("lora_r"),
        "alpha": cfg.get("lora_alpha"),
        "modules": ",".join(modules) if isinstance(modules, list) else modules,
        "lr": cfg.get("learning_rate"),
        "epochs": cfg.get("epochs"),
        "steps": run_steps(run, metrics),
        "examples": man.get("train_examples"),
        "final loss": round(float(metrics[-1]["loss"]), 4) if metrics and metrics[-1].get("loss") is not None else None,
        "wall time (s)": round(float(wall), 1) if isinstance(wall, (int, float)) else None,
        "tokens/s": round(_mean(speeds), 1) if speeds else None,
    }


def filter_rows(rows: list[dict[str, Any]], text: str = "", states: list[str] | None = None,
                tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows whose any cell contains `text` (case-insensitive), in one of `states`, carrying all `tags`."""
    text = text.strip().lower()
    out = []
    for row in rows:
        if text and not any(text in str(v).lower() for v in row.values()):
            continue
        if states and row.get("state") not in states:
            continue
        row_tags = {t.strip() for t in str(row.get("tags") or "").split(",") if t.strip()}
        if tags and not set(tags) <= row_tags:
            continue
        out.append(row)
    return out


def set_run_labels(run_path: Path, name: str, tags: list[str] | str) -> dict[str, Any]:
    """Give a run a name and tags (results/runs/<id>/labels.json); the run itself is not touched."""
    from physlab.fileio import write_json_atomic

    if isinstance(tags, str):
        tags = tags.split(",")
    labels = {"name": name.strip(), "tags": sorted({t.strip() for t in tags if t and t.strip()})}
    if not run_path.is_dir():
        raise ValueError(f"run: no folder {run_path}")
    write_json_atomic(run_path / LABELS_FILE, labels)
    return labels


def delete_run(run: RunInfo) -> None:
    """Remove a run folder. Refused while the run is queued or running (cancel it first)."""
    import shutil

    if run.state in ACTIVE_STATES:
        raise ValueError(f"run {run.run_id} is {run.state}: cancel it before deleting it")
    root = runs_dir().resolve()
    folder = run.path.resolve()
    if folder.parent != root:
        raise ValueError(f"run: {folder} is not a folder of {root}")
    shutil.rmtree(folder)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = ", ".join(map(str, v))
        else:
            out[key] = v
    return out


# Manifest fields that differ between any two runs and say nothing about the recipe.
_DIFF_NOISE = ("run_id", "finished_at", "git_commit", "data_sha256", "curriculum", "runs_dir", "data_dir")


def config_diff(a: RunInfo, b: RunInfo, everything: bool = False) -> list[dict[str, Any]]:
    """Rows {field, <a>, <b>} over config.json then manifest.json (nested keys dotted); only the
    fields that differ unless `everything`."""
    rows = []
    for source, da, db in (("config", a.config, b.config), ("manifest", a.manifest, b.manifest)):
        fa, fb = _flatten(da), _flatten(db)
        for key in sorted(set(fa) | set(fb)):
            if source == "manifest" and (key in _DIFF_NOISE or key.startswith("versions.")) and not everything:
                continue
            va, vb = fa.get(key, "—"), fb.get(key, "—")
            if everything or va != vb:
                rows.append({"field": f"{source}.{key}", a.title: str(va), b.title: str(vb)})
    return rows


def loss_rows(metrics: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(training loss rows, validation loss rows): metrics.jsonl lines with `loss` and lines with `eval_loss`."""
    train = [m for m in metrics if m.get("loss") is not None and m.get("step") is not None]
    valid = [m for m in metrics if m.get("eval_loss") is not None and m.get("step") is not None]
    return train, valid


def adapter_zip(run_path: Path) -> bytes:
    """The run's peft folder as a zip: the adapter (adapter_config.json, adapter_model.*) and
    the files beside it (config, manifest, metrics, tokenizer files), without checkpoints/."""
    import io
    import zipfile

    if not (run_path / "adapter_config.json").is_file():
        raise ValueError(f"run {run_path.name} has no adapter yet (adapter_config.json missing)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(run_path.iterdir()):
            if f.is_file() and f.name not in ("status.json", "log.txt", ".lock") and not f.name.startswith("."):
                zf.write(f, f"{run_path.name}/{f.name}")
    return buf.getvalue()


# --------------------------------------------------------------------------- comparing evaluations


LEADERBOARD_METRICS = {title: keys for title, keys in HEADLINE_METRICS}


def leaderboard(evaluations: list[EvalInfo], preset: str, split: str, metric: str = "binary",
                runs: dict[str, RunInfo] | None = None) -> list[dict[str, Any]]:
    """Every model evaluated on (preset, split), best first by `metric`, each with its interval.

    A model evaluated several times appears once per way of answering (score / generate), from
    its largest evaluation (the newest among equals)."""
    keys = LEADERBOARD_METRICS[metric]
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for e in evaluations:
        summary = e.summary or {}
        if (summary.get("preset") or e.config.get("preset")) != preset or (summary.get("split") or e.config.get("split")) != split:
            continue
        mode = str(summary.get("mode") or e.config.get("mode") or "?")
        for model, metrics in model_summaries(summary).items():
            iv = interval(metrics, *keys)
            if iv is None:
                continue
            n = int(metrics.get("n") or iv.get("n") or 0)
            row = {"model": model, "mode": mode, "value": float(iv["value"]), "lo": iv.get("lo"), "hi": iv.get("hi"),
                   "n": n, "evaluation": e.eval_id}
            run = runs.get(run_of_spec(model)) if runs else None
            if run is not None and run.name:
                row["name"] = run.name
            key = (model, mode)
            if key not in best or n > best[key]["n"]:
                best[key] = row
    return sorted(best.values(), key=lambda r: -r["value"])


def evaluated_splits(evaluations: list[EvalInfo]) -> list[tuple[str, str]]:
    """(preset, split) pairs that have at least one finished evaluation, most common first."""
    seen: dict[tuple[str, str], int] = {}
    for e in evaluations:
        if e.summary:
            key = (str(e.summary.get("preset") or e.config.get("preset")), str(e.summary.get("split") or e.config.get("split")))
            seen[key] = seen.get(key, 0) + 1
    return sorted(seen, key=lambda k: -seen[k])


def checkpoint_step(model: str, run_id: str) -> int | None | bool:
    """For a model spec naming `run_id`: the checkpoint step it names (run:<id>@<step> or
    run:<id>/checkpoint-<step>), True for the final adapter, None when it names another model."""
    if not model.startswith("run:"):
        return None
    rest = model[4:]
    for sep in ("@", "/checkpoint-", "/"):
        if sep in rest:
            rid, _, step = rest.partition(sep)
            step = step.removeprefix("checkpoint-")
            if rid == run_id and step.isdigit():
                return int(step)
            return None
    return True if rest == run_id else None


def learning_curve(run: RunInfo, evaluations: list[EvalInfo], preset: str, split: str,
                   metric: str = "binary") -> list[dict[str, Any]]:
    """Accuracy against training steps (and examples seen) from the evaluations of a run's
    checkpoints and of its final adapter on (preset, split): rows {step, examples, value, lo, hi, n,
    evaluation}, ascending by step; one point per step (the largest evaluation)."""
    keys = LEADERBOARD_METRICS[metric]
    final_step = run_steps(run, read_metrics(run.path))
    batch = run.manifest.get("effective_batch") or (run.config.get("batch_size") or 4) * (run.config.get("grad_accum") or 1)
    points: dict[int, dict[str, Any]] = {}
    for e in evaluations:
        summary = e.summary or {}
        if (summary.get("preset") or e.config.get("preset")) != preset or (summary.get("split") or e.config.get("split")) != split:
            continue
        for model, metrics in model_summaries(summary).items():
            found = checkpoint_step(model, run.run_id)
            if found is None or (found is True and final_step is None):
                continue
            step = final_step if found is True else int(found)
            iv = interval(metrics, *keys)
            if iv is None or step is None:
                continue
            n = int(metrics.get("n") or 0)
            if step not in points or n > points[step]["n"]:
                points[step] = {"step": step, "examples": step * int(batch), "value": float(iv["value"]),
                                "lo": iv.get("lo"), "hi": iv.get("hi"), "n": n, "evaluation": e.eval_id, "model": model}
    return [points[s] for s in sorted(points)]


def mcnemar_between(records: list[dict[str, Any]], model_a: str, model_b: str) -> list[dict[str, Any]]:
    """McNemar exact tests of two models of one evaluation on their shared scenarios, per metric
    (binary, eight_way, mode), computed from records.jsonl so any pair can be compared."""
    from physlab.metrics import mcnemar_exact

    by: dict[str, dict[str, dict[str, Any]]] = {model_a: {}, model_b: {}}
    for r in records:
        if r.get("model") in by:
            by[str(r["model"])][str(r.get("scenario_id"))] = r
    shared = [sid for sid in by[model_a] if sid in by[model_b]]
    rows = []
    for metric in ("binary", "eight_way", "mode"):
        pairs = [((by[model_a][s].get("correct") or {}).get(metric), (by[model_b][s].get("correct") or {}).get(metric))
                 for s in shared]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        if not pairs:
            continue
        test = mcnemar_exact([a for a, _ in pairs], [b for _, b in pairs])
        rows.append({"pair": f"{model_a} vs {model_b}", "metric": metric, "n": len(pairs),
                     "b": test.get("b"), "c": test.get("c"), "p": test.get("p_value")})
    return rows


def default_pairs(models: list[str]) -> list[tuple[str, str]]:
    """Student vs majority and student vs base (for each student), else the first against each other."""
    students = [m for m in models if m.startswith("run:")]
    pairs = [(s, ref) for s in students for ref in ("majority", "base") if ref in models]
    if not pairs and len(models) > 1:
        pairs = [(models[0], m) for m in models[1:]]
    return pairs


# --------------------------------------------------------------------------- from charts to examples


def answer_of(record: dict[str, Any]) -> str:
    return str((record.get("parsed") or {}).get("label") or "unparsed")


def records_in_bucket(records: list[dict[str, Any]], model: str, bucket: dict[str, Any]) -> list[dict[str, Any]]:
    """A model's records whose margin falls in an accuracy-by-margin bucket [lo, hi) (None = unbounded)."""
    lo, hi = bucket.get("lo"), bucket.get("hi")
    out = []
    for r in records:
        m = r.get("margin")
        if r.get("model") != model or not isinstance(m, (int, float)):
            continue
        if (lo is None or m >= lo) and (hi is None or m < hi):
            out.append(r)
    return out


# --------------------------------------------------------------------------- the worked student's reasoning

REASONING_ERRORS = ("wrong_check_set", "wrong_number", "wrong_formula", "wrong_verdict", "wrong_mode_order",
                    "unparsable_line")
REASONING_ERROR_TEXT = {
    "wrong_check_set": "checked other modes than physics does",
    "wrong_number": "copied a number wrongly",
    "wrong_formula": "wrote a wrong formula",
    "wrong_verdict": "said ok / FAILS against its own value",
    "wrong_mode_order": "checks out of phase order",
    "unparsable_line": "wrote a line that does not parse",
}


def reasoning_errors(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """summary.json's per-model reasoning_errors: {category: {"count", "examples"}}; {} when absent."""
    found = metrics.get("reasoning_errors")
    if not isinstance(found, dict):
        return {}
    out = {}
    for cat, v in found.items():
        if isinstance(v, dict):
            out[str(cat)] = {"count": int(v.get("count") or 0), "examples": [str(x) for x in v.get("examples") or []]}
        elif isinstance(v, (int, float)):
            out[str(cat)] = {"count": int(v), "examples": []}
    return out


def copied_numbers(metrics: dict[str, Any]) -> tuple[int, int] | None:
    found = metrics.get("copied_numbers")
    if isinstance(found, dict) and found.get("total"):
        return int(found.get("exact") or 0), int(found["total"])
    return None


def has_derivations(records: list[dict[str, Any]]) -> bool:
    return any(isinstance(r.get("derivation"), list) for r in records)


def scenarios_with_error(records: list[dict[str, Any]], model: str, category: str) -> list[dict[str, Any]]:
    """A model's records whose reasoning_errors include `category`."""
    return [r for r in records if r.get("model") == model and category in (r.get("reasoning_errors") or [])]


def line_marks(line: dict[str, Any]) -> dict[str, Any]:
    """One derivation line, judged for display: check (right / not physics' check), numbers
    (copied vs the description's), r (calculator's vs the true one), verdict."""
    numbers = line.get("numbers") or []
    wrong_numbers = [n for n in numbers if not n.get("exact")]
    if "expected_result" in line:  # a comparison line (physlab.worked): values of its own lines above
        result, expected = line.get("result"), line.get("expected_result")
        return {
            "line": line.get("text", ""),
            "check": "compares the phase's failing lines",
            "numbers": ("—" if not numbers else "✓ the lines' values" if not wrong_numbers else
                        "✗ " + "; ".join(f"{n.get('slot')}: {n.get('copied')} (its line {n.get('expected')})"
                                         for n in wrong_numbers)),
            "r": "—",
            "verdict": "—" if result is None else f"{result}" + ("" if expected is None else
                                                                  (" ✓" if result == expected else " ✗")),
            "errors": ", ".join(line.get("errors") or []),
            "ok": bool(line.get("valid")) and not line.get("errors"),
        }
    value, true_r = line.get("value"), line.get("true_ratio")
    if value is None or true_r is None:
        r_ok = None
    else:
        r_ok = abs(float(value) - float(true_r)) <= max(0.005, 0.02 * abs(float(true_r)))
    verdict = line.get("verdict")
    verdict_ok = None if verdict is None or value is None else ((verdict == "FAILS") == (float(value) > 1.0))
    return {
        "line": line.get("text", ""),
        "check": "—" if line.get("phase") is None and line.get("mode") is None
                 else ("— free text: no physics to compare" if line.get("check_ok", False) is None
                       else "✓ physics checks this" if line.get("check_ok") else "✗ not a check physics makes here"),
        "numbers": ("—" if not numbers else
                    "✓ all copied exactly" if not wrong_numbers else
                    "✗ " + "; ".join(f"{n.get('slot')}: {n.get('copied')} (description {n.get('expected')})"
                                     for n in wrong_numbers)),
        "r": ("—" if value is None else f"{float(value):.3g}" + ("" if true_r is None else f" vs true {float(true_r):.3g}")
              + ("" if r_ok is None else (" ✓" if r_ok else " ✗"))),
        "verdict": "—" if verdict is None else f"{verdict}" + ("" if verdict_ok is None else (" ✓" if verdict_ok else " ✗")),
        "errors": ", ".join(line.get("errors") or []),
        "ok": bool(line.get("valid")) and not line.get("errors") and line.get("check_ok", True) is not False,
    }


def derivation_diff(student: list[str], teacher: list[str]) -> list[tuple[str, str, str]]:
    """Side-by-side (student line, teacher line, tag) rows; tag is 'same', 'changed', 'extra'
    (student only) or 'missing' (teacher only), aligned by difflib on whole lines."""
    import difflib

    rows: list[tuple[str, str, str]] = []
    norm = lambda s: " ".join(s.split())  # noqa: E731
    sm = difflib.SequenceMatcher(a=[norm(x) for x in student], b=[norm(x) for x in teacher], autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            rows += [(student[a0 + i], teacher[b0 + i], "same") for i in range(a1 - a0)]
        elif op == "replace":
            for i in range(max(a1 - a0, b1 - b0)):
                s = student[a0 + i] if a0 + i < a1 else ""
                t = teacher[b0 + i] if b0 + i < b1 else ""
                rows.append((s, t, "changed" if s and t else ("extra" if s else "missing")))
        elif op == "delete":
            rows += [(student[i], "", "extra") for i in range(a0, a1)]
        else:
            rows += [("", teacher[i], "missing") for i in range(b0, b1)]
    return rows


def word_diff_html(a: str, b: str) -> tuple[str, str]:
    """Two lines as HTML with the words that differ highlighted (red in a, green in b)."""
    import difflib
    import html

    wa, wb = a.split(" "), b.split(" ")
    sm = difflib.SequenceMatcher(a=wa, b=wb, autojunk=False)
    out_a, out_b = [], []
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        ta, tb = html.escape(" ".join(wa[a0:a1])), html.escape(" ".join(wb[b0:b1]))
        if op == "equal":
            out_a.append(ta)
            out_b.append(tb)
        else:
            if ta:
                out_a.append(f"<mark style='background:#ffd7d5'>{ta}</mark>")
            if tb:
                out_b.append(f"<mark style='background:#ccffd8'>{tb}</mark>")
    return " ".join(out_a), " ".join(out_b)
