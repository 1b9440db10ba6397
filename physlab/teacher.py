"""Curriculum writers: the training target (answer + REASONING) for every train scenario.

Two kinds of teacher write the REASONING line:

* ``physics`` (default): offline and deterministic. It walks through the numbers of the check
  that decides the label (demand against capacity, the ratio r, fails above 1) or, for a
  success, the one or two modes that came closest and why they hold.
* an LLM (``ollama:MODEL`` through the official ollama client, host from OLLAMA_HOST, or
  ``openai:MODEL`` on any OpenAI-compatible endpoint: PHYSLAB_OPENAI_BASE_URL,
  PHYSLAB_OPENAI_API_KEY). It sees the description, the physics label and the computed
  numbers and answers in the prompt's format. Its answer is parsed (prompts.parse_answer);
  one whose decision or failure mode disagrees with physics is rejected, counted, and that
  example falls back to the physics teacher (recorded per record). Labels always come from
  physics; a teacher only ever writes the explanation.

`build_curriculum` re-derives every label from the stored parameters (a stale or edited data
file fails loudly instead of training on wrong targets) and writes
data/<preset>/curriculum.jsonl atomically, one line per train record:
{prompt, completion, scenario_id, label, teacher, fallback_reason}.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from physlab import fileio, physics, prompts
from physlab.describe import fmt_accel, fmt_cm, fmt_mm, fmt_number
from physlab.fileio import check_out_path, read_jsonl, sha256_file, write_derived, write_jsonl_atomic
from physlab.physics import Assessment, Check
from physlab.schema import Scenario, parse_scenario

TEACHER_FORMS = ("physics", "ollama:MODEL", "openai:MODEL")
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
OPENAI_BASE_URL_ENV = "PHYSLAB_OPENAI_BASE_URL"
OPENAI_API_KEY_ENV = "PHYSLAB_OPENAI_API_KEY"
LLM_TIMEOUT_S = 120.0  # one answer of a few sentences; a local 7B model on a CPU can take a while
# A failed request (no connection, a timeout, HTTP 429 or 5xx) is tried again after these pauses.
LLM_RETRY_BACKOFF_S = (1.0, 4.0, 15.0)
# A success's reasoning names at most this many close modes (tokens cost training time).
CLOSE_MODES_SHOWN = 2


class TeacherUnavailableError(RuntimeError):
    """The LLM teacher's server cannot be reached or refuses the request (names the URL)."""


class _Retryable(Exception):
    """A failure worth another try (connection, timeout, 429, 5xx); carries the final message."""


def _with_retries(call, url: str):
    """call() with LLM_RETRY_BACKOFF_S pauses between tries; raise TeacherUnavailableError at the end."""
    pauses = list(LLM_RETRY_BACKOFF_S)
    while True:
        try:
            return call()
        except _Retryable as err:
            if not pauses:
                raise TeacherUnavailableError(f"{err} (after {len(LLM_RETRY_BACKOFF_S) + 1} tries)") from None
            pause = pauses.pop(0)
            print(f"physlab: {url}: {err}; trying again in {pause:g} s", file=sys.stderr)
            time.sleep(pause)


# --------------------------------------------------------------------------- physics teacher


def _tip_slide_thresholds(scenario: Scenario, accel: float) -> str:
    o, env = scenario.object, scenario.environment
    w, h, mu = min(o.width_m, o.depth_m), o.com_height_m, env.support_friction
    tip_at, slide_at = physics.G * w / (2 * h), mu * physics.G
    return (f"a_h {fmt_accel(accel)}; it tips above g·w/(2h) = {fmt_accel(tip_at)}, "
            f"slides above mu·g = {fmt_accel(slide_at)}")


def _incline_thresholds(scenario: Scenario) -> str:
    o, env = scenario.object, scenario.environment
    w, h = min(o.width_m, o.depth_m), o.com_height_m
    tan_a = math.tan(math.radians(env.slope_deg))
    return (f"slope tan {fmt_number(env.slope_deg)}° = {tan_a:.2f}; it tips above w/(2h) = {w / (2 * h):.2f}, "
            f"slides above mu = {fmt_number(env.support_friction)}")


def check_numbers(scenario: Scenario, check: Check) -> str:
    """The demand and the capacity of one check, in words with numbers (no verdict).

    Keyed on the check's `name` (physics.Check.name); an unknown check falls back to the
    physics module's own explanation, so a new check still gets numbers.
    """
    o, g, m, env = scenario.object, scenario.gripper, scenario.motion, scenario.environment
    n, mu, force = g.contacts, g.pad_friction, g.grip_force_n
    name = getattr(check, "name", "")
    if name == "clearance":
        if m.stop_before_obstacle:
            stop = physics.stopping_distance_m(m.speed_mps, m.reaction_time_s, m.brake_decel_mps2)
            return (f"tracking error {fmt_mm(m.tracking_error_m)} + stopping distance {fmt_mm(stop)} "
                    f"(at {fmt_number(m.speed_mps)} m/s) against clearance {fmt_mm(m.clearance_m)}")
        return f"tracking error {fmt_mm(m.tracking_error_m)} against clearance {fmt_mm(m.clearance_m)}"
    if name == "grip force":
        return f"grip {fmt_number(force)} N against damage above {fmt_number(o.crush_force_n)} N"
    if name == "payload":
        return f"mass {fmt_number(o.mass_kg)} kg against payload {fmt_number(g.payload_kg)} kg"
    if name == "off-centre torque":
        demand = o.mass_kg * physics.G * g.grasp_offset_m
        capacity = physics.grip_torque_capacity_nm(n, mu, force, g.pad_radius_m)
        return (f"torque m·g·d = {fmt_number(demand)} N·m against grip torque "
                f"{n}·(2/3)·mu·F·r_pad = {fmt_number(capacity)} N·m")
    if name in ("in-hand slip (lift)", "in-hand slip (transport)"):
        lifting = name.endswith("(lift)")
        accel = m.lift_accel_mps2 if lifting else m.transport_accel_mps2
        demand = physics.slip_demand_n(o.mass_kg, accel if lifting else 0.0, 0.0 if lifting else accel)
        verb = "lifting" if lifting else "moving"
        return (f"{verb} at {fmt_accel(accel)} needs {fmt_number(demand)} N of friction, "
                f"pads give {n}·{fmt_number(mu)}·{fmt_number(force)} N = {fmt_number(n * mu * force)} N")
    if name in ("slides on the support", "tips over"):
        return _tip_slide_thresholds(scenario, m.transport_accel_mps2)
    if name == "rolls on the support":
        return (f"a_h/g = {m.transport_accel_mps2 / physics.G:.3f} against rolling resistance "
                f"{fmt_number(env.rolling_resistance)}")
    if name == "free surface":
        diameter = max(o.width_m, o.depth_m)
        rise = physics.slosh_rise_m(m.transport_accel_mps2, 0.0, diameter, o.height_m, o.fill_fraction,
                                    m.ramp_time_s)
        freeboard = physics.freeboard_m(o.height_m, o.fill_fraction)
        return (f"at {fmt_accel(m.transport_accel_mps2)} the liquid rises {fmt_mm(rise)} at the wall "
                f"against {fmt_mm(freeboard)} freeboard")
    if name in ("tips on the slope", "slides down the slope"):
        return _incline_thresholds(scenario)
    if name == "release height":
        return f"released {fmt_mm(m.release_height_m)} above the {env.surface}, limit 10 mm"
    if name == "rolls after release":
        mu_r = env.rolling_resistance
        on_slope = physics.rolling_slope_ratio(env.slope_deg, mu_r)
        on_release = physics.rolling_release_ratio(m.release_speed_mps, o.inertia_factor, mu_r,
                                                   env.roll_tolerance_m)
        if on_slope >= on_release:
            return (f"slope tan {fmt_number(env.slope_deg)}° = {math.tan(math.radians(env.slope_deg)):.3f} "
                    f"against rolling resistance {fmt_number(mu_r)}")
        distance = physics.roll_distance_m(m.release_speed_mps, o.inertia_factor, mu_r)
        return (f"let go at {fmt_number(m.release_speed_mps)} m/s it rolls {fmt_cm(distance)}, "
                f"{fmt_cm(env.roll_tolerance_m)} tolerated")
    text = check.explanation
    return text.rsplit(":", 1)[0] if ":" in text else text


