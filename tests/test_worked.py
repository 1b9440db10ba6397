"""The worked format: teacher lines, round trips through the calculator, masking, diagnostics,
tool-paused generation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from physlab import calculator, physics, toolgen, worked
from physlab.scenarios import generate
from physlab.schema import parse_scenario


@pytest.fixture(scope="module")
def standard() -> dict[str, list[dict]]:
    return generate("standard")


def _lines(record: dict) -> worked.WorkedAnswer:
    return worked.worked_answer(record)


def test_teacher_lines_round_trip_through_the_calculator(standard) -> None:
    """teacher line -> parse -> calculator -> the physics r (within the rounding of the
    description's numbers), and the label never flips on the clear-margin splits."""
    clear = [r for split in ("train", "test", "ood", "wording") for r in standard[split]]
    assert len(clear) > 2000
    worst = 0.0
    for record in clear:
        answer = _lines(record)
        assert answer.label == record["label"], record["id"]
        parsed = worked.read_lines(answer.text)
        assert len(parsed) == len(answer.lines)
        for line, teacher in zip(parsed, answer.lines, strict=True):
            assert line.parsed and line.verdict == teacher.verdict
            value = calculator.evaluate(line.formula).value
            assert value == pytest.approx(float(teacher.value_text), abs=0.0006, rel=0.0006)
            # Sloshing with the fill given as a liquid depth: the freeboard is the small
            # difference of two rounded numbers, so its rounding is amplified (up to ~7 %).
            if teacher.true_ratio > 1e-3 and teacher.mode != "sloshing":
                worst = max(worst, abs(value / teacher.true_ratio - 1))
            elif teacher.true_ratio > 1e-3:
                assert value == pytest.approx(teacher.true_ratio, rel=0.08)
        # the parsed answer head agrees
        from physlab.prompts import parse_answer

        assert parse_answer(answer.text).label == record["label"]
    # 3 significant figures per number, a handful of numbers per formula
    assert worst < 0.03


def test_line_selection_follows_the_phase_rule(standard) -> None:
    for record in standard["test"][:300]:
        answer = _lines(record)
        phases = [line.phase for line in answer.lines]
        assert phases == sorted(phases)
        failing = [line for line in answer.lines if line.value > 1]
        if record["label"] == "success":
            assert not failing
            # every applicable check is written for a success
            scenario = parse_scenario(record["params"])
            assert len(answer.lines) == len(physics.assess(scenario).checks)
        else:
            last_phase = answer.lines[-1].phase
            assert all(line.phase == last_phase for line in failing)
            if last_phase not in physics.MAX_RATIO_PHASES:
                assert answer.lines[-1].value > 1 and len(failing) == 1


def test_worked_numbers_come_from_the_description(standard) -> None:
    """Every quantity literal of a teacher formula is written in the description."""
    for record in standard["wording"][:150] + standard["test"][:150]:
        stated = worked.numbers_in_text(record["description"])
        for line in _lines(record).lines:
            for slot, value in zip(line.slots, calculator.numbers(line.formula), strict=True):
                if slot == "const" or slot.endswith("(unit)"):
                    continue
                if slot == "release_height" and value == 0:
                    continue  # "set down before the gripper opens": 0
                assert any(worked._same_number(value, s) for s in stated), (record["id"], slot, value)


def test_segments_mask_exactly_the_values(standard) -> None:
    for record in standard["train"][:200]:
        answer = _lines(record)
        pieces = answer.segments()
        assert "".join(text for text, _ in pieces) == answer.text
        masked = [text for text, trained in pieces if not trained]
        assert masked == [" " + line.value_text for line in answer.lines]
        for text, trained in pieces:
            if trained:
                assert not any(text.startswith(" " + line.value_text) for line in answer.lines if
                               line.value_text not in ("0.000",)) or text.startswith(" ok") or text.startswith(" FAILS")


def test_tokenize_example_masks_values_and_keeps_token_identity() -> None:
    """Training's labels: -100 on the prompt and on every calculator value; the ids are the
    segment-by-segment tokenization that generation produces."""
    from physlab.train import tokenize_example

    tok = CharTokenizer()
    record = generate("seed")["train"][0]
    answer = worked.worked_answer(record)
    segments = answer.segments()
    example = tokenize_example(tok, "prompt", answer.text, 4096, segments=segments)
    from physlab.models import encode_prompt

    prompt_len = len(encode_prompt(tok, "prompt"))  # CharTokenizer has no chat template
    labels, ids = example["labels"][prompt_len:], example["input_ids"][prompt_len:]
    text_trained = "".join(chr(i) for i, lab in zip(ids, labels, strict=True) if lab != -100 and i != tok.eos_token_id)
    text_masked = "".join(chr(i) for i, lab in zip(ids, labels, strict=True) if lab == -100)
    assert text_masked == "".join(" " + line.value_text for line in answer.lines)
    assert text_trained + text_masked != ""
    assert "".join(chr(i) for i in ids if i != tok.eos_token_id) == answer.text
    assert labels[-1] == tok.eos_token_id


# --------------------------------------------------------------------------- diagnostics


@pytest.fixture(scope="module")
def lift_record() -> dict:
    """A grasped scenario whose teacher answer has at least two lines."""
    for record in generate("seed")["test"]:
        answer = worked.worked_answer(record)
        if len(answer.lines) >= 3 and record["params"]["motion"]["carry"] == "grasped":
            return record
    raise AssertionError("no grasped seed scenario with 3 lines")


def _teacher_text(record: dict) -> str:
    return worked.worked_answer(record).text


def test_the_teachers_own_answer_has_no_error(lift_record) -> None:
    answer = worked.worked_answer(lift_record)
    report = worked.diagnose(answer.text, lift_record, answer.label)
    assert report["reasoning_errors"] == []
    assert report["copied"]["exact"] == report["copied"]["total"] > 0
    assert all(d["check_ok"] and d["valid"] for d in report["derivation"])
    assert report["teacher_derivation"] == [line.text for line in answer.lines]


def test_wrong_number_is_caught(lift_record) -> None:
    answer = worked.worked_answer(lift_record)
    line = answer.lines[1]
    literal = next(n for n, slot in zip(calculator.numbers(line.formula), line.slots, strict=True) if slot != "const")
    text = literal if float(literal) != int(literal) else int(literal)
    wrong_formula = line.formula.replace(str(text), str(text) + "7", 1)
    assert wrong_formula != line.formula
    bad = answer.text.replace(line.formula, wrong_formula, 1)
    report = worked.diagnose(bad, lift_record, answer.label)
    assert "wrong_number" in report["reasoning_errors"]
    assert report["copied"]["exact"] == report["copied"]["total"] - 1
    flagged = [n for d in report["derivation"] for n in d["numbers"] if not n["exact"]]
    assert len(flagged) == 1 and flagged[0]["slot"] == line.slots[calculator.numbers(line.formula).index(literal)]


def test_missing_check_extra_check_and_bad_formula(lift_record) -> None:
    answer = worked.worked_answer(lift_record)
    lines = answer.text.split("\n")
    missing = "\n".join(lines[:1] + lines[2:])
    assert "wrong_check_set" in worked.diagnose(missing, lift_record, answer.label)["reasoning_errors"]
    extra = "\n".join(lines[:1] + ["grasp collision: (1/1000)/(30/1000) = 0.033 ok"] + lines[1:])
    assert "wrong_check_set" in worked.diagnose(extra, lift_record, answer.label)["reasoning_errors"]
    line = answer.lines[0]
    other = lines[0].replace(line.formula, f"({line.formula})*2", 1)
    report = worked.diagnose("\n".join([other] + lines[1:]), lift_record, answer.label)
    assert "wrong_formula" in report["reasoning_errors"]


def test_wrong_verdict_mode_order_and_unparsable(lift_record) -> None:
    answer = worked.worked_answer(lift_record)
    line = answer.lines[0]
    flipped_word = worked.VERDICT_OK if line.verdict == worked.VERDICT_FAIL else worked.VERDICT_FAIL
    flipped = answer.text.replace(f"= {line.value_text} {line.verdict}", f"= {line.value_text} {flipped_word}", 1)
    assert "wrong_verdict" in worked.diagnose(flipped, lift_record, answer.label)["reasoning_errors"]
    # the lines imply the teacher's label; a different final mode is a mode-order error
    other_label = "collision" if answer.label != "collision" else "tipping"
    report = worked.diagnose(answer.text, lift_record, other_label)
    assert "wrong_mode_order" in report["reasoning_errors"]
    garbage = answer.text.replace(line.formula, line.formula + "*(", 1)
    assert "unparsable_line" in worked.diagnose(garbage, lift_record, answer.label)["reasoning_errors"]
    assert "unparsable_line" in worked.diagnose("lift lift lift\nYES", lift_record, "slipping")["reasoning_errors"]


def test_error_summary_counts_and_examples() -> None:
    records = [{"scenario_id": f"s{i}", "reasoning_errors": ["wrong_number"] if i % 2 else [],
                "copied": {"exact": 4 - i % 2, "total": 4}} for i in range(6)]
    summary = worked.reasoning_error_summary(records)
    assert summary["reasoning_errors"]["wrong_number"] == {"count": 3, "examples": ["s1", "s3", "s5"]}
    assert summary["copied_numbers"] == {"exact": 21, "total": 24}
    assert summary["derivations_without_error"] == 3


def test_free_text_derivation_names_assumed_numbers() -> None:
    text = ("lift slipping: 0.35*(g+2)/(2*0.6*20) = 0.172 ok\n"
            "transport slipping: tray_slide(a=3, mu=0.4, w=0.06, h=0.1) = 0.500 ok\nNO\nFAILURE_MODE: none")
    out = worked.read_derivation(text, "A 350 g (.35 kg) mug, grip 20 N with pad friction 0.6, lifted at 2 m/s², moved at 3 m/s².")
    assert [d["valid"] for d in out["derivation"]] == [True, True]
    assert len(out["assumed"]) == 3 and "as mu" in out["assumed"][0]
    assert worked.numbers_in_text("1,200 g, .35 kg, 3.5e-1 m, 40 mm") == [1200, 0.35, 0.35, 40]


# --------------------------------------------------------------------------- tool-paused generation


class CharTokenizer:
    """One token per character (ids = code points): enough to drive the generation loop."""

    pad_token_id = 0
    eos_token_id = 3

    class _Out:
        def __init__(self, ids: list[int]) -> None:
            self.input_ids = ids

    def __call__(self, text: str, add_special_tokens: bool = False) -> _Out:
        return self._Out([ord(c) for c in text])

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(chr(i) for i in ids if i not in (self.pad_token_id, self.eos_token_id))

    def convert_tokens_to_ids(self, token: str) -> int:
        return -1

    chat_template = None

    def apply_chat_template(self, *args, **kwargs):  # pragma: no cover - not used here
        raise NotImplementedError


class ScriptedModel:
    """A 'model' that writes a fixed answer per row, whatever it is fed, and keeps its own
    KV 'cache' (the tokens fed so far): the loop must feed exactly one token per row per step."""

    def __init__(self, scripts: list[str], prompt_lens: list[int]) -> None:
        import torch

        self.device = torch.device("cpu")
        self.scripts = [[ord(c) for c in s] + [CharTokenizer.eos_token_id] for s in scripts]
        self.prompt_lens = prompt_lens
        self.fed: list[list[int]] = [[] for _ in scripts]
        self.calls = 0

    def __call__(self, input_ids, attention_mask, position_ids, use_cache, **kwargs):
        import torch

        self.calls += 1
        cache = kwargs.get("past_key_values") or FakeCache(list(range(input_ids.shape[0])))
        assert len(cache.rows) == input_ids.shape[0] == attention_mask.shape[0] == position_ids.shape[0]
        logits = torch.zeros(input_ids.shape[0], input_ids.shape[1], 1200)
        for pos, row in enumerate(cache.rows):
            if self.calls > 1:
                self.fed[row].append(int(input_ids[pos, -1]))
            written = len(self.fed[row])
            script = self.scripts[row]
            logits[pos, -1, script[min(written, len(script) - 1)]] = 1.0
        return {"logits": logits, "past_key_values": cache}


class FakeCache:
    """Which original row each batch position holds; finished rows leave it as in a real cache."""

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    def batch_select_indices(self, index) -> None:
        self.rows = [self.rows[int(i)] for i in index]


class _Out(dict):
    __getattr__ = dict.__getitem__


def _run(scripts: list[str], use_calculator: bool, max_new_tokens: int = 400) -> list[dict]:
    tok = CharTokenizer()
    model = ScriptedModel(scripts, [5] * len(scripts))
    real_call = model.__call__

    def call(**kwargs):
        return _Out(real_call(**kwargs))

    class Wrapper:
        device = model.device

        def __call__(self, **kwargs):
            return call(**kwargs)

    rows = [[ord(c) for c in "ask "] for _ in scripts]
    return toolgen.generate(Wrapper(), tok, rows, max_new_tokens=max_new_tokens, use_calculator=use_calculator)


def test_generation_pauses_at_equals_and_inserts_the_calculators_value() -> None:
    """The scripted student writes wrong values (9.999); with the calculator its lines carry
    the true values, without it its own; rows of different lengths run in one batch."""
    records = generate("seed")["test"][:3]
    answers = [worked.worked_answer(r) for r in records]
    wrong = ["\n".join([f"{line.head} 9.999 {line.verdict}" for line in a.lines] + [a.answer_head]) + "\n"
             for a in answers]
    with_calc = _run(wrong, use_calculator=True)
    for out, answer in zip(with_calc, answers, strict=True):
        # the model's own value tokens were replaced; the rest of its text is its own
        expected_lines = [f"{line.head} {line.value_text}" for line in answer.lines]
        got = out["text"].split("\n")
        for line_text, want in zip(got, expected_lines, strict=False):
            assert line_text.startswith(want), (line_text, want)
        assert out["inserted"] == len(answer.lines) and out["invalid"] == 0
    without = _run(wrong, use_calculator=False)
    for out, text in zip(without, wrong, strict=True):
        assert out["text"] == text.strip() and out["inserted"] == 0


def test_finished_rows_leave_the_batch_and_the_others_go_on() -> None:
    """Rows of very different lengths: short ones finish and are dropped from the cache; the
    long ones still get their own continuations and values."""
    records = generate("seed")["test"][:8]
    answers = [worked.worked_answer(r) for r in records]
    texts = [a.text + "\n" for a in answers]
    texts[0] = "NO\nFAILURE_MODE: none\n"  # done after two lines
    texts[1] = "YES\nFAILURE_MODE: tipping\n"
    outs = _run(texts, use_calculator=True)
    assert outs[0]["text"] == "NO\nFAILURE_MODE: none"
    for out, answer in zip(outs[2:], answers[2:], strict=True):
        assert out["text"] == answer.text and out["inserted"] == len(answer.lines)


def test_invalid_formula_is_marked_not_fatal() -> None:
    out = _run(["lift slipping: 0.35*(g+ = ? ok\nlift dropping: 1/0 = 1 ok\nNO\nFAILURE_MODE: none\n"], True)[0]
    assert out["invalid"] == 1  # 1/0; the unbalanced line never triggers the calculator
    assert "FAILURE_MODE: none" in out["text"]


def test_line_cap_stops_a_runaway() -> None:
    runaway = "".join(f"lift dropping: {i}/5 = 0.2 ok\n" for i in range(1, 40))
    out = _run([runaway], True)[0]
    assert out["text"].count("\n") <= worked.MAX_LINES + 3


@pytest.mark.slow
def test_tool_paused_generation_on_the_embedded_model() -> None:
    """The real model, real KV cache: a partly written answer ending at `=` gets the
    calculator's value; batched rows give the same text as one row alone (fp32)."""
    from physlab.backends import WorkedBackend
    from physlab.models import encode_prompt

    backend = WorkedBackend("embedded", batch_size=3, precision="fp32")
    records = generate("seed")["test"][:3]
    tok = backend.tokenizer
    prompts = [backend.build_prompt(r["description"]) for r in records]
    heads = [worked.worked_answer(r).lines[0].head for r in records]
    rows = [encode_prompt(tok, p) + list(tok(h, add_special_tokens=False).input_ids) for p, h in zip(prompts, heads, strict=True)]
    batched = toolgen.generate(backend.model, tok, rows, max_new_tokens=12, prefill=heads,
                               cache_kwarg=backend._cache_kwarg)
    for out, record, head in zip(batched, records, heads, strict=True):
        value = worked.worked_answer(record).lines[0].value_text
        assert out["text"].startswith(f"{head} {value}"), out["text"]
        assert out["inserted"] >= 1
    alone = [toolgen.generate(backend.model, tok, [row], max_new_tokens=12, prefill=[head],
                              cache_kwarg=backend._cache_kwarg)[0] for row, head in zip(rows, heads, strict=True)]
    assert [a["text"] for a in alone] == [b["text"] for b in batched]
    # and the backend's own path (shared prefix cache, worked prompt) runs end to end
    texts = backend.generate(prompts[:2], max_new_tokens=8)
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)


