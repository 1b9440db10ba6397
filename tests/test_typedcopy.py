"""Typed copying (physlab.typedcopy): numbers read with their units' dimensions, the teacher's
own formulas always allowed, wrong-dimension copies removed at decode time."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from physlab import toolgen, typedcopy, worked
from physlab.describe import describe_with_quantities, eval_expression
from physlab.scenarios import generate
from physlab.teacher import scenario_from_record

try:  # pytest puts tests/ on sys.path (no package); `python -m pytest` puts the root there
    from test_worked import CharTokenizer, ScriptedModel, _Out
except ImportError:  # pragma: no cover
    from tests.test_worked import CharTokenizer, ScriptedModel, _Out

GLASS = ("In question: a wine glass, mass 212 g; 197 mm high, radius 3.39 cm. Holding it: a two-jaw "
         "gripper exerting a gripping effort of 1.26e1 N, a coefficient of friction of 0.687 on the pads; "
         "the arm carries a maximum rated load of 5 kg. Beyond about 33.7 N of pinch it gets dented. "
         "The pick and place calls for at most 4.19 m/s² upward and 1.17 m/s^2 lateral acceleration.")


def test_numbers_are_read_with_their_units_dimensions() -> None:
    found = {n.text: n.dim for n in typedcopy.text_numbers(GLASS + " A 3.94 by 4.23 by 15.6 cm box, 1,200 g, 20°, 84%.")}
    assert found["212"] == "mass" and found["5"] == "mass" and found["1200"] == "mass"
    assert found["197"] == found["3.39"] == "length"
    assert found["1.26e1"] == found["33.7"] == "force"
    assert found["4.19"] == "accel_up" and found["1.17"] == "accel_side"  # "upward", "lateral"
    assert found["0.687"] is None  # a bare number: any slot may take it
    assert found["3.94"] == found["4.23"] == found["15.6"] == "length"  # a size list shares its unit
    assert found["20"] == "angle" and found["84"] == "percent"


@pytest.mark.parametrize("text, up, side", [
    ("The pick calls for at most 4.19 m/s² upward and 1.17 m/s² lateral acceleration.", "4.19", "1.17"),
    ("Task: pick; it is lifted at up to 2.5 m/s² and moved with peak acceleration 3 m/s².", "2.5", "3"),
    ("Peak accelerations in this pick: 2 m/s² lifting, 4 m/s² horizontally.", "2", "4"),
    ("Lift acceleration 1.5 m/s²; horizontal acceleration 2.5 m/s².", "1.5", "2.5"),
    ("It moves sideways at 3 m/s² after being raised at 1 m/s².", "1", "3"),
    ("a 350 g mug, 8 cm across, hoisted at 2 m/s² then carried at 0.5 m/s²", "2", "0.5"),
    ("accelerates 2 m/s² up and 3 m/s² sideways", "2", "3"),
    ("accelerations 2 m/s² up and 3 m/s² across", "2", "3"),
    ("The arm picks it up and lifts at 3 m/s², then moves it at 1 m/s².", "3", "1"),
    ("The conveyor moves with up to 1.2 m/s² of horizontal acceleration.", None, "1.2"),
])
def test_an_accelerations_direction_word_says_which_slot_takes_it(text: str, up: str | None, side: str) -> None:
    dims = {n.text: n.dim for n in typedcopy.text_numbers(text) if n.dim and n.dim.startswith("accel")}
    assert dims == ({up: "accel_up"} if up else {}) | {side: "accel_side"}


@pytest.mark.parametrize("text", [
    "The water rises at the wall when the tray accelerates at 3 m/s², and it brakes at 5 m/s².",
    "It picks it up and accelerates at 1.5 m/s² toward the shelf.",
    "It accelerates at 3 m/s² up to a top speed of 0.5 m/s.",
])
def test_words_that_say_no_direction_leave_an_acceleration_untagged(text: str) -> None:
    assert all(n.dim == "accel" for n in typedcopy.text_numbers(text) if n.dim and n.dim.startswith("accel"))


def test_direction_tags_narrow_a_slot_only_where_the_text_tags_both() -> None:
    """"Lifting and moving accelerations are 2 and 3": one tag (2 read as sideways, from
    "moving") and one number untagged; the lift line keeps both, as without the tags."""
    typer = typedcopy.Typer.for_description("A 1 kg box. Lifting and moving accelerations are 2 m/s² and 3 m/s².")
    assert not typer.directional
    assert {"2", "3"} <= typer.allowed("lift slipping: 1[kg]*(g+").allowed
    both = typedcopy.Typer.for_description("A 1 kg box, lifted at 2 m/s² and moved sideways at 3 m/s².")
    assert both.directional and both.allowed("lift slipping: 1[kg]*(g+").allowed == {"2"}  # never 0 there


def test_direction_words_never_contradict_the_generated_descriptions() -> None:
    """Over every seed description and every wording (the held-out ones too): an acceleration
    tagged up is the lift's, one tagged sideways the transport's; a brake stays untagged."""
    tagged = 0
    for record in (r for split in generate("seed").values() for r in split):
        scenario = scenario_from_record(record)
        for k, wording in enumerate(("classic", "any", "holdout")):
            if wording == "classic":
                text, quantities = record["description"], worked.quantities_of(record, scenario)
            else:
                described = describe_with_quantities(scenario, random.Random(f"dir-{record['id']}-{k}"), wording)
                text, quantities = described.text, described.quantities
            values = {slot: eval_expression(quantities[slot]) for slot in ("lift_accel", "transport_accel")
                      if slot in quantities}
            for number in typedcopy.text_numbers(text):
                if number.dim == "accel_up":
                    assert scenario.motion.carry == "grasped", text
                    assert number.value == pytest.approx(values["lift_accel"]), text
                elif number.dim == "accel_side":
                    assert number.value == pytest.approx(values["transport_accel"]), text
                tagged += number.dim in ("accel_up", "accel_side")
    assert tagged > 100


def test_slots_take_only_numbers_of_their_dimension() -> None:
    typer = typedcopy.Typer.for_description(GLASS)
    forces = typer.allowed("grasp crushing: 1.26e1/")
    assert forces.written == "" and {"1.26e1", "33.7"} <= forces.allowed
    assert "4.19" not in forces.allowed and "212" not in forces.allowed
    assert "0.687" not in forces.allowed  # a bare number is dimensionless: no force
    assert forces.fresh == {"33.7"}  # an override never copies 1.26e1 twice, nor the 0 of "none"
    accels = typer.allowed("lift slipping: 212[g]*(g+")
    assert "4.19" in accels.allowed and "33.7" not in accels.allowed
    assert "1.17" not in accels.allowed  # the lateral acceleration never goes into the lift line
    assert "1.17" in typer.allowed("transport slipping: 212[g]*sqrt(g^2+").allowed
    assert typer.allowed("lift slipping: 212[g]*(g+4.19)/(2*").allowed >= {"0.687"}  # the pads' friction
    assert typer.allowed("grasp crushing: 1.26e1/3").written == "3"  # a literal being written
    # nothing is constrained after the formula's own `=`, nor outside a worked line
    assert typer.allowed("grasp crushing: 1.26e1/33.7 = ") is None
    assert typer.allowed("YES\nFAILURE_MODE: ") is None
    # set down, no release height stated: the teacher's 0 stays possible
    assert "0" in typer.allowed("place dropping: ").allowed
    # a constant of the formula (the 0.01 m release limit) is never constrained
    assert typer.allowed("place dropping: 3.27[mm]/") is None


def test_a_line_comparing_more_numbers_of_a_kind_than_the_text_states_is_left_alone() -> None:
    """A crush line compares two forces. For a text that states one (the grip), the constraint
    would put the grip into both slots (grip/grip = 1, or the student's stray 2 made 12.6 and a
    false failure), so it steps aside; with the crush force stated it acts as before."""
    one_force = GLASS.replace(" Beyond about 33.7 N of pinch it gets dented.", "")
    typer = typedcopy.Typer.for_description(one_force)
    assert typer.allowed("grasp crushing: ") is None
    assert typer.allowed("grasp crushing: 2/") is None
    # other lines of the same text are still typed: lift slipping takes one force, the grip
    assert typer.allowed("lift slipping: 212[g]*(g+4.19)/(2*0.687*").allowed >= {"1.26e1"}
    assert typedcopy.Typer.for_description(GLASS).allowed("grasp crushing: ").allowed >= {"1.26e1", "33.7"}
    assert typedcopy.distinct_needed()[(1, "crushing")]["#/#"] == {"force": 2}


def _hand_written() -> list[dict]:
    """The hand-written fixtures the rules may be checked on (the final set stays unseen)."""
    from tests.test_handwritten import fixture_cases

    return [{"id": c["id"], "params": c["params"], "description": c["text"]}
            for name in ("handwritten", "handwritten_fresh") for c in fixture_cases(name)]


def test_the_teachers_own_formulas_are_always_allowed() -> None:
    """Over every split of the standard preset, held-out wording included, and the hand-written
    descriptions: at each literal of every teacher formula, the literal the teacher writes is
    among the allowed ones (role words included: they never rule out the teacher's number)."""
    checked = 0
    for records in [*generate("standard").values(), _hand_written()]:
        for record in records[::4] if records and "split" in records[0] else records:
            scenario = scenario_from_record(record)
            typer = typedcopy.Typer.for_description(record["description"])
            for line in worked.teacher_lines(scenario, worked.quantities_of(record, scenario)):
                head = f"{worked.PHASE_WORDS[line.phase]} {line.mode}: "
                if "quantities" not in record and line.true_ratio == 0:
                    continue  # rolling after a release at rest on the level: the text need not say mu
                for match in typedcopy._LITERAL_RE.finditer(line.formula):
                    allowed = typer.allowed(head + line.formula[:match.start()])
                    if allowed is None or (float(match.group(0)) == 0 and "0" in allowed.allowed):
                        continue
                    # a hand-written record has no quantities: its teacher writes SI numbers, the
                    # text states them in its own units (a unit multiple of the SI number)
                    same = {match.group(0)} if "quantities" in record else {
                        a for a in allowed.allowed if any(abs(float(a) * k - float(match.group(0))) <= 1e-9 * max(
                            1.0, float(match.group(0))) for k in (1, 10, 100, 1000, 0.1, 0.01, 0.001))}
                    assert same & allowed.allowed, (record["id"], line.formula, match.group(0))
                    # and a student writing the teacher's number is never overridden, even where
                    # the slot must take a number not yet in the line
                    assert not allowed.must_fresh or same & allowed.fresh, (record["id"], line.formula, match.group(0))
                    checked += 1
    assert checked > 5000


@pytest.mark.parametrize(("written", "piece", "ok"), [
    ("", "3", True), ("3", "3", True), ("33", ".", True), ("33.", "7", True), ("33.7", "/", True),
    ("3", "/", False), ("", "4", False), ("1.26", "e", True), ("1.26e", "1", True), ("33.7", "1", False),
])
def test_a_piece_fits_only_on_the_way_to_an_allowed_number(written: str, piece: str, ok: bool) -> None:
    assert typedcopy.fits(written, piece, frozenset({"33.7", "1.26e1"})) is ok


def test_a_slot_that_needs_a_new_number_is_not_given_the_grip_twice() -> None:
    """Held-out wording, worked try 16: "Beyond about 36.7 N of pinch it gets dented" with a grip
    of 0.569 N and μ = 0.65: the student wrote `0.569/0.` on its way to the grip again and ended
    on 0.65. The crush line's second slot needs a force the line has not copied: typed copying
    now steers the student's very first digit there."""
    text = ("A wine glass, mass 0.218 kg; 193 mm high on a base 7.43 cm wide. A two-jaw gripper: 0.569 N "
            "of closing force, a coefficient of friction μ = 0.65 on the pads. Beyond about 36.7 N of "
            "pinch it gets dented. The lift calls for at most 5.9 m/s² upward.")
    typer = typedcopy.Typer.for_description(text)
    second = typer.allowed("grasp crushing: 0.569/")
    assert second.must_fresh and second.fresh == {"36.7"}
    assert typedcopy.choose([1, 2, 3], ["0", "4", "3"], second) == (3, True)  # "0" heads for 0.569 or 0
    # the first slot may take either force, and lines that repeat nothing are unchanged
    assert typer.allowed("grasp crushing: ").fresh == {"0.569", "36.7"}
    # where the teacher may write 0 (set down: no release height stated), 0 stays the student's
    # to write: no length, speed or angle slot demands a fresh number
    set_down = typedcopy.Typer.for_description(text + " Put down on the table, then released.")
    release = set_down.allowed("place dropping: ")
    assert not release.must_fresh and "0" in release.allowed
    assert typedcopy.choose([1, 2], ["0", "1"], release) == (1, False)
    # a number the text states twice may be copied twice
    twice = typedcopy.Typer.for_description(text.replace("36.7 N", "0.569 N"))
    assert twice.allowed("grasp crushing: 0.569/") is None or not twice.allowed("grasp crushing: 0.569/").must_fresh


def test_choose_keeps_the_models_choice_unless_its_number_is_ruled_out() -> None:
    allowed = frozenset({"33.7", "1.26e1"})
    both = typedcopy.Constraint(allowed, "", allowed)
    assert typedcopy.choose([1, 2], ["4", "3"], both) == (2, True)  # 4... is no force here
    assert typedcopy.choose([1, 2], ["3", "4"], both) == (1, False)
    assert typedcopy.choose([1, 2], ["/", "3"], both) == (1, False)  # not a number: untouched
    assert typedcopy.choose([1, 2], ["9", "8"], both) == (1, False)  # nothing fits: the model's stands
    assert typedcopy.choose([1, 2], ["x", "3"], None) == (1, False)
    # 1.26e1 is already in the line: the model may copy it again, an override may not
    used = typedcopy.Constraint(allowed, "", frozenset({"33.7"}))
    assert typedcopy.choose([1, 2], ["1", "3"], used) == (1, False)
    assert typedcopy.choose([1, 2, 3], ["4", "1", "3"], used) == (3, True)
    assert typedcopy.choose([1, 2], ["4", "1"], typedcopy.Constraint(allowed, "", frozenset())) == (1, False)


class RankedModel(ScriptedModel):
    """The scripted model, with every digit and '.' as a lower-ranked alternative (so typed
    copying has candidates to choose from)."""

    def __call__(self, input_ids, attention_mask, position_ids, use_cache, **kwargs):
        out = super().__call__(input_ids, attention_mask, position_ids, use_cache, **kwargs)
        for rank, char in enumerate("0123456789."):
            out["logits"][:, -1, ord(char)] += 0.5 - 0.01 * rank
        out["logits"][:, -1] *= 2  # keep the script's own token first
        return out


def _generate(script: str, typers, model_class: type | None = None) -> dict:
    tok = CharTokenizer()
    model = (model_class or RankedModel)([script], [4])

    class Wrapper:
        device = model.device

        def __call__(self, **kwargs):
            return _Out(model(**kwargs))

    return toolgen.generate(Wrapper(), tok, [[ord(c) for c in "ask "]], max_new_tokens=200,
                            use_calculator=True, typers=typers)[0]


def test_generation_with_typed_copying_writes_a_number_of_the_right_kind() -> None:
    """A student about to copy the lift acceleration (4.19 m/s²) as the crush force writes a
    force from the text instead, and the calculator evaluates that; untyped, it keeps 4.19."""
    script = "grasp crushing: 1.26e1/4.19 = 3.007 FAILS\nYES\nFAILURE_MODE: crushing\n"
    plain = _generate(script, None)
    assert plain["text"].startswith("grasp crushing: 1.26e1/4.19 = 3.007")
    typed = _generate(script, [typedcopy.Typer.for_description(GLASS)])
    line = typed["text"].split("\n")[0]
    divisor = re.search(r"/([0-9.e]+)", line).group(1)
    assert divisor == "33.7", line  # the text's other force; never 4.19, nor the grip again
    assert typed["retyped"] > 0 and typed["inserted"] == 1


def test_worked_description_is_read_back_from_the_prompt() -> None:
    from physlab.prompts import build_worked_prompt, worked_description

    assert worked_description(build_worked_prompt(GLASS)) == GLASS
    assert worked_description("free text") == "free text"


@settings(max_examples=200, deadline=None)
@given(value=st.floats(min_value=0.001, max_value=9999, allow_nan=False, allow_infinity=False),
       unit=st.sampled_from(sorted(typedcopy.calculator.UNITS)), space=st.sampled_from(["", " "]))
def test_any_number_with_any_unit_is_read_with_that_units_dimension(value: float, unit: str, space: str) -> None:
    written = f"{value:.4g}"
    if "e" in written:
        written = f"{value:.3f}"
    text = f"It is {written}{space}{unit} here, with mu 0.5."
    found = typedcopy.text_numbers(text)
    key = typedcopy.calculator.UNITS[unit][0]
    assert (found[0].text, found[0].dim) == (written, typedcopy.UNIT_DIMS[key]), text
    assert (found[1].text, found[1].dim) == ("0.5", None)


def test_the_model_choices_offer_typed_copying_for_worked_students(tmp_path, monkeypatch) -> None:
    import json

    from physlab import launch

    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(tmp_path))
    for run_id, answer_format in (("w1", "worked"), ("a1", "answer")):
        folder = tmp_path / "runs" / run_id
        folder.mkdir(parents=True)
        (folder / "adapter_config.json").write_text("{}")
        (folder / "manifest.json").write_text(json.dumps({"run_id": run_id, "answer_format": answer_format,
                                                          "total_steps": 100}))
        (folder / "status.json").write_text(json.dumps({"run_id": run_id, "state": "done"}))
    choices = launch.model_choices(include_ollama=False)
    assert "run:w1" in choices and "run:w1:typed" in choices and "run:w1:grammar" in choices
    assert "run:a1" in choices and "run:a1:typed" not in choices and "run:a1:grammar" not in choices