def _ratio(r: float) -> str:
    return f"r = {r:.2f}"


def physics_reasoning(scenario: Scenario, assessment: Assessment) -> str:
    """The built-in teacher's REASONING: the deciding numbers, the ratio, the label (~25-60 words)."""
    deciding = assessment.deciding
    if deciding is not None:
        return (f"The {deciding.phase_name} check decides: {check_numbers(scenario, deciding)}, "
                f"{_ratio(deciding.ratio)} > 1, so it fails by {deciding.mode}.")
    # A success: the closest modes (one check each, largest r first) and why they hold.
    closest: list[Check] = []
    for check in sorted(assessment.checks, key=lambda c: -c.ratio):
        if check.ratio <= 0 or any(c.mode == check.mode for c in closest):
            continue
        closest.append(check)
        if len(closest) == CLOSE_MODES_SHOWN:
            break
    if not closest:
        return "No check applies, so it succeeds."
    # Tipping and sliding on one support share their numbers: say them once.
    groups: dict[str, list[Check]] = {}
    for c in closest:
        groups.setdefault(check_numbers(scenario, c), []).append(c)
    parts = [" and ".join(f"{c.mode} {_ratio(c.ratio)}" for c in checks) + f" ({numbers})"
             for numbers, checks in groups.items()]
    return f"Every check stays below 1. Closest: {'; '.join(parts)}. So it succeeds."


# --------------------------------------------------------------------------- teacher specs


@dataclass(frozen=True)
class TeacherSpec:
    kind: str  # "physics", "ollama" or "openai"
    model: str = ""

    @property
    def name(self) -> str:
        return self.kind if self.kind == "physics" else f"{self.kind}:{self.model}"


def parse_teacher_spec(spec: str) -> TeacherSpec:
    """'physics', 'ollama:MODEL' or 'openai:MODEL'; anything else is a ValueError naming the forms."""
    text = (spec or "").strip()
    if text == "physics":
        return TeacherSpec("physics")
    kind, sep, model = text.partition(":")
    if sep and kind in ("ollama", "openai") and model.strip():
        return TeacherSpec(kind, model.strip())
    raise ValueError(f"teacher: {spec!r} is not a known teacher; use one of {', '.join(TEACHER_FORMS)}"
                     " (e.g. ollama:qwen2.5:1.5b)")


# --------------------------------------------------------------------------- LLM chat clients


class ChatClient(Protocol):
    url: str

    def chat(self, system: str, user: str) -> str: ...


class OllamaChat:
    """An Ollama server through the official client; host from OLLAMA_HOST (its default otherwise)."""

    def __init__(self, model: str, host: str | None = None, timeout_s: float = LLM_TIMEOUT_S) -> None:
        import ollama  # a light import, but only needed when an Ollama teacher is asked for

        self.model = model
        self.host = host or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST
        self._client = ollama.Client(host=self.host, timeout=timeout_s)
        # The host as the client resolved it ("localhost:1" -> "http://localhost:1"), for messages.
        base_url = getattr(getattr(self._client, "_client", None), "base_url", None)
        self.url = str(base_url).rstrip("/") if base_url is not None else self.host

    def chat(self, system: str, user: str) -> str:
        return _with_retries(lambda: self._chat_once(system, user), self.url)

    def _chat_once(self, system: str, user: str) -> str:
        import httpx
        import ollama

        try:
            response = self._client.chat(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                options={"temperature": 0},  # reproducible as far as the server allows
                stream=False,
            )
        except ConnectionError as err:
            raise _Retryable(
                f"cannot reach the Ollama server at {self.url} (set OLLAMA_HOST, or start it with "
                f"`ollama serve`): {err}") from None
        except httpx.HTTPError as err:
            raise _Retryable(f"Ollama server at {self.url} failed: {err}") from None
        except ollama.ResponseError as err:
            if err.status_code == 429 or err.status_code >= 500:
                raise _Retryable(f"Ollama server at {self.url} answered HTTP {err.status_code}: {err.error}") from None
            if err.status_code == 404:
                raise TeacherUnavailableError(
                    f"model {self.model!r} is not available on the Ollama server at {self.url} "
                    f"(run `ollama pull {self.model}`): {err.error}") from None
            raise TeacherUnavailableError(
                f"Ollama server at {self.url} answered HTTP {err.status_code}: {err.error}") from None
        return response.message.content or ""