def test_worked_curriculum_rows(tmp_path) -> None:
    from physlab.scenarios import write_preset
    from physlab.teacher import build_curriculum

    write_preset("seed", out=tmp_path / "seed")
    path = build_curriculum("seed", data_dir=tmp_path, answer_format="worked", progress=False)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert path.name == "curriculum-worked.jsonl" and len(rows) == 180
    for row in rows:
        assert row["format"] == "worked"
        assert "".join(t for t, _ in row["segments"]) == row["completion"]
        assert row["prompt"].startswith("Check each failure mode")
    from physlab.train import curriculum_format

    assert curriculum_format(path) == "worked"
    # The sidecar names the data generation, so a run trained on it can be checked at evaluation.
    meta = json.loads(path.with_name(path.name + ".meta.json").read_text())
    assert meta["dataset_hash"] == json.loads((tmp_path / "seed" / "manifest.json").read_text())["content_hash"]
    with pytest.raises(ValueError, match=r"balance_by 'formula': only with rare_target > 0"):
        build_curriculum("seed", data_dir=tmp_path, answer_format="worked", progress=False, balance_by="formula")
    with pytest.raises(ValueError, match=r"tilt: must be a share in \[0, 1\]"):
        build_curriculum("seed", data_dir=tmp_path, answer_format="worked", progress=False, tilt=1.5)
    with pytest.raises(ValueError, match=r"stop: must be a share in \[0, 1\]"):
        build_curriculum("seed", data_dir=tmp_path, answer_format="worked", progress=False, stop=-0.1)
    with pytest.raises(ValueError, match=r"decide_target: must be >= 0"):
        build_curriculum("seed", data_dir=tmp_path, answer_format="worked", progress=False, decide_target=-1)


