"""Evaluation runs: every model answers every scenario of one split; results land on disk.

results/evaluations/<eval_id>/
    config.json     what was asked (preset, split, models, mode, ...)
    records.jsonl   one line per (model, scenario), appended after each batch, so an
                    interrupted evaluation keeps what it finished; a rerun with the same
                    eval_id skips the pairs already there (resume)
    summary.json    per model metrics.summarize(...) and McNemar tests of each model
                    against the first, written atomically at the end

No model output, however malformed (empty, binary junk, None, a number), crashes an
evaluation: it is recorded raw and counted as unparsed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from physlab.fileio import data_dir, read_jsonl, results_dir, sha256_file, write_json_atomic
from physlab.models import PRECISIONS

MODES_OF_ANSWERING = ("generate", "score")
_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}$")  # preset and eval id: plain folder names
# Settings that change answers: a resume with any of them different is refused (with the split's hash).
ANSWER_SETTINGS = ("preset", "split", "mode", "limit", "precision", "max_new_tokens", "fewshot_k")
MAX_TEXT_CHARS = 4000  # a free-text description longer than this is refused (a scenario needs ~300)
SPLITS = ("train", "test", "ood", "boundary", "wording")


def _default_data_dir() -> str:
    return str(data_dir())


def _default_results_dir() -> str:
    return str(results_dir())


@dataclass
class EvalConfig:
    """What to evaluate. Validated on construction; messages name the field and allowed values."""

    preset: str = "seed"  # data/<preset>/<split>.jsonl
    split: str = "test"  # one of SPLITS
    models: list[str] = field(default_factory=lambda: ["base"])  # backend specs; the first is the reference
    mode: str = "generate"  # generate: greedy text, parsed (published method); score: answer likelihoods
    limit: int | None = None  # first N scenarios of the split (None = all)
    batch_size: int = 8  # prompts per forward pass
    max_new_tokens: int = 64  # generate mode: the answer head needs ~10 tokens, reasoning the rest
    eval_id: str | None = None  # None: <preset>-<split>-<UTC time>
    results_dir: str = field(default_factory=_default_results_dir)
    data_dir: str = field(default_factory=_default_data_dir)
    fewshot_k: int = 4  # worked examples for the 'fewshot' baseline
    precision: str = "auto"  # transformers models: bf16 autocast, fp32, or auto (bf16 where the hardware has it)

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            self.models = [m for m in self.models.split(",")]
        self.models = [m.strip() for m in self.models if m and m.strip()]
        if not self.models:
            raise ValueError("models: give at least one model spec, e.g. base,run:<run_id>")
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"models: each model once please (got {', '.join(self.models)})")
        if self.split not in SPLITS:
            raise ValueError(f"split: must be one of {', '.join(SPLITS)} (got {self.split!r})")
        if self.mode not in MODES_OF_ANSWERING:
            raise ValueError(f"mode: must be one of {', '.join(MODES_OF_ANSWERING)} (got {self.mode!r})")
        for name, low, high in (("limit", 1, 10_000_000), ("batch_size", 1, 4096), ("max_new_tokens", 4, 4096),
                                ("fewshot_k", 1, 64)):
            value = getattr(self, name)
            if name == "limit" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                why = " (4 tokens hold an answer)" if name == "max_new_tokens" else ""
                raise ValueError(f"{name}: must be a whole number in [{low}, {high}]{why} (got {value!r})")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision: must be one of {', '.join(PRECISIONS)} (got {self.precision!r})")
        if not self.preset or not _FOLDER.match(self.preset):
            raise ValueError(f"preset: a folder name under {self.data_dir}/ (got {self.preset!r})")
        if self.eval_id is None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
            self.eval_id = f"{self.preset}-{self.split}-{stamp}"
        if not self.eval_id or not _FOLDER.match(self.eval_id):
            raise ValueError(f"eval_id: a plain folder name (got {self.eval_id!r})")

    @property
    def eval_dir(self) -> Path:
        return Path(self.results_dir) / "evaluations" / str(self.eval_id)

    @property
    def split_path(self) -> Path:
        return Path(self.data_dir) / self.preset / f"{self.split}.jsonl"


# --------------------------------------------------------------------------- files


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return str(value)


def read_records(path: Path) -> list[dict]:
    """records.jsonl rows; a torn last line (interrupted mid-write) is dropped."""
    return [row for row in read_jsonl(path) if "model" in row and "scenario_id" in row]


def _repair_tail(path: Path) -> None:
    """Cut a torn last line so the next append starts on a fresh line."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    cut = data.rfind(b"\n") + 1  # 0 when the only line is torn
    with path.open("r+b") as fh:
        fh.truncate(cut)