class OpenAIChat:
    """Any OpenAI-compatible /chat/completions endpoint, through httpx.

    Redirects are never followed: a redirect would carry the Authorization header to whatever
    host it names (and turn the POST into a GET), so it is an error naming where it pointed.
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float = LLM_TIMEOUT_S) -> None:
        base = base_url or os.environ.get(OPENAI_BASE_URL_ENV, "")
        if not base.strip():
            raise ValueError(f"{OPENAI_BASE_URL_ENV}: set it to the endpoint's base URL "
                             "(e.g. http://127.0.0.1:8000/v1) to use an openai:MODEL teacher")
        self.model = model
        self.url = base.strip().rstrip("/") + "/chat/completions"
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"{OPENAI_BASE_URL_ENV}: must start with http:// or https:// (got {base.strip()!r})")
        self._key = api_key if api_key is not None else os.environ.get(OPENAI_API_KEY_ENV, "")
        self._timeout_s = timeout_s

    def chat(self, system: str, user: str) -> str:
        return _with_retries(lambda: self._chat_once(system, user), self.url)

    def _chat_once(self, system: str, user: str) -> str:
        import httpx

        body = {"model": self.model, "temperature": 0,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        try:
            with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(self._timeout_s, connect=10.0)) as client:
                response = client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as err:
            raise _Retryable(f"cannot reach the OpenAI-compatible endpoint at {self.url} "
                             f"(check {OPENAI_BASE_URL_ENV}): {type(err).__name__}: {err}") from None
        if response.is_redirect:
            raise TeacherUnavailableError(
                f"{self.url} answered HTTP {response.status_code}, a redirect to "
                f"{response.headers.get('location', '?')}; physlab does not follow redirects (the API key "
                f"would go with it): set {OPENAI_BASE_URL_ENV} to the final address")
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"{self.url} answered HTTP {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            raise TeacherUnavailableError(f"{self.url} answered HTTP {response.status_code}: {response.text[:300]}")
        try:
            data = response.json()
        except ValueError as err:
            raise TeacherUnavailableError(f"{self.url} did not answer JSON: {err}") from None
        try:
            return str(data["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise TeacherUnavailableError(
                f"{self.url} answered without choices[0].message.content: {str(data)[:300]}") from None


# --------------------------------------------------------------------------- teachers


@dataclass(frozen=True)
class TeacherAnswer:
    """One example's completion and who wrote its reasoning."""

    completion: str
    teacher: str  # "physics" or the LLM teacher's name
    fallback_reason: str | None = None  # why an LLM answer was rejected (then teacher == "physics")


LLM_SYSTEM = (
    "You write the explanation for a robot-manipulation physics lesson. The physics result you are "
    "given is correct: keep its decision and failure mode, and explain it in one or two short "
    "sentences that use the deciding numbers.\n"
    "Answer in exactly this format:\nYES or NO\nFAILURE_MODE: <mode, or none>\n"
    "REASONING: <one or two sentences>"
)


def llm_user_message(description: str, assessment: Assessment, reasoning: str) -> str:
    """What the LLM teacher is told: the scenario, the physics label and its numbers."""
    ratios = ", ".join(f"{mode} {r:.2f}" for mode, r in assessment.ratios.items() if r > 0)
    verdict = (f"it fails by {assessment.label} (answer YES, FAILURE_MODE: {assessment.label})"
               if assessment.label != "success" else "it succeeds (answer NO, FAILURE_MODE: none)")
    return (f"Scenario: {description}\n\n"
            f"Physics result: {verdict}.\n"
            f"Demand/capacity ratios (a mode fails above 1): {ratios or 'none apply'}.\n"
            f"Computed numbers: {reasoning}\n\n"
            "Write the answer.")


def _disagreement(parsed: prompts.ParsedAnswer, label: str) -> str | None:
    """Why an LLM answer cannot be used for `label`, or None when it agrees."""
    if parsed.fails is None:
        return f"no decision found ({parsed.note})"
    if parsed.fails != (label != "success"):
        said = "YES" if parsed.fails else "NO"
        return f"decision {said} disagrees with physics ({label})"
    if label != "success" and parsed.mode != label:
        return f"failure mode {parsed.mode or 'missing'} disagrees with physics ({label})"
    if not parsed.ok:
        return f"answer not in the required format ({parsed.note})"
    if not parsed.reasoning.strip():
        return "no reasoning"
    return None


class Teacher:
    """Physics teacher; subclasses ask an LLM and fall back to physics when it disagrees."""

    name = "physics"

    def answer(self, scenario: Scenario, assessment: Assessment, description: str) -> TeacherAnswer:
        reasoning = physics_reasoning(scenario, assessment)
        return TeacherAnswer(prompts.format_answer(assessment.label, reasoning), "physics")


class LLMTeacher(Teacher):
    def __init__(self, name: str, client: ChatClient) -> None:
        self.name = name
        self.client = client

    def answer(self, scenario: Scenario, assessment: Assessment, description: str) -> TeacherAnswer:
        reasoning = physics_reasoning(scenario, assessment)
        text = self.client.chat(LLM_SYSTEM, llm_user_message(description, assessment, reasoning))
        parsed = prompts.parse_answer(text)
        problem = _disagreement(parsed, assessment.label)
        if problem is not None:
            fallback = prompts.format_answer(assessment.label, reasoning)
            return TeacherAnswer(fallback, "physics", f"{self.name}: {problem}")
        # One line of reasoning: the completion keeps the three-line answer format.
        llm_reasoning = " ".join(parsed.reasoning.split())
        return TeacherAnswer(prompts.format_answer(assessment.label, llm_reasoning), self.name)


def make_teacher(spec: str | TeacherSpec) -> Teacher:
    """A teacher from 'physics', 'ollama:MODEL' or 'openai:MODEL' (ValueError otherwise)."""
    spec = spec if isinstance(spec, TeacherSpec) else parse_teacher_spec(spec)
    if spec.kind == "physics":
        return Teacher()
    if spec.kind == "ollama":
        return LLMTeacher(spec.name, OllamaChat(spec.model))
    return LLMTeacher(spec.name, OpenAIChat(spec.model))


# --------------------------------------------------------------------------- curriculum


@dataclass
class CurriculumStats:
    total: int = 0
    by_label: Counter = field(default_factory=Counter)
    by_teacher: Counter = field(default_factory=Counter)
    rejected: int = 0  # LLM answers that disagreed with physics (fell back to physics)
    rejection_reasons: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        labels = ", ".join(f"{label} {n}" for label, n in sorted(self.by_label.items()))
        teachers = ", ".join(f"{name} {n}" for name, n in sorted(self.by_teacher.items()))
        text = f"{self.total} examples ({labels}); written by {teachers}; rejected LLM answers: {self.rejected}"
        return text


def scenario_from_record(record: dict, where: str = "") -> Scenario:
    """The validated scenario of a dataset record (its `params`, with id/family from the record)."""
    params = record.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"{where}params: missing or not an object")
    data = dict(params)
    data.setdefault("id", record.get("id"))
    data.setdefault("family", record.get("family"))
    return parse_scenario(data, where=f"{where}params.")


