"""The worked format: the student shows its work, a calculator does the arithmetic.

A worked answer is one line per physics check, in phase order, then the usual answer head:

    lift dropping: 350[g]/5[kg] = 0.070 ok
    lift slipping: 350[g]*(g+2)/(2*0.6*20) = 0.172 ok
    transport slipping: 350[g]*sqrt(g^2+4.5^2)/(2*0.6*20) = 0.159 ok
    place dropping: 5[mm]/0.01 = 0.500 ok
    NO
    FAILURE_MODE: none

Each line names the phase (grasp, lift, transport, place) and the mode, then the check's
ratio r written as a formula with the description's own numbers, each with its unit as the
description wrote it in brackets ("350 g" is written 350[g]; the calculator converts to SI,
so the student never decides a conversion), then `=`, the value, and a verdict: `FAILS` when
r > 1, else `ok`. Long checks call a named helper of physlab.calculator with named arguments
(`slosh(a=..., D=..., H=..., fill=..., ramp=...)`). Which lines: every check of each phase in
time order; in the fixed-order phases (grasp, place) up to the first that fails; in the
largest-r phases (lift, transport) the whole phase, and no phase after one that fails. The
label is then read off the lines by the physics rule (physlab.physics.deciding_check).

With `na_lines` (`physlab curriculum build --format worked --na-lines`), each phase the lines
reach also writes its optional checks (NA_SLOTS: an obstacle, a crush limit, a liquid, a slope,
a rolling body) at fixed places, as `grasp crushing: n/a` where the check does not apply.

With `compare` (`physlab curriculum build --format worked --compare`), a lift or transport
phase with a failing line is followed by a comparison line that the calculator also answers:

    transport largest: max(slipping=1.497, sloshing=2.017) = sloshing

The student copies the values of the phase's failing lines (each mode once, its largest
value) and the calculator names the largest (calculator.compare), so the last step, which a
135M model cannot do with two decimals (BENCHMARKS.md, worked try 9), is also a tool call.

Training (physlab.train) computes no loss on the values after `=`: the calculator writes
them (`segments`), so the student never learns to guess numbers. At inference
(physlab.backends.WorkedBackend) generation pauses at each `=`, the calculator's value is
inserted, and generation goes on.

`diagnose(text, record)` compares a student's lines with the physics teacher's for the same
description: checks missing or extra, each copied number, the formula's structure, the
calculator's r against the true r, the verdict given r, the final mode; summarized per
evaluation by `reasoning_error_summary`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from physlab import calculator, physics
from physlab.describe import fmt_number
from physlab.physics import TIE_ORDER, Check
from physlab.schema import Scenario

PHASE_WORDS = {1: "grasp", 2: "lift", 3: "transport", 4: "place"}
WORD_PHASES = {w: p for p, w in PHASE_WORDS.items()}
VERDICT_FAIL, VERDICT_OK = "FAILS", "ok"
COMPARE_WORD = "largest"  # the "mode" of a comparison line: "transport largest: max(...) = sloshing"
REASONING_ERRORS = ("wrong_check_set", "wrong_number", "wrong_formula", "wrong_verdict",
                    "wrong_mode_order", "unparsable_line")
MAX_LINES = 18  # generation's cap: at most ~9 checks + up to 7 `n/a` lines; more is a runaway
NA_TEXT = "n/a"  # an optional check that does not apply: "grasp crushing: n/a" (`na_lines`)
# With `na_lines`, every phase the lines reach writes each of its optional checks at a fixed
# place: the check's own line where it applies, `n/a` where it does not. "*" stands for the
# phase's other lines (those that always apply, or whose choice the carry decides). So
# "is there a crush limit / a liquid / an obstacle / a slope" becomes a decision the student
# takes at the same place in every answer, instead of a line it has to remember to add
# (BENCHMARKS.md, worked try 11: the crushing and sloshing lines were left out, not miswritten).
NA_SLOTS: dict[int, tuple[str, ...]] = {
    1: ("collision", "crushing"),
    2: ("*",),
    3: ("collision", "*", "sloshing"),
    4: ("tipping", "slipping", "dropping", "rolling_away"),
}
# A worked line: "<phase> <mode>: <formula> = <value> <verdict>" (value and verdict optional
# while the line is being written).
LINE_RE = re.compile(
    r"^\s*(?P<phase>grasp|lift|transport|place)\s+(?P<mode>[a-z_]+)\s*:\s*(?P<formula>.*?)\s*="
    r"(?:\s*(?P<value>[-+0-9.eE]+))?(?:\s*(?P<verdict>ok|FAILS))?\s*$")
_LINE_START_RE = re.compile(r"^\s*(?:grasp|lift|transport|place)\b")
COMPARE_RE = re.compile(
    rf"^\s*(?P<phase>grasp|lift|transport|place)\s+{COMPARE_WORD}\s*:\s*(?P<formula>.*?)\s*="
    r"(?:\s*(?P<result>[a-z_]+))?\s*$")
# The (phase, mode) pairs that may be written `n/a` (place dropping always applies)
NA_OPTIONAL = frozenset((p, m) for p, modes in NA_SLOTS.items() for m in modes if m != "*") - {(4, "dropping")}
NA_RE = re.compile(rf"^\s*(?P<phase>grasp|lift|transport|place)\s+(?P<mode>[a-z_]+)\s*:\s*{re.escape(NA_TEXT)}\s*$")


# --------------------------------------------------------------------------- quantities


def _n(x: float) -> str:
    return fmt_number(x)


def default_quantities(scenario: Scenario) -> dict[str, str]:
    """Each quantity as the classic description writes it (kg, mm, N, m/s², s, °, %), as an SI
    expression. Used for records without `quantities` (data generated before they existed)."""
    o, g, m, env = scenario.object, scenario.gripper, scenario.motion, scenario.environment
    mm = lambda metres: f"{_n(metres * 1000)}[mm]"  # noqa: E731
    q = {
        "mass": f"{_n(o.mass_kg)}[kg]", "height": mm(o.height_m), "width": mm(o.width_m), "depth": mm(o.depth_m),
        "com_height": mm(o.com_height_m), "grip": _n(g.grip_force_n), "pad_mu": _n(g.pad_friction),
        "payload": f"{_n(g.payload_kg)}[kg]", "offset": mm(g.grasp_offset_m), "pad_radius": mm(g.pad_radius_m),
        "lift_accel": _n(m.lift_accel_mps2), "transport_accel": _n(m.transport_accel_mps2),
        "ramp": f"{_n(m.ramp_time_s)}[s]", "tracking": mm(m.tracking_error_m), "speed": f"{_n(m.speed_mps)}[m/s]",
        "reaction": f"{_n(m.reaction_time_s)}[s]", "brake": _n(m.brake_decel_mps2),
        "release_height": mm(m.release_height_m) if m.release_height_m else "0",
        "support_mu": _n(env.support_friction), "slope": _n(env.slope_deg),
        "rolling_res": _n(env.rolling_resistance), "release_speed": f"{_n(m.release_speed_mps)}[m/s]",
        "roll_tol": f"{_n(env.roll_tolerance_m * 100)}[cm]",
    }
    if o.shape != "box":
        q["width"] = q["depth"] = q["diameter"] = mm(max(o.width_m, o.depth_m))
    if o.crush_force_n is not None:
        q["crush"] = _n(o.crush_force_n)
    if o.fill_fraction is not None:
        q["fill"] = f"{_n(o.fill_fraction * 100)}[%]"
    if m.clearance_m is not None:
        q["clearance"] = mm(m.clearance_m)
    return q


def _si_value(scenario: Scenario, slot: str) -> float:
    """The scenario's true value of a slot, in SI (what a copied expression should give)."""
    o, g, m, env = scenario.object, scenario.gripper, scenario.motion, scenario.environment
    values = {
        "mass": o.mass_kg, "height": o.height_m, "width": o.width_m, "depth": o.depth_m,
        "diameter": max(o.width_m, o.depth_m), "com_height": o.com_height_m, "fill": o.fill_fraction,
        "crush": o.crush_force_n, "grip": g.grip_force_n, "pad_mu": g.pad_friction, "payload": g.payload_kg,
        "offset": g.grasp_offset_m, "pad_radius": g.pad_radius_m, "lift_accel": m.lift_accel_mps2,
        "transport_accel": m.transport_accel_mps2, "ramp": m.ramp_time_s, "clearance": m.clearance_m,
        "tracking": m.tracking_error_m, "speed": m.speed_mps, "reaction": m.reaction_time_s,
        "brake": m.brake_decel_mps2, "release_height": m.release_height_m, "support_mu": env.support_friction,
        "slope": env.slope_deg, "rolling_res": env.rolling_resistance, "release_speed": m.release_speed_mps,
        "roll_tol": env.roll_tolerance_m, "contacts": g.contacts, "inertia": o.inertia_factor,
    }
    return values[slot]