def test_wide_copy_wording_rewords_only_the_copies(standard) -> None:
    """--copy-wording wide: the same examples (scenario, label, variant, order) as the train
    wording, the originals untouched, the copies described again with the curriculum-only
    phrasings where they were drawn, never a held-out template, and a rebuild writes the same."""
    import re

    from physlab.describe import WIDE, heldout_patterns
    from physlab.teacher import worked_examples

    records = standard["train"][:200]
    kwargs = {"rare_target": 40, "max_variants": 2, "set_down": 0.2}
    plain = worked_examples(records, **kwargs)
    wide = worked_examples(records, copy_wording="wide", **kwargs)
    assert wide == worked_examples(records, copy_wording="wide", **kwargs)
    assert [(e["scenario_id"], e["label"], e.get("variant")) for e in wide] == \
        [(e["scenario_id"], e["label"], e.get("variant")) for e in plain]
    assert [e for e in wide if not e.get("variant")] == [e for e in plain if not e.get("variant")]
    copies = [(p, w) for p, w in zip(plain, wide, strict=True) if w.get("variant")]
    assert copies and sum(p["prompt"] != w["prompt"] for p, w in copies) >= 0.8 * len(copies)
    literals = {max(re.split(r"\{[^}]*\}", t), key=len).strip() for extra in WIDE.values() for t in extra}
    literals = {t for t in literals if len(t) >= 12}
    assert sum(any(t in w["prompt"] for t in literals) for _, w in copies) >= 0.3 * len(copies)
    patterns = heldout_patterns()
    assert not [w["scenario_id"] for _, w in copies if any(p.search(w["prompt"]) for p in patterns.values())]
    with pytest.raises(ValueError, match="copy_wording: one of train, wide"):
        worked_examples(records[:5], copy_wording="holdout")