def curriculum_examples(records: Iterable[dict], teacher: Teacher, stats: CurriculumStats,
                        source: str = "train.jsonl", progress: bool = False,
                        done: dict[str, dict] | None = None, on_example=None) -> list[dict]:
    """One curriculum example per record; raises ValueError when a stored label is not physics'.

    done: examples already written by this teacher (a resumed build), by scenario id: reused
    as they are. on_example(example) is called after each new one (to keep it on disk)."""
    done = done or {}
    records = list(records)
    examples = []
    from tqdm import tqdm  # a light import; only the curriculum needs a bar

    for index, record in enumerate(tqdm(records, desc=f"curriculum ({teacher.name})", unit="ex",
                                        disable=not progress, file=sys.stderr)):
        scenario_id = record.get("id", f"#{index + 1}")
        where = f"{source} record {index + 1} ({scenario_id}): "
        scenario = scenario_from_record(record, where)
        assessment = physics.assess(scenario)
        if record.get("label") != assessment.label:
            raise ValueError(
                f"{where}stored label {record.get('label')!r} but physics says {assessment.label!r} "
                f"({assessment.explanation}); the data is stale or edited: regenerate it with "
                "`physlab data generate`")
        description = record.get("description")
        if not isinstance(description, str) or not description.strip():
            raise ValueError(f"{where}description: missing or empty")
        previous = done.get(scenario_id)
        if previous is not None and previous.get("label") == assessment.label \
                and previous.get("prompt") == prompts.build_prompt(description):
            answer = TeacherAnswer(previous["completion"], previous["teacher"], previous.get("fallback_reason"))
        else:
            answer = teacher.answer(scenario, assessment, description)
        examples.append({
            "prompt": prompts.build_prompt(description),
            "completion": answer.completion,
            "scenario_id": scenario_id,
            "label": assessment.label,
            "teacher": answer.teacher,
            "fallback_reason": answer.fallback_reason,
        })
        if on_example is not None and previous is None:
            on_example(examples[-1])
        stats.total += 1
        stats.by_label[assessment.label] += 1
        stats.by_teacher[answer.teacher] += 1
        if answer.fallback_reason:
            stats.rejected += 1
            stats.rejection_reasons[answer.fallback_reason] += 1
    return examples


def _read_train(path: Path) -> list[dict]:
    from physlab import datasets_io

    return datasets_io.read_split(path)


def _partial_path(out_path: Path) -> Path:
    """Where an LLM teacher's answers are kept while a build runs (hidden, beside the output)."""
    return out_path.with_name(f".{out_path.name}.partial")


def _load_partial(partial: Path, header: dict) -> dict[str, dict]:
    """Examples an interrupted build of the same teacher on the same train.jsonl already has."""
    rows = read_jsonl(partial)
    if not rows or {k: rows[0].get(k) for k in header} != header:
        return {}
    return {str(r["scenario_id"]): r for r in rows[1:] if "scenario_id" in r and "completion" in r}


def build_curriculum(preset: str, teacher: str | Teacher = "physics", data_dir: str | Path | None = None,
                     out: str | Path | None = None, progress: bool = True,
                     stats: CurriculumStats | None = None, answers_only: bool = False,
                     answer_format: str = "answer", rare_target: int = 0, max_variants: int = 2,
                     set_down: float = 0.0, balance_by: str = "check", tilt: float = 0.0,
                     stop: float = 0.0, decide_target: int = 0, compare: bool = False, na_lines: bool = False,
                     fill: float = 0.0, copy_wording: str = "train") -> Path:
    """Write <data_dir>/<preset>/curriculum.jsonl (or `out`) from the preset's train split.

    answers_only: targets without the REASONING line (the decision and the mode get the whole
    gradient; BENCHMARKS.md, try 2), written to curriculum-answers.jsonl unless `out` is given.

    Returns the path. `stats` (optional) is filled with counts per label and teacher and the
    number of rejected LLM answers; with `progress` a bar and a summary go to stderr.
    Raises FileNotFoundError when train.jsonl is missing, ValueError for bad data or a bad
    teacher spec, TeacherUnavailableError when an LLM server cannot be reached. Nothing is
    written unless every example was made, except an LLM teacher's answers so far: they are
    kept in a hidden `.<name>.partial` file, and a rerun (same teacher, same train.jsonl)
    asks only for the rest.

    The file is written with a sidecar <file>.meta.json holding train.jsonl's sha256
    (fileio.write_derived), so training refuses it once the data is regenerated.
    """
    data_dir = Path(data_dir) if data_dir is not None else fileio.data_dir()
    train_path = data_dir / preset / "train.jsonl"
    if not train_path.is_file():
        raise FileNotFoundError(f"{train_path} not found: run `physlab data generate --preset {preset}` first")
    if answer_format == "worked":
        return build_worked_curriculum(preset, data_dir=data_dir, out=out, progress=progress, stats=stats,
                                       rare_target=rare_target, max_variants=max_variants, set_down=set_down,
                                       balance_by=balance_by, tilt=tilt, stop=stop, fill=fill,
                                       decide_target=decide_target, compare=compare, na_lines=na_lines,
                                       copy_wording=copy_wording)
    if answer_format != "answer":
        raise ValueError(f"format: must be answer or worked (got {answer_format!r})")
    writer = teacher if isinstance(teacher, Teacher) else make_teacher(teacher)
    default_name = "curriculum-answers.jsonl" if answers_only else "curriculum.jsonl"
    out_path = check_out_path(out) if out is not None else train_path.parent / default_name
    records = _read_train(train_path)
    stats = stats if stats is not None else CurriculumStats()
    train_sha = sha256_file(train_path)
    partial = _partial_path(out_path)
    keep = isinstance(writer, LLMTeacher)
    header = {"partial_of": out_path.name, "teacher": writer.name, "train_sha256": train_sha}
    done = _load_partial(partial, header) if keep else {}
    if keep and done:
        print(f"physlab: resuming {out_path.name}: {len(done)} answers of {writer.name} kept from an "
              f"interrupted build", file=sys.stderr)
    handle = None
    if keep:
        rows_kept = list(done.values())
        write_jsonl_atomic(partial, [header, *rows_kept])
        handle = partial.open("a", encoding="utf-8")

    def keep_one(example: dict) -> None:
        handle.write(json.dumps(example, ensure_ascii=False) + "\n")
        handle.flush()

    try:
        examples = curriculum_examples(records, writer, stats, source=str(train_path), progress=progress,
                                       done=done, on_example=keep_one if keep else None)
    finally:
        if handle is not None:
            handle.close()
    if answers_only:
        for example in examples:
            example["completion"] = prompts.format_answer(example["label"])
    dataset_hash = _dataset_hash(train_path)
    flags = (f" --teacher {writer.name}" if writer.name != "physics" else "") + (" --answers-only" if answers_only else "")
    write_derived(out_path, examples, sources={"train.jsonl": train_path},
                  rebuild=f"physlab curriculum build --preset {preset}{flags}",
                  extra={"preset": preset, "teacher": writer.name, "dataset_hash": dataset_hash})
    partial.unlink(missing_ok=True)
    if progress:
        print(f"wrote {out_path}: {stats.summary()}", file=sys.stderr)
        for reason, count in stats.rejection_reasons.most_common(5):
            print(f"  rejected {count}x: {reason}", file=sys.stderr)
    return out_path