def quantities_of(record: dict[str, Any], scenario: Scenario) -> dict[str, str]:
    """The record's own `quantities` (how its description wrote each number), else the defaults."""
    own = record.get("quantities")
    return dict(own) if isinstance(own, dict) and own else default_quantities(scenario)


# --------------------------------------------------------------------------- formulas


@dataclass
class _Formula:
    """A formula built left to right, remembering which slot each number literal came from."""

    quantities: dict[str, str]
    scenario: Scenario
    parts: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)

    def t(self, text: str) -> _Formula:  # literal text without numbers
        self.parts.append(text)
        return self

    def c(self, number: str) -> _Formula:  # a constant of the formula (2/3, 0.01, contacts, ...)
        self.parts.append(number)
        self.slots += ["const"] * len(calculator.numbers(number))
        return self

    def q(self, slot: str) -> _Formula:  # a quantity copied from the description
        expr = self.quantities.get(slot)
        if expr is None:  # not stated (e.g. no release height: set down); its value is known
            expr = _n(_si_value(self.scenario, slot))
        literals = calculator.numbers(expr)
        # One number with its unit ("350[g]") needs no parentheses; "2*16[mm]" and
        # "60[mm]/82[mm]" do, inside a longer formula.
        simple = len(literals) == 1 and re.fullmatch(r"[0-9.eE+-]+(?:\[[^\]]+\])?", expr.strip()) is not None
        self.parts.append(expr.strip() if simple else f"({expr.strip()})")
        # Which literals were copied from the text: all but the 2 that doubles a radius into a
        # diameter (units are brackets, not numbers).
        doubled = re.match(r"\(*2\*", expr.strip()) is not None and len(literals) > 1
        for i, _value in enumerate(literals):
            self.slots.append(f"{slot} (unit)" if i == 0 and doubled else slot)
        return self

    def footprint(self, first: str) -> _Formula:
        """A helper's footprint arguments: `<first>=<width>`, then `, d=<depth>` when the text
        gives a second side (a box). The helper takes the min or max itself."""
        self.t(f"{first}=").q("width")
        if self.quantities.get("width") is not None and self.quantities.get("width") == self.quantities.get("depth"):
            return self
        return self.t(", d=").q("depth")

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _contacts(scenario: Scenario) -> str:
    return str(scenario.gripper.contacts)