def test_the_grammar_accepts_every_prefix_of_the_teachers_lines() -> None:
    """Formula grammar: at every character of every teacher line (every split, held-out
    wording included, and the curriculum's tilted and set-down copies), the line so far can
    still be one the teacher writes, and the whole line is one."""
    from physlab.teacher import tilt_indices, worked_examples

    standard = generate("standard")
    lines = []
    for records in standard.values():
        for record in records[::9]:
            scenario = scenario_from_record(record)
            lines += [line.text for line in worked.teacher_lines(scenario, worked.quantities_of(record, scenario))]
    tilted = [standard["train"][i] for i in tilt_indices(standard["train"], 1.0)]
    for example in worked_examples(tilted, tilt=1.0, set_down=1.0):
        lines += [x for x in example["completion"].splitlines() if typedcopy._HEAD_RE.match(x)]
    for text in lines:
        for end in range(len(text) + 1):
            assert typedcopy.shape_ok(text[:end]) is not False, text[:end]
        assert typedcopy.shape_ok(text, complete=True) is True, text
    assert len(lines) > 2000
    assert any("tan((atan(" in x and "hollow_ball" in x for x in lines)  # a form the seed preset never wrote


@pytest.mark.parametrize(("line", "ok"), [
    ("place rolling_away: max(tan(4.35", True),
    ("place rolling_away: max(tan(4.35[°]*", False),  # worked try 7's broken rolling line
    ("place rolling_away: max(tan((atan(8.2[%])))/0.02, roll(v=", True),
    ("lift slipping: 0.3[kg]*(g++", False),
    ("transport collision: (1.31[mm]+0.527[m/s]*50[ms]+0.527[m/s]^2/(2*5))/5.65[mm] = 9.811 FAILS", True),
    ("transport collision: 1.31[mm]/5.65[mm] =", True),  # the plain clearance is a teacher form too
    ("transport collision: 1.31[mm]/5.65[mm]/2 =", False),
    ("transport collision: (1.31[mm]*2)/5.65[mm] =", False),  # the 2*5 of a stopping distance is no conversion of a plain one
    ("lift slipping: 3.5e-", True),
    ("grasp crushing: .", True),
    ("place firing: 2/3 =", None),  # no such check: not the grammar's business
    ("YES", None),
    ("lift dropping: 350[kg*g*0.04]/5[kg] =", False),  # a bracket holds a unit, nothing else
    ("lift dropping: 350[g]/5[k", True),
    ("lift dropping: 350[g]/5[rad", False),
    ("place rolling_away: max(tan((atan(2[%])))/0.02, roll(v=0.1[m/s], k=thin_tube, mu=0.02)/5[cm]) =", True),
    ("place rolling_away: max(tan(0)/0.02, roll(v=0.1[m/s], k=1.3, mu=0.02)/5[cm]) =", True),  # a body as a number
    ("place rolling_away: max(tan(0)/0.02, roll(v=0.1[m/s], k=1.3, mu=0.02)/5[cm] =", False),
])
def test_the_grammar_rejects_formulas_no_check_has(line: str, ok: bool | None) -> None:
    assert typedcopy.shape_ok(line) is ok