def _dataset_hash(train_path: Path) -> str | None:
    """The content hash of the data generation a curriculum is built from (its manifest.json):
    a run records it, and evaluation refuses a student trained on another generation."""
    try:
        return json.loads((train_path.parent / "manifest.json").read_text(encoding="utf-8")).get("content_hash")
    except (OSError, ValueError, AttributeError):
        return None


def _worked_example(record: dict, answer, variant: int = 0) -> dict:
    example = {
        "prompt": prompts.build_worked_prompt(record["description"]),
        "completion": answer.text,
        "segments": [[text, trained] for text, trained in answer.segments()],
        "scenario_id": record["id"],
        "label": record["label"],
        "teacher": "physics",
        "format": "worked",
    }
    if variant:
        example["variant"] = variant
    return example


COPY_WORDINGS = ("train", "wide")


def rewrite_description(record: dict, variant: int, wording: str = "train") -> dict:
    """The record with a new description of the same scenario: another draw of the train
    wording (units, number styles, sentence order, synonyms; never a held-out template), or
    with `wording="wide"` also the curriculum-only phrasings (physlab.describe.WIDE), seeded by
    the record id and the variant number, so a rebuild writes the same text."""
    import random

    from physlab.describe import describe_with_quantities
    from physlab.schema import parse_scenario

    described = describe_with_quantities(parse_scenario(record["params"]),
                                         random.Random(f"{record['id']}/variant {variant}"), wording)
    return {**record, "description": described.text, "quantities": described.quantities}


SET_DOWN_VARIANT = 100  # variant number of a set-down copy (rare-check copies count from 1)


def set_down_variant(record: dict) -> dict:
    """The record's scenario set down instead of let go above the support: release height 0,
    relabelled by physics and described again (train wording, or wide with --copy-wording; the
    text says it is set down and gives no release height).

    The generator draws every release height from (0, 3 cm], so no train text ever said "set
    it down", and the student invented a release height for every hand-written text that did
    (7 of 11 wrong labels, BENCHMARKS.md, worked try 2). This fills that gap in the
    curriculum without changing any split."""
    from physlab.physics import assess
    from physlab.schema import parse_scenario

    params = copy.deepcopy(record["params"])
    params["motion"]["release_height_m"] = 0.0
    label = assess(parse_scenario(params)).label
    return rewrite_description({**record, "params": params, "label": label}, SET_DOWN_VARIANT)


def _clear_copy(record: dict, params: dict, variant: int) -> dict | None:
    """The record with `params`, relabelled by physics and described again (`variant`); None
    when the params leave the schema or the scenario is not clear of the boundary
    (scenarios.margin_kind): a near-tie would teach a label that rounding can flip."""
    from pydantic import ValidationError

    from physlab.scenarios import margin_kind

    try:
        assessment = physics.assess(parse_scenario(params))
    except (ValidationError, ValueError):
        return None
    if margin_kind(assessment) != "clear":
        return None
    return rewrite_description({**record, "params": params, "label": assessment.label}, variant)


TILT_VARIANT = 200  # variant number of a tilted copy


def tilt_variant(record: dict) -> dict | None:
    """The record's scenario with its support tilted: a rolling object let go on a slope
    instead of a level surface, relabelled by physics and described again (train wording, or
    wide with --copy-wording; the slope in degrees, as a grade or as a rise over a run). None when no draw is clear of the
    boundary (scenarios.margin_kind) in 20 tries.

    Why: no standard train family lets a rolling object go on a slope (the incline families
    hold boxes and vases), so the rolling line's tan(slope) term was only ever tan(0), and a
    student never saw a grade turned into an angle inside it. The slope is drawn so that the
    slope term tan(slope)/rolling resistance is log-uniform in [0.25, 4], both sides of 1,
    seeded by the record id."""
    import random

    rng = random.Random(f"{record['id']}/tilt")
    params = copy.deepcopy(record["params"])
    mu_r = parse_scenario(params).environment.rolling_resistance
    for _ in range(20):
        slope_term = math.exp(rng.uniform(math.log(0.25), math.log(4.0)))
        params.setdefault("environment", {})["slope_deg"] = round(math.degrees(math.atan(mu_r * slope_term)), 3)
        if (tilted := _clear_copy(record, params, TILT_VARIANT)) is not None:
            return tilted
    return None


def tilt_indices(records: list[dict], share: float) -> list[int]:
    """Which records get a tilted copy: a seeded `share` of those whose object rolls after it
    is let go on a level support (share 0: none)."""
    import random

    rng = random.Random("tilt")
    out = []
    for i, record in enumerate(records):
        checks = [c for c in physics.assess(parse_scenario(record["params"])).checks
                  if c.phase == 4 and c.mode == "rolling_away"]
        if checks and not record["params"].get("environment", {}).get("slope_deg") and rng.random() < share:
            out.append(i)
    return out


def set_down_indices(records: list[dict], share: float) -> list[int]:
    """Which records get a set-down copy: a seeded `share` of those let go above the support
    (share 0: none)."""
    import random

    rng = random.Random("set-down")
    return [i for i, record in enumerate(records)
            if record["params"].get("motion", {}).get("release_height_m") and rng.random() < share]


STOP_VARIANT = 300  # variant number of a must-stop copy