def _inertia(scenario: Scenario) -> str | None:
    """The rolling body by name (calculator.BODIES), as the text's words describe it; None
    for a body the names do not cover (then its number is written, as a constant)."""
    k = scenario.object.inertia_factor
    return next((name for name, value in calculator.BODIES.items() if abs(k - value) < 1e-9), None)


def check_formula(check: Check, scenario: Scenario, quantities: dict[str, str]) -> tuple[str, list[str]]:
    """The formula of one physics check with the description's numbers, and each literal's slot."""
    f = _Formula(quantities, scenario)
    m = scenario.motion
    name = check.name
    if name == "clearance":
        if m.stop_before_obstacle:
            f.t("(").q("tracking").t("+").q("speed").t("*").q("reaction").t("+").q("speed").t("^").c("2") \
             .t("/(").c("2").t("*").q("brake").t("))/").q("clearance")
        else:
            f.q("tracking").t("/").q("clearance")
    elif name == "grip force":
        f.q("grip").t("/").q("crush")
    elif name == "payload":
        f.q("mass").t("/").q("payload")
    elif name == "off-centre torque":
        f.q("mass").t("*g*").q("offset").t("/(").c(_contacts(scenario)).t("*").c("2/3").t("*").q("pad_mu") \
         .t("*").q("grip").t("*").q("pad_radius").t(")")
    elif name == "in-hand slip (lift)":
        f.q("mass").t("*(g+").q("lift_accel").t(")/(").c(_contacts(scenario)).t("*").q("pad_mu").t("*") \
         .q("grip").t(")")
    elif name == "in-hand slip (transport)":
        f.q("mass").t("*sqrt(g^").c("2").t("+").q("transport_accel").t("^").c("2").t(")/(") \
         .c(_contacts(scenario)).t("*").q("pad_mu").t("*").q("grip").t(")")
    elif name == "rolls on the support":
        f.q("transport_accel").t("/(").q("rolling_res").t("*g)")
    elif name == "slides on the support":
        f.t("tray_slide(a=").q("transport_accel").t(", mu=").q("support_mu").t(", ").footprint("w") \
         .t(", h=").q("com_height").t(")")
    elif name == "tips over":
        f.t("tray_tip(a=").q("transport_accel").t(", ").footprint("w").t(", h=").q("com_height") \
         .t(", mu=").q("support_mu").t(")")
    elif name == "free surface":
        f.t("slosh(a=").q("transport_accel").t(", ").footprint("D").t(", H=").q("height") \
         .t(", fill=").q("fill").t(", ramp=").q("ramp").t(")")
    elif name == "tips on the slope":
        f.t("slope_tip(deg=").q("slope").t(", ").footprint("w").t(", h=").q("com_height") \
         .t(", mu=").q("support_mu").t(")")
    elif name == "slides down the slope":
        f.t("slope_slide(deg=").q("slope").t(", mu=").q("support_mu").t(", ").footprint("w") \
         .t(", h=").q("com_height").t(")")
    elif name == "release height":
        f.q("release_height").t("/").c("0.01")
    elif name == "rolls after release":
        body = _inertia(scenario)
        f.t("max(tan(").q("slope").t(")/").q("rolling_res").t(", roll(v=").q("release_speed").t(", k=")
        if body:
            f.t(body)
        else:
            f.c(_n(scenario.object.inertia_factor))
        f.t(", mu=").q("rolling_res").t(")/").q("roll_tol").t(")")
    else:  # a check this format does not know yet: fail loudly in the teacher, never guess
        raise ValueError(f"worked format: no formula for check {name!r} ({check.mode})")
    return f.text, f.slots