def test_a_line_must_reach_its_equals_sign() -> None:
    assert typedcopy.shape_ok("grasp crushing: 8.53/26.4", complete=True) is False
    typer = typedcopy.Typer([], grammar=True)
    assert not typer.shape_allows("grasp crushing: 8.53/26.4", "\n")
    assert typer.shape_allows("grasp crushing: 8.53/26.4 = 0.323 ok", "\n")
    assert typedcopy.Typer([]).shape_allows("grasp crushing: 8.53/26.4", "\n")  # no grammar: anything


def test_the_grammar_allows_the_teachers_form_for_every_generated_text() -> None:
    """Stated kinds (`Typer.stated_forms`): over every split of the standard preset, held-out
    wording included, the teacher's line for a text is always among the forms the grammar keeps
    for that text and never written off as n/a, and the rules do act on some texts (not a test
    that cannot fail)."""
    checked = narrowed = written_off = 0
    for records in generate("standard").values():
        for record in records[::3]:
            scenario = scenario_from_record(record)
            typer = typedcopy.Typer.for_description(record["description"], grammar=True)
            for line in worked.teacher_lines(scenario, worked.quantities_of(record, scenario)):
                assert typedcopy.shape_ok(line.text, complete=True, forms=typer.stated_pattern) is True, (
                    record["id"], line.text)
                assert typer.units_as_written(line.text), (record["id"], line.text, record["description"])
                # nor is a check the teacher writes ever written off as n/a
                assert not typer.writes_off(f"{worked.PHASE_WORDS[line.phase]} {line.mode}:"), (record["id"], line.text)
                narrowed += typer.stated_forms((line.phase, line.mode)) is not None
                checked += 1
            written_off += typer.writes_off("grasp crushing:")
    assert checked > 3000 and narrowed > 200 and written_off > 100


