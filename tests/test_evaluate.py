"""Evaluation runs, resume, malformed outputs, reports and the evaluate/predict/report CLI.

A tiny workspace is written per test: data/tiny/{train,test}.jsonl from the seed preset's
generator (180 training records, 10 test scenarios: 4 successes, 6 failures).
"""

from __future__ import annotations

import json
import math

import pytest

from physlab import cli, scenarios
from physlab.backends import DummyBackend
from physlab.evaluate import EvalConfig, evaluate, predict, read_records
from physlab.labels import LABELS
from physlab.prompts import build_prompt, format_answer
from physlab.report import render_table, write_report

try:
    from fake_ollama import FakeOllama
except ImportError:  # tests/ imported as a package
    from tests.fake_ollama import FakeOllama

N_TEST = 10


@pytest.fixture(scope="module")
def seed_splits():
    return scenarios.generate("seed")


@pytest.fixture
def workspace(tmp_path, monkeypatch, seed_splits):
    """tmp/data/tiny/{train,test}.jsonl; PHYSLAB_DATA_DIR and PHYSLAB_RESULTS_DIR point into tmp."""
    folder = tmp_path / "data" / "tiny"
    folder.mkdir(parents=True)
    test = seed_splits["test"]
    chosen = [r for r in test if r["label"] == "success"][:4] + [r for r in test if r["label"] != "success"][:6]
    for name, records in (("train", seed_splits["train"]), ("test", chosen)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(tmp_path / "results"))
    return {"root": tmp_path, "test": chosen, "train": seed_splits["train"]}


def _config(workspace, **kw) -> EvalConfig:
    root = workspace["root"]
    defaults = {"preset": "tiny", "split": "test", "eval_id": "e1", "batch_size": 3,
                "data_dir": str(root / "data"), "results_dir": str(root / "results")}
    return EvalConfig(**{**defaults, **kw})


def _oracle(workspace, name="oracle", **kw) -> DummyBackend:
    """Answers every scenario right (looks the truth up by prompt)."""
    truth = {build_prompt(r["description"]): r["label"] for r in workspace["test"]}
    return DummyBackend(lambda p: format_answer(truth[p], "it follows from the numbers"), name=name, **kw)


def _always_no(name="always_no") -> DummyBackend:
    return DummyBackend(["NO\nFAILURE_MODE: none\nREASONING: looks fine"], name=name)


# --------------------------------------------------------------------------- results and summary


def test_summary_compares_models_side_by_side_with_mcnemar(workspace):
    config = _config(workspace, models=["oracle", "always_no"])
    out = evaluate(config, progress=False, backends={"oracle": _oracle(workspace), "always_no": _always_no()})
    summary = json.loads((out / "summary.json").read_text())
    oracle, no = summary["models"]["oracle"], summary["models"]["always_no"]
    assert oracle["binary_accuracy"]["k"] == N_TEST and oracle["eight_way_accuracy"]["value"] == 1.0
    assert oracle["failure_mode_accuracy"] == pytest.approx({**oracle["failure_mode_accuracy"], "k": 6, "n": 6})
    assert no["binary_accuracy"]["k"] == 4  # right only on the 4 successes
    assert no["failure_mode_accuracy"]["k"] == 0
    binary = next(r for r in summary["mcnemar"] if r["metric"] == "binary")
    assert (binary["model_a"], binary["model_b"], binary["b"], binary["c"]) == ("oracle", "always_no", 6, 0)
    assert binary["p_value"] == pytest.approx(2 * 0.5 ** 6)  # exact two-sided binomial, 6 discordant
    records = read_records(out / "records.jsonl")
    assert len(records) == 2 * N_TEST
    rec = records[0]
    for key in ("scenario_id", "model", "prompt", "raw_output", "parsed", "probabilities", "truth",
                "margin", "correct", "latency_s"):
        assert key in rec
    assert set(rec["parsed"]) >= {"fails", "mode", "label", "ok"}
    assert set(rec["correct"]) == {"binary", "mode", "eight_way"}

    table = render_table(summary)
    assert "oracle" in table and "always_no" in table and "McNemar" in table
    assert "100.0%" in table and "40.0% [" in table  # 4/10 with its interval
    report = write_report(out).read_text()
    assert "## Confusion matrices" in report and "| truth \\ answer |" in report
    assert "78.9% [" in report and "15/19" in report and "47.1%" in report  # the published table
    errors = report.split("## The ten most instructive errors")[1]
    assert errors.count("### ") == 6  # always_no's six wrong answers (the oracle has none)
    failing = [r for r in workspace["test"] if r["label"] != "success"]
    assert any(r["explanation"][:40] in errors for r in failing)  # the physics that decides it