# --------------------------------------------------------------------------- teacher


@dataclass(frozen=True)
class WorkedLine:
    phase: int
    mode: str
    formula: str
    value: float  # the calculator's value of the formula (the description's rounded numbers)
    true_ratio: float  # physics r from the exact parameters
    check_name: str
    slots: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return VERDICT_FAIL if self.value > 1.0 else VERDICT_OK

    @property
    def head(self) -> str:
        return f"{PHASE_WORDS[self.phase]} {self.mode}: {self.formula} ="

    @property
    def value_text(self) -> str:
        return calculator.format_value(self.value)

    @property
    def text(self) -> str:
        return f"{self.head} {self.value_text} {self.verdict}"


def label_from_lines(lines: Iterable[tuple[int, str, float]]) -> str:
    """The label a list of (phase, mode, r) lines implies, by the physics rule."""
    checks = [Check(mode=mode, phase=phase, phase_name=physics.PHASE_NAMES[phase], ratio=value,
                    explanation="") for phase, mode, value in lines if phase in physics.PHASE_NAMES
              and mode in TIE_ORDER]
    deciding = physics.deciding_check(checks)
    return deciding.mode if deciding else "success"


def select_lines(lines: list[WorkedLine]) -> list[WorkedLine]:
    """The lines the teacher writes: phase by phase, stopping where the label is decided."""
    chosen: list[WorkedLine] = []
    for phase in sorted(PHASE_WORDS):
        in_phase = [line for line in lines if line.phase == phase]
        for line in in_phase:
            chosen.append(line)
            if line.value > 1.0 and phase not in physics.MAX_RATIO_PHASES:
                return chosen
        if any(line.value > 1.0 for line in in_phase):
            return chosen
    return chosen


def teacher_lines(scenario: Scenario, quantities: dict[str, str]) -> list[WorkedLine]:
    """Every applicable check as a worked line, in physics' time order (before selection)."""
    out = []
    for check in physics.assess(scenario).checks:
        formula, slots = check_formula(check, scenario, quantities)
        result = calculator.evaluate(formula)
        if not result.ok:
            raise ValueError(f"worked format: the teacher's formula {formula!r} does not evaluate: {result.error}")
        out.append(WorkedLine(check.phase, check.mode, formula, result.value, check.ratio, check.name, tuple(slots)))
    return out


@dataclass(frozen=True)
class ComparisonLine:
    """`<phase> largest: max(<mode>=<value>, ...) = <mode>`: which failing mode of a largest-r
    phase has the largest value, named by the calculator (calculator.compare)."""

    phase: int
    values: tuple[tuple[str, str], ...]  # (mode, its value as the line above wrote it)
    result: str  # the mode calculator.compare names

    @property
    def formula(self) -> str:
        return _comparison_formula(self.values)

    @property
    def head(self) -> str:
        return f"{PHASE_WORDS[self.phase]} {COMPARE_WORD}: {self.formula} ="

    @property
    def text(self) -> str:
        return f"{self.head} {self.result}"