STOPPING = ("A 0.3 kg box, 5 cm wide and 12 cm tall, grip 20 N, mu 0.6. It is carried at 2 m/s². "
            "An obstacle is 9 mm from the path; tracking error 2 mm. ")


@pytest.mark.parametrize(("text", "stop_ok"), [
    (STOPPING, False),  # no speed and no reaction time: only the plain clearance
    (STOPPING + "The arm must stop before it: speed 0.3 m/s, reaction time 50 ms, braking at 5 m/s².", True),
])
def test_a_stopping_distance_is_written_exactly_when_the_text_states_a_speed_and_a_time(
        text: str, stop_ok: bool) -> None:
    """Stated kinds: no stopping distance without a speed and a reaction time; and, since the
    teacher always writes one for a text that states them (`implied_forms`), no plain clearance
    with them."""
    assert "(#+#*#+#^#/#)/#" in typedcopy.implied_forms()[(3, "collision")]
    typer = typedcopy.Typer.for_description(text, grammar=True)
    stop = "transport collision: (2[mm]+0.3[m/s]*50[ms]+0.3[m/s]^2/(2*5))/9[mm] = 2.4 FAILS"
    plain = "transport collision: 2[mm]/9[mm] = 0.222 ok"
    assert typer.shape_allows("", stop) is stop_ok
    assert typer.shape_allows("", plain) is not stop_ok
    assert typer.shape_allows("", "transport collision: (") is stop_ok
    # the grammar replaces the model's first token by its best candidate that starts the allowed form
    assert chr(toolgen._typed(typer, "transport collision: ", Logits("( 2"), ord("("), chr)) == (
        "(" if stop_ok else "2")
    assert chr(toolgen._typed(typer, "transport collision: ", Logits("2 ("), ord("2"), chr)) == (
        "(" if stop_ok else "2")
    # a check whose every form needs a kind the text never states (no acceleration) keeps all its forms
    still = typedcopy.Typer.for_description("A 0.3 kg box, 5 cm wide, gripped with 20 N, mu 0.6.", grammar=True)
    assert still.stated_forms((3, "slipping")) is None and typer.stated_forms((3, "slipping")) is not None
    assert typedcopy.Typer([], grammar=True).shape_allows("", stop)  # no text: every form