# --------------------------------------------------------------------------- answers


def parse_output(raw: Any) -> dict[str, Any]:
    """Parse one raw model output into {fails, mode, label, ok, reasoning}; never raises."""
    from physlab.prompts import parse_answer

    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    try:
        parsed = parse_answer(text)
        return {"fails": parsed.fails, "mode": parsed.mode, "label": parsed.label or "unparsed",
                "ok": bool(parsed.ok), "reasoning": parsed.reasoning}
    except Exception as err:  # noqa: BLE001 - a parser bug must not end an hour-long evaluation
        return {"fails": None, "mode": None, "label": "unparsed", "ok": False,
                "reasoning": f"(parser error: {type(err).__name__}: {err})"}


def clean_probabilities(probs: Any) -> dict[str, float] | None:
    """One finite, non-negative probability per label summing to 1, or None if unusable."""
    from physlab.labels import LABELS

    if not isinstance(probs, dict):
        return None
    values = {}
    for label in LABELS:
        try:
            v = float(probs.get(label, 0.0))
        except (TypeError, ValueError):
            v = 0.0
        values[label] = v if math.isfinite(v) and v > 0 else 0.0
    total = sum(values.values())
    if total <= 0:
        return None
    return {label: v / total for label, v in values.items()}


def answer_from_probabilities(probs: dict[str, float] | None) -> tuple[str, dict[str, Any]]:
    """The canonical answer text of the most likely label, and its parsed form."""
    from physlab.prompts import ANSWER_PREFIXES

    if probs is None:
        return "", {"fails": None, "mode": None, "label": "unparsed", "ok": False, "reasoning": ""}
    # The decision first (P(fail) vs P(success)), then the mode: the same two-step rule
    # that produced the probabilities, so the answer agrees with P(fail) >= 0.5.
    p_fail = 1.0 - probs["success"]
    if p_fail >= 0.5:
        label = max((lab for lab in probs if lab != "success"), key=lambda lab: probs[lab])
    else:
        label = "success"
    fails = label != "success"
    return ANSWER_PREFIXES[label], {"fails": fails, "mode": None if not fails else label, "label": label,
                                    "ok": True, "reasoning": ""}


def correctness(truth: str, parsed: dict[str, Any]) -> dict[str, bool | None]:
    """binary: fail/success right; mode: (true failures only) said it fails with the right mode;
    eight_way: the label right (success or the mode)."""
    true_fails = truth != "success"
    said = parsed.get("fails")
    return {
        "binary": said is not None and bool(said) == true_fails,
        "mode": (parsed.get("label") == truth) if true_fails else None,
        "eight_way": parsed.get("label") == truth,
    }


def make_record(scenario: dict, model: str, prompt: str, raw: Any, parsed: dict[str, Any],
                probabilities: dict[str, float] | None, latency_s: float, mode: str) -> dict:
    raw_text = raw if isinstance(raw, str) else ("" if raw is None else repr(raw))
    truth = scenario.get("label", "")
    return {
        "scenario_id": scenario.get("id"),
        "model": model,
        "answer_mode": mode,  # generate | score
        "family": scenario.get("family"),
        "object": scenario.get("object"),
        "prompt": prompt,
        "description": scenario.get("description", ""),
        "raw_output": raw_text,
        "parsed": parsed,
        "probabilities": probabilities,
        "p_fail": None if probabilities is None else 1.0 - probabilities["success"],
        "truth": truth,
        "margin": scenario.get("margin"),
        "explanation": scenario.get("explanation", ""),
        "correct": correctness(truth, parsed),
        "latency_s": round(latency_s, 4),
    }