def stop_variant(record: dict, nth: int = 0) -> dict | None:
    """The record's scenario with the arm made to stop before its obstacle: stop_before_obstacle
    on, the speed drawn from [0.05, 0.8] m/s (the range of the families that stop) and the
    clearance such that (tracking error + stopping distance) / clearance is log-uniform in
    [0.25, 4], both sides of 1; relabelled by physics and described again. None
    when no draw is clear of the boundary in 20 tries.

    Why: only the two standard train shelf families must stop (glass_jar_shelf,
    book_shelf_insertion), so a student ties the stopping-distance clearance to a shelf. Try 8
    got all 14 held-out-wording scenarios it decides wrong (all frying_pan_table_clearing) and
    13 of 35 on test (BENCHMARKS.md). Seeded by the record id and `nth` (the record's n-th
    must-stop copy, from 0; variant number STOP_VARIANT + nth), so each copy draws its own numbers."""
    import random

    rng = random.Random(f"{record['id']}/stop" if nth == 0 else f"{record['id']}/stop {nth}")
    params = copy.deepcopy(record["params"])
    motion = params["motion"]
    for _ in range(20):
        speed = round(rng.uniform(0.05, 0.8), 3)
        demand = motion.get("tracking_error_m", 0.0) + physics.stopping_distance_m(
            speed, motion.get("reaction_time_s", 0.05), motion.get("brake_decel_mps2", 5.0))
        ratio = math.exp(rng.uniform(math.log(0.25), math.log(4.0)))
        motion.update(stop_before_obstacle=True, speed_mps=speed, clearance_m=float(f"{demand / ratio:.3g}"))
        if (stopping := _clear_copy(record, params, STOP_VARIANT + nth)) is not None:
            return stopping
    return None


MAX_STOP_COPIES = 8.0  # --stop: must-stop copies per record at most (variant numbers 300-307)


def stop_indices(records: list[dict], share: float) -> list[int]:
    """Which records get a must-stop copy: a seeded `share` of those with a transport-phase
    obstacle check that need not stop (share 0: none). Transport only: a must-stop copy of an
    approach-phase obstacle taught the stopping form at the grasp phase too, and worked try 9
    then wrote the transport obstacle's line at the grasp phase (BENCHMARKS.md).

    A share above 1 is copies per record: 2.5 gives each such record 2 copies and a seeded half
    of them a third; a record's index is listed once per copy. Why: the rare-check copies
    re-describe the table-clearing records several times over with their plain clearance line, so at
    --stop 0.6 a table-clearing text with a stop sentence held the stopping form in 37 of 238
    training lines, and worked tries 15 and 16 wrote the plain line for 13 of the 27 test
    frying pans that must stop (BENCHMARKS.md, Try 16). Shares up to 1 draw as they always did,
    so earlier curricula rebuild byte for byte."""
    import random

    rng = random.Random("stop")
    whole, part = int(share), share - int(share)
    out = []
    for i, record in enumerate(records):
        if record["params"].get("motion", {}).get("stop_before_obstacle"):
            continue
        if any(c.mode == "collision" and c.phase == 3
               for c in physics.assess(parse_scenario(record["params"])).checks):
            out += [i] * (whole + (rng.random() < part))
    return out


FILL_VARIANT = 500  # variant number of a filled copy


def fill_indices(records: list[dict], share: float) -> list[int]:
    """Which records get a filled copy: a seeded `share` of those holding an upright,
    non-rolling cylinder without liquid that is carried (share 0: none)."""
    import random

    rng = random.Random("fill")
    out = []
    for i, record in enumerate(records):
        scenario = parse_scenario(record["params"])
        o = scenario.object
        if (o.shape == "cylinder" and o.orientation == "upright" and not o.rolls and o.fill_fraction is None
                and any(c.phase == 3 for c in physics.assess(scenario).checks) and rng.random() < share):
            out.append(i)
    return out


def fill_variant(record: dict) -> dict | None:
    """The record's container filled: open top, a ramp time log-uniform in [0.05, 1.5] s and
    the fill (in [0.05, 0.98]) that puts the sloshing ratio at a draw log-uniform in
    [0.25, 4], both sides of 1; relabelled by physics (a sloshing line now applies in
    transport) and described again. None when no draw is clear of the boundary in 20 tries.

    Why: every standard train record with a liquid is one of five object types (bowl of soup,
    mug of coffee, paper cup of coffee, glass of water, Erlenmeyer flask), each always filled, so
    a student can tie the sloshing line to those names instead of to the liquid the text
    states. Worked try 13 wrote it in 28 of the 123 test scenarios where it is due; test holds
    beakers and carries (fast transfer) that no train text filled (BENCHMARKS.md, try 14).
    Filling the train's other upright containers (vase, jar, bottle, can, glass, mug) under
    their own names puts the liquid phrase beside new nouns and actions. Seeded by the
    record id."""
    import random

    rng = random.Random(f"{record['id']}/fill")
    params = copy.deepcopy(record["params"])
    o, a_h = params["object"], params["motion"].get("transport_accel_mps2", 0.0)
    diameter = max(o["width_m"], o["depth_m"])
    for _ in range(20):
        ramp = float(f"{math.exp(rng.uniform(math.log(0.05), math.log(1.5))):.3g}")
        target = math.exp(rng.uniform(math.log(0.25), math.log(4.0)))
        fill = 0.5
        for _ in range(8):  # r = rise / (H (1 - fill)); rise depends on fill only through k's period
            rise = physics.slosh_rise_m(a_h, 0.0, diameter, o["height_m"], fill, ramp)
            fill = min(max(1.0 - rise / (target * o["height_m"]), 0.05), 0.98)
        o.update(open_top=True, fill_fraction=round(fill, 3))
        params["motion"]["ramp_time_s"] = ramp
        if (filled := _clear_copy(record, params, FILL_VARIANT)) is not None:
            return filled
    return None


DECIDE_VARIANT = 400  # variant numbers of perturbed copies: 400 + try number
DECIDE_TRIES = 20  # perturbed candidates drawn per record


def decision_key(answer) -> tuple | None:
    """How a worked answer is decided when its deciding phase has more than one line: the
    phase, each of its lines as (mode, verdict), and the label. None for success or a phase of
    one line. `transport: slipping FAILS, tipping ok, sloshing ok -> slipping` is one key."""
    if answer.label == "success" or not answer.lines:
        return None
    phase = answer.lines[-1].phase
    in_phase = tuple((line.mode, line.verdict) for line in answer.lines if line.phase == phase)
    return (phase, in_phase, answer.label) if len(in_phase) > 1 else None


def perturbed_variant(record: dict, attempt: int) -> dict | None:
    """The record's scenario with one or two of its family's varied quantities scaled by a
    log-uniform factor in [1/3, 3] (3 significant figures), relabelled by physics and described
    again. None when the result is invalid (outside the schema) or not clear of the boundary.
    Seeded by the record id and `attempt`."""
    import random

    from physlab.catalog import FAMILIES

    family = FAMILIES.get(record.get("family", ""))
    if family is None or not family.vary:
        return None
    rng = random.Random(f"{record['id']}/perturb {attempt}")
    params = copy.deepcopy(record["params"])
    for vary in rng.sample(family.vary, k=min(len(family.vary), rng.choice((1, 2)))):
        section, name = vary.path.split(".")
        value = params.get(section, {}).get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            params[section][name] = float(f"{value * math.exp(rng.uniform(-math.log(3), math.log(3))):.3g}")
    return _clear_copy(record, params, DECIDE_VARIANT + attempt)