def test_malformed_outputs_never_crash_an_evaluation(workspace):
    garbage = ["", None, 42, "\x00\xff\ufffd" * 500, "YES", "NO\nFAILURE_MODE: tipping", {"answer": "YES"},
               "FAILURE_MODE:", "maybe?", "yes " * 10_000]
    backend = DummyBackend(garbage, name="junk")
    out = evaluate(_config(workspace, models=["junk"]), progress=False, backends={"junk": backend})
    records = read_records(out / "records.jsonl")
    assert len(records) == N_TEST
    labels = [r["parsed"]["label"] for r in records]
    assert labels.count("unparsed") >= 6
    assert all(isinstance(r["raw_output"], str) for r in records)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["junk"]["unparsed"]["k"] == labels.count("unparsed")


@pytest.mark.parametrize("extra", [-1, +2])
def test_a_backend_returning_too_few_or_too_many_answers_stays_aligned(workspace, extra):
    class Miscounting(DummyBackend):
        def generate(self, prompts, max_new_tokens=64):
            return ["YES\nFAILURE_MODE: tipping"] * (len(prompts) + extra)

    out = evaluate(_config(workspace, models=["m"]), progress=False, backends={"m": Miscounting([""])})
    records = read_records(out / "records.jsonl")
    assert sorted(r["scenario_id"] for r in records) == sorted(r["id"] for r in workspace["test"])
    unparsed = sum(r["parsed"]["label"] == "unparsed" for r in records)
    assert unparsed == (4 if extra < 0 else 0)  # the missing answer of each of the 4 batches (3+3+3+1)


def test_malformed_probabilities_never_crash_score_mode(workspace):
    nan = float("nan")
    bad = [None, "0.5", {"success": nan}, {"success": -1, "tipping": 0}, {lab: 0 for lab in LABELS},
           {"success": float("inf")}, {"tipping": "x"}, {"success": 0.2, "crushing": 0.6}, [0.1] * 8, 7]
    it = iter(bad)
    backend = DummyBackend([""], name="probs", probabilities=lambda p: next(it))
    out = evaluate(_config(workspace, models=["probs"], mode="score"), progress=False, backends={"probs": backend})
    records = read_records(out / "records.jsonl")
    assert len(records) == N_TEST
    usable = [r for r in records if r["probabilities"] is not None]
    assert len(usable) == 1  # only {"success": 0.2, "crushing": 0.6}, renormalised
    assert usable[0]["probabilities"]["crushing"] == pytest.approx(0.75)
    assert usable[0]["parsed"]["label"] == "crushing"
    assert all(r["parsed"]["label"] == "unparsed" for r in records if r["probabilities"] is None)


def test_score_mode_probabilities_and_calibration_reach_the_summary(workspace):
    def probs(prompt):
        return {lab: (0.6 if lab == "success" else 0.4 / 7) for lab in LABELS}

    backend = DummyBackend([""], name="unsure", probabilities=probs)
    out = evaluate(_config(workspace, models=["unsure"], mode="score"), progress=False, backends={"unsure": backend})
    records = read_records(out / "records.jsonl")
    assert all(r["p_fail"] == pytest.approx(0.4) for r in records)
    assert all(r["parsed"]["label"] == "success" for r in records)  # P(fail) < 0.5 decides first
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["unsure"]["probabilities"]["brier"] is not None
    assert "Calibration" in write_report(out).read_text()


def test_score_mode_is_refused_for_a_backend_without_likelihoods(workspace):
    with pytest.raises(ValueError, match="cannot run in mode 'score'"):
        evaluate(_config(workspace, models=["text_only"], mode="score"), progress=False,
                 backends={"text_only": _always_no("text_only")})


# --------------------------------------------------------------------------- resume