# --------------------------------------------------------------------------- running


def load_scenarios(config: EvalConfig) -> list[dict]:
    from physlab.datasets_io import read_split

    path = config.split_path
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: generate it with `physlab data generate --preset {config.preset}`")
    scenarios = read_split(path)
    if config.limit is not None:
        scenarios = scenarios[: config.limit]
    if not scenarios:
        raise ValueError(f"{path} holds no scenarios")
    return scenarios


def _check_same_question(config: EvalConfig, split_sha256: str | None) -> dict[str, Any]:
    """Resuming is only honest on the same question asked the same way: the same split file (its
    sha256), preset, split, mode, limit, precision, max_new_tokens and fewshot_k. Returns the
    previous config.json ({} for a new evaluation); raises ValueError naming what differs."""
    old = config.eval_dir / "config.json"
    if not old.is_file():
        return {}
    try:
        previous = json.loads(old.read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"evaluation '{config.eval_id}': {old} is unreadable ({err}); choose another --eval-id") from None
    if not isinstance(previous, dict):
        raise ValueError(f"evaluation '{config.eval_id}': {old} is not a JSON object; choose another --eval-id")
    differ = [f"{key}={previous[key]!r}, not {getattr(config, key)!r}" for key in ANSWER_SETTINGS
              if key in previous and previous[key] != getattr(config, key)]
    if previous.get("split_sha256") and split_sha256 and previous["split_sha256"] != split_sha256:
        differ.append(f"{config.split}.jsonl has changed since (it was regenerated or edited)")
    if differ:
        raise ValueError(f"evaluation '{config.eval_id}' exists with {'; '.join(differ)}: its records would "
                         f"mix two questions. Choose another --eval-id (or delete {config.eval_dir})")
    return previous


def _check_answer_settings(config: EvalConfig, previous: dict[str, Any], model: str, settings: dict) -> None:
    before = (previous.get("answer_settings") or {}).get(model)
    if before is not None and before != settings:
        raise ValueError(f"evaluation '{config.eval_id}': model '{model}' answered with {before}, now {settings}; "
                         f"its records would mix two settings. Choose another --eval-id")


def _check_run_data(config: EvalConfig) -> None:
    """A student evaluated on its own preset must have been trained on this generation of it:
    after a regeneration its training data may hold today's test families."""
    from physlab.backends import run_dir

    manifest_path = Path(config.data_dir) / config.preset / "manifest.json"
    try:
        current = json.loads(manifest_path.read_text()).get("content_hash")
    except (OSError, ValueError, AttributeError):
        return
    for model in config.models:
        kind, _, arg = model.partition(":")
        if kind != "run" or not arg:
            continue
        run_id = arg.split(":", 1)[0]
        try:
            trained = json.loads((run_dir(run_id, Path(config.results_dir) / "runs") / "manifest.json").read_text())
        except (OSError, ValueError):
            continue
        if trained.get("preset") == config.preset and trained.get("dataset_hash") \
                and trained["dataset_hash"] != current:
            raise ValueError(f"model '{model}' was trained on an earlier generation of data/{config.preset} "
                             f"(content hash {trained['dataset_hash'][:12]}, now {str(current)[:12]}): its training "
                             f"data may hold today's {config.split} families. Retrain it on this data, or evaluate "
                             f"it on the data it was trained with")