def test_rare_checks_get_more_descriptions_of_the_same_scenarios(standard) -> None:
    """--rare-target: records holding rare checks are described again (train wording, other
    draws), with the same params and label, until each check reaches the target; none of the
    extra texts uses a held-out template, and a rebuild writes the same texts."""
    from collections import Counter

    from physlab.describe import heldout_patterns
    from physlab.teacher import worked_examples

    records = standard["train"][:300]
    plain = worked_examples(records)
    boosted = worked_examples(records, rare_target=40, max_variants=2)
    assert boosted == worked_examples(records, rare_target=40, max_variants=2)  # deterministic
    assert [e for e in boosted if not e.get("variant")] == plain  # originals kept, in order
    extra = [e for e in boosted if e.get("variant")]
    assert extra and all(1 <= e["variant"] <= 2 for e in extra)
    by_id = {r["id"]: r for r in records}
    patterns = heldout_patterns()
    for example in extra:
        original = by_id[example["scenario_id"]]
        assert example["label"] == original["label"]
        assert example["prompt"] != worked_examples([original])[0]["prompt"]  # another wording
        assert not any(p.search(example["prompt"]) for p in patterns.values())

    def counts(examples):
        return Counter(line.split(":")[0] for e in examples for line in e["completion"].splitlines()[:-2])

    before, after = counts(plain), counts(boosted)
    for check, n in before.items():
        assert after[check] >= n
        if n < 40:  # a rare check: raised to the target where two more descriptions allow it
            assert after[check] >= min(40, 3 * n) - 2, (check, n, after[check])


def test_set_down_copies_are_relabelled_and_name_no_release_height(standard) -> None:
    """--set-down: a share of the records set down on the support instead of let go above it.
    Each copy is relabelled by physics (a release-height failure becomes whatever else
    decides), says it is set down, states no release height, and writes `0/0.01`."""
    from physlab.teacher import SET_DOWN_VARIANT, set_down_variant, worked_examples

    def released_too_high(record: dict) -> bool:
        deciding = physics.assess(parse_scenario(record["params"])).deciding
        return deciding is not None and deciding.name == "release height"

    records = standard["train"][:180] + [r for r in standard["train"][180:] if released_too_high(r)][:20]
    examples = worked_examples(records, set_down=0.5)
    assert examples == worked_examples(records, set_down=0.5)  # deterministic
    copies = [e for e in examples if e.get("variant") == SET_DOWN_VARIANT]
    assert 60 <= len(copies) <= 140  # about half of the records let go above the support
    by_id = {r["id"]: r for r in records}
    flipped = 0
    for copy in copies:
        params = json.loads(json.dumps(by_id[copy["scenario_id"]]["params"]))
        params["motion"]["release_height_m"] = 0.0
        assert copy["label"] == physics.assess(parse_scenario(params)).label
        flipped += copy["label"] != by_id[copy["scenario_id"]]["label"]
        dropping = [line for line in copy["completion"].splitlines() if line.startswith("place dropping")]
        assert all(line.startswith("place dropping: 0/0.01 = 0.000 ok") for line in dropping), copy["completion"]
        record = set_down_variant(by_id[copy["scenario_id"]])
        assert record["description"] in copy["prompt"]
        assert "release_height" not in record["quantities"]  # the text states no release height
    assert flipped > 0  # release-height failures become successes or other modes