@pytest.mark.parametrize(("text", "off"), [
    ("A 0.27 kg wooden block, grip 33.9 N, mu 0.8; the stack slopes at 5.1%.", True),  # one force: no limit
    (GLASS, False),  # the grip and a crush limit: the line is the teacher's
])
def test_a_crush_line_without_a_crush_limit_is_written_off(text: str, off: bool) -> None:
    typer = typedcopy.Typer.for_description(text, grammar=True)
    assert typer.writes_off("grasp crushing:") is off
    assert typer.writes_off("YES\ngrasp crushing: ") is off
    assert not typer.writes_off("grasp crushing: 3")  # only right after the head
    assert not typer.writes_off("lift dropping:")  # a check that always applies is never written off
    assert not typedcopy.Typer.for_description(text).writes_off("grasp crushing:")  # typed copying alone: never
    # in generation: " n/a" and a newline follow the head, the model goes on with its next line
    script = "grasp crushing:" + "#" * 5 + "NO\nFAILURE_MODE: none\n"
    out = _generate(script, [typer], ScriptedModel)
    if off:
        assert out["text"] == "grasp crushing: n/a\nNO\nFAILURE_MODE: none", out["text"]
        assert out["written_off"] == 1 and worked.read_lines(out["text"]) == []
    else:
        assert out["text"].startswith("grasp crushing:#") and out["written_off"] == 0