@contextlib.contextmanager
def _sole_writer(folder: Path):
    """Hold <eval_dir>/.lock for the whole evaluation; a second writer with the same eval id is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"evaluation '{folder.name}' is being written by another process right now; "
                             f"wait for it (`physlab evaluations list`) or choose another --eval-id") from None
        yield
    finally:
        os.close(fd)


class EvaluationCancelled(KeyboardInterrupt):
    """SIGTERM arrived (a cancel): the evaluation records 'cancelled' and keeps its records."""


def evaluate(config: EvalConfig, progress: bool = True, backends: dict[str, Any] | None = None) -> Path:
    """Run (or resume) an evaluation; returns its folder. `backends` may supply ready backends
    by spec (tests, the dashboard's cached models); the others are built with make_backend.

    Nothing in the folder is touched until every check passed: every model spec (form, run
    folder, training data), the split, a resume's settings against config.json (the split's
    sha256 included), and that no other process writes the same evaluation. SIGTERM (a cancel)
    ends it as "cancelled" with its records kept."""
    from physlab.backends import check_spec, make_backend
    from physlab.prompts import build_prompt

    backends = dict(backends or {})
    for model in config.models:
        if model not in backends:
            check_spec(model, preset=config.preset, data_dir=config.data_dir,
                       runs_dir=Path(config.results_dir) / "runs")
    _check_run_data(config)
    split_sha256 = sha256_file(config.split_path) if config.split_path.is_file() else None
    previous = _check_same_question(config, split_sha256)
    scenarios = load_scenarios(config)
    split_sha256 = sha256_file(config.split_path)
    out = config.eval_dir
    with _sole_writer(out), _sigterm_cancels():
        answer_settings = dict(previous.get("answer_settings") or {})
        saved = {**asdict(config), "split_sha256": split_sha256, "answer_settings": answer_settings,
                 "created": previous.get("created") or _now()}
        write_json_atomic(out / "config.json", saved)
        records_path = out / "records.jsonl"
        _repair_tail(records_path)
        done = {(r["model"], r["scenario_id"]) for r in read_records(records_path)}
        prompts = {s["id"]: build_prompt(s.get("description", "")) for s in scenarios}
        from physlab import jobs

        me = os.getpid()
        job = jobs.current_job()
        write_json_atomic(out / "status.json", {
            "state": "running", "pid": me, "proc_start": jobs.proc_start_time(me), "started": _now(),
            "pgid": os.getpgrp() if job is not None else None,
            "job_dir": str(job.folder.resolve()) if job is not None else None})
        try:
            for model in config.models:
                # Prompts of similar length batch together: every padded token costs a real one's time.
                todo = sorted((s for s in scenarios if (model, s["id"]) not in done), key=lambda s: len(prompts[s["id"]]))
                if not todo:
                    continue
                if model not in backends:
                    backends[model] = make_backend(model, preset=config.preset, data_dir=config.data_dir,
                                                   runs_dir=Path(config.results_dir) / "runs",
                                                   batch_size=config.batch_size, fewshot_k=config.fewshot_k,
                                                   precision=config.precision)
                backend = backends[model]
                if config.mode == "score" and not backend.supports_score and \
                        getattr(backend, "answer_format", "answer") != "worked":
                    raise ValueError(f"model '{model}' gives no answer likelihoods, so it cannot run in mode "
                                     f"'score': use --mode generate (models that can score: transformers "
                                     f"ones such as base, fewshot, run:<id>, hf:<id>, and majority)")
                settings = dict(getattr(backend, "answer_settings", lambda: {})() or {})
                _check_answer_settings(config, previous, model, settings)
                if answer_settings.get(model) != settings:
                    answer_settings[model] = settings
                    write_json_atomic(out / "config.json", saved)
                # A worked student is asked in its own format (its instruction); the others share one.
                model_prompts = prompts if getattr(backend, "answer_format", "answer") == "answer" else \
                    {s["id"]: backend.build_prompt(s.get("description", "")) for s in scenarios}
                _run_model(config, model, backend, todo, model_prompts, records_path, progress)
        except BaseException as err:
            cancelled = isinstance(err, KeyboardInterrupt)
            write_json_atomic(out / "status.json", {
                "state": "cancelled" if cancelled else "failed",
                "error": None if cancelled else f"{type(err).__name__}: {err}", "finished": _now()})
            raise
        summary = summarize_records(read_records(records_path), config)
        write_json_atomic(out / "summary.json", summary)
        write_json_atomic(out / "status.json", {"state": "done", "finished": _now()})
    return out


@contextlib.contextmanager
def _sigterm_cancels():
    """SIGTERM raises EvaluationCancelled in the main thread (as training does), so a cancel
    records "cancelled" instead of leaving "running" behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(_signum: int, _frame: Any) -> None:
        raise EvaluationCancelled("evaluation cancelled (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def worked_diagnostics(raw: Any, scenario: dict, label: str | None) -> dict[str, Any]:
    """A worked answer's derivation compared with the physics teacher's (physlab.worked.diagnose);
    never raises: a diagnostics bug must not end an hour-long evaluation."""
    from physlab.worked import diagnose

    try:
        return diagnose(raw if isinstance(raw, str) else "", scenario, label)
    except Exception as err:  # noqa: BLE001
        return {"derivation": [], "teacher_derivation": [], "reasoning_errors": ["unparsable_line"],
                "copied": {"exact": 0, "total": 0}, "diagnostics_error": f"{type(err).__name__}: {err}"}


def _run_model(config: EvalConfig, model: str, backend: Any, todo: list[dict], prompts: dict[str, str],
               records_path: Path, progress: bool) -> None:
    from tqdm.auto import tqdm

    # A worked student always writes its derivation (generate), also in a score-mode evaluation.
    mode = "generate" if getattr(backend, "answer_format", "answer") == "worked" else config.mode
    bar = tqdm(total=len(todo), desc=f"{model} ({mode})", unit="scenario", disable=not progress)
    if mode == "score" and not getattr(backend, "reads_params", False):
        backend.prepare([prompts[s["id"]] for s in todo])  # caches the prompt prefix all scenarios share
    try:
        for start in range(0, len(todo), config.batch_size):
            batch = todo[start:start + config.batch_size]
            batch_prompts = [prompts[s["id"]] for s in batch]
            t0 = time.perf_counter()
            if getattr(backend, "reads_params", False):  # classical learners read the parameters
                outputs = list(backend.score_records(batch) if mode == "score"
                               else backend.generate_records(batch, max_new_tokens=config.max_new_tokens))
            elif mode == "score":
                outputs = list(backend.score(batch_prompts))
            else:
                outputs = list(backend.generate(batch_prompts, max_new_tokens=config.max_new_tokens))
            per_item = (time.perf_counter() - t0) / len(batch)  # batch time shared equally
            # A misbehaving backend may return too few or too many answers: pad with None (recorded
            # as unparsed) or drop the extras, so answers stay aligned with their scenarios.
            outputs = (outputs + [None] * len(batch))[: len(batch)]
            lines = []
            # typed copying: how many tokens it overrode in each answer (physlab.typedcopy)
            stats = getattr(backend, "last_stats", None) if getattr(backend, "typed_copy", False) else None
            retyped = [s.get("retyped", 0) for s in stats] if stats and len(stats) == len(batch) else None
            for index, (scenario, prompt, output) in enumerate(zip(batch, batch_prompts, outputs, strict=True)):
                if mode == "score":
                    probs = clean_probabilities(output)
                    raw, parsed = answer_from_probabilities(probs)
                else:
                    probs, raw, parsed = None, output, parse_output(output)
                rec = make_record(scenario, model, prompt, raw, parsed, probs, per_item, mode)
                if getattr(backend, "answer_format", "answer") == "worked":
                    rec.update(worked_diagnostics(raw, scenario, parsed.get("label")))
                    if retyped is not None:
                        rec["retyped_tokens"] = retyped[index]
                        if getattr(backend, "grammar", False):
                            rec["reshaped_tokens"] = stats[index].get("reshaped", 0)
                            rec["written_off"] = stats[index].get("written_off", 0)
                            rec["forced_checks"] = stats[index].get("forced", 0)
                lines.append(json.dumps(rec, default=_json_default))
            with records_path.open("a") as fh:
                fh.write("\n".join(lines) + "\n")
                fh.flush()
            bar.update(len(batch))
    finally:
        bar.close()


# --------------------------------------------------------------------------- summary


def summarize_records(records: list[dict], config: EvalConfig | None = None) -> dict[str, Any]:
    """Per model metrics.summarize(...) (and, for worked students, the reasoning-error breakdown
    and copied numbers), plus McNemar for every pair of models (the first model's pairs first)."""
    from physlab.metrics import mcnemar_exact, summarize

    order = list(config.models) if config else []
    for rec in records:
        if rec["model"] not in order:
            order.append(rec["model"])
    by_model: dict[str, dict[str, dict]] = {m: {} for m in order}
    for rec in records:
        by_model[rec["model"]][rec["scenario_id"]] = rec  # a duplicate (re-run) keeps the last
    models_out: dict[str, Any] = {}
    for model in order:
        recs = list(by_model[model].values())
        if not recs:
            continue
        truth = [r["truth"] for r in recs]
        pred = [r["parsed"].get("label") or "unparsed" for r in recs]
        fails = [r["parsed"].get("fails") for r in recs]
        p_fail = [r.get("p_fail") for r in recs]
        has_probs = all(p is not None for p in p_fail)
        margins = [r.get("margin") for r in recs]
        metrics = summarize(truth, pred, fails=fails, p_fail=p_fail if has_probs else None,
                            margins=margins if all(m is not None for m in margins) else None)
        latency = sum(r.get("latency_s") or 0.0 for r in recs)
        models_out[model] = {
            **metrics,
            "model": model,
            "n": len(recs),
            "not_ok": sum(1 for r in recs if not r["parsed"].get("ok")),  # unparsed or contradictory
            "seconds_per_scenario": latency / len(recs),
            "scenarios_per_s": (len(recs) / latency) if latency > 0 else None,
        }
        if any("reasoning_errors" in r for r in recs):
            from physlab.worked import reasoning_error_summary

            models_out[model].update(reasoning_error_summary(recs))
    comparisons = []
    names = [m for m in order if m in models_out]
    # Every pair (the first model against each other one first): a page picks the pair it shows.
    pairs_of_models = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    if len(names) > 1:
        for ref, other in pairs_of_models:
            shared = [sid for sid in by_model[ref] if sid in by_model[other]]
            for metric in ("binary", "eight_way", "mode"):
                pairs = [(by_model[ref][sid]["correct"][metric], by_model[other][sid]["correct"][metric])
                         for sid in shared]
                pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
                if not pairs:
                    continue
                test = mcnemar_exact([a for a, _ in pairs], [b for _, b in pairs])
                comparisons.append({"pair": f"{ref} vs {other}", "model_a": ref, "model_b": other,
                                    "metric": metric, "n": len(pairs), **test, "p": test.get("p_value")})
    return {
        "eval_id": config.eval_id if config else None,
        "preset": config.preset if config else None,
        "split": config.split if config else None,
        "mode": config.mode if config else None,
        "model_order": names,
        "models": models_out,
        "mcnemar": comparisons,
        "written": _now(),
    }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- free text


def predict(model_spec: Any, texts: list[str], mode: str = "generate", *, preset: str | None = None,
            batch_size: int = 8, max_new_tokens: int = 96, data_dir: str | None = None,
            results_dir: str | None = None) -> list[dict]:
    """Answer free-text descriptions (any phrasing). `model_spec`: a spec string or a Backend.

    Returns one dict per text: text, decision ('fails' | 'succeeds' | None when unparsed),
    mode, label, reasoning, ok, raw_output, probabilities (score mode, else None), error (None,
    or why this text was refused: see check_text; the other texts are still answered).
    """
    from physlab.backends import Backend, make_backend
    from physlab.prompts import build_prompt

    if mode not in MODES_OF_ANSWERING:
        raise ValueError(f"mode: must be one of {', '.join(MODES_OF_ANSWERING)} (got {mode!r})")
    if isinstance(model_spec, Backend):
        backend = model_spec
    else:
        results = Path(results_dir or _default_results_dir())
        backend = make_backend(str(model_spec), preset=preset, data_dir=data_dir or _default_data_dir(),
                               runs_dir=results / "runs", batch_size=batch_size)
    if mode == "score" and not backend.supports_score:
        raise ValueError(f"model '{backend.name}' gives no answer likelihoods: use mode 'generate'")
    if not 1 <= batch_size <= 4096 or not 4 <= max_new_tokens <= 4096:
        raise ValueError(f"batch_size must be in [1, 4096] and max_new_tokens in [4, 4096] "
                         f"(got {batch_size}, {max_new_tokens})")
    errors: dict[int, str] = {}
    for i, text in enumerate(texts):
        try:
            check_text(text)
        except ValueError as err:
            errors[i] = str(err)
    valid = [i for i in range(len(texts)) if i not in errors]
    worked = getattr(backend, "answer_format", "answer") == "worked"
    prompts = [backend.build_prompt(texts[i]) if worked else build_prompt(texts[i]) for i in valid]
    results_out = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start:start + batch_size]
        if mode == "score":
            outputs = list(backend.score(chunk))
        else:
            outputs = list(backend.generate(chunk, max_new_tokens=max_new_tokens))
        outputs = (outputs + [None] * len(chunk))[: len(chunk)]
        for output in outputs:
            if mode == "score":
                probs = clean_probabilities(output)
                raw, parsed = answer_from_probabilities(probs)
            else:
                probs, raw, parsed = None, output, parse_output(output)
            fails = parsed.get("fails")
            if worked:
                from physlab.worked import read_derivation

                shown = read_derivation(raw if isinstance(raw, str) else "", texts[valid[len(results_out)]])
            else:
                shown = {}
            results_out.append({
                **shown,
                "decision": None if fails is None else ("fails" if fails else "succeeds"),
                "mode": parsed.get("mode"),
                "label": parsed.get("label"),
                "reasoning": parsed.get("reasoning") or "",
                "ok": parsed.get("ok"),
                "raw_output": raw if isinstance(raw, str) else ("" if raw is None else repr(raw)),
                "probabilities": probs,
                "error": None,
            })
    answered = dict(zip(valid, results_out, strict=True))
    refused = {"decision": None, "mode": None, "label": None, "reasoning": "", "ok": False, "raw_output": "",
               "probabilities": None}
    return [{"text": t if i not in errors else _printable(t), **answered[i]} if i not in errors
            else {"text": _printable(t), **refused, "error": errors[i]} for i, t in enumerate(texts)]


