"""Curriculum teachers: physics reasoning carries the deciding numbers; LLM answers that
disagree with physics are rejected and counted; curriculum.jsonl is built from train.jsonl."""

from __future__ import annotations

import json
import random
import re
import socket
import threading
from copy import deepcopy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fake_ollama import FakeOllama  # tests/fake_ollama.py: a loopback Ollama API
from hypothesis import HealthCheck, given, settings
from test_describe import scenarios

from physlab import cli, prompts
from physlab.describe import describe
from physlab.physics import assess
from physlab.schema import Scenario, parse_scenario
from physlab.teacher import (
    CurriculumStats,
    OpenAIChat,
    TeacherUnavailableError,
    build_curriculum,
    make_teacher,
    parse_teacher_spec,
    physics_reasoning,
)

BASE = {
    "id": "s-1", "family": "test",
    "object": {"type": "block", "shape": "box", "material": "plastic", "mass_kg": 0.5,
               "width_m": 0.1, "depth_m": 0.1, "height_m": 0.1, "com_height_m": 0.05},
    "gripper": {"grip_force_n": 40.0, "payload_kg": 3.0, "pad_friction": 0.8},
    "motion": {"action": "pick_and_place", "lift_accel_mps2": 2.0, "transport_accel_mps2": 2.0},
    "environment": {},
}


def make(id: str = "s-1", **sections: dict) -> Scenario:
    data = deepcopy(BASE)
    data["id"] = id
    for section, fields in sections.items():
        data[section].update(fields)
    return parse_scenario(data)


# A tall 5 x 5 cm box standing on a tray at 4 m/s^2: tips above g*w/(2h) = 9.81*0.05/0.2 = 2.45 m/s^2.
TIPPING = dict(object={"width_m": 0.05, "depth_m": 0.05, "height_m": 0.2, "com_height_m": 0.1},
               motion={"action": "tray_carry", "carry": "on_tray", "transport_accel_mps2": 4.0},
               environment={"surface": "tray", "support_friction": 0.8})


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)]


# --------------------------------------------------------------------------- physics teacher


def test_slipping_reasoning_names_demand_capacity_ratio_and_label() -> None:
    # 0.5 kg lifted at 2 m/s^2 needs 0.5*(9.81+2) = 5.905 N of friction; pads give 2*0.4*10 = 8 N
    # -> holds; moving at 9 m/s^2 needs 0.5*hypot(9.81, 9) = 6.656 N ... use a weaker grip:
    # F = 6 N: lift capacity 2*0.4*6 = 4.8 N < 5.905 N -> slips in the lift, r = 1.23.
    scenario = make(gripper={"grip_force_n": 6.0, "pad_friction": 0.4})
    assessment = assess(scenario)
    assert assessment.label == "slipping"
    text = physics_reasoning(scenario, assessment)
    assert "slipping" in text and "lift" in text
    found = numbers(text)
    for value in (5.91, 4.8, 1.23):  # demand (N), capacity (N), r
        assert any(abs(x - value) < 0.01 for x in found), (value, text)


def test_mug_worked_example_reasoning_carries_both_torques() -> None:
    # docs/physics.md: 0.35 kg at d = 4 cm needs 0.137 N*m; 2*(2/3)*0.6*20*0.008 = 0.128 N*m: drops.
    scenario = make(object={"type": "mug", "shape": "cylinder", "material": "ceramic", "mass_kg": 0.35,
                            "width_m": 0.08, "depth_m": 0.08, "height_m": 0.082, "com_height_m": 0.04},
                    gripper={"grip_force_n": 20.0, "pad_friction": 0.6, "grasp_offset_m": 0.04},
                    motion={"lift_accel_mps2": 0.0, "transport_accel_mps2": 0.5})
    assessment = assess(scenario)
    text = physics_reasoning(scenario, assessment)
    assert assessment.label == "dropping"
    assert "0.137 N·m" in text and "0.128 N·m" in text and "dropping" in text and "1.07" in text