def decision_variants(records: list[dict], answers: list, target: int,
                      max_per_record: int = 4) -> list[tuple[int, int, dict]]:
    """Perturbed copies (`perturbed_variant`) that fill the rare ways a phase is decided
    (`decision_key`) up to `target` worked targets each where the draws allow: rarest key
    first, at most `max_per_record` copies of a record. Returns [(record index, variant number,
    copy)].

    Why: when a phase holds several checks the label is the largest failing ratio. In try 8's
    curriculum every target where a failing tray slide was followed by a sloshing line was won
    by sloshing (21 of 21), so try 8 answered NO after `tray_slide ... FAILS` in 12 beaker-tray
    test scenarios whose sloshing line was ok (BENCHMARKS.md)."""
    from physlab.worked import worked_answer

    count = Counter(k for k in map(decision_key, answers) if k is not None)
    candidates: dict[tuple, list[tuple[int, int, dict]]] = {}
    for i, record in enumerate(records):
        for attempt in range(DECIDE_TRIES):
            copy_ = perturbed_variant(record, attempt)
            if copy_ is None:
                continue
            answer = worked_answer(copy_)
            key = decision_key(answer)
            if key is not None and answer.label == copy_["label"]:
                candidates.setdefault(key, []).append((i, DECIDE_VARIANT + attempt, copy_))
    taken: Counter[int] = Counter()
    out: list[tuple[int, int, dict]] = []
    for key in sorted(candidates, key=lambda k: (count[k], repr(k))):
        for i, variant, copy_ in candidates[key]:
            if count[key] >= target:
                break
            if taken[i] < max_per_record:
                taken[i] += 1
                count[key] += 1
                out.append((i, variant, copy_))
    return out


BALANCE_BY = ("check", "formula")


def formula_form(formula: str) -> str:
    """The form of a worked formula with its wording taken out: numbers as `#`, units
    dropped, and the unit conversions a description's wording decides (a radius doubled, a
    percent grade or a rise over a run turned into an angle, a fill as a height over a height)
    read as one number. Two lines have the same form when they are the same physics written
    the same way: a stopping-distance clearance and a plain one do not; a slope in degrees and
    one as a grade do."""
    from physlab.typedcopy import shape

    form = shape(formula)
    previous = None
    while previous != form:
        previous = form
        form = re.sub(r"\(atan\(#(?:/#)?\)\)|\(#[*/]#\)", "#", form)
    return form


def rare_check_variants(answers: list, target: int, max_per_record: int,
                        balance_by: str = "check") -> list[tuple[int, int]]:
    """Which records to describe again, and how many times, so that every check appears in at
    least `target` worked targets where the records allow.

    balance_by "check": a check is its phase and mode. "formula": its phase, mode and
    `formula_form`, so the off-centre torque line counts apart from the payload line (both
    "lift dropping") and a clearance with a stopping distance apart from a plain one; worked
    try 7 wrote the torque line for none of the 12 test scenarios it decides (BENCHMARKS.md).

    The rare checks (sloshing, collisions, the incline and rolling checks: 31 to 191 of 1,260
    standard train targets) are the ones a one-epoch student never learns to write
    (BENCHMARKS.md). Rarest check first, records taken in order, at most `max_per_record`
    extra descriptions each. Returns [(record index, variant number)], variant numbers from 1.
    """
    if balance_by not in BALANCE_BY:
        raise ValueError(f"balance_by: must be one of {', '.join(BALANCE_BY)} (got {balance_by!r})")
    def key(line) -> tuple:
        return (line.phase, line.mode) if balance_by == "check" else (line.phase, line.mode, formula_form(line.formula))

    checks = [{key(line) for line in answer.lines} for answer in answers]
    count = Counter(key for keys in checks for key in keys)
    extra: Counter[int] = Counter()
    out: list[tuple[int, int]] = []
    for key, _ in sorted(count.items(), key=lambda kv: (kv[1], kv[0])):
        holders = [i for i, keys in enumerate(checks) if key in keys]
        while count[key] < target:
            added = False
            for i in holders:
                if count[key] >= target:
                    break
                if extra[i] < max_per_record:
                    extra[i] += 1
                    out.append((i, extra[i]))
                    count.update(checks[i])
                    added = True
            if not added:
                break
    return out


def worked_examples(records: list[dict], rare_target: int = 0, max_variants: int = 2,
                    set_down: float = 0.0, balance_by: str = "check", tilt: float = 0.0,
                    stop: float = 0.0, decide_target: int = 0, compare: bool = False, na_lines: bool = False,
                    fill: float = 0.0, copy_wording: str = "train") -> list[dict]:
    """One worked example per train record (physlab.worked): formula lines, values, the answer;
    then, when `rare_target` > 0, extra descriptions of the records holding rare checks
    (`rare_check_variants`), and when `set_down` > 0, that share of the records set down
    instead of let go (`set_down_variant`), and when `tilt` > 0, that share of the rolling
    records let go on a slope (`tilt_variant`), when `stop` > 0, that share of the records with
    an obstacle made to stop before it (`stop_variant`), when `fill` > 0, that share of the
    carried empty upright containers filled with liquid (`fill_variant`), and when `decide_target` > 0, perturbed
    copies that fill the rare ways a phase is decided (`decision_variants`), each interleaved
    after its original. With `compare`, a failing lift or transport phase ends with its
    comparison line (physlab.worked.comparison_line). With `na_lines`, each optional check of a
    reached phase that does not apply is written as an n/a line (physlab.worked.with_na_lines).
    With `copy_wording="wide"`, every extra copy is described again in the train wording plus
    the curriculum-only phrasings (physlab.describe.WIDE): the same copies, chosen from the
    train-wording answers, in more ways of saying them (a copy whose new rounding flips its label
    is still left out); the originals keep their train.jsonl text.

    The label read off the lines (from the description's rounded numbers) must equal the
    physics label; a record where rounding flips it would teach a wrong answer, so it fails
    loudly (none does on the clear-margin splits: tests/test_worked.py). A variant whose new
    rounding would flip it is left out.
    """
    from physlab.worked import worked_answer

    if copy_wording not in COPY_WORDINGS:
        raise ValueError(f"copy_wording: one of {', '.join(COPY_WORDINGS)} (got {copy_wording!r})")
    examples, answers = [], []
    for record in records:
        answer = worked_answer(record, compare, na_lines)
        if answer.label != record["label"]:
            raise ValueError(f"{record['id']}: the worked lines give {answer.label}, physics says "
                             f"{record['label']} (the description's rounding flips it)")
        answers.append(answer)
        examples.append(_worked_example(record, answer))
    copies = [(index, variant, rewrite_description(records[index], variant))
              for index, variant in rare_check_variants(answers, rare_target, max_variants, balance_by)]
    copies += [(index, SET_DOWN_VARIANT, set_down_variant(records[index]))
               for index in set_down_indices(records, set_down)]
    copies += [(index, TILT_VARIANT, tilt_variant(records[index])) for index in tilt_indices(records, tilt)]
    for index, repeats in itertools.groupby(stop_indices(records, stop)):  # a record's copies are adjacent
        copies += [(index, STOP_VARIANT + nth, stop_variant(records[index], nth)) for nth, _ in enumerate(repeats)]
    copies += [(index, FILL_VARIANT, fill_variant(records[index])) for index in fill_indices(records, fill)]
    if decide_target > 0:
        copies += decision_variants(records, answers, decide_target)
    extra: dict[int, list[dict]] = {}
    for index, variant, record in copies:
        if record is None:
            continue
        if copy_wording != "train":
            record = rewrite_description(record, variant, copy_wording)
        answer = worked_answer(record, compare, na_lines)
        if answer.label == record["label"]:  # a copy whose new rounding flips the label is left out
            extra.setdefault(index, []).append(_worked_example(record, answer, variant))
    return [example for i, original in enumerate(examples) for example in (original, *extra.get(i, ()))]