def comparison_line(lines: Iterable[WorkedLine]) -> ComparisonLine | None:
    """The comparison that closes a largest-r phase with a failing line (the last phase the
    lines reach), else None: each failing mode once, with its largest value as written."""
    lines = list(lines)
    if not lines or lines[-1].phase not in physics.MAX_RATIO_PHASES:
        return None
    phase = lines[-1].phase
    best: dict[str, WorkedLine] = {}
    for line in lines:
        if line.phase == phase and line.verdict == VERDICT_FAIL:
            if line.mode not in best or line.value > best[line.mode].value:
                best[line.mode] = line
    if not best:
        return None
    values = tuple((mode, line.value_text) for mode, line in best.items())
    choice = calculator.compare(_comparison_formula(values))
    assert choice.mode is not None, choice.error  # the teacher writes modes and numbers only
    return ComparisonLine(phase, values, choice.mode)


def _comparison_formula(values: Iterable[tuple[str, str]]) -> str:
    return "max(" + ", ".join(f"{mode}={value}" for mode, value in values) + ")"


@dataclass(frozen=True)
class NaLine:
    """`<phase> <mode>: n/a`: an optional check (NA_SLOTS) of a phase the lines reach, which
    does not apply to this scenario. Written whole by the student; nothing to compute."""

    phase: int
    mode: str

    @property
    def text(self) -> str:
        return f"{PHASE_WORDS[self.phase]} {self.mode}: {NA_TEXT}"


def with_na_lines(lines: Iterable[WorkedLine], every: Iterable[WorkedLine]) -> tuple[WorkedLine | NaLine, ...]:
    """The selected `lines` in order, with an n/a line at each optional check (NA_SLOTS) of every
    phase they reach that none of the scenario's checks (`every`) fills. A fixed-order phase
    that stops at a failing line writes nothing after it, n/a lines included."""
    lines = list(lines)
    applies = {(line.phase, line.mode) for line in every}
    out: list[WorkedLine | NaLine] = []
    for phase in range(1, max((line.phase for line in lines), default=0) + 1):
        explicit = set(NA_SLOTS[phase]) - {"*"}
        own = [line for line in lines if line.phase == phase]
        stopped = False
        for entry in NA_SLOTS[phase]:
            group = [line for line in own if (line.mode not in explicit if entry == "*" else line.mode == entry)]
            if entry != "*" and not group and (phase, entry) not in applies:
                out.append(NaLine(phase, entry))
            for line in group:
                out.append(line)
                stopped = line.value > 1.0 and phase not in physics.MAX_RATIO_PHASES
                if stopped:
                    break
            if stopped:
                break
    written = [line for line in out if isinstance(line, WorkedLine)]
    if written != lines:  # every selected line exactly once, in its order: else the layout is wrong
        raise ValueError(f"worked format: the n/a layout lost or reordered lines: {[x.head for x in lines]}")
    return tuple(out)


@dataclass(frozen=True)
class WorkedAnswer:
    lines: tuple[WorkedLine, ...]
    label: str  # read off the lines (the description's numbers)
    comparison: ComparisonLine | None = None
    # With `na_lines`: the lines as written, n/a lines in place (`with_na_lines`); else empty
    shown: tuple[WorkedLine | NaLine, ...] = ()

    def with_comparison(self) -> WorkedAnswer:
        """The same answer with its comparison line (`comparison_line`); its label is the mode
        the comparison names, which is the lines' label unless two values tie as written."""
        comparison = comparison_line(self.lines)
        if comparison is None:
            return self
        return replace(self, label=comparison.result, comparison=comparison)

    @property
    def answer_head(self) -> str:
        from physlab.prompts import format_answer

        return format_answer(self.label)

    @property
    def text(self) -> str:
        compare = [self.comparison.text] if self.comparison else []
        return "\n".join([*(line.text for line in self.shown or self.lines), *compare, self.answer_head])

    def segments(self) -> list[tuple[str, bool]]:
        """(text, trained?) pieces: every value the calculator inserts has no loss. Tokenized
        piece by piece, exactly as generation sees them (it inserts the value after `=`)."""
        pieces: list[tuple[str, bool]] = []
        pending = ""
        for line in self.shown or self.lines:
            if isinstance(line, NaLine):  # no `=`: trained whole
                pieces.append((pending + line.text, True))
                pending = "\n"
                continue
            pieces.append((pending + line.head, True))
            pieces.append((" " + line.value_text, False))
            pending = f" {line.verdict}\n"
        if self.comparison is not None:
            pieces.append((pending + self.comparison.head, True))
            pieces.append((" " + self.comparison.result, False))
            pending = "\n"
        pieces.append((pending + self.answer_head, True))
        return pieces