def test_tipping_reasoning_gives_the_threshold() -> None:
    scenario = make(**TIPPING)
    assessment = assess(scenario)
    text = physics_reasoning(scenario, assessment)
    assert assessment.label == "tipping"
    assert "tipping" in text and "2.45 m/s²" in text and "4 m/s²" in text


def test_success_reasoning_explains_the_closest_modes() -> None:
    scenario = make()  # F = 40 N, mu 0.8: lift needs 5.9 N against 64 N; transport 6.9 N
    assessment = assess(scenario)
    assert assessment.label == "success"
    text = physics_reasoning(scenario, assessment)
    assert "succeeds" in text
    closest = max(assessment.checks, key=lambda c: c.ratio)
    assert closest.mode in text and f"{closest.ratio:.2f}" in text
    assert "64 N" in text  # the pads' capacity 2 * 0.8 * 40 N


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios)
def test_reasoning_is_compact_and_names_the_label(scenario: Scenario) -> None:
    assessment = assess(scenario)
    text = physics_reasoning(scenario, assessment)
    assert 10 <= len(text.split()) <= 70, text
    if assessment.label == "success":
        assert "succeeds" in text
    else:
        assert f"fails by {assessment.label}" in text and f"{assessment.margin:.2f}" in text
    assert physics_reasoning(scenario, assessment) == text  # deterministic
    # The completion built from it reads back as the physics label.
    parsed = prompts.parse_answer(prompts.format_answer(assessment.label, text))
    assert parsed.ok and parsed.label == assessment.label


# --------------------------------------------------------------------------- teacher specs


def test_teacher_spec_forms() -> None:
    assert parse_teacher_spec("physics").name == "physics"
    assert parse_teacher_spec("ollama:qwen2.5:1.5b").model == "qwen2.5:1.5b"
    assert parse_teacher_spec("openai:gpt-4o-mini").name == "openai:gpt-4o-mini"
    for bad in ("", "gpt4", "ollama:", "openai", "llama:x"):
        with pytest.raises(ValueError, match=r"physics, ollama:MODEL, openai:MODEL"):
            parse_teacher_spec(bad)


def test_openai_teacher_needs_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHYSLAB_OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="PHYSLAB_OPENAI_BASE_URL"):
        make_teacher("openai:some-model")


# --------------------------------------------------------------------------- tiny data dir


def record(scenario: Scenario, seed: int = 0) -> dict[str, Any]:
    assessment = assess(scenario)
    return {"id": scenario.id, "family": scenario.family, "object": scenario.object.type,
            "label": assessment.label, "ratios": assessment.ratios, "margin": assessment.margin,
            "explanation": assessment.explanation, "description": describe(scenario, random.Random(seed)),
            "params": scenario.model_dump(mode="json")}


def write_preset(root: Path, records: list[dict], preset: str = "tiny") -> Path:
    folder = root / preset
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train.jsonl", "w", encoding="utf-8") as handle:
        for r in records:
            handle.write(json.dumps(r) + "\n")
    return root


@pytest.fixture()
def tiny_data(tmp_path: Path) -> Path:
    """Two train records: one tipping, one success."""
    return write_preset(tmp_path / "data", [record(make("tip-1", **TIPPING)), record(make("ok-1"))])


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_build_curriculum_with_the_physics_teacher(tiny_data: Path) -> None:
    stats = CurriculumStats()
    path = build_curriculum("tiny", data_dir=tiny_data, progress=False, stats=stats)
    assert path == tiny_data / "tiny" / "curriculum.jsonl"
    rows = read_jsonl(path)
    train = read_jsonl(tiny_data / "tiny" / "train.jsonl")
    assert [r["scenario_id"] for r in rows] == ["tip-1", "ok-1"]
    for row, source in zip(rows, train, strict=True):
        assert set(row) >= {"prompt", "completion", "scenario_id", "label", "teacher"}
        assert row["prompt"] == prompts.build_prompt(source["description"])
        assert row["label"] == source["label"] and row["teacher"] == "physics"
        assert row["completion"].startswith(prompts.ANSWER_PREFIXES[source["label"]] + "\nREASONING: ")
        assert prompts.parse_answer(row["completion"]).label == source["label"]
    assert stats.total == 2 and stats.rejected == 0 and stats.by_label == {"tipping": 1, "success": 1}
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp file left
    # Deterministic: a second build gives the same bytes.
    first = path.read_bytes()
    build_curriculum("tiny", data_dir=tiny_data, progress=False)
    assert path.read_bytes() == first