def test_formula_form_keeps_the_physics_and_drops_the_wording() -> None:
    """--balance-by formula counts a line by its phase, mode and formula form: a radius doubled
    or a grade turned into an angle is wording (same form), a stopping distance is physics
    (another form), and the torque line is not the payload line."""
    from physlab.teacher import formula_form

    def form(formula: str, mode: str = "collision", phase: int = 3) -> str:
        return formula_form(formula)

    assert form("2.92[mm]/20.4[mm]") == form("2.92[mm]/.0204[m]") == "#/#"
    assert form("(1.31[mm]+0.527[m/s]*50[ms]+0.527[m/s]^2/(2*5))/5.65[mm]") != "#/#"
    roll = "max(tan({s})/0.02, roll(v=7.46[mm/s], k=solid_ball, mu=0.02)/50.8[mm])"
    assert form(roll.format(s="4.23"), "rolling_away", 4) == form(roll.format(s="(atan(8[%]))"), "rolling_away", 4) \
        == form(roll.format(s="(atan(1.6[cm]/100[cm]))"), "rolling_away", 4)
    assert form("0.514[kg]*g*0.0418[m]/(2*2/3*0.652*8.9*8.4[mm])", "dropping", 2) != form("0.514[kg]/3[kg]", "dropping", 2)
    assert form("slosh(a=1, D=(2*3[cm]), H=8[cm], fill=(6[cm]/8[cm]), ramp=0.2)", "sloshing") == \
        form("slosh(a=1, D=6[cm], H=8[cm], fill=0.75, ramp=0.2)", "sloshing")


def test_balancing_by_formula_raises_the_torque_line_the_check_count_leaves_alone(standard) -> None:
    from physlab.teacher import worked_examples

    records = standard["train"]

    def torque_lines(examples) -> int:
        return sum(1 for e in examples for line in e["completion"].splitlines()
                   if line.startswith("lift dropping:") and "*g*" in line)

    plain = torque_lines(worked_examples(records))
    by_check = torque_lines(worked_examples(records, rare_target=150, max_variants=3))
    by_formula = torque_lines(worked_examples(records, rare_target=150, max_variants=3, balance_by="formula"))
    assert plain > 20
    assert by_check <= 1.1 * plain  # "lift dropping" is common: the payload line hides the torque line
    assert by_formula >= min(150, 3 * plain)
    with pytest.raises(ValueError, match="balance_by: must be one of check, formula"):
        worked_examples(records[:5], rare_target=10, balance_by="shape")


def _relabelled_copies(records: list[dict], variant: int, make_copy, **flag) -> list[tuple[dict, dict, object]]:
    """worked_examples(records, **flag)'s copies numbered `variant`, each checked: the build is
    deterministic, at least 30 copies, each relabelled by physics (the copy `make_copy` redraws),
    clear of the boundary, its description in the prompt. [(example, record, scenario)]."""
    from physlab.scenarios import margin_kind
    from physlab.teacher import worked_examples

    examples = worked_examples(records, **flag)
    assert examples == worked_examples(records, **flag)  # deterministic
    copies = [e for e in examples if e.get("variant") == variant]
    assert len(copies) >= 30
    by_id = {r["id"]: r for r in records}
    out = []
    for example in copies:
        record = make_copy(by_id[example["scenario_id"]])
        scenario = parse_scenario(record["params"])
        assessment = physics.assess(scenario)
        assert example["label"] == assessment.label == record["label"]
        assert margin_kind(assessment) == "clear"
        assert record["description"] in example["prompt"]
        out.append((example, record, scenario))
    return out


def test_tilted_copies_roll_on_a_slope_and_are_relabelled(standard) -> None:
    """--tilt: rolling records let go on a slope. Each copy is relabelled by physics, clear of
    the boundary, states its slope (degrees, grade or rise over run), and its rolling line
    evaluates tan(slope) with that slope."""
    from physlab.teacher import TILT_VARIANT, tilt_indices, tilt_variant

    records = standard["train"]
    indices = tilt_indices(records, 1.0)
    assert len(indices) > 50
    rolling_lines, fails = 0, 0
    for example, record, scenario in _relabelled_copies([records[i] for i in indices[:40]], TILT_VARIANT,
                                                        tilt_variant, tilt=1.0):
        assert scenario.environment.slope_deg > 0
        assert "slope" in record["quantities"]
        line = [x for x in example["completion"].splitlines() if x.startswith("place rolling_away")]
        if line:
            rolling_lines += 1
            fails += line[0].endswith("FAILS")
            assert "tan(0)" not in line[0]
    assert rolling_lines >= 20 and 0 < fails < rolling_lines  # both sides of the boundary
    assert tilt_indices(records, 0.0) == []


def test_must_stop_copies_add_the_stopping_distance_to_non_shelf_obstacles(standard) -> None:
    """--stop: records with a transport-phase obstacle that need not stop get a copy that must
    stop before it (never an approach-phase obstacle: worked try 9 then wrote the stopping
    form at the grasp phase). Each copy is relabelled by physics, clear of the boundary, says
    it must stop, and its collision line adds the stopping distance; the copies land on both
    sides of 1."""
    from physlab.teacher import STOP_VARIANT, formula_form, stop_indices, stop_variant

    records = standard["train"]
    indices = stop_indices(records, 1.0)
    assert len(indices) > 50
    for i in indices:
        checks = physics.assess(parse_scenario(records[i]["params"])).checks
        assert any(c.mode == "collision" and c.phase == 3 for c in checks)
        assert not any(c.mode == "collision" and c.phase == 1 for c in checks), records[i]["family"]
    families = {records[i]["family"] for i in indices}
    assert families - {"glass_jar_shelf", "book_shelf_insertion"} == families  # the shelf families already stop
    assert "hammer_table_clearing" in families
    stop_lines, fails = 0, 0
    for example, _, scenario in _relabelled_copies([records[i] for i in indices[:40]], STOP_VARIANT,
                                                   stop_variant, stop=1.0):
        assert scenario.motion.stop_before_obstacle
        line = [x for x in example["completion"].splitlines() if x.startswith("transport collision: ")]
        if line:
            stop_lines += 1
            fails += line[0].endswith("FAILS")
            assert formula_form(line[0].split(": ", 1)[1].split(" = ")[0]) != "#/#", line[0]
    assert stop_lines >= 20 and 0 < fails < stop_lines
    assert stop_indices(records, 0.0) == []