HALT = ("A 0.3 kg box, 5 cm wide. An obstacle stands 7.1 mm off the path; path-following error 1.03 mm. "
        "It must halt short of the obstacle: 665 mm/s, 0.05 s to respond, 5 m/s^2 to slow down; "
        "the pad friction is .632. It is let go 0.632 m/s fast and 3 mm above the table.")


def test_a_slot_takes_0_only_where_the_teacher_ever_writes_0_there() -> None:
    """A stopping distance's speed is never 0 in the teacher's lines: the student's "0" (on its
    way to 0.05, the reaction time) is not a start of any allowed number there, so typed copying
    steers it to the text's 665. A release height is 0 for an object set down: 0 stays allowed."""
    typer = typedcopy.Typer.for_description(HALT.split(" It is let go")[0] + " It is let go 3 mm above the table.",
                                            grammar=True)
    speed = typer.allowed("transport collision: (1.03[mm]+")
    assert "0" not in speed.allowed and "665" in speed.allowed
    assert typedcopy.choose([1, 2], ["0", "6"], speed) == (2, True)
    assert "0" in typer.allowed("place dropping: ").allowed


@pytest.mark.parametrize(("line", "ok"), [
    ("transport collision: (1.03[mm]+665[mm/s]*0.05[s]", True),
    ("transport collision: (1.03[mm]+665[m", True),  # on its way to mm/s
    ("transport collision: (1.03[mm]+665[m]", False),
    ("transport collision: (1.03[mm]+0.632[cm]", False),  # .632 is bare, 0.632 is m/s
    ("transport collision: (1.03[mm]+0.632[m/s]", True),
    ("transport collision: (1.03[millimetres]", True),  # any spelling of the text's unit
    ("transport collision: (1.03[cm]", False),
    ("transport collision: (1.03[mm]+665[mm/s]*0.05[s]+665[mm/s]^2/(2*5))/7.1[mm] = 11.057 FAILS", True),
    ("place dropping: 3[mm]/0.01[cm] =", True),  # 0.01 is not the text's: not constrained
])
def test_units_in_brackets_are_the_texts_units(line: str, ok: bool) -> None:
    typer = typedcopy.Typer.for_description(HALT, grammar=True)
    assert typer.units_as_written(line) is ok
    if not ok:
        assert not typer.shape_allows("", line)  # the grammar uses it