def test_answer_only_curriculum_from_the_cli(tiny_data: Path) -> None:
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data), "--answers-only",
                     "--quiet"]) == 0
    rows = read_jsonl(tiny_data / "tiny" / "curriculum-answers.jsonl")
    assert [r["completion"] for r in rows] == ["YES\nFAILURE_MODE: tipping", "NO\nFAILURE_MODE: none"]
    assert not (tiny_data / "tiny" / "curriculum.jsonl").exists()  # the reasoning curriculum is another file


def test_a_stored_label_that_physics_disagrees_with_fails_loudly(tmp_path: Path) -> None:
    bad = record(make("tip-1", **TIPPING))
    bad["label"] = "success"
    data = write_preset(tmp_path / "data", [record(make("ok-1")), bad])
    out = data / "tiny" / "curriculum.jsonl"
    out.write_text("previous\n")
    with pytest.raises(ValueError, match=r"tip-1.*'success'.*'tipping'"):
        build_curriculum("tiny", data_dir=data, progress=False)
    assert out.read_text() == "previous\n"  # nothing overwritten


def test_missing_train_split_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"physlab data generate --preset nope"):
        build_curriculum("nope", data_dir=tmp_path, progress=False)


def test_cli_builds_and_rejects_bad_teachers(tiny_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data), "--quiet"]) == 0
    assert (tiny_data / "tiny" / "curriculum.jsonl").is_file()
    assert "2 examples" in capsys.readouterr().out
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data),
                     "--teacher", "gpt"]) == 2
    assert "ollama:MODEL" in capsys.readouterr().err