def test_stop_above_1_is_must_stop_copies_per_record(standard, tmp_path: Path) -> None:
    """--stop 2.5: every record with a transport obstacle gets 2 or 3 must-stop copies, each
    with its own numbers and text (variants 300, 301, 302), each relabelled by physics; a share
    up to 1 draws exactly as before (the published curricula rebuild byte for byte)."""
    from physlab.teacher import STOP_VARIANT, build_worked_curriculum, stop_indices, worked_examples

    records = standard["train"]
    once = stop_indices(records, 1.0)
    many = stop_indices(records, 2.5)
    assert set(many) == set(once) and all(many.count(i) in (2, 3) for i in once)
    assert 0.3 * len(once) < len(many) - 2 * len(once) < 0.7 * len(once)
    assert stop_indices(records, 0.6) == [i for i in once if i in set(stop_indices(records, 0.6))]
    picked = [records[i] for i in once[:12]]
    examples = worked_examples(picked, stop=2.0)
    assert examples == worked_examples(picked, stop=2.0)  # deterministic
    by_record: dict[str, list[dict]] = {}
    for example in examples:
        if STOP_VARIANT <= example.get("variant", 0) < STOP_VARIANT + 8:
            by_record.setdefault(example["scenario_id"], []).append(example)
    assert len(by_record) >= 8
    for copies in by_record.values():
        assert sorted(e["variant"] for e in copies) in ([STOP_VARIANT], [STOP_VARIANT, STOP_VARIANT + 1])
        assert len({e["prompt"] for e in copies}) == len(copies)
    lines = [line for copies in by_record.values() for e in copies for line in e["completion"].splitlines()
             if line.startswith("transport collision: ")]  # a copy decided earlier writes none
    assert len(lines) >= 10 and all(line.startswith("transport collision: (") for line in lines)
    assert sum(len(c) == 2 for c in by_record.values()) >= 6
    (tmp_path / "standard").mkdir()
    (tmp_path / "standard" / "train.jsonl").write_text(json.dumps(records[0]) + "\n")
    with pytest.raises(ValueError, match=r"stop: must be a share in \[0, 1\], or copies per record up to 8"):
        build_worked_curriculum("standard", stop=9.0, data_dir=tmp_path)


def test_filled_copies_put_the_liquid_in_other_containers_on_both_sides_of_1(standard) -> None:
    """--fill: carried records of an empty upright container get a copy filled with liquid.
    Each copy is relabelled by physics, clear of the boundary, keeps its own object type (so
    the liquid phrase stands beside nouns no liquid record uses), states the fill and the ramp,
    and its transport sloshing line fails on both sides of 1. Rolling, lying and already
    filled objects get none."""
    from physlab.teacher import FILL_VARIANT, fill_indices, fill_variant

    records = standard["train"]
    indices = fill_indices(records, 1.0)
    assert len(indices) > 150
    liquid_types = {r["params"]["object"]["type"] for r in records if r["params"]["object"].get("fill_fraction")}
    for i in indices:
        o = parse_scenario(records[i]["params"]).object
        assert o.shape == "cylinder" and o.orientation == "upright" and not o.rolls and o.fill_fraction is None
    types, slosh_lines, fails = set(), 0, 0
    for example, record, scenario in _relabelled_copies([records[i] for i in indices[:60]], FILL_VARIANT,
                                                        fill_variant, fill=1.0):
        assert scenario.object.open_top and scenario.object.fill_fraction is not None
        assert {"fill", "ramp"} <= set(record["quantities"])
        types.add(scenario.object.type)
        line = [x for x in example["completion"].splitlines() if x.startswith("transport sloshing: slosh(")]
        if line:
            slosh_lines += 1
            fails += line[0].endswith("FAILS")
    assert len(types - liquid_types) >= 4, types
    assert slosh_lines >= 30 and 0 < fails < slosh_lines
    assert fill_indices(records, 0.0) == []


def test_decision_key_names_how_a_phase_with_several_checks_is_decided(standard) -> None:
    from physlab.teacher import decision_key

    keys = {decision_key(_lines(r)) for r in standard["train"]}
    assert (3, (("slipping", "FAILS"), ("tipping", "ok"), ("sloshing", "FAILS")), "sloshing") in keys
    success = next(r for r in standard["train"] if r["label"] == "success")
    assert decision_key(_lines(success)) is None
    single = next(r for r in standard["train"] if r["label"] == "crushing" and len(_lines(r).lines) == 1)
    assert decision_key(_lines(single)) is None  # grasp decided by its only line


def test_perturbed_copies_fill_ways_of_deciding_the_train_split_never_shows(standard) -> None:
    """--decide-target: the standard train split never lets a failing tray slide beat a
    sloshing line in the same phase (BENCHMARKS.md, try 9). Perturbed copies (one or two of the
    family's varied quantities scaled) fill that key, each relabelled by physics, clear of the
    boundary, with its worked lines giving the physics label; a rebuild draws the same copies."""
    from collections import Counter

    from physlab.scenarios import margin_kind
    from physlab.teacher import DECIDE_VARIANT, decision_key, decision_variants

    records = [r for r in standard["train"] if r["family"] in ("soup_bowl_tray", "coffee_mug_tray")]
    answers = [_lines(r) for r in records]
    before = Counter(decision_key(a) for a in answers)
    slide_wins = (3, (("slipping", "FAILS"), ("tipping", "ok"), ("sloshing", "ok")), "slipping")
    assert before[slide_wins] == 0
    out = decision_variants(records, answers, target=10)
    assert out == decision_variants(records, answers, target=10)
    after = Counter(decision_key(_lines(copy)) for _, _, copy in out)
    assert after[slide_wins] >= 5
    assert all(after[k] + before[k] <= max(10, before[k]) for k in after)  # no key filled past the target
    taken = Counter(i for i, _, _ in out)
    assert max(taken.values()) <= 4
    for i, variant, copy in out:
        assert variant >= DECIDE_VARIANT and copy["id"] == records[i]["id"]
        assessment = physics.assess(parse_scenario(copy["params"]))
        assert copy["label"] == assessment.label == _lines(copy).label
        assert margin_kind(assessment) == "clear"
        changed = [k for k in ("motion", "object", "environment", "gripper")
                   if copy["params"][k] != records[i]["params"][k]]
        assert changed  # a perturbed scenario, not only a new wording