def test_a_unit_written_anyway_never_blocks_the_rest_of_the_line() -> None:
    """The unit rule checks only the bracket a token writes: after a wrong unit that stood (no
    candidate could replace it), typed copying and the grammar still act on the next numbers;
    and unit text inside a bracket is a replacement that moves the formula on."""
    typer = typedcopy.Typer.for_description(HALT, grammar=True)
    # "m/s]" replaces the model's "]" after "665[m" (the text says 665 mm/s): unit text, not a lone "["
    assert typer.shape_moves_on("transport collision: (1.03[mm]+665[m", "m/s]")
    assert not typer.shape_moves_on("transport collision: (1.03[mm]+665[m", "/s]")  # m/s is not the text's
    assert not typer.shape_moves_on("transport collision: (1.03[mm]+665[m", "[")
    chosen = toolgen._typed(typer, "transport collision: (1.03[mm]+665[m", Logits("]m"), ord("]"), chr)
    assert chr(chosen) == "m"
    after = "transport collision: (1.03[cm]+"  # a wrong unit already in the line
    assert typer.shape_allows(after, "6")
    assert not typer.shape_allows(after, "+")  # the grammar still acts
    assert chr(toolgen._typed(typer, after, Logits("76"), ord("7"), chr)) == "6"  # and typed copying


def test_a_crush_line_is_kept_when_the_text_states_two_forces_of_one_value() -> None:
    assert not typedcopy.Typer.for_description("grip 20 N; it crushes at 20 N", grammar=True).writes_off("grasp crushing:")


def test_an_equals_sign_inside_an_open_bracket_is_no_formula() -> None:
    assert typedcopy.shape_ok("grasp crushing: 246/91.6[n=") is False
    assert typedcopy.shape_ok("grasp crushing: 246/91.6[N] =") is True


class OperatorModel(ScriptedModel):
    """The scripted model with '/' as the runner-up token everywhere."""

    def __call__(self, input_ids, attention_mask, position_ids, use_cache, **kwargs):
        out = super().__call__(input_ids, attention_mask, position_ids, use_cache, **kwargs)
        out["logits"][:, -1, ord("/")] += 0.5
        return out


def test_generation_with_the_grammar_replaces_an_operator_no_formula_has() -> None:
    script = "grasp crushing: 12.6*33.7 = 0.374 ok\nNO\nFAILURE_MODE: none\n"

    def run(typer):
        return _generate(script, [typer], OperatorModel)

    forces = [typedcopy.TextNumber("12.6", 12.6, "force"), typedcopy.TextNumber("33.7", 33.7, "force")]
    shaped = run(typedcopy.Typer(forces, grammar=True))  # a grip and a crush limit: the line applies
    assert shaped["text"].startswith("grasp crushing: 12.6/33.7 = 0.374 ok"), shaped["text"]
    assert shaped["reshaped"] == 1 and shaped["inserted"] == 1
    plain = run(typedcopy.Typer([]))
    assert plain["text"].startswith("grasp crushing: 12.6*33.7 = 424.620"), plain["text"]
    assert plain["reshaped"] == 0


class Logits:
    """Fixed scores over a character vocabulary, for toolgen._typed alone."""

    def __init__(self, ranked: str) -> None:
        import torch

        self.scores = torch.zeros(1200)
        for rank, char in enumerate(ranked):
            self.scores[ord(char)] = 100.0 - rank

    def topk(self, k: int):
        return self.scores.topk(k)


def test_the_grammars_choice_stands_when_typed_copying_then_looks_at_it() -> None:
    """After "lift dropping: 350[g]/" the grammar replaces ")" by the best candidate that moves
    the formula on, the digit 9; typed copying then turns it into the start of the text's other
    mass (5 kg), and never brings back the rejected ")" nor a space."""
    typer = typedcopy.Typer.for_description("A 350 g cup; the arm is rated for 5 kg.", grammar=True)
    text = "lift dropping: 350[g]/"
    chosen = toolgen._typed(typer, text, Logits(") 95"), ord(")"), chr)
    assert chr(chosen) == "5" and typer.reshaped == 1
    # typed copying alone would keep the model's ")" (not a number: not its business)
    untyped = typedcopy.Typer.for_description("A 350 g cup; the arm is rated for 5 kg.")
    assert chr(toolgen._typed(untyped, text, Logits(") 95"), ord(")"), chr)) == ")"
    # only a space or nothing that moves on: the model's token stands, the grammar never pads
    stuck = typedcopy.Typer([], grammar=True)
    assert chr(toolgen._typed(stuck, text, Logits(")  "), ord(")"), chr)) == ")" and stuck.reshaped == 0