def test_cli_worked_augmentation_flags_reach_the_sidecar(tiny_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--stop, --fill, --decide-target, --compare, --na-lines and --copy-wording are written into the curriculum's
    sidecar and its rebuild command; with the answer format they are a clear error, not ignored."""
    import json

    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data), "--format", "worked",
                     "--rare-target", "5", "--stop", "0.5", "--fill", "0.5", "--decide-target", "3", "--compare",
                     "--na-lines", "--copy-wording", "wide",
                     "--quiet"]) == 0
    meta = json.loads((tiny_data / "tiny" / "curriculum-worked.jsonl.meta.json").read_text())
    assert meta["stop"] == 0.5 and meta["fill"] == 0.5 and meta["decide_target"] == 3 and meta["compare"] is True and meta["na_lines"] is True
    assert meta["copy_wording"] == "wide"
    assert meta["rebuild"].endswith("--format worked --rare-target 5 --max-variants 2 --stop 0.5 --fill 0.5 --decide-target 3 "
                                    "--compare --na-lines --copy-wording wide")
    rows = [json.loads(line) for line in (tiny_data / "tiny" / "curriculum-worked.jsonl").read_text().splitlines()]
    assert all(r["completion"].startswith("grasp collision: ") for r in rows)  # --na-lines: a fixed first line
    plain_path = tiny_data / "tiny" / "curriculum-plain.jsonl"
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data), "--format", "worked",
                     "--rare-target", "5", "--stop", "0.5", "--fill", "0.5", "--decide-target", "3", "--compare",
                     "--na-lines", "--out", str(plain_path), "--quiet"]) == 0
    plain = [json.loads(line) for line in plain_path.read_text().splitlines()]
    copies = [(p["prompt"], r["prompt"]) for p, r in zip(plain, rows, strict=True) if r.get("variant")]
    assert copies and any(a != b for a, b in copies)  # --copy-wording reached the copies ...
    assert [p["prompt"] for p in plain if not p.get("variant")] == [r["prompt"] for r in rows if not r.get("variant")]
    assert any(": n/a\n" in r["completion"] for r in rows)
    failing_transport = [r for r in rows if "transport" in r["completion"] and " FAILS\nYES" in r["completion"]]
    assert not failing_transport  # --compare: a failing transport phase ends with its comparison
    capsys.readouterr()
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data), "--compare"]) == 2
    assert "--copy-wording: only with --format worked" in capsys.readouterr().err
    capsys.readouterr()
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data),
                     "--decide-target", "3"]) == 2
    err = capsys.readouterr().err
    assert "--compare, --na-lines, --copy-wording: only with --format worked" in err and "Traceback" not in err
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data), "--na-lines"]) == 2
    assert "--copy-wording: only with --format worked" in capsys.readouterr().err
    assert cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data),
                     "--copy-wording", "wide"]) == 2
    assert "--copy-wording: only with --format worked" in capsys.readouterr().err


# --------------------------------------------------------------------------- LLM teachers


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLM requests are retried with backoff; tests keep the pauses short."""
    from physlab import teacher

    monkeypatch.setattr(teacher, "LLM_RETRY_BACKOFF_S", (0.01, 0.01))


def always_tipping(prompt: str) -> str:
    """A fake LLM that claims tipping for everything: right for one record, wrong for the other."""
    return "YES\nFAILURE_MODE: tipping\nREASONING: The tray's 4 m/s² exceeds the 2.45 m/s² it can take\nbefore the box tips."


def test_ollama_teacher_keeps_agreeing_answers_and_rejects_disagreeing_ones(
        tiny_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama(models={"fake-teacher:latest": always_tipping}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        stats = CurriculumStats()
        path = build_curriculum("tiny", teacher="ollama:fake-teacher", data_dir=tiny_data, progress=False,
                                stats=stats)
        chats = [r for r in server.requests if r["path"] == "/api/chat"]
    rows = {r["scenario_id"]: r for r in read_jsonl(path)}
    assert len(chats) == 2
    # The teacher was told the physics label and the numbers.
    told = chats[0]["body"]["messages"][-1]["content"]
    assert "tipping" in told and "2.45" in told and "Scenario:" in told

    agreed, rejected = rows["tip-1"], rows["ok-1"]
    assert agreed["teacher"] == "ollama:fake-teacher" and agreed["fallback_reason"] is None
    assert agreed["completion"] == prompts.format_answer(
        "tipping", "The tray's 4 m/s² exceeds the 2.45 m/s² it can take before the box tips.")
    assert rejected["teacher"] == "physics" and rejected["label"] == "success"
    assert "disagrees" in rejected["fallback_reason"]
    assert prompts.parse_answer(rejected["completion"]).label == "success"
    assert stats.rejected == 1 and stats.by_teacher == {"ollama:fake-teacher": 1, "physics": 1}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_ollama_is_a_clear_error_naming_the_url(
        tiny_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    monkeypatch.setenv("OLLAMA_HOST", url)
    with pytest.raises(TeacherUnavailableError, match=re.escape(url)):
        build_curriculum("tiny", teacher="ollama:fake-teacher", data_dir=tiny_data, progress=False)
    assert not (tiny_data / "tiny" / "curriculum.jsonl").exists()
    code = cli.main(["curriculum", "build", "--preset", "tiny", "--data-dir", str(tiny_data),
                     "--teacher", "ollama:fake-teacher", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and url in err and "Traceback" not in err


def test_missing_ollama_model_says_how_to_pull_it(tiny_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama(models={"other:latest": always_tipping}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        with pytest.raises(TeacherUnavailableError, match=r"ollama pull fake-teacher"):
            build_curriculum("tiny", teacher="ollama:fake-teacher", data_dir=tiny_data, progress=False)


class _OpenAIHandler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        told = body["messages"][-1]["content"]
        answer = ("NO\nFAILURE_MODE: none\nREASONING: Every ratio stays below 1." if "it succeeds" in told
                  else "NO\nFAILURE_MODE: none\nREASONING: Looks fine to me.")  # wrong for the tipping one
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": answer}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_openai_compatible_teacher(tiny_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("PHYSLAB_OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1/")
        monkeypatch.setenv("PHYSLAB_OPENAI_API_KEY", "sk-test")
        stats = CurriculumStats()
        path = build_curriculum("tiny", teacher="openai:tiny-model", data_dir=tiny_data, progress=False,
                                stats=stats)
    finally:
        server.shutdown()
        server.server_close()
    rows = {r["scenario_id"]: r for r in read_jsonl(path)}
    assert {s["path"] for s in _OpenAIHandler.seen} == {"/v1/chat/completions"}
    assert {s["auth"] for s in _OpenAIHandler.seen} == {"Bearer sk-test"}
    assert rows["ok-1"]["teacher"] == "openai:tiny-model"
    assert rows["ok-1"]["completion"] == prompts.format_answer("success", "Every ratio stays below 1.")
    assert rows["tip-1"]["teacher"] == "physics" and "decision NO" in rows["tip-1"]["fallback_reason"]
    assert stats.rejected == 1


def test_unreachable_openai_endpoint_names_the_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    client = OpenAIChat("m", base_url=url, api_key="")
    with pytest.raises(TeacherUnavailableError, match=re.escape(url + "/chat/completions")):
        client.chat("system", "user")


# --------------------------------------------------------------------------- issue 14, item 11


class _Server:
    """A loopback HTTP server whose handler class is given; records every request."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def _answer(handler: BaseHTTPRequestHandler, told: str) -> None:
    answer = ("NO\nFAILURE_MODE: none\nREASONING: Every ratio stays below 1." if "it succeeds" in told
              else "YES\nFAILURE_MODE: tipping\nREASONING: It tips.")
    payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": answer}}]}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def test_openai_teacher_never_follows_a_redirect_with_its_key() -> None:
    elsewhere: list[dict[str, Any]] = []

    class Other(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            elsewhere.append({"method": "GET", "auth": self.headers.get("Authorization")})
            _answer(self, "it succeeds")

        do_POST = do_GET  # noqa: N815

    with _Server(Other) as other:
        class Redirect(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                self.send_response(302)
                self.send_header("Location", other.url + "/steal")
                self.send_header("Content-Length", "0")
                self.end_headers()

        with _Server(Redirect) as first:
            client = OpenAIChat("m", base_url=first.url + "/v1", api_key="sk-secret")
            with pytest.raises(TeacherUnavailableError, match=r"redirect.*does not follow"):
                client.chat("system", "user")
    assert elsewhere == []  # the key never reached the other host


def test_llm_teacher_retries_then_keeps_its_answers_across_a_failed_build(
        tiny_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flaky endpoint is retried; one that stays down ends the build, and the rerun asks only
    for the scenarios whose answers were not kept yet."""
    state = {"calls": 0, "down_after": 1, "flaky": True}
    seen: list[str] = []

    class Flaky(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["calls"] += 1
            told = body["messages"][-1]["content"]
            if state["flaky"]:  # the first request of all fails once with a 503: retried
                state["flaky"] = False
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if len(seen) >= state["down_after"]:
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            seen.append(told)
            _answer(self, told)

    with _Server(Flaky) as server:
        monkeypatch.setenv("PHYSLAB_OPENAI_BASE_URL", server.url + "/v1")
        with pytest.raises(TeacherUnavailableError, match="HTTP 500"):
            build_curriculum("tiny", teacher="openai:m", data_dir=tiny_data, progress=False)
        out = tiny_data / "tiny" / "curriculum.jsonl"
        assert not out.exists() and len(seen) == 1
        state["down_after"] = 10
        path = build_curriculum("tiny", teacher="openai:m", data_dir=tiny_data, progress=False)
    assert len(seen) == 2  # the second build asked only for the one answer it did not have
    rows = read_jsonl(path)
    assert len(rows) == 2 and {r["teacher"] for r in rows} == {"openai:m"}
    assert not list((tiny_data / "tiny").glob(".*partial*"))