# --------------------------------------------------------------------------- comparison line


def _compared(records: list[dict], modes: int = 2) -> tuple[dict, worked.WorkedAnswer]:
    """A record whose failing largest-r phase has `modes` or more failing modes."""
    for record in records:
        answer = worked.worked_answer(record, compare=True)
        if answer.comparison is not None and len(answer.comparison.values) >= modes:
            return record, answer
    raise AssertionError(f"no record with {modes} failing modes in one phase")


def test_comparison_line_closes_a_failing_largest_ratio_phase(standard) -> None:
    """--compare: a lift or transport phase with a failing line ends with
    `<phase> largest: max(<mode>=<value>, ...) = <mode>`: each failing mode once, at the
    value its line wrote; the calculator's answer is the label, for every train record
    (never a flip), and nothing changes for the other answers."""
    seen = 0
    for record in standard["train"]:
        plain, answer = worked.worked_answer(record), worked.worked_answer(record, compare=True)
        assert answer.label == plain.label == record["label"]
        if answer.comparison is None:
            assert answer.text == plain.text
            last = plain.lines[-1] if plain.lines else None
            assert last is None or last.phase not in physics.MAX_RATIO_PHASES or \
                all(line.verdict == worked.VERDICT_OK for line in plain.lines if line.phase == last.phase)
            continue
        seen += 1
        comparison = answer.comparison
        failing = {line.mode for line in plain.lines if line.phase == comparison.phase
                   and line.verdict == worked.VERDICT_FAIL}
        assert {mode for mode, _ in comparison.values} == failing
        for mode, value in comparison.values:
            assert value == max((line.value_text for line in plain.lines if line.mode == mode
                                 and line.phase == comparison.phase), key=float)
        assert answer.text == plain.text.replace(plain.answer_head, comparison.text + "\n" + plain.answer_head)
        assert comparison.text.endswith(f"= {record['label']}")
    assert seen > 300
    record, answer = _compared(standard["train"])
    line = answer.comparison.text
    assert line.startswith(("lift largest: max(", "transport largest: max(")) and line.count("=") >= 3


def test_comparison_value_is_masked_and_read_back(standard) -> None:
    """Its mode is written by the calculator: no loss on it in training, and generation gets it
    from calculator.tool_output at its `=`; read_lines reads the line as a comparison."""
    _, answer = _compared(standard["train"])
    segments = answer.segments()
    assert "".join(text for text, _ in segments) == answer.text
    masked = [text for text, trained in segments if not trained]
    assert masked[-1] == " " + answer.label and len(masked) == len(answer.lines) + 1
    head = answer.text.split(answer.comparison.head)[0] + answer.comparison.head
    formula = worked.formula_to_compute(head)
    assert formula == answer.comparison.formula
    assert calculator.tool_output(formula) == (answer.label, "")
    parsed = worked.read_lines(answer.text)
    assert [p.is_comparison for p in parsed] == [False] * len(answer.lines) + [True]
    assert parsed[-1].result == answer.label and parsed[-1].phase == answer.comparison.phase


def test_generation_inserts_the_mode_a_comparison_names(standard) -> None:
    """The scripted student writes the wrong mode after its comparison: the calculator writes
    the right one; without the calculator the student's own stands."""
    # The scripted model writes its script whatever is inserted, so the wrong mode has the
    # right one's length (8 letters: crushing, dropping, slipping, sloshing).
    _, answer = _compared([r for r in standard["train"] if len(r["label"]) == 8])
    wrong_mode = next(m for m in physics.TIE_ORDER if m != answer.label and len(m) == len(answer.label))
    script = answer.text.replace(f"= {answer.label}\n", f"= {wrong_mode}\n") + "\n"
    out = _run([script], use_calculator=True)[0]
    assert f"{answer.comparison.head} {answer.label}\n" in out["text"] + "\n"
    assert out["inserted"] == len(answer.lines) + 1 and out["invalid"] == 0
    assert f"= {wrong_mode}" in _run([script], use_calculator=False)[0]["text"]


def test_diagnose_checks_a_comparison_against_its_own_lines(standard) -> None:
    """The teacher's comparison has no error; a value that is not its line's is a wrong number,
    a failing mode left out is a mode-order error, a result the calculator would not give is
    a wrong verdict, and a line that is not a comparison is unparsable."""
    record, answer = _compared(standard["train"])
    report = worked.diagnose(answer.text, record, answer.label)
    assert report["reasoning_errors"] == []
    assert report["teacher_derivation"][-1] == answer.comparison.text
    entry = report["derivation"][-1]
    assert entry["valid"] and entry["result"] == entry["expected_result"] == answer.label
    (mode, value), *rest = answer.comparison.values
    bad_value = answer.text.replace(f"{mode}={value}", f"{mode}={float(value) + 0.5:.3f}", 1)
    assert "wrong_number" in worked.diagnose(bad_value, record, answer.label)["reasoning_errors"]
    left_out = answer.text.replace(f"{mode}={value}, ", "", 1)
    assert "wrong_mode_order" in worked.diagnose(left_out, record, answer.label)["reasoning_errors"]
    other = next(m for m in physics.TIE_ORDER if m != answer.label)
    wrong = answer.text.replace(f"= {answer.label}\n", f"= {other}\n", 1)
    assert "wrong_verdict" in worked.diagnose(wrong, record, answer.label)["reasoning_errors"]
    broken = answer.text.replace(answer.comparison.formula, "max(slipping=", 1)
    assert "unparsable_line" in worked.diagnose(broken, record, answer.label)["reasoning_errors"]
    from physlab import results_io as rio

    marks = rio.line_marks(report["derivation"][-1])
    assert marks["ok"] and marks["verdict"] == f"{answer.label} ✓" and marks["check"].startswith("compares")
    shown = worked.read_derivation(answer.text, record["description"])
    assert shown["assumed"] == [] or all("largest" not in a for a in shown["assumed"])
    assert shown["derivation"][-1]["result"] == answer.label