def worked_answer(record: dict[str, Any], compare: bool = False, na_lines: bool = False) -> WorkedAnswer:
    """The physics teacher's worked answer for a data record (description, params, quantities);
    `compare`: with the comparison line of a failing largest-r phase (`comparison_line`);
    `na_lines`: with an n/a line for each optional check that does not apply (`with_na_lines`)."""
    from physlab.schema import parse_scenario

    scenario = parse_scenario(record["params"])
    every = teacher_lines(scenario, quantities_of(record, scenario))
    lines = select_lines(every)
    label = label_from_lines((line.phase, line.mode, line.value) for line in lines)
    answer = WorkedAnswer(tuple(lines), label, shown=with_na_lines(lines, every) if na_lines else ())
    return answer.with_comparison() if compare else answer


# --------------------------------------------------------------------------- reading a student


@dataclass(frozen=True)
class StudentLine:
    text: str
    phase: int | None
    mode: str | None
    formula: str | None
    value: float | None  # as written in the line (the calculator's when it ran)
    verdict: str | None
    result: str | None = None  # a comparison line's mode (`<phase> largest: max(...) = <mode>`)

    @property
    def parsed(self) -> bool:
        return self.phase is not None

    @property
    def is_comparison(self) -> bool:
        return self.mode == COMPARE_WORD


def read_lines(text: str) -> list[StudentLine]:
    """The derivation lines of a worked answer (those before the YES/NO line); `n/a` lines
    (`na_lines`) say a check does not apply and are left out."""
    out: list[StudentLine] = []
    for raw in (text or "").splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        if re.match(r"^(yes|no)\b|^failure[ _-]*mode|^reasoning", stripped, re.IGNORECASE):
            break
        # An optional check written as not applying is not a derivation line; n/a for a check
        # that always applies falls through and is read as an unparsable line.
        na = NA_RE.match(stripped)
        if na and (WORD_PHASES[na.group("phase")], na.group("mode")) in NA_OPTIONAL:
            continue
        compared = COMPARE_RE.match(stripped)
        if compared:
            out.append(StudentLine(stripped, WORD_PHASES[compared.group("phase")], COMPARE_WORD,
                                   compared.group("formula"), None, None, compared.group("result")))
            continue
        match = LINE_RE.match(stripped)
        if not match:
            out.append(StudentLine(stripped, None, None, None, None, None))
            continue
        value = None
        if match.group("value"):
            try:
                value = float(match.group("value"))
            except ValueError:
                value = None
        out.append(StudentLine(stripped, WORD_PHASES[match.group("phase")], match.group("mode"),
                               match.group("formula"), value, match.group("verdict")))
        if len(out) >= MAX_LINES:
            break
    return out


def formula_to_compute(text: str) -> str | None:
    """The formula to evaluate when generation has just written `text`, else None.

    True when the last line is a worked line that ends with `=` and whose parentheses are
    balanced (the `=` of a helper's named argument sits inside parentheses)."""
    last = text.rsplit("\n", 1)[-1]
    stripped = last.rstrip()
    if not stripped.endswith("=") or not _LINE_START_RE.match(last):
        return None
    head, sep, formula = stripped[:-1].partition(":")
    if not sep:
        return None
    if formula.count("(") != formula.count(")"):
        return None
    return formula.strip()


# --------------------------------------------------------------------------- diagnostics


