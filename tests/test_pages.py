"""The dashboard's pages under streamlit.testing.v1.AppTest: with data and results present and
with none, every page renders without an exception and shows its key widgets and charts.

The workspace fixture is built from the real library (physics.assess, describe, evaluate's
record and summary code, metrics.summarize), so a format change there shows up here.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("overview", "scenarios", "train", "evaluate", "results", "predict", "errors", "compare")
TIMEOUT_S = 60

BASE = {
    "object": {"type": "mug", "shape": "cylinder", "material": "ceramic", "mass_kg": 0.35, "width_m": 0.08,
               "depth_m": 0.08, "height_m": 0.1, "com_height_m": 0.045},
    "gripper": {"kind": "parallel_jaw", "grip_force_n": 20.0, "payload_kg": 3.0, "pad_friction": 0.6},
    "motion": {"action": "pick_and_place", "lift_accel_mps2": 1.0, "transport_accel_mps2": 1.0},
}


@pytest.fixture(autouse=True, scope="module")
def _scan_components_once():
    """AppTest scans every installed distribution's metadata for Streamlit components at each
    AppTest (hundreds of packages, ~1 s of CPU): scan once and reuse the answer in this module."""
    from streamlit.components.v2 import manifest_scanner

    real = manifest_scanner.scan_component_manifests
    found: list = []

    def once(*args, **kwargs):
        if not found:
            found.append(real(*args, **kwargs))
        return found[0]

    manifest_scanner.scan_component_manifests = once
    yield
    manifest_scanner.scan_component_manifests = real


def _variant(i: int) -> dict:
    """Six scenarios with different labels: success, slipping, crushing, tipping on a tray, sloshing, dropping."""
    p = json.loads(json.dumps(BASE))
    if i == 1:
        p["gripper"]["grip_force_n"] = 1.0  # 0.35 kg on 2 x 0.6 x 1 N: slips
    elif i == 2:
        p["object"].update(type="egg", material="eggshell", mass_kg=0.06, width_m=0.045, depth_m=0.045,
                           height_m=0.06, com_height_m=0.03, crush_force_n=10.0)
        p["gripper"]["grip_force_n"] = 30.0
    elif i == 3:
        p["object"].update(type="bottle", material="glass", width_m=0.06, depth_m=0.06, height_m=0.3, com_height_m=0.15)
        p["motion"].update(action="tray_carry", carry="on_tray", transport_accel_mps2=4.0)
        p["environment"] = {"support_friction": 0.9}
    elif i == 4:
        p["object"].update(type="bowl_of_soup", material="ceramic", width_m=0.16, depth_m=0.16, height_m=0.07,
                           com_height_m=0.03, open_top=True, fill_fraction=0.9)
        p["motion"].update(transport_accel_mps2=3.0, ramp_time_s=0.05)
    elif i == 5:
        p["motion"]["release_height_m"] = 0.05
    return p


def make_data(root: Path, preset: str = "mini") -> Path:
    from physlab.describe import describe
    from physlab.physics import assess
    from physlab.schema import parse_scenario

    folder = root / preset
    folder.mkdir(parents=True)
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    for i in range(6):
        for split, copy in (("train", 0), ("test", 1)):
            params = {"id": f"{split}-{i}", "family": f"fam-{i % 3}", **_variant(i)}
            scenario = parse_scenario(params)
            a = assess(scenario)
            splits[split].append({
                "id": scenario.id, "split": split, "family": scenario.family, "action": scenario.motion.action,
                "object": scenario.object.type, "label": a.label, "ratios": a.ratios, "margin": a.margin,
                "explanation": a.explanation, "description": describe(scenario, random.Random(i + copy)),
                "params": scenario.model_dump(mode="json"),
            })
    for split, recs in splits.items():
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    (folder / "manifest.json").write_text(json.dumps({"preset": preset, "seed": 0,
                                                      "counts": {s: len(r) for s, r in splits.items()}}))
    return folder


def make_results(root: Path, data: Path) -> tuple[Path, Path]:
    """A finished run (metrics, config, manifest, status, adapter config) and an evaluation of
    base vs that run, scored with probabilities, summarized by the real metrics code."""
    from physlab.evaluate import EvalConfig, make_record, summarize_records

    run = root / "runs" / "run-a"
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_text("".join(
        json.dumps({"step": s, "epoch": s / 10, "loss": 3.0 / (1 + s), "learning_rate": 2e-4, "tokens_per_s": 500.0,
                    "elapsed_s": 2.0 * s}) + "\n" for s in range(1, 11)))
    (run / "config.json").write_text(json.dumps({"preset": "mini", "base_model": "embedded", "lora_r": 8}))
    (run / "manifest.json").write_text(json.dumps({"base_model": "embedded", "preset": "mini", "wall_time_s": 20.0}))
    (run / "status.json").write_text(json.dumps({"state": "done"}))
    (run / "adapter_config.json").write_text("{}")

    config = EvalConfig(preset="mini", split="test", models=["base", "run:run-a"], mode="score", eval_id="ev-1",
                        results_dir=str(root), data_dir=str(data.parent))
    scenarios = [json.loads(line) for line in (data / "test.jsonl").read_text().splitlines()]
    records = []
    for model, right_every in (("base", 3), ("run:run-a", 1)):
        for i, s in enumerate(scenarios):
            label = s["label"] if i % right_every == 0 else ("success" if s["label"] != "success" else "tipping")
            fails = label != "success"
            probs = {lab: 0.0 for lab in ("success", "tipping", "slipping", "crushing", "sloshing", "collision",
                                          "dropping", "rolling_away")}
            probs[label] = 0.7
            probs["success" if fails else "dropping"] += 0.3
            parsed = {"fails": fails, "mode": None if not fails else label, "label": label, "ok": True,
                      "reasoning": "because"}
            records.append(make_record(s, model, "PROMPT " + s["description"], f"{'YES' if fails else 'NO'} ...",
                                       parsed, probs, 0.1, "score"))
    ev = config.eval_dir
    ev.mkdir(parents=True)
    (ev / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (ev / "summary.json").write_text(json.dumps(summarize_records(records, config)))
    (ev / "config.json").write_text(json.dumps({"preset": "mini", "split": "test", "models": config.models, "mode": "score"}))
    return run, ev


def _line(text: str, phase: str, mode: str, value: float, true_r: float, verdict: str, numbers: list[tuple],
          errors: list[str] | None = None, check_ok: bool = True) -> dict:
    """One derivation line in the evaluation-record contract of the worked student."""
    return {"text": text, "phase": phase, "mode": mode, "formula": text.split(":", 1)[1].split("=")[0].strip(),
            "value": value, "verdict": verdict, "valid": True, "true_ratio": true_r, "check_ok": check_ok,
            "numbers": [{"slot": s_, "copied": c, "expected": e, "exact": c == e} for s_, c, e in numbers],
            "errors": list(errors or [])}


TEACHER = ["lift dropping: 0.35/3 = 0.117 ok", "lift slipping: 0.35*(9.81+1)/(2*0.6*20) = 0.158 ok", "NO",
           "FAILURE_MODE: none"]


def worked_answer(i: int) -> tuple[str, list[dict], list[str]]:
    """(raw text, derivation, reasoning errors) of scenario i: right on even i, a miscopied mass on odd i,
    a wrong verdict on i = 3."""
    ok = _line("lift dropping: 0.35/3 = 0.117 ok", "lift", "dropping", 0.117, 0.117, "ok", [("mass", 0.35, 0.35)])
    if i % 2 == 0:
        second = _line("lift slipping: 0.35*(9.81+1)/(2*0.6*20) = 0.158 ok", "lift", "slipping", 0.158, 0.158, "ok",
                       [("mass", 0.35, 0.35), ("grip", 20.0, 20.0)])
        errors: list[str] = []
    elif i == 3:
        second = _line("lift slipping: 0.35*(9.81+1)/(2*0.6*2) = 1.58 ok", "lift", "slipping", 1.58, 0.158, "ok",
                       [("mass", 0.35, 0.35), ("grip", 2.0, 20.0)], ["wrong_number", "wrong_verdict"])
        errors = ["wrong_number", "wrong_verdict"]
    else:
        second = _line("lift slipping: 0.53*(9.81+1)/(2*0.6*20) = 0.239 ok", "lift", "slipping", 0.239, 0.158, "ok",
                       [("mass", 0.53, 0.35), ("grip", 20.0, 20.0)], ["wrong_number"])
        errors = ["wrong_number"]
    derivation = [ok, second]
    if i == 3:  # its lift line is over 1 (its verdict aside): a --compare student ends the phase with a comparison
        derivation.append({"text": "lift largest: max(slipping=1.580) = slipping", "phase": "lift", "mode": "largest",
                           "formula": "max(slipping=1.580)", "value": None, "verdict": None, "valid": True,
                           "true_ratio": None, "check_ok": False, "errors": [], "result": "slipping",
                           "expected_result": "slipping",
                           "numbers": [{"slot": "slipping", "copied": 1.58, "expected": 1.58, "exact": True}]})
    raw = "\n".join(line["text"] for line in derivation) + "\nNO\nFAILURE_MODE: none"
    return raw, derivation, errors


def make_worked_results(root: Path, data: Path) -> Path:
    """An evaluation of majority, base and a worked student (run:worked-a, generate mode) whose
    records carry derivations and whose summary carries reasoning_errors and copied_numbers, as the
    worked student's contract says; plus a second run (run-b) with another recipe and a name, and an
    evaluation of run-a's checkpoint at step 5 (a learning-curve point)."""
    from physlab.evaluate import EvalConfig, make_record, summarize_records

    run = root / "runs" / "worked-a"
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": 2.0 / s, "tokens_per_s": 400.0}) + "\n"
                                               for s in range(1, 6)) + json.dumps({"step": 5, "eval_loss": 0.9}) + "\n")
    (run / "config.json").write_text(json.dumps({"preset": "mini", "base_model": "embedded", "lora_r": 16, "lora_alpha": 32,
                                                 "target_modules": ["q_proj", "v_proj"], "learning_rate": 1e-4,
                                                 "epochs": 2, "curriculum": "data/mini/curriculum-worked.jsonl"}))
    (run / "manifest.json").write_text(json.dumps({"base_model": "embedded", "preset": "mini", "total_steps": 5,
                                                   "train_examples": 6, "wall_time_s": 12.5, "effective_batch": 4}))
    (run / "status.json").write_text(json.dumps({"state": "done"}))
    (run / "adapter_config.json").write_text("{}")
    (run / "adapter_model.safetensors").write_bytes(b"\0" * 64)
    (run / "labels.json").write_text(json.dumps({"name": "worked first try", "tags": ["worked"]}))
    scenarios = [json.loads(line) for line in (data / "test.jsonl").read_text().splitlines()]
    config = EvalConfig(preset="mini", split="test", models=["majority", "base", "run:worked-a"], mode="generate",
                        eval_id="ev-worked", results_dir=str(root), data_dir=str(data.parent))
    records = []
    for model in config.models:
        for i, s in enumerate(scenarios):
            if model == "run:worked-a":
                raw, derivation, errors = worked_answer(i)
                label = "success"
            else:
                label = "success" if model == "majority" else (s["label"] if i % 2 else "tipping")
                raw = f"{'NO' if label == 'success' else 'YES'}"
            fails = label != "success"
            parsed = {"fails": fails, "mode": label if fails else None, "label": label, "ok": True, "reasoning": ""}
            rec = make_record(s, model, "PROMPT " + s["description"], raw, parsed, None, 0.1, "generate")
            if model == "run:worked-a":
                rec.update(derivation=derivation, teacher_derivation=TEACHER, reasoning_errors=errors)
            records.append(rec)
    summary = summarize_records(records, config)
    worked = [r for r in records if r["model"] == "run:worked-a"]
    cats: dict[str, dict] = {}
    for r in worked:
        for cat in r["reasoning_errors"]:
            cats.setdefault(cat, {"count": 0, "examples": []})
            cats[cat]["count"] += 1
            cats[cat]["examples"].append(r["scenario_id"])
    numbers = [n for r in worked for line in r["derivation"] for n in line["numbers"]]
    summary["models"]["run:worked-a"].update(reasoning_errors=cats,
                                             copied_numbers={"exact": sum(n["exact"] for n in numbers), "total": len(numbers)})
    ev = config.eval_dir
    ev.mkdir(parents=True)
    (ev / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (ev / "summary.json").write_text(json.dumps(summary))
    (ev / "config.json").write_text(json.dumps({"preset": "mini", "split": "test", "models": config.models, "mode": "generate"}))

    # A checkpoint of run-a evaluated at step 5: with run-a's final adapter (10 steps) two learning-curve points.
    ck = EvalConfig(preset="mini", split="test", models=["run:run-a@5"], mode="score", eval_id="ev-ckpt",
                    results_dir=str(root), data_dir=str(data.parent))
    ck_records = [make_record(s, "run:run-a@5", "P", "NO", {"fails": False, "mode": None, "label": "success", "ok": True},
                              None, 0.1, "score") for s in scenarios]
    ck.eval_dir.mkdir(parents=True)
    (ck.eval_dir / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ck_records))
    (ck.eval_dir / "summary.json").write_text(json.dumps(summarize_records(ck_records, ck)))
    (ck.eval_dir / "config.json").write_text(json.dumps({"preset": "mini", "split": "test", "models": ck.models}))
    return ev