def test_an_evaluation_records_which_typed_copying_rules_answered() -> None:
    """The rules change answers (the fresh-slot rule did on held-out wording), so a worked
    student's answer settings name them and an evaluation will not resume under other ones."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from physlab.backends import WorkedBackend

    tiny = LlamaForCausalLM(LlamaConfig(vocab_size=300, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=1))
    backend = WorkedBackend(loaded=(tiny, CharTokenizer()), device="cpu", grammar=True)
    settings = backend.answer_settings()
    assert settings["typed_copy"] is True and settings["typed_copy_rules"] == typedcopy.RULES
    assert settings["formula_grammar"] == typedcopy.GRAMMAR_RULES
    plain = WorkedBackend(loaded=(tiny, CharTokenizer()), device="cpu")
    assert "typed_copy_rules" not in plain.answer_settings()


class VocabLogits:
    """Scores over a few multi-character tokens (id -> piece), best first."""

    def __init__(self, ranked: list[int]) -> None:
        import torch

        self.scores = torch.zeros(64)
        for rank, token in enumerate(ranked):
            self.scores[token] = 100.0 - rank

    def topk(self, k: int):
        return self.scores.topk(min(k, 64))

    def __getitem__(self, index):
        return self.scores[index]


def test_a_token_that_ends_the_formula_text_and_starts_a_number_is_typed_too() -> None:
    """SmolLM2's "=." writes a slot's `=` and the first character of its number at once, so the
    number's start was never checked: `D=.595[s]`, a time, where the text states only lengths
    (held-out wording). Now "=." is replaced by "=" when no allowed number starts with "."."""
    vocab = {1: "=.", 2: "=", 3: "7"}
    text = "transport sloshing: slosh(a=6.14, D"
    typer = typedcopy.Typer.for_description(
        "A glass 12.6 cm high on a base 70.9 mm wide; tray at 6.14 m/s² over .595 s; filled to 71%.", grammar=True)
    piece = lambda token: vocab.get(token, "~")  # noqa: E731 (unranked tokens: a piece no formula takes)
    chosen = toolgen._typed(typer, text, VocabLogits([1, 2, 3]), 1, piece)
    assert vocab[chosen] == "=" and typer.changed == 1
    # where the text states a length written ".0697 m", "=." is on the way to it and stands
    typer = typedcopy.Typer.for_description(
        "A glass 12.6 cm high on a base .0697 m wide; tray at 6.14 m/s² over .595 s; filled to 71%.", grammar=True)
    assert vocab[toolgen._typed(typer, text, VocabLogits([1, 2, 3]), 1, piece)] == "=." and typer.changed == 0


def test_where_no_top_candidate_keeps_a_formula_the_grammar_looks_further_down(monkeypatch) -> None:
    """After "(g+1) / " the student's top candidates were all digits (it meant "/ 2*0.8", a form
    no check has); the grammar now takes the best token of formula characters that keeps one."""
    import torch

    monkeypatch.setattr(toolgen, "TYPED_TOP_K", 3)
    vocab = {1: "2", 2: "3", 3: "0", 4: "(", 5: "~"}
    piece = lambda token: vocab.get(token, "~")  # noqa: E731
    typer = typedcopy.Typer.for_description("A 400 g can held at 25 N, pad friction 0.6, lifted at 1 m/s².",
                                            grammar=True)
    text = "lift slipping: 400[g]*(g+1) / "
    logits = VocabLogits([1, 2, 3, 5, 4])
    assert vocab[toolgen._typed(typer, text, logits, 1, piece)] == "2"  # top candidates only: it stands
    chosen = toolgen._typed(typer, text, logits, 1, piece, torch.tensor([1, 2, 3, 4]))
    assert vocab[chosen] == "(" and typer.reshaped == 1


def test_a_text_that_states_an_angle_gives_the_slope_as_that_angle() -> None:
    """"200 x 300 mm footprint, 120 mm tall, on a ramp tilted by 18°" was read as atan(120/200)."""
    stated = typedcopy.Typer.for_description(
        "A 1.2 kg crate, 200 x 300 mm, 120 mm tall, CoM 60 mm up, on a ramp tilted by 18°, friction 0.25.", grammar=True)
    assert not stated.shape_allows("place tipping: slope_tip(deg=(", "atan")
    assert stated.shape_allows("place tipping: slope_tip(deg=", "1")
    grade = typedcopy.Typer.for_description(
        "A 1.2 kg crate, 200 x 300 mm, 120 mm tall, CoM 60 mm up, on a ramp with a 5% grade, friction 0.25.", grammar=True)
    assert grade.shape_allows("place tipping: slope_tip(deg=(", "atan")


def test_a_space_or_bracket_then_a_numbers_start_in_one_token_is_typed_too() -> None:
    """" (." starts a stopping distance with ".", where the text's lengths are 2 mm and 37 mm:
    the student went on to ".4", the speed."""
    typer = typedcopy.Typer.for_description(
        "The arm must brake before the panel: speed .4 m/s, reaction time 50 ms, deceleration 6 m/s², "
        "tracking error 2 mm, 37 mm of clearance.", grammar=True)
    assert toolgen._starts_unfit_number(typer, "transport collision:", " (.")
    assert not toolgen._starts_unfit_number(typer, "transport collision:", " (")