def check_text(text: Any, field: str = "text") -> str:
    """A free-text description as the answer path accepts it, or ValueError naming the field:
    a string, not empty, valid Unicode (no lone surrogates, e.g. from undecodable bytes), no
    NUL or other control characters except tab and newline, at most MAX_TEXT_CHARS characters.
    Chat-control strings such as <|im_start|> are allowed: models.render_prompt neutralises them."""
    if not isinstance(text, str):
        raise ValueError(f"{field}: must be a string (got {type(text).__name__})")
    if not text.strip():
        raise ValueError(f"{field}: must be a non-empty description")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise ValueError(f"{field}: is not valid Unicode (it holds bytes that are not UTF-8); "
                         "save it as UTF-8 and try again")
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127})
    if bad:
        raise ValueError(f"{field}: holds control characters ({', '.join(bad[:5])}); plain text only")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"{field}: {len(text)} characters is too long; at most {MAX_TEXT_CHARS} are read "
                         f"(a scenario needs a few hundred): shorten it")
    return text


def _printable(text: Any) -> str:
    """Text safe to write as JSON / print: lone surrogates replaced, at most MAX_TEXT_CHARS."""
    text = text if isinstance(text, str) else repr(text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:MAX_TEXT_CHARS] + ("..." if len(text) > MAX_TEXT_CHARS else "")


# --------------------------------------------------------------------------- listing


def list_evaluations(results_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Evaluations on disk, newest first: eval_id, preset, split, mode, models, records, state.

    The same folder scan as the dashboard's (results_io.list_evaluations), as table rows.
    """
    from physlab.results_io import list_evaluations as scan

    rows = []
    for ev in scan(Path(results_dir or _default_results_dir()) / "evaluations"):
        rows.append({
            "eval_id": ev.eval_id,
            "preset": ev.config.get("preset"), "split": ev.config.get("split"), "mode": ev.config.get("mode"),
            "models": ev.config.get("models", []),
            "records": len(read_records(ev.path / "records.jsonl")),
            "state": ev.status.get("state") or ("done" if ev.summary is not None else "unknown"),
            "has_summary": ev.summary is not None,
        })
    return rows