@pytest.fixture()
def worked_workspace(full_workspace) -> tuple[Path, Path]:
    data, results = full_workspace
    make_worked_results(results, data / "mini")
    return data, results


@pytest.fixture()
def full_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    data, results = tmp_path / "data", tmp_path / "results"
    folder = make_data(data)
    make_results(results, folder)
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(data))
    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(results))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens: no Ollama models offered
    return data, results


@pytest.fixture()
def empty_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    return tmp_path / "data", tmp_path / "results"


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts_of(at: AppTest) -> list:
    return at.get("plotly_chart")


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption]
    parts += [t.value for t in at.title] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


# --------------------------------------------------------------------------- empty workspace


@pytest.mark.parametrize("page", PAGES)
def test_every_page_without_data_says_what_to_do_next(page: str, empty_workspace) -> None:
    at = open_page(page)
    shown = texts(at)
    assert "physlab data generate" in shown or "physlab evaluate" in shown, shown


def test_scenarios_page_without_data_offers_generate(empty_workspace) -> None:
    at = open_page("scenarios")
    assert any(b.label == "Generate" for b in at.button)


def test_torch_is_not_imported_by_the_read_side_modules() -> None:
    import subprocess

    code = ("import sys, physlab.charts, physlab.results_io, physlab.launch, physlab.whatif; import pages._common; "
            "assert 'torch' not in sys.modules, 'torch imported'; assert 'transformers' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(APP).parent, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- with data


def test_overview_counts_and_headline(full_workspace) -> None:
    at = open_page("overview")
    values = {m.label: m.value for m in at.metric}
    assert values["Datasets"] == "1" and values["Scenarios"] == "12"
    assert values["Training runs"] == "1" and values["Evaluations"] == "1"
    table = at.table[0].value
    assert set(table["model"]) == {"base", "run:run-a"}


def test_scenarios_filters_and_detail(full_workspace) -> None:
    at = open_page("scenarios")
    assert "12 of 12 scenarios" in texts(at)
    at.multiselect(key="scen_label").set_value(["slipping"]).run()
    assert not at.exception
    assert "2 of 12 scenarios" in texts(at)
    # The detail view: ratio bars with the r = 1 line and the set-up drawing, plus the physics lines.
    figures = [c.proto.spec for c in charts_of(at)]
    assert any("r = 1" in spec for spec in figures)
    assert any("Set-up" in spec for spec in figures)
    assert any("slipping" in c.value for c in at.code)


def test_scenarios_search_with_no_match_says_so(full_workspace) -> None:
    at = open_page("scenarios")
    at.text_input(key="scen_query").set_value("no such scenario").run()
    assert not at.exception
    assert any("No scenario matches" in w.value for w in at.warning)


def test_results_side_by_side(full_workspace) -> None:
    at = open_page("results")
    figures = [json.loads(c.proto.spec) for c in charts_of(at)]
    titles = [str(f["layout"].get("title", {}).get("text", "")) for f in figures]
    # accuracy bars, two confusion heatmaps, F1, margin, calibration, loss curve
    assert len(figures) >= 7, titles
    assert sum(any(t.get("type") == "heatmap" for t in f["data"]) for f in figures) == 2
    assert any("Wilson" in t for t in titles) and any("Calibration" in t for t in titles)
    assert any("Training loss" in t for t in titles)
    bars = next(f for f in figures if "Wilson" in str(f["layout"]["title"]))
    assert {t["name"] for t in bars["data"]} == {"base", "run:run-a"}
    assert all(t["error_y"]["array"] for t in bars["data"])  # 95% intervals drawn
    assert len(at.table) >= 2  # headline table and McNemar tests
    mcnemar = at.table[1].value
    assert set(mcnemar["metric"]) >= {"binary", "eight_way"}


def test_errors_drill_down(full_workspace) -> None:
    at = open_page("errors")
    cell = at.selectbox(key="err_cell")
    assert cell.options and "truth" in cell.options[0]
    # the base model is wrong on 2 of 3 scenarios: its wrong cells are offered first
    at.selectbox(key="err_focus").set_value("base").run()
    assert not at.exception
    assert "✓" not in at.selectbox(key="err_cell").value
    assert any(t.label == "Raw output" for t in at.text_area)
    assert len([t for t in at.text_area if t.label == "Raw output"]) == 2  # base and the student side by side


def test_train_page_lists_runs_and_validates(full_workspace) -> None:
    at = open_page("train")
    assert any(d.value is not None and "run-a" in list(d.value["run"]) for d in at.dataframe)
    modules = next(t for t in at.text_input if t.label.startswith("Target modules"))
    modules.set_value(" , ")  # no module -> a validation error naming the field, and no job
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception
    assert any("target_modules" in e.value for e in at.error), [e.value for e in at.error]
    assert not (full_workspace[1] / "jobs").exists() or not any((full_workspace[1] / "jobs").iterdir())


def test_train_page_worked_recipe_builds_its_curriculum_and_launches_its_config(full_workspace) -> None:
    """The worked recipe: its own starting values, a button that writes curriculum-worked.jsonl
    with the physics teacher, and Start training asks for exactly the recipe's config (an
    identical job already running is refused, so nothing is spawned here)."""
    import os

    from physlab import launch
    from physlab.train import train_argv

    data, results = full_workspace
    at = open_page("train")
    at.radio(key="train_recipe").set_value("worked").run()
    assert not at.exception, [e.value for e in at.exception]
    values = {n.label: n.value for n in at.number_input}
    assert values["LoRA rank r"] == 16 and values["Learning rate"] == 1e-3
    assert values["LoRA blocks (last N, 0 = all)"] == 22 and values["Time budget, minutes (0 = none)"] == 58.0
    assert next(t for t in at.text_input if t.label.startswith("Target modules")).value == "all-linear"
    next(b for b in at.button if b.label == "Build worked curriculum for mini").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    meta = json.loads((data / "mini" / "curriculum-worked.jsonl.meta.json").read_text())
    assert meta["format"] == "worked" and meta["na_lines"] is False and meta["compare"] is True
    assert not any(b.label == "Build worked curriculum for mini" for b in at.button)
    assert not at.warning  # built by the recipe: nothing differs
    assert launch.curriculum_command("mini", "worked") == (
        "physlab curriculum build --preset mini --format worked --rare-target 250 --max-variants 6 "
        "--balance-by formula --set-down 0.1 --tilt 1 --stop 0.6 --decide-target 40 --compare")
    sidecar = data / "mini" / "curriculum-worked.jsonl.meta.json"
    sidecar.write_text(json.dumps({**meta, "compare": False}))
    at.run()
    assert any("compare: False, the recipe says True" in w.value for w in at.warning), [w.value for w in at.warning]
    sidecar.write_text(json.dumps({**meta, "copy_wording": "wide"}))  # built with --copy-wording wide
    at.run()
    assert any("copy_wording: wide, the recipe says train" in w.value for w in at.warning), [w.value for w in at.warning]
    sidecar.write_text(json.dumps(meta))
    at.run()

    config = launch.training_config(launch.recipe_form("worked", "mini"))
    assert config.curriculum == str(data / "mini" / "curriculum-worked.jsonl")
    assert (config.lora_layers, config.max_length, config.answer_logits, config.decision_weight) == (22, 768, False, 4.0)
    # try 15 (BENCHMARKS.md): batches of 2, twice the optimizer steps of try 13 for the same examples
    assert (config.batch_size, config.max_steps, config.max_minutes) == (2, 920, 58.0)
    # the page's summary line is written from the recipe, so it shows the same values
    assert any("920 steps of 2 examples, at most 58 minutes" in m.value for m in at.markdown), \
        [m.value for m in at.markdown]
    with pytest.raises(ValueError, match="recipe: one of answer, worked"):
        launch.recipe_form("pure", "mini")
    form = launch.recipe_form("worked", "mini")
    for bad, message in ((replace(form, lora_layers=2000), r"lora_layers: 0 \(off\) to 1024 \(got 2000\)"),
                         (replace(form, max_minutes=-1.0), r"max_minutes: 0 \(off\) to 10080 \(got -1\)")):
        with pytest.raises(ValueError, match=message):
            launch.training_config(bad)
    twin = results / "jobs" / "20250101-000000-train-abc123"
    twin.mkdir(parents=True)
    (twin / "status.json").write_text(json.dumps({"job_id": twin.name, "kind": "train", "state": "running",
                                                  "pid": os.getpid(), "command": train_argv(config)}))
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("identical job" in w.value for w in at.warning), [w.value for w in at.warning]
    # A bad number names its field
    next(n for n in at.number_input if n.label.startswith("LoRA blocks")).set_value(-1)
    next(b for b in at.button if b.label == "Start training").click().run()
    assert any("lora_layers" in e.value for e in at.error), [e.value for e in at.error]
    # Back on the published recipe, the published values
    at.radio(key="train_recipe").set_value("answer").run()
    assert {n.label: n.value for n in at.number_input}["LoRA rank r"] == 8


def test_evaluate_page_form(full_workspace) -> None:
    at = open_page("evaluate")
    models = at.multiselect[0]
    assert "base" in models.options and "run:run-a" in models.options
    assert not any(o.startswith("ollama:") for o in models.options)


def test_predict_physics_and_sweep_without_models(full_workspace) -> None:
    at = open_page("predict")
    assert any("Physics truth" in m.value for m in at.markdown)
    # how a worked student reads the description's numbers, before any model is asked
    reading = _reading_table(at)
    assert reading is not None and len(reading) >= 3
    at.multiselect(key="pred_models").set_value([]).run()
    at.selectbox(key="pred_sweep_param").set_value("gripper.grip_force_n").run()
    at.button(key="pred_sweep").click().run()
    assert not at.exception
    assert any("What if" in c.proto.spec for c in charts_of(at))


def test_predict_bad_parameter_is_an_error_not_a_traceback(full_workspace) -> None:
    at = open_page("predict")
    at.selectbox(key="pred_id").set_value("test-0").run()
    at.number_input(key="pred_edit_test-0_object.mass_kg").set_value(-1.0).run()
    assert not at.exception
    assert any("mass_kg" in e.value for e in at.error)


def test_generate_button_writes_the_seed_preset(empty_workspace) -> None:
    at = open_page("scenarios")
    at.selectbox[0].set_value("seed")
    next(b for b in at.button if b.label == "Generate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    data, _ = empty_workspace
    assert (data / "seed" / "train.jsonl").exists() and (data / "seed" / "manifest.json").exists()
    # After the rerun the page browses the new data.
    assert any("scenarios" in c.value and " of " in c.value for c in at.caption)


@pytest.mark.slow
def test_train_launch_and_cancel_through_the_page(full_workspace) -> None:
    """Start a short run (20 steps at most) on the embedded model from the form, see its first step
    logged and its progress on a fresh session, cancel it after that step."""

    from physlab.cli import build_parser
    from physlab.jobs import Job

    assert "train" in build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    data, results = full_workspace
    at = open_page("train")
    # Training needs a curriculum: the page offers to build it with the physics teacher.
    next(b for b in at.button if b.label == "Build curriculum for mini").click().run()
    assert (data / "mini" / "curriculum.jsonl").exists()
    next(n for n in at.number_input if n.label.startswith("Max steps")).set_value(20)
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Training queued" in s.value for s in at.success)
    # Job folders only: the queue's lock file (.lock) lives beside them.
    (job_folder,) = [p for p in (results / "jobs").iterdir() if p.is_dir()]
    job = Job.load(job_folder)
    try:
        _watch_and_cancel_from_a_fresh_session(job)
    finally:
        job.cancel()  # never leave a training process behind, whatever failed above


def _watch_and_cancel_from_a_fresh_session(job) -> None:
    import time

    from physlab.jobs import process_alive

    deadline = time.time() + 60
    while job.state == "queued" and time.time() < deadline:
        time.sleep(0.5)
    assert job.state == "running", job.status()
    # Wait for the first logged optimizer step (model load ~15 s on the CPU, a step ~2 s).
    metrics = Path(job.status()["outputs"]["run_dir"]) / "metrics.jsonl"
    deadline = time.time() + 120
    while not (metrics.exists() and metrics.read_text().strip()) and job.state == "running" and time.time() < deadline:
        time.sleep(1)
    assert metrics.exists() and metrics.read_text().strip(), job.log_tail()
    # A fresh session (a reload, a second tab) re-attaches: live progress and loss, and Cancel.
    at = open_page("train")
    # 20 steps take far longer than the first one: a run that ended here crashed (or the
    # step cap was ignored), which is a failure to see, never a skip.
    assert job.state == "running", (job.status(), job.log_tail())
    assert at.get("progress") and any("Training loss" in c.proto.spec for c in charts_of(at))
    cancel = [b for b in at.button if b.label == "Cancel"]
    assert len(cancel) == 1
    cancel[0].click().run()
    assert not at.exception
    status = job.status()
    assert status["state"] == "cancelled", status
    assert not process_alive(status.get("pid"), status.get("proc_start"))


def test_evaluate_launch_through_the_page_lands_in_results(full_workspace) -> None:
    """A real background `physlab evaluate` (the majority reference: no model to load) started
    from the form; when it ends, the Results page offers it."""
    from physlab.jobs import list_jobs

    _, results = full_workspace
    at = open_page("evaluate")
    at.multiselect[0].set_value(["majority"])
    next(n for n in at.number_input if n.label.startswith("Only the first")).set_value(3)
    next(b for b in at.button if b.label == "Start evaluation").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (job,) = list_jobs(results / "jobs")
    status = job.wait(timeout=120)
    assert status["state"] == "done", job.log_tail()
    at = open_page("results")
    evaluations = at.selectbox(key="res_eval").options
    assert len(evaluations) == 2 and any(e.startswith("mini-test-") for e in evaluations)


@pytest.mark.slow
def test_predict_with_the_embedded_model_answers_and_sweeps(full_workspace) -> None:
    """The base model (embedded SmolLM2) answers one scenario with probabilities (score mode:
    written reasoning is left out to keep this under a minute), and the what-if sweep plots its
    P(fail) next to the physics ratio."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("pages/predict.py").run()
    at.multiselect(key="pred_models").set_value(["base"])
    at.checkbox(key="pred_reason").uncheck().run()
    at.button(key="pred_ask").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any(m.value.startswith("**Scored answer** (the most likely of the 8 canonical answers): **")
               for m in at.markdown)
    figures = [json.loads(c.proto.spec) for c in charts_of(at)]
    probs = next(f for f in figures if "probability per answer" in str(f["layout"]["title"]).lower())
    assert sum(probs["data"][0]["y"]) == pytest.approx(1.0, abs=1e-3)
    at.number_input(key="pred_points").set_value(3)
    at.button(key="pred_sweep").click().run()
    assert not at.exception and not at.error
    sweep = next(json.loads(c.proto.spec) for c in charts_of(at) if "What if" in c.proto.spec)
    p_fail = next(t for t in sweep["data"] if t["name"] == "P(fail) · base")
    assert len(p_fail["y"]) == 3 and all(0.0 <= p <= 1.0 for p in p_fail["y"])


def test_train_page_reattaches_to_a_running_run(full_workspace) -> None:
    """A run folder whose status says running (with a live pid) shows progress and its loss curve
    on any fresh session: the page reads state from disk, not from the session that started it."""
    import os

    _, results = full_workspace
    run = results / "runs" / "run-live"
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": 2.0 - 0.1 * s, "tokens_per_s": 300.0,
                                                           "elapsed_s": 3.0 * s}) + "\n" for s in range(1, 6)))
    (run / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid(), "total_steps": 20, "step": 5}))
    at = open_page("train")
    bars = at.get("progress")
    assert len(bars) == 1
    assert bars[0].proto.value == 25  # 5 of 20 steps
    assert "step 5 of 20" in bars[0].proto.text
    assert any("run-live" in c.proto.spec and "Training loss" in c.proto.spec for c in charts_of(at))


def test_a_running_state_whose_process_died_reads_as_failed(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from physlab import results_io as rio

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    (tmp_path / "status.json").write_text(json.dumps({"state": "running", "pid": proc.pid}))
    status = rio.read_status(tmp_path)
    assert status["state"] == "failed" and status["error"]
    (tmp_path / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    assert rio.read_status(tmp_path)["state"] == "running"  # a live process keeps its state
    # A run whose cancel was asked and whose process is gone reads as cancelled (the library's word).
    (tmp_path / "status.json").write_text(json.dumps({"state": "running", "pid": proc.pid, "cancel_requested": True}))
    assert rio.read_status(tmp_path)["state"] == "cancelled"


# --------------------------------------------------------------------------- new views (issue 13)


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in charts_of(at)]


def _title(fig: dict) -> str:
    return str((fig["layout"].get("title") or {}).get("text", ""))


def test_overview_shows_the_evaluation_with_a_student_and_says_why(worked_workspace) -> None:
    at = open_page("overview")
    # ev-ckpt (one checkpoint alone) is the newest; the comparison shown is the one with a student and baselines.
    assert set(at.table[0].value["model"]) == {"majority", "base", "run:worked-a"}
    assert any("ev-worked" in c.value and "with a student" in c.value for c in at.caption)


def test_results_switching_evaluations_keeps_the_student(worked_workspace) -> None:
    at = open_page("results")
    at.selectbox(key="res_eval").set_value("ev-1").run()
    assert at.multiselect(key="res_models_ev-1").value == ["base", "run:run-a"]
    at.multiselect(key="res_models_ev-1").set_value(["base"]).run()
    at.selectbox(key="res_eval").set_value("ev-worked").run()
    assert not at.exception
    assert "run:worked-a" in at.multiselect(key="res_models_ev-worked").value
    assert not any("No training run among these models" in c.value for c in at.caption)


def test_results_mcnemar_pairs_default_to_student_vs_majority_and_base(worked_workspace) -> None:
    at = open_page("results")
    at.selectbox(key="res_eval").set_value("ev-worked").run()
    pairs = at.multiselect(key="res_pairs_ev-worked")
    assert pairs.value == ["majority vs run:worked-a", "base vs run:worked-a"]
    pairs.set_value(["majority vs base"]).run()
    assert not at.exception
    table = at.table[1].value
    assert set(table["pair"]) == {"majority vs base"}


def test_results_axis_and_legend_faults(worked_workspace) -> None:
    at = open_page("results")
    figures = _figures(at)
    bars = next(f for f in figures if "Wilson" in _title(f))
    assert all("macro" not in str(x).lower() for t in bars["data"] for x in t["x"])  # no F1 on an accuracy axis
    # A model has the same colour in every chart.
    colours: dict[str, set] = {}
    for f in figures:
        for t in f["data"]:
            c = (t.get("marker") or {}).get("color") if t.get("type") == "bar" else (t.get("line") or {}).get("color")
            if isinstance(c, str) and t.get("name") in ("base", "majority", "run:worked-a"):
                colours.setdefault(t["name"], set()).add(c)
    assert len(colours) == 3 and all(len(c) == 1 for c in colours.values()), colours
    assert colours["base"] != colours["run:worked-a"]
    # Confusion cells carry a clickable layer naming (truth, answer).
    heat = next(f for f in figures if any(t.get("type") == "heatmap" for t in f["data"]))
    assert any(t.get("customdata") and len(t["customdata"][0]) == 2 for t in heat["data"] if t.get("type") == "scatter")


def test_a_confusion_click_lands_on_errors_with_that_cell(worked_workspace) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    # What a click on Results' heatmap stores before switching page.
    at.session_state["errors_goto"] = {"eval_id": "ev-1", "model": "base", "truth": "slipping", "answer": "success"}
    at.switch_page("pages/errors.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="err_eval").value == "ev-1"
    assert at.selectbox(key="err_focus").value == "base"
    assert at.selectbox(key="err_cell").value.startswith("truth slipping → answered success")


def test_errors_reasoning_breakdown_and_derivation_side_by_side(worked_workspace) -> None:
    at = open_page("errors")
    at.selectbox(key="err_eval").set_value("ev-worked").run()
    assert not at.exception
    bars = next(f for f in _figures(at) if "Reasoning errors" in _title(f))
    counts = dict(zip(bars["data"][0]["x"], bars["data"][0]["y"], strict=True))
    assert counts == {"wrong_number": 3, "wrong_verdict": 1}
    assert any("numbers copied exactly" in c.value for c in at.caption)
    at.selectbox(key="err_kind").set_value("run:worked-a · wrong_verdict").run()
    listed = next(d.value for d in at.dataframe if d.value is not None and "errors" in d.value.columns)
    assert list(listed["scenario"]) == ["test-3"]
    html = "\n".join(m.value for m in at.markdown)
    assert "physics teacher" in html and "<mark" in html  # the differing words highlighted
    marks = next(d.value for d in at.dataframe if d.value is not None and "numbers" in d.value.columns)
    assert any("grip: 2.0 (description 20.0)" in v for v in marks["numbers"])
    assert any("✗" in v for v in marks["verdict"])
    # a comparison line is judged against the lines above it, not as a physics check
    assert list(marks["check"])[-1] == "compares the phase's failing lines"
    assert list(marks["verdict"])[-1] == "slipping ✓" and list(marks["numbers"])[-1] == "✓ the lines' values"


def test_predict_labels_both_answers_and_marks_a_derivation(worked_workspace, monkeypatch) -> None:
    import physlab.backends as backends
    import physlab.evaluate as evaluate

    class Fake(backends.Backend):
        supports_score = True
        name = "fake"

    raw, derivation, _ = worked_answer(3)

    def fake_predict(backend, texts, mode="generate", **kw):
        if mode == "score":
            probs = {lab: 0.0 for lab in ("success", "tipping", "slipping", "crushing", "sloshing", "collision",
                                          "dropping", "rolling_away")}
            probs["slipping"] = 1.0
            return [{"text": t, "label": "slipping", "decision": "fails", "mode": "slipping", "probabilities": probs,
                     "raw_output": "YES", "reasoning": "", "ok": True} for t in texts]
        return [{"text": t, "label": "success", "decision": "succeeds", "mode": None, "raw_output": raw,
                 "reasoning": "", "ok": True, "probabilities": None, "derivation": derivation} for t in texts]

    monkeypatch.setattr(backends, "make_backend", lambda spec, **kw: Fake())
    monkeypatch.setattr(evaluate, "predict", fake_predict)
    at = open_page("predict")
    at.multiselect(key="pred_models").set_value(["run:worked-a"]).run()
    at.button(key="pred_ask").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Written answer** (greedy text, parsed): **success**" in shown
    assert "**Scored answer** (the most likely of the 8 canonical answers): **slipping**" in shown
    assert any("disagree" in w.value for w in at.warning)
    marks = next(d.value for d in at.dataframe if d.value is not None and "verdict" in d.value.columns)
    assert list(marks["line"]) == [line["text"] for line in derivation]
    assert "✓ physics checks this" in set(marks["check"])
    assert any("1.58 vs true 0.158 ✗" == v for v in marks["r"])


def test_predict_says_why_it_cannot_ask(worked_workspace) -> None:
    at = open_page("predict")
    at.multiselect(key="pred_models").set_value([]).run()
    assert at.button(key="pred_ask").disabled
    assert any("pick at least one model" in c.value for c in at.caption)


def test_what_if_range_follows_the_scenario(full_workspace) -> None:
    at = open_page("predict")
    at.selectbox(key="pred_id").set_value("test-0").run()
    at.selectbox(key="pred_sweep_param").set_value("gripper.grip_force_n").run()
    first = [n.value for n in at.number_input if n.label == "to"]
    at.selectbox(key="pred_id").set_value("test-2").run()  # the egg, held at 30 N
    second = [n.value for n in at.number_input if n.label == "to"]
    assert first == [40.0] and second == [60.0], (first, second)


def test_train_rejects_an_empty_base_model_and_bad_numbers(full_workspace) -> None:
    at = open_page("train")
    next(t for t in at.text_input if t.label == "Base model").set_value("  ")
    next(b for b in at.button if b.label == "Start training").click().run()
    assert any("base_model" in e.value for e in at.error), [e.value for e in at.error]
    next(t for t in at.text_input if t.label == "Base model").set_value("embedded")
    next(n for n in at.number_input if n.label == "LoRA rank r").set_value(0)
    next(b for b in at.button if b.label == "Start training").click().run()
    assert any("lora_r" in e.value for e in at.error), [e.value for e in at.error]
    assert not (full_workspace[1] / "jobs").exists() or not any(p.is_dir() for p in (full_workspace[1] / "jobs").iterdir())


def test_an_identical_job_already_running_is_refused(full_workspace) -> None:
    import os

    from physlab import launch

    jobs = full_workspace[1] / "jobs" / "20250101-000000-evaluate-abc123"
    jobs.mkdir(parents=True)
    argv = [sys.executable, "-m", "physlab", *launch.evaluate_argv(type("C", (), {
        "preset": "mini", "split": "test", "models": ["majority"], "mode": "score", "batch_size": 8,
        "max_new_tokens": 64, "fewshot_k": 4, "precision": "auto", "eval_id": "first", "limit": 3})())]
    (jobs / "status.json").write_text(json.dumps({"job_id": jobs.name, "kind": "evaluate", "state": "running",
                                                  "pid": os.getpid(), "command": argv}))
    at = open_page("evaluate")
    at.multiselect[0].set_value(["majority"])
    next(n for n in at.number_input if n.label.startswith("Only the first")).set_value(3)
    next(b for b in at.button if b.label == "Start evaluation").click().run()
    assert not at.exception
    assert any("identical job" in w.value for w in at.warning), [w.value for w in at.warning]
    assert [p.name for p in (full_workspace[1] / "jobs").iterdir() if p.is_dir()] == [jobs.name]


def test_compare_runs_table_diff_leaderboard_curve_and_download(worked_workspace) -> None:
    at = open_page("compare")
    assert not at.exception, [e.value for e in at.exception]
    table = at.get("arrow_data_frame")
    runs = next(d.value for d in at.dataframe if d.value is not None and "alpha" in d.value.columns) \
        if at.dataframe else None
    assert runs is not None, table
    assert {"base model", "format", "r", "alpha", "modules", "lr", "epochs", "steps", "examples", "wall time (s)",
            "tokens/s"} <= set(runs.columns)
    assert set(runs["run"]) == {"run-a", "worked-a"}
    assert dict(zip(runs["run"], runs["format"], strict=True))["worked-a"] == "worked"
    at.text_input(key="cmp_filter").set_value("worked").run()
    assert len(next(d.value for d in at.dataframe if d.value is not None and "alpha" in d.value.columns)) == 1
    # The config diff names the fields that differ.
    diff = next(d.value for d in at.dataframe if d.value is not None and "field" in d.value.columns)
    assert "config.lora_r" in set(diff["field"])
    figures = _figures(at)
    board = next(f for f in figures if "Leaderboard" in _title(f))
    assert board["data"][0]["error_x"]["array"]  # intervals
    curve = next(f for f in figures if "Learning curve" in _title(f))
    assert list(curve["data"][0]["x"]) == [5, 10]  # run-a (the most steps): its step-5 checkpoint and final adapter
    at.selectbox(key="cmp_curve_run").set_value("worked-a").run()
    curve = next(f for f in _figures(at) if "Learning curve" in _title(f))
    assert list(curve["data"][0]["x"]) == [5]  # worked-a: its final adapter alone
    loss = next(f for f in figures if "validation loss" in _title(f).lower())
    assert any("validation" in t["name"] for t in loss["data"])
    assert at.get("download_button"), "no adapter download"


def test_loss_charts_say_when_a_run_logged_a_weighted_loss(worked_workspace) -> None:
    from physlab import results_io as rio

    _, results = worked_workspace
    assert rio.run_of_spec("run:worked-a:grammar") == rio.run_of_spec("run:worked-a") == "worked-a"
    assert rio.run_of_spec("majority") is None and rio.run_of_spec("run:") is None
    assert rio.run_of_spec("run:worked-a@5") == rio.run_of_spec("run:worked-a/checkpoint-5") == "worked-a"
    assert rio.loss_weight_note(rio.list_runs()) is None  # plain losses: no caption
    config_path = results / "runs" / "worked-a" / "config.json"
    config_path.write_text(json.dumps({**json.loads(config_path.read_text()), "decision_weight": 4.0}))
    at = open_page("train")
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.multiselect(key="train_curves").value) == {"run-a", "worked-a"}
    assert any("Weighted loss: worked-a (×4)" in c.value for c in at.caption), [c.value for c in at.caption]
    at.multiselect(key="train_curves").set_value(["run-a"]).run()
    assert not any("Weighted loss" in c.value for c in at.caption)


def test_compare_names_tags_and_deletes_runs(worked_workspace) -> None:
    from physlab import results_io as rio

    _, results = worked_workspace
    rio.set_run_labels(results / "runs" / "run-a", "baseline recipe", "seed, published")
    at = open_page("compare")
    at.multiselect(key="cmp_tags").set_value(["published"]).run()
    runs = next(d.value for d in at.dataframe if d.value is not None and "alpha" in d.value.columns)
    assert list(runs["name"]) == ["baseline recipe"]
    at.multiselect(key="cmp_delete").set_value(["run-a"])
    at.checkbox(key="cmp_delete_sure").check().run()
    at.button(key="cmp_delete_go").click().run()
    assert not at.exception
    assert not (results / "runs" / "run-a").exists() and (results / "runs" / "worked-a").exists()


def test_adapter_zip_holds_the_peft_folder(worked_workspace) -> None:
    import io
    import zipfile

    from physlab import results_io as rio

    data = rio.adapter_zip(worked_workspace[1] / "runs" / "worked-a")
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"worked-a/adapter_config.json", "worked-a/adapter_model.safetensors"} <= names
    assert "worked-a/status.json" not in names


def test_predict_free_text_shows_each_numbers_role_and_the_implied_checks(full_workspace) -> None:
    at = open_page("predict")
    at.radio(key="pred_source").set_value("Free text").run()
    at.text_area(key="pred_text").set_value(
        "A glass of water, 65 mm diameter and 120 mm tall, filled to 0.85 of its height, on a tray; "
        "the tray reaches 4 m/s² in 40 ms.").run()
    assert not at.exception
    reading = _reading_table(at)
    assert reading is not None
    roles = dict(zip(reading["number"], reading["role"], strict=True))
    assert roles["65"] == "across" and roles["120"] == "tall" and roles["0.85"] == "level"
    assert any("transport sloshing" in c.value for c in at.caption)


def _reading_table(at):
    """The Predict page's table of how the numbers are read (number, unit, kind, role)."""
    return next((d.value for d in at.dataframe if {"number", "unit", "kind", "role"} <= set(d.value.columns)), None)