def build_worked_curriculum(preset: str, data_dir: str | Path | None = None, out: str | Path | None = None,
                            progress: bool = True, stats: CurriculumStats | None = None,
                            rare_target: int = 0, max_variants: int = 2, set_down: float = 0.0,
                            balance_by: str = "check", tilt: float = 0.0, stop: float = 0.0,
                            decide_target: int = 0, compare: bool = False, na_lines: bool = False,
                            fill: float = 0.0, copy_wording: str = "train") -> Path:
    """Write <data_dir>/<preset>/curriculum-worked.jsonl (or `out`): the worked format.

    rare_target > 0 adds re-described copies of the records with rare checks until each check
    (`balance_by`: "check" or "formula", `rare_check_variants`) appears `rare_target` times (at
    most `max_variants` copies per record); set_down, tilt, stop, fill and decide_target add
    relabelled copies (`worked_examples`); compare adds the comparison line of a failing
    largest-r phase; copy_wording "wide" describes the extra copies with the curriculum-only
    phrasings too (physlab.describe.WIDE)."""
    data_dir = Path(data_dir) if data_dir is not None else fileio.data_dir()
    train_path = data_dir / preset / "train.jsonl"
    if not train_path.is_file():
        raise FileNotFoundError(f"{train_path} not found: run `physlab data generate --preset {preset}` first")
    if rare_target < 0 or not 0 <= max_variants < SET_DOWN_VARIANT:
        raise ValueError(f"rare_target: must be >= 0, max_variants: in [0, {SET_DOWN_VARIANT - 1}] "
                         f"(got {rare_target}, {max_variants})")
    if decide_target < 0:
        raise ValueError(f"decide_target: must be >= 0 (got {decide_target})")
    for name, share in (("set_down", set_down), ("tilt", tilt), ("fill", fill)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name}: must be a share in [0, 1] (got {share})")
    if not 0.0 <= stop <= MAX_STOP_COPIES:
        raise ValueError(f"stop: must be a share in [0, 1], or copies per record up to {MAX_STOP_COPIES:g} "
                         f"(got {stop})")
    if balance_by not in BALANCE_BY:
        raise ValueError(f"balance_by: must be one of {', '.join(BALANCE_BY)} (got {balance_by!r})")
    if balance_by != "check" and rare_target <= 0:
        raise ValueError(f"balance_by {balance_by!r}: only with rare_target > 0 (--rare-target N), "
                         f"it says how rare checks are counted")
    out_path = check_out_path(out) if out is not None else train_path.parent / "curriculum-worked.jsonl"
    examples = worked_examples(_read_train(train_path), rare_target=rare_target, max_variants=max_variants,
                               set_down=set_down, balance_by=balance_by, tilt=tilt, stop=stop, fill=fill,
                               decide_target=decide_target, compare=compare, na_lines=na_lines,
                               copy_wording=copy_wording)
    if stats is not None:
        for example in examples:
            stats.total += 1
            stats.by_label[example["label"]] += 1
            stats.by_teacher["physics"] += 1
    variants = sum(1 for e in examples if e.get("variant"))
    flags = (f" --rare-target {rare_target} --max-variants {max_variants}" if rare_target else "") + \
        (f" --balance-by {balance_by}" if balance_by != "check" else "") + \
        (f" --set-down {set_down:g}" if set_down else "") + (f" --tilt {tilt:g}" if tilt else "") + \
        (f" --stop {stop:g}" if stop else "") + (f" --fill {fill:g}" if fill else "") + (f" --decide-target {decide_target}" if decide_target else "") + \
        (" --compare" if compare else "") + (" --na-lines" if na_lines else "") + \
        (f" --copy-wording {copy_wording}" if copy_wording != "train" else "")
    write_derived(out_path, examples, sources={"train.jsonl": train_path},
                  rebuild=f"physlab curriculum build --preset {preset} --format worked{flags}",
                  extra={"preset": preset, "teacher": "physics", "format": "worked",
                         "dataset_hash": _dataset_hash(train_path),
                         "rare_target": rare_target, "max_variants": max_variants, "set_down": set_down,
                         "balance_by": balance_by, "tilt": tilt, "stop": stop, "fill": fill, "decide_target": decide_target,
                         "compare": compare, "na_lines": na_lines, "copy_wording": copy_wording,
                         "variants": variants,  # rare-check + set-down + tilted + must-stop + filled + perturbed copies
                         "set_down_variants": sum(1 for e in examples if e.get("variant") == SET_DOWN_VARIANT),
                         "tilt_variants": sum(1 for e in examples if e.get("variant") == TILT_VARIANT),
                         "stop_variants": sum(1 for e in examples if STOP_VARIANT <= e.get("variant", 0) < DECIDE_VARIANT),
                         "fill_variants": sum(1 for e in examples if e.get("variant") == FILL_VARIANT),
                         "decide_variants": sum(1 for e in examples if e.get("variant", 0) >= DECIDE_VARIANT)})
    if progress:
        print(f"wrote {out_path}: {len(examples)} worked examples"
              + (f" ({variants} extra descriptions: rare checks, set down, tilted, must stop, filled, perturbed)"
                 if variants else ""),
              file=sys.stderr)
    return out_path