def _same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def diagnose(text: str, record: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """Compare a student's worked answer with the physics teacher's for the same record.

    Returns {"derivation": [per student line], "teacher_derivation": [teacher lines],
    "reasoning_errors": [categories], "copied": {"exact": n, "total": n}}. `label` is the final
    label the answer gave (parsed from its YES/NO and FAILURE_MODE lines).
    """
    from physlab.schema import parse_scenario

    scenario = parse_scenario(record["params"])
    quantities = quantities_of(record, scenario)
    every = teacher_lines(scenario, quantities)
    teacher = select_lines(every)
    student = read_lines(text)
    errors: set[str] = set()
    used: set[int] = set()
    derivation = []
    exact = total = 0
    for position, line in enumerate(student):
        entry: dict[str, Any] = {"text": line.text, "phase": PHASE_WORDS.get(line.phase) if line.phase else None,
                                 "mode": line.mode, "formula": line.formula, "value": line.value,
                                 "verdict": line.verdict, "valid": False, "true_ratio": None,
                                 "check_ok": False, "numbers": [], "errors": []}
        line_errors: list[str] = []
        if line.is_comparison:
            line_errors = _diagnose_comparison(line, student, entry)
        elif not line.parsed:
            line_errors.append("unparsable_line")
        else:
            result = calculator.evaluate(line.formula or "")
            entry["valid"] = result.ok
            if not result.ok:
                line_errors.append("unparsable_line")
            if line.value is not None and line.verdict is not None:
                if (line.value > 1.0) != (line.verdict == VERDICT_FAIL):
                    line_errors.append("wrong_verdict")
            # The teacher's line for the same check: same phase and mode, same structure first.
            structure = calculator.structure(line.formula or "")
            candidates = [i for i, t in enumerate(every) if i not in used and t.phase == line.phase
                          and t.mode == line.mode]
            same = [i for i in candidates if calculator.structure(every[i].formula) == structure]
            match = (same or candidates or [None])[0]
            if match is None:
                line_errors.append("wrong_check_set")
            else:
                used.add(match)
                target = every[match]
                entry["true_ratio"] = target.true_ratio
                entry["check_ok"] = (position < len(teacher) and teacher[position] is target)
                if not same:
                    line_errors.append("wrong_formula")
                else:
                    copied = calculator.numbers(line.formula or "")
                    expected = calculator.numbers(target.formula)
                    for slot, got, want in zip(target.slots, copied, expected, strict=False):
                        ok = _same_number(got, want)
                        entry["numbers"].append({"slot": slot, "copied": got, "expected": want, "exact": ok})
                        if slot != "const":
                            total += 1
                            exact += int(ok)
                        if not ok:
                            line_errors.append("wrong_number")
        entry["errors"] = sorted(set(line_errors))
        errors.update(line_errors)
        derivation.append(entry)
    shown = [t.text for t in teacher]
    if any(s.is_comparison for s in student):
        comparison = comparison_line(teacher)
        shown += [comparison.text] if comparison else []
    teacher_set = {id(t) for t in teacher}
    matched_set = {id(every[i]) for i in used}
    if teacher_set - matched_set:
        errors.add("wrong_check_set")  # a check the teacher writes is missing
    if label is not None:
        implied = label_from_lines((s.phase, s.mode, s.value) for s in student
                                   if s.parsed and s.value is not None)
        if label != implied and label != "unparsed":
            errors.add("wrong_mode_order")
    return {
        "derivation": derivation,
        "teacher_derivation": shown,
        "reasoning_errors": [e for e in REASONING_ERRORS if e in errors],
        "copied": {"exact": exact, "total": total},
    }


def _diagnose_comparison(line: StudentLine, student: list[StudentLine], entry: dict[str, Any]) -> list[str]:
    """A student's comparison line against its own lines above it: it should list each failing
    mode of its phase once (else wrong_mode_order) with the value its line got (else
    wrong_number), and name the mode the calculator names (else wrong_verdict)."""
    choice = calculator.compare(line.formula or "")
    entry.update(valid=choice.ok, value=None, result=line.result, expected_result=choice.mode)
    if not choice.ok:
        return ["unparsable_line"]
    own: dict[str, float] = {}
    for s in student:
        if s.phase == line.phase and not s.is_comparison and s.mode and s.value is not None and s.value > 1.0:
            own[s.mode] = max(own.get(s.mode, s.value), s.value)
    for mode, value in choice.values:
        entry["numbers"].append({"slot": mode, "copied": value, "expected": own.get(mode),
                                 "exact": mode in own and _same_number(value, own[mode])})
    errors = []
    if {mode for mode, _ in choice.values} != set(own):
        errors.append("wrong_mode_order")
    if any(not n["exact"] for n in entry["numbers"] if n["expected"] is not None):
        errors.append("wrong_number")
    if line.result is not None and line.result != choice.mode:
        errors.append("wrong_verdict")
    return errors


def reasoning_error_summary(records: Iterable[dict[str, Any]], examples: int = 20) -> dict[str, Any]:
    """{category: {count, examples}} over records carrying `reasoning_errors`, and copied numbers."""
    summary = {cat: {"count": 0, "examples": []} for cat in REASONING_ERRORS}
    exact = total = 0
    clean = 0
    n = 0
    for rec in records:
        if "reasoning_errors" not in rec:
            continue
        n += 1
        cats = rec.get("reasoning_errors") or []
        clean += int(not cats)
        for cat in cats:
            if cat in summary:
                summary[cat]["count"] += 1
                if len(summary[cat]["examples"]) < examples:
                    summary[cat]["examples"].append(rec.get("scenario_id"))
        copied = rec.get("copied") or {}
        exact += int(copied.get("exact", 0))
        total += int(copied.get("total", 0))
    return {"reasoning_errors": summary, "copied_numbers": {"exact": exact, "total": total},
            "derivations": n, "derivations_without_error": clean}


# --------------------------------------------------------------------------- free text

# Numbers a worked formula may hold that no description states: unit conversions, the
# contacts of a gripper kind, 2/3 of the torque formula, the 1 cm release limit, squares and
# the rolling bodies' 1 + I/(mR²) (1.4, 5/3, 1.5, 2).
FORMULA_CONSTANTS = frozenset({0.0, 2.0, 3.0, 5.0, 10.0, 100.0, 1000.0, 0.01, 1.4, 1.5})
_TEXT_NUMBER_RE = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def numbers_in_text(text: str) -> list[float]:
    """Every number a description states (0.35, .35, 3.5e-1, 1,200), as floats."""
    found = []
    for match in _TEXT_NUMBER_RE.finditer(text or ""):
        try:
            found.append(float(match.group(0).replace(",", "")))
        except ValueError:
            continue
    return found


def _named_arguments(formula: str) -> list[str | None]:
    """For each number literal of a formula (reading order), the helper argument it sits in
    (`mu` in tray_slide(..., mu=0.3, ...)), else None."""
    import ast

    try:
        tree = calculator.parse(formula)
    except calculator.CalculatorError:
        return []
    names: list[tuple[int, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword):
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, int | float):
                    names.append((sub.col_offset, node.arg))
    named = dict(names)
    literals = sorted(n.col_offset for n in ast.walk(tree)
                       if isinstance(n, ast.Constant) and isinstance(n.value, int | float)
                       and not isinstance(n.value, bool))
    return [named.get(offset) for offset in literals]


def read_derivation(text: str, description: str) -> dict[str, Any]:
    """A worked answer to a free-text description: each line with its calculator value and
    every copied number checked against the numbers the description states. Returns
    {"derivation": [...], "assumed": [sentences naming numbers the text does not state]}."""
    stated = numbers_in_text(description)
    derivation, assumed = [], []
    for line in read_lines(text):
        # The evaluation records' shape (diagnose), with what free text allows: no physics to
        # compare with (check_ok and true_ratio None); a number is "exact" when the text states it.
        entry: dict[str, Any] = {"text": line.text, "phase": PHASE_WORDS.get(line.phase) if line.phase else None,
                                 "mode": line.mode, "formula": line.formula, "value": line.value,
                                 "verdict": line.verdict, "valid": False, "numbers": [], "check_ok": None,
                                 "true_ratio": None, "errors": [] if line.parsed else ["unparsable_line"]}
        if line.is_comparison:  # its numbers are the lines' values, not the description's
            choice = calculator.compare(line.formula or "")
            entry.update(valid=choice.ok, result=line.result, expected_result=choice.mode,
                         errors=[] if choice.ok else ["unparsable_line"])
        elif line.parsed:
            result = calculator.evaluate(line.formula or "")
            entry["valid"] = result.ok
            for value, arg in zip(calculator.numbers(line.formula or ""),
                                  _named_arguments(line.formula or ""), strict=False):
                in_text = any(_same_number(value, s) for s in stated)
                constant = value in FORMULA_CONSTANTS
                entry["numbers"].append({"slot": arg or ("constant" if constant else "number"), "copied": value,
                                         "expected": value if in_text else None, "exact": in_text or constant,
                                         "in_text": in_text, "constant": constant, "argument": arg})
                if not in_text and not constant:
                    where = f"{entry['phase']} {line.mode}"
                    what = f" as {arg}" if arg else ""
                    assumed.append(f"{calculator.format_value(value).rstrip('0').rstrip('.')}{what} "
                                   f"in the {where} check is not in the description: the model assumed it")
        derivation.append(entry)
    return {"derivation": derivation, "assumed": assumed}