# --------------------------------------------------------------------------- n/a lines


def test_na_lines_write_every_optional_check_of_a_reached_phase(standard) -> None:
    """--na-lines: every phase the lines reach writes each optional check (NA_SLOTS) at its
    place, its own line where it applies, `n/a` where it does not; the selected lines stay the
    same, in the same order, with the same label; a fixed-order phase that stops at a failing
    line writes nothing after it."""
    slots = {(p, m) for p, modes in worked.NA_SLOTS.items() for m in modes if m != "*"}
    seen_na = set()
    for record in standard["train"]:
        plain = worked.worked_answer(record, compare=True)
        answer = worked.worked_answer(record, compare=True, na_lines=True)
        assert answer.label == plain.label == record["label"] and answer.lines == plain.lines
        assert [x for x in answer.shown if isinstance(x, worked.WorkedLine)] == list(plain.lines)
        applies = {(c.phase, c.mode) for c in physics.assess(parse_scenario(record["params"])).checks}
        na = [x for x in answer.shown if isinstance(x, worked.NaLine)]
        for line in na:
            assert (line.phase, line.mode) in slots and (line.phase, line.mode) not in applies
            seen_na.add((line.phase, line.mode))
        last = plain.lines[-1]
        stopped = last.verdict == worked.VERDICT_FAIL and last.phase not in physics.MAX_RATIO_PHASES
        for phase in range(1, last.phase + (0 if stopped else 1)):  # every complete phase has all its slots
            written = {(x.phase, x.mode) for x in answer.shown if x.phase == phase}
            assert {s for s in slots if s[0] == phase} <= written, (record["id"], phase, answer.text)
        if stopped:  # nothing after the failing line, not even an n/a line
            assert answer.shown[-1] == last
        # the text: the plain text with the n/a lines in place, and nothing else
        na_free = "\n".join(row for row in answer.text.split("\n") if not row.endswith(": n/a"))
        assert na_free == plain.text
    assert seen_na == slots - {(4, "dropping")}  # every optional slot is n/a somewhere (place dropping always applies)


def test_na_lines_are_trained_whole_and_read_back_as_no_check(standard) -> None:
    """An n/a line has no `=`: it is one trained segment (no value to mask), read_lines leaves it
    out, and the teacher's own n/a answer diagnoses with no error, exactly like the plain one."""
    record = next(r for r in standard["train"] if r["label"] == "crushing")
    answer = worked.worked_answer(record, na_lines=True)
    assert answer.text.startswith("grasp collision: n/a\ngrasp crushing: ")
    segments = answer.segments()
    assert "".join(text for text, _ in segments) == answer.text
    masked = [text for text, trained in segments if not trained]
    assert len(masked) == len(answer.lines)  # only the calculator's values
    assert segments[:2] == [("grasp collision: n/a", True), ("\ngrasp crushing: " + answer.lines[0].formula + " =", True)]
    assert [p.text for p in worked.read_lines(answer.text)] == [line.text for line in answer.lines]
    assert worked.formula_to_compute("grasp collision: n/a") is None
    report = worked.diagnose(answer.text, record, answer.label)
    assert report["reasoning_errors"] == []
    assert report["copied"]["exact"] == report["copied"]["total"] > 0


def test_na_written_where_the_check_applies_is_a_missing_check(standard) -> None:
    record = next(r for r in standard["train"] if r["label"] == "crushing")
    answer = worked.worked_answer(record, na_lines=True)
    crush = answer.lines[0]
    assert crush.mode == "crushing"
    skipped = answer.text.replace(crush.text, "grasp crushing: n/a", 1)
    report = worked.diagnose(skipped, record, "success")
    assert "wrong_check_set" in report["reasoning_errors"]


def test_grammar_lets_a_student_write_na_and_nothing_like_it() -> None:
    from physlab.typedcopy import shape_ok

    for prefix in ("n", "n/", "n/a"):
        assert shape_ok(f"grasp crushing: {prefix}") is True
    assert shape_ok("transport sloshing: n/a", complete=True) is True
    assert shape_ok("transport sloshing: n/", complete=True) is False
    assert shape_ok("transport sloshing: n/b") is False
    # a check that always applies is never n/a, and the grammar never steers a line into n/a
    for line in ("place dropping: n", "lift slipping: n/a", "transport slipping: n/a", "lift dropping: n/"):
        assert shape_ok(line) is False, line
    from physlab.typedcopy import Typer

    typer = Typer.for_description("A 300 g cup, grip 20 N, crushed above 10 N.", grammar=True)
    assert typer.shape_allows("grasp crushing:", " n") and not typer.shape_moves_on("grasp crushing:", " n")
    text = "grasp crushing: n/a\nlift slipping: n/a\nNO\nFAILURE_MODE: none"
    assert [line.text for line in worked.read_lines(text)] == ["lift slipping: n/a"]  # read as unparsable


def test_generation_writes_na_lines_through_and_fills_the_values_after(standard) -> None:
    """A scripted student writing an n/a answer with wrong values: the n/a lines pass through,
    every `=` still gets the calculator's value."""
    record = next(r for r in standard["train"] if r["label"] == "sloshing")
    answer = worked.worked_answer(record, compare=True, na_lines=True)
    assert "n/a" in answer.text
    script = answer.text
    for line in answer.lines:
        script = script.replace(f"= {line.value_text} ", "= " + "9" * len(line.value_text) + " ", 1)
    out = _run([script + "\n"], use_calculator=True, max_new_tokens=1000)[0]  # one character per token
    assert out["text"] == answer.text and out["inserted"] == len(answer.lines) + 1