def test_an_interrupted_evaluation_keeps_its_work_and_resumes(workspace):
    config = _config(workspace, models=["oracle"], batch_size=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        evaluate(config, progress=False, backends={"oracle": _oracle(workspace, fail_after=5)})
    records_path = config.eval_dir / "records.jsonl"
    assert len(read_records(records_path)) == 4  # two whole batches of 2 were written
    assert json.loads((config.eval_dir / "status.json").read_text())["state"] == "failed"
    assert not (config.eval_dir / "summary.json").exists()
    with records_path.open("a") as fh:
        fh.write('{"scenario_id": "seed-te')  # a write torn by the crash

    again = _oracle(workspace)
    out = evaluate(_config(workspace, models=["oracle"], batch_size=2), progress=False, backends={"oracle": again})
    assert again.calls == N_TEST - 4  # only the missing scenarios were asked
    records = read_records(out / "records.jsonl")
    assert sorted(r["scenario_id"] for r in records) == sorted(r["id"] for r in workspace["test"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["oracle"]["n"] == N_TEST
    assert json.loads((out / "status.json").read_text())["state"] == "done"


def test_resuming_with_another_split_is_refused(workspace):
    evaluate(_config(workspace, models=["oracle"]), progress=False, backends={"oracle": _oracle(workspace)})
    with pytest.raises(ValueError, match="split"):
        evaluate(_config(workspace, models=["oracle"], split="ood"), progress=False,
                 backends={"oracle": _oracle(workspace)})


def test_adding_a_model_to_a_finished_evaluation_runs_only_that_model(workspace):
    evaluate(_config(workspace, models=["oracle"]), progress=False, backends={"oracle": _oracle(workspace)})
    first = _oracle(workspace)
    out = evaluate(_config(workspace, models=["oracle", "always_no"]), progress=False,
                   backends={"oracle": first, "always_no": _always_no()})
    assert first.calls == 0
    assert set(json.loads((out / "summary.json").read_text())["models"]) == {"oracle", "always_no"}


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("field,value,words", [
    ("split", "dev", ["split", "test", "ood", "boundary"]),
    ("mode", "sample", ["mode", "generate", "score"]),
    ("batch_size", 0, ["batch_size"]),
    ("limit", 0, ["limit"]),
    ("models", "", ["models"]),
    ("models", "base,base", ["models", "once"]),
    ("eval_id", "../x", ["eval_id"]),
])
def test_config_errors_name_the_field_and_the_allowed_values(field, value, words):
    with pytest.raises(ValueError) as err:
        EvalConfig(**{field: value})
    assert all(w in str(err.value) for w in words)


def test_missing_split_file_says_how_to_generate_it(workspace):
    with pytest.raises(FileNotFoundError, match="physlab data generate --preset nothere"):
        evaluate(_config(workspace, preset="nothere"), progress=False)


# --------------------------------------------------------------------------- Ollama end to end


def test_evaluate_an_ollama_model_against_the_loopback_server(workspace, monkeypatch):
    with FakeOllama({"qwen2.5:1.5b": lambda prompt: "YES\nFAILURE_MODE: tipping\nREASONING: tall"}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        out = evaluate(_config(workspace, models=["ollama:qwen2.5:1.5b"]), progress=False)
        chats = [r for r in server.requests if r["path"] == "/api/chat"]
    assert len(chats) == N_TEST
    summary = json.loads((out / "summary.json").read_text())
    metrics = summary["models"]["ollama:qwen2.5:1.5b"]
    assert metrics["binary_accuracy"]["k"] == 6  # always "fails": right on the 6 failures
    assert metrics["unparsed"]["k"] == 0


# --------------------------------------------------------------------------- CLI


def test_cli_evaluate_report_and_list_with_the_majority_reference(workspace, capsys):
    assert cli.main(["evaluate", "--preset", "tiny", "--models", "majority", "--mode", "score",
                     "--eval-id", "maj", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "majority" in printed and "report.md" in printed
    folder = workspace["root"] / "results" / "evaluations" / "maj"
    assert (folder / "summary.json").is_file() and (folder / "report.md").is_file()

    assert cli.main(["evaluations", "list"]) == 0
    assert "maj" in capsys.readouterr().out
    (folder / "report.md").unlink()
    assert cli.main(["report", "maj"]) == 0
    assert "majority" in capsys.readouterr().out and (folder / "report.md").is_file()
    assert cli.main(["report", "nope"]) == 2
    assert "no evaluation 'nope'" in capsys.readouterr().err


def test_cli_evaluate_in_the_background_finishes_on_its_own(workspace, capsys):
    import time

    assert cli.main(["evaluate", "--preset", "tiny", "--models", "majority", "--eval-id", "bg", "--background"]) == 0
    assert "background job" in capsys.readouterr().out
    summary = workspace["root"] / "results" / "evaluations" / "bg" / "summary.json"
    deadline = time.monotonic() + 120  # a fresh interpreter imports physlab; no model is loaded
    while not summary.is_file() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert summary.is_file()
    assert json.loads(summary.read_text())["models"]["majority"]["n"] == N_TEST
    from physlab import jobs

    (job,) = jobs.list_jobs(workspace["root"] / "results" / "jobs")
    while job.status().get("state") not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)  # the runner records the exit after the evaluation wrote its files
    assert job.status()["state"] == "done"


def test_cli_predict_file_keeps_the_input_and_adds_the_answer(workspace, capsys):
    src = workspace["root"] / "in.jsonl"
    texts = ["A waiter robot carries a tray with a tall wine glass and stops suddenly.",
             "Robot grabs an egg really hard."]
    src.write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts)))
    dst = workspace["root"] / "out.jsonl"
    code = cli.main(["predict", "--model", "majority", "--preset", "tiny", "--file", str(src),
                     "--out", str(dst), "--mode", "score"])
    assert code == 0
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["text"] for r in rows] == texts and [r["id"] for r in rows] == [0, 1]
    for row in rows:
        assert row["decision"] in ("fails", "succeeds")
        assert "reasoning" in row and "mode" in row
        assert sum(row["probabilities"].values()) == pytest.approx(1.0)


def test_cli_predict_file_with_a_bad_line_names_the_line(workspace, capsys):
    src = workspace["root"] / "in.jsonl"
    src.write_text(json.dumps({"text": "fine"}) + "\n" + json.dumps({"txt": "typo"}) + "\n")
    assert cli.main(["predict", "--model", "majority", "--preset", "tiny", "--file", str(src)]) == 2
    assert f"{src}:2" in capsys.readouterr().err


def test_predict_reads_any_phrasing_and_never_crashes_on_junk():
    backend = DummyBackend(["Yes!! It will spill everywhere", "\x00", "It will not fail: the grip is ample."])
    answers = predict(backend, ["human text one", "two", "three"])
    assert [a["decision"] for a in answers] == ["fails", None, "succeeds"]
    assert answers[0]["mode"] == "sloshing"
    assert [a["text"] for a in answers] == ["human text one", "two", "three"]


# --------------------------------------------------------------------------- the embedded model


@pytest.mark.slow
def test_end_to_end_with_the_embedded_model_in_both_modes(workspace, capsys):
    """6 scenarios, base vs the majority reference, generate and score; then predict --file."""
    for mode in ("generate", "score"):
        config = _config(workspace, models=["base", "majority"], mode=mode, limit=6, batch_size=3,
                         max_new_tokens=16, eval_id=f"e2e-{mode}")
        out = evaluate(config, progress=False)
        records = read_records(out / "records.jsonl")
        assert len(records) == 12
        base = [r for r in records if r["model"] == "base"]
        summary = json.loads((out / "summary.json").read_text())
        assert summary["models"]["base"]["n"] == 6
        assert {r["metric"] for r in summary["mcnemar"]} >= {"binary", "eight_way"}
        if mode == "score":
            assert all(sum(r["probabilities"].values()) == pytest.approx(1.0) for r in base)
            assert all(r["parsed"]["label"] != "unparsed" for r in base)  # score mode never fails to parse
            assert summary["models"]["base"]["probabilities"]["roc_auc"] is not None
        else:
            assert all(r["raw_output"] for r in base)
        assert write_report(out).is_file()

    src = workspace["root"] / "free.jsonl"
    src.write_text(json.dumps({"text": "I push a full coffee mug across the desk really fast."}) + "\n")
    dst = workspace["root"] / "free_out.jsonl"
    assert cli.main(["predict", "--model", "base", "--file", str(src), "--out", str(dst), "--mode", "score"]) == 0
    row = json.loads(dst.read_text())
    assert row["decision"] in ("fails", "succeeds")
    assert math.isclose(sum(row["probabilities"].values()), 1.0, abs_tol=1e-6)
