"""Typed copying: a worked formula may take a number from the description only when the
description's unit for that number has the dimension the formula's slot needs.

Why: on the held-out wording split most wrong copies are numbers of the wrong kind. For
worked try 4, 80 of the 103 wrong copied numbers whose right value the text states have a
different dimension in the text from the one the slot needs: an acceleration where the crush
force belongs ("Beyond about 33.7 N of pinch it gets dented" is a sentence it never saw, so it
copies the 4.19 m/s² of the next sentence). The student still chooses *which* number: this
module only removes the candidates whose unit says they cannot be right, at decode time, the
way grammar-constrained decoding removes tokens that break a grammar.

How:
- `text_numbers(description)` reads every number of the description with the dimension of
  the unit written after it ("33.7 N" is a force, "4.19 m/s²" an acceleration, "0.6" has
  none). Numbers of a size list share its unit ("3.94 by 4.23 by 15.6 cm").
- `templates()` holds, per (phase, mode), the shape of each formula the physics teacher
  writes (numbers as `#`, units dropped) and the dimension of each of its numbers. It is built
  once per process from the `seed` preset's scenarios in the curriculum's wordings (train and
  wide, never a held-out template; about 2 s), so it
  follows physlab.worked.check_formula by construction; nothing is stored on disk.
- `Typer.allowed(text)` returns, for a worked line being written, the number strings that may
  be written at its current literal (None = no constraint): those whose text dimension is the
  slot's. A bare number is read as dimensionless: only a dimensionless slot (a friction
  coefficient, a fill fraction) takes it, and a slot whose dimension the text never states is
  not constrained. A literal that every matching template
  fills with a constant (the 2 of a diameter, the 0.01 of the release limit) is never
  constrained, and neither is anything outside a formula (the value after `=`, the answer).
  `0` is allowed where the teacher's lines ever write 0 at that literal (its set-down copies
  included): the teacher writes it for a quantity the text leaves at none (an
  object set down has no release height).
  A line that compares more distinct numbers of a kind than the text states (`distinct_needed`:
  a crush line compares two forces; the text may state only the grip) is not one the teacher
  would write, and is left unconstrained.
- `choose(...)` keeps the model's token when it keeps the literal on the way to an allowed
  string (to a fresh one where every force or mass slot of its kind left in the line needs a
  number the line has not copied yet: the crush line's second force); otherwise it picks the
  best of the model's top candidates on the way to a *fresh* one (not yet copied into this
  line; see `Constraint`); when none fits, the model's own choice stands.

Formula grammar (`run:<id>:grammar`, typed copying and this): `shape_ok(line)` says whether a
worked line being written can still become a formula of the teacher's forms for its check (its
phase and mode; `grammar_patterns`): numbers aside, any of the unit conversions the teacher
writes for that check at any number (a doubled radius, a grade or a rise over a run turned into
an angle, a height over a height), any rolling body (named or a number), and units in brackets
that the calculator knows. A line that ends (a newline) before its `=` fails it. The student
still chooses the check, which form (a plain clearance or one with a stopping distance), every
number and the verdict; the grammar only replaces a token that would make a formula no check
has ("max(tan(4.35[°]*0.0157, ..." for the rolling line, worked try 7) with the best of the
model's top candidates that keeps one and moves the formula on (not a space, not a lone `[`).
Of a check's forms it allows only those whose every kind of number the text states
(`Typer.stated_forms`): no stopping-distance clearance for a text with no speed and no reaction
time. A form the teacher always writes for a text that states its kinds (`implied_forms`: the
stopping distance, for a text with a speed, a time and an acceleration; the gripped carry's slip,
for a text with a force and a mass) is then the only one allowed. Both are learned from the seed
texts, so a free text that states those kinds for another reason (a ramp time and a release
speed; a tray text that gives some force) gets the same forms (BENCHMARKS.md, stated forms).
Units in brackets after a number the text states with a unit are that unit
(`Typer.units_as_written`). Where this leaves every form of a check, or none, all forms stay allowed.
A check that may not apply and whose every form compares more distinct forces or masses than
the text states (a crush line for a text with only the grip) is written off as `n/a` as soon as
its head is written (`Typer.writes_off`; toolgen queues the text like a calculator value).

Dimensions: "mass", "length", "force", "time", "speed", "accel", "angle", "percent", and
"ratio" (a dimensionless slot: a friction coefficient, a fill fraction), which takes bare
numbers and percentages. An acceleration with a direction word is "accel_up" or "accel_side"
(`accel_direction`); the lift slot takes "accel_up", the transport slot "accel_side", each
also an untagged "accel", and only where the text tags both (`Typer.directional`).
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from physlab import calculator, roles
from physlab.worked import NA_OPTIONAL, NA_SLOTS, NA_TEXT

# The rules typed copying applies, recorded with every evaluation that uses it (a change here
# changes answers: an evaluation refuses to resume under other rules).
RULES = "dimension+fresh-force-mass-slots+zero-where-the-teacher-writes-it+role-words/5"
# The formula grammar's rules, recorded the same way: the teacher's forms for each check, only
# those whose every kind of number the text states, the implied one where there is one
# (`Typer.stated_forms`); an optional check the text states too few forces or masses for is
# written off as n/a (`Typer.writes_off`).
GRAMMAR_RULES = "teacher-forms+stated-kinds+implied-forms+unstated-optional-na+units-as-written+formula-token-fallback+implied-hazard-checks+stated-angle/5"
# Kinds the teacher never writes as 0 (a stated force or mass always has its number): only there
# may a slot demand a number the line has not copied yet. Elsewhere 0 is a real answer (set down:
# no release height; at rest: no release speed; level: no slope), and a demand for a fresh number
# turned those 0s into false failures (BENCHMARKS.md, typed copying's fresh slots).
FRESH_KINDS = frozenset({"force", "mass"})

UNIT_DIMS = {
    "mg": "mass", "g": "mass", "kg": "mass",
    "mm": "length", "cm": "length", "m": "length", "in": "length",
    "N": "force", "kN": "force",
    "s": "time", "ms": "time",
    "mps": "speed", "cmps": "speed", "mmps": "speed",
    "mps2": "accel",
    "pct": "percent",
    "deg": "angle",
}
# The dimension of a quantity slot (physlab.worked) when the teacher writes it without a unit.
SLOT_DIMS = {
    "mass": "mass", "payload": "mass",
    "height": "length", "width": "length", "depth": "length", "diameter": "length", "com_height": "length",
    "offset": "length", "pad_radius": "length", "tracking": "length", "clearance": "length",
    "release_height": "length", "roll_tol": "length",
    "grip": "force", "crush": "force",
    "lift_accel": "accel_up", "transport_accel": "accel_side", "brake": "accel",
    "ramp": "time", "reaction": "time",
    "speed": "speed", "release_speed": "speed",
    "pad_mu": "ratio", "support_mu": "ratio", "rolling_res": "ratio", "fill": "ratio",
    "slope": "angle",
}
# Text dimensions a slot dimension accepts besides "unknown" (a bare number).
ACCEPTS = {"ratio": {"ratio", "percent"}, "angle": {"angle"},
           "accel_up": {"accel_up", "accel"}, "accel_side": {"accel_side", "accel"},
           "accel": {"accel", "accel_up", "accel_side"}}
# Direction words that say which way an acceleration acts (`accel_direction`). A text that
# states a lift and a sideways acceleration ("at most 1.2 upward and 3.4 lateral") leaves the
# student two numbers of one unit for two slots; the word settles which is which. A bare "up"
# counts only right after the number and not before "to" ("2 m/s² up", not "3 m/s² up to a
# top speed", "at up to 2 m/s²" or "picks it up and accelerates at 1.5 m/s²"). Words that
# also describe other things ("rises" for a liquid, "slides") are left out. The tags act only
# where a text tags both directions (`Typer.directional`), the case two numbers are confused.
_UP_WORDS = {"lift", "lifts", "lifted", "lifting", "upward", "upwards", "vertical", "vertically", "raise",
             "raises", "raised", "raising", "hoist", "hoists", "hoisted", "hoisting"}
_SIDE_WORDS = {"horizontal", "horizontally", "lateral", "laterally", "sideways", "sidewards", "move", "moves",
               "moved", "moving", "carry", "carries", "carried", "carrying", "travel", "travels", "travelling",
               "traveling", "across", "transport", "transported", "transporting"}
_WORD_RE = re.compile(r"[A-Za-z]+|[;:,.()!?]")

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_ALIASES = sorted(calculator.UNITS, key=len, reverse=True)
_TEXT_NUMBER_RE = re.compile(
    rf"(?<![\w.])({_NUMBER})(?:\s*({'|'.join(re.escape(a) for a in _ALIASES)})(?![\w/²^]))?")
_LIST_JOIN_RE = re.compile(r"\s*(?:×|x|by)\s*$")
_HEAD_RE = re.compile(r"^\s*(grasp|lift|transport|place)\s+([a-z_]+)\s*:\s?")
_LITERAL_RE = re.compile(r"(?<![\w.\]])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_BRACKET_RE = re.compile(r"(?<![\w.\]])(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)\s*\[([^\]]*)(\]?)")
_PARTIAL_RE = re.compile(r"(?<![\w.\]])(?:\d+\.?\d*|\.\d*)(?:[eE][-+]?\d*)?$")
_NUMBER_CHARS = set("0123456789.eE+-")
_DIGITS = set("0123456789.")
PHASES = {"grasp": 1, "lift": 2, "transport": 3, "place": 4}
WORDS = {p: w for w, p in PHASES.items()}


@dataclass(frozen=True)
class TextNumber:
    text: str  # as written, thousands separators removed
    value: float
    dim: str | None  # None: written without a unit
    unit: str | None = None  # the unit's canonical name (calculator.UNITS), as the text writes it
    role: str | None = None  # what the words around it say it is (physlab.roles): "radius", "pad", ...


def text_numbers(description: str) -> list[TextNumber]:
    """Every number of a description with its unit's dimension (None when it has no unit)."""
    found: list[tuple[int, int, int, str, str | None]] = []  # start, number end, unit end, text, dim
    units: list[str | None] = []
    for match in _TEXT_NUMBER_RE.finditer(description or ""):
        unit = match.group(2)
        dim = UNIT_DIMS.get(calculator.UNITS[unit][0]) if unit else None
        found.append((match.start(), match.end(1), match.end(), match.group(1).replace(",", ""), dim))
        units.append(calculator.UNITS[unit][0] if unit else None)
    # A size list shares its last unit: "3.94 by 4.23 by 15.6 cm".
    dims = [f[4] for f in found]
    for i in range(len(found) - 2, -1, -1):
        between = description[found[i][1]:found[i + 1][0]]
        if dims[i] is None and dims[i + 1] == "length" and _LIST_JOIN_RE.match(between + " "):
            dims[i], units[i] = "length", units[i + 1]
    out = []
    for i, ((start, _, end, text, _), dim) in enumerate(zip(found, dims, strict=True)):
        before = description[(found[i - 1][2] if i else 0):start]
        after = description[end:(found[i + 1][0] if i + 1 < len(found) else len(description))]
        if dim == "accel":
            dim = accel_direction(before, after, after_number=i > 0) or dim
        try:
            out.append(TextNumber(text, float(text), dim, units[i], roles.role(before, after, dim, after_number=i > 0)))
        except ValueError:
            continue
    return out


def reading(description: str) -> list[dict[str, str]]:
    """Each number of a description as typed copying reads it: as written, its unit, its kind
    (the unit's dimension; "no unit" reads as a coefficient or a fraction) and its role (the
    words around it, physlab.roles; "" when none), for the Predict page and `physlab predict`."""
    return [{"number": n.text, "unit": n.unit or "", "kind": n.dim or "no unit", "role": n.role or ""}
            for n in text_numbers(description)]


def accel_direction(before: str, after: str, after_number: bool = False) -> str | None:
    """Which way an acceleration acts, from the text around its number: "accel_up",
    "accel_side", or None when no direction word says. The word right after the number (and
    its unit; "of" skipped) decides first: "1.2 upward", "3.4 of horizontal acceleration".
    Else the nearest direction word before it, back to the previous number or the start of the
    sentence: "lifted at up to 2", "then moves sideways at 3". With
    `after_number` (`before` starts right after another number), that number's own word after
    it ("1 m/s² up and 2 m/s² across") is not read for this one."""
    words = _next_words(after)
    if words and (words[0] in _UP_WORDS or (words[0] == "up" and words[1:2] != ["to"])):
        return "accel_up"
    if words and words[0] in _SIDE_WORDS:
        return "accel_side"
    before_words = [w.lower() for w in _WORD_RE.findall(before)]
    lead = _next_words(before)
    if after_number and lead and lead[0] in _UP_WORDS | _SIDE_WORDS | {"up"}:
        before_words = before_words[before_words.index(lead[0]) + 1:]
    for i in range(len(before_words) - 1, -1, -1):
        word = before_words[i]
        if word in ";.!?":
            break
        if word in _UP_WORDS:
            return "accel_up"
        if word in _SIDE_WORDS:
            return "accel_side"
    return None


def _next_words(text: str) -> list[str]:
    """The words (and punctuation) of `text`, lower case, a leading "of" skipped."""
    words = [w.lower() for w in _WORD_RE.findall(text)]
    return words[1:] if words[:1] == ["of"] else words


def shape(formula: str) -> str:
    """A formula's shape: numbers as `#`, units and spaces dropped (works on a partial formula)."""
    text = re.sub(r"\[[^\]]*\]?", "", formula)
    return re.sub(r"\s+", "", _LITERAL_RE.sub("#", text))


def literal_dims(formula: str, slots: Sequence[str]) -> list[str | None]:
    """The dimension each number literal of a teacher formula needs: its unit's when written
    with one, else its slot's; None for a constant."""
    dims: list[str | None] = []
    for match, slot in zip(_LITERAL_RE.finditer(formula), slots, strict=False):
        unit = re.match(r"\s*\[\s*([^\]]+?)\s*\]", formula[match.end():])
        if slot == "const" or slot.endswith("(unit)"):
            dims.append(None)
        elif unit and unit.group(1) in calculator.UNITS:
            dims.append(UNIT_DIMS.get(calculator.UNITS[unit.group(1)][0]))
        else:
            dims.append(SLOT_DIMS.get(slot))
    return dims


def templates() -> dict[tuple[int, str], dict[str, tuple[frozenset[str | None], ...]]]:
    """{(phase, mode): {shape: per literal, the dimensions it takes}} over the teacher's formulas
    for the seed preset's scenarios, each described in the curriculum's wordings (train, wide)."""
    return _tables().dims


def distinct_needed() -> dict[tuple[int, str], dict[str, dict[str, int]]]:
    """{(phase, mode): {shape: {dimension: the fewest distinct stated numbers of it that the
    teacher's formula of that shape copies}}}: a crush line compares two forces, so it needs a
    text that states two (the 0 of an unstated quantity is not counted)."""
    return _tables().needed


class Tables(NamedTuple):
    """What the teacher's lines over the seed texts say (`_tables`)."""

    dims: dict  # {(phase, mode): {shape: per literal, the dimensions it takes}}
    needed: dict  # {(phase, mode): {shape: {dimension: fewest distinct stated numbers copied}}}
    written: list  # each teacher line: (phase, mode, shape, the text's kinds)
    zeros: dict  # {(phase, mode): {shape: per literal, whether the teacher ever writes 0 there}}
    slots: dict  # {(phase, mode): {shape: per literal, its slot keys (`slot_keys`)}}
    roles: dict  # {slot key: the roles (physlab.roles) of the text numbers the teacher copies there}
    checks: list  # per text whose teacher lines pass every check: (its numbers' roles, its checks)


@functools.cache
def _tables() -> Tables:
    from physlab import scenarios, worked
    from physlab.describe import describe_with_quantities
    from physlab.teacher import COPY_WORDINGS, scenario_from_record, set_down_variant

    table: dict[tuple[int, str], dict[str, list[set[str | None]]]] = {}
    written: list[tuple[int, str, str, frozenset[str]]] = []  # each teacher line: its check, shape, text's kinds
    zeros: dict[tuple[int, str], dict[str, list[bool]]] = {}  # per literal: the teacher wrote 0 there
    needed: dict[tuple[int, str], dict[str, dict[str, int]]] = {}
    slot_table: dict[tuple[int, str], dict[str, list[set[tuple[str, int, int]]]]] = {}
    slot_roles: dict[tuple[str, int, int], set[str | None]] = {}
    checks: list[tuple[frozenset[str], frozenset[tuple[int, str]]]] = []
    records = [r for split in scenarios.generate("seed").values() for r in split]
    # Where the teacher writes 0 also counts its set-down copies (physlab.teacher: release
    # height 0), which no split holds but users write ("puts it down on the table").
    # Not copies let go at rest (release speed 0): with them the student wrote v=0 for texts
    # that state a release speed of 212 mm/s (2 held-out wording scenarios lost, BENCHMARKS.md).
    def mark_zeros(line: Any) -> None:
        zero = zeros.setdefault((line.phase, line.mode), {}).setdefault(
            shape(line.formula), [False] * len(literal_dims(line.formula, line.slots)))
        for k, match in enumerate(_LITERAL_RE.finditer(line.formula)):
            if k < len(zero) and float(match.group(0)) == 0:
                zero[k] = True

    for set_down in [set_down_variant(record) for record in records]:
        scenario = scenario_from_record(set_down)
        for line in worked.teacher_lines(scenario, worked.quantities_of(set_down, scenario)):
            mark_zeros(line)
    for index, record in enumerate(records):
        scenario = scenario_from_record(record)
        wordings = [(record["description"], worked.quantities_of(record, scenario))]
        # The curriculum's wordings only (physlab.teacher.COPY_WORDINGS): never a held-out
        # template, so the wording split stays unseen by these tables as by the student.
        for k, wording in enumerate(COPY_WORDINGS):
            rng = random.Random(f"typedcopy-{index}-{k}")
            described = describe_with_quantities(scenario, rng, wording)
            wordings.append((described.text, described.quantities))
        for text, quantities in wordings:
            numbers = text_numbers(text)
            kinds = stated_kinds(numbers)
            lines = worked.teacher_lines(scenario, quantities)
            if all(line.true_ratio <= 1 for line in lines):  # every phase written
                checks.append((frozenset(n.role for n in numbers if n.role and n.value != 0),
                               frozenset((line.phase, line.mode) for line in lines)))
            for line in lines:
                keys = slot_keys(line.slots)
                entry_slots = slot_table.setdefault((line.phase, line.mode), {}).setdefault(
                    shape(line.formula), [set() for _ in keys])
                dims = literal_dims(line.formula, line.slots)
                for at, (match, key) in enumerate(zip(_LITERAL_RE.finditer(line.formula), keys, strict=False)):
                    if key is None:
                        continue
                    if at < len(entry_slots):
                        entry_slots[at].add(key)
                    accepted = ACCEPTS.get(dims[at], {dims[at]}) | {None}
                    slot_roles.setdefault(key, set()).update(
                        n.role for n in numbers if n.text == match.group(0) and n.dim in accepted)
                written.append((line.phase, line.mode, shape(line.formula), kinds))
                entry = table.setdefault((line.phase, line.mode), {}).setdefault(
                    shape(line.formula), [set() for _ in dims])
                for slot_dims, dim in zip(entry, dims, strict=False):
                    slot_dims.add(dim)
                mark_zeros(line)
                distinct: dict[str, set[str]] = {}
                for match, dim in zip(_LITERAL_RE.finditer(line.formula), dims, strict=False):
                    if dim is not None and float(match.group(0)) != 0:
                        distinct.setdefault(dim, set()).add(match.group(0))
                counts = needed.setdefault((line.phase, line.mode), {})
                old = counts.get(shape(line.formula))
                new = {d: len(v) for d, v in distinct.items()}
                counts[shape(line.formula)] = new if old is None else {
                    d: min(old.get(d, 0), new.get(d, 0)) for d in set(old) | set(new)}
    return Tables({key: {s: tuple(frozenset(d) for d in dims) for s, dims in shapes.items()}
                   for key, shapes in table.items()}, needed, written, zeros,
                  {key: {s: tuple(frozenset(k) for k in keys) for s, keys in shapes.items()}
                   for key, shapes in slot_table.items()},
                  {key: frozenset(r) for key, r in slot_roles.items()}, checks)


@functools.cache
def excluded_roles(slots: frozenset[tuple[str, int, int]], dims: frozenset[str | None] = frozenset()) -> frozenset[str]:
    """The roles (physlab.roles) whose numbers the teacher copies into other slots but never
    into any of `slots`: a number the text's words give one of those is another slot's. Only
    for slots of one reading (the teacher copies numbers of at most one role there: a height,
    a radius, a pad friction); a slot it fills from numbers of several (a slope's rise, read
    "across" or "above") excludes nothing. `dims`: the slot's dimensions (`templates`)."""
    if not slots:
        return frozenset()
    learned = _tables().roles
    accepted = set().union(*(learned.get(k, frozenset()) for k in slots))
    owned = set().union(*learned.values()) - {None}
    if len(accepted - {None}) == 1:
        return frozenset(owned - accepted)
    if accepted - {None} or not dims:
        return frozenset()
    # A slot the teacher fills only from numbers with no role word (the object's mass): it
    # excludes a role only where that is the one role its kind of number can have (a payload).
    possible = set().union(*(roles.FOR_DIM.get(d, frozenset()) for d in dims)) & owned
    return frozenset(possible) if len(possible) == 1 else frozenset()


def slot_keys(slots: Sequence[str]) -> list[tuple[str, int, int] | None]:
    """Each literal's slot key: (slot, its place in the slot's run of literals, the run's
    length); None for a constant. A radius doubled into a diameter is ("width", 1, 2) (its 2 is
    ("width", 0, 2), which no text number fills), a plain width ("width", 0, 1), a fill as liquid
    height over container height ("fill", 0, 2) and ("fill", 1, 2): each its own reading."""
    base = [s.removesuffix(" (unit)") for s in slots]
    keys: list[tuple[str, int, int] | None] = []
    i = 0
    while i < len(base):
        j = i
        while j < len(base) and base[j] == base[i]:
            j += 1
        keys += [None if base[i] == "const" else (base[i], k, j - i) for k in range(j - i)]
        i = j
    return keys


@dataclass(frozen=True)
class Constraint:
    """What may be written at one literal: `allowed` (the model's own choice is kept when it
    fits one), `written` (the literal so far), `fresh` (what an override may pick: allowed
    numbers not yet copied into this line, never the 0 of an unstated quantity). Why fresh:
    a student that writes a check the text gives no number for (a crush line for a wooden
    block) copies some unrelated number and the line says ok; overriding it with the only
    force of the text, the grip itself, would give grip/grip = 1 and a false failure."""

    allowed: frozenset[str]
    written: str
    fresh: frozenset[str]
    # Every force or mass slot of this kind left in the line must take a number not yet in it
    # (the crush line's second force): then even the model's own choice must head for a fresh one.
    must_fresh: bool = False


@dataclass
class Typer:
    """The typed-copy constraint for one description."""

    numbers: list[TextNumber]
    changed: int = 0  # tokens where the constraint overrode the model's own choice
    grammar: bool = False  # also keep every formula a shape the teacher writes (`shape_ok`)
    reshaped: int = 0  # tokens where the grammar overrode the model's own choice
    _cache: dict[tuple[int, str, int], tuple[frozenset[str] | None, tuple[tuple[int, int], ...]]] = field(
        default_factory=dict)
    _forms: dict[tuple[int, str], Any] = field(default_factory=dict)

    @classmethod
    def for_description(cls, description: str, grammar: bool = False) -> Typer:
        return cls(text_numbers(description), grammar=grammar)

    def shape_allows(self, text: str, piece: str) -> bool:
        """Whether writing `piece` after `text` keeps the current worked line's formula one the
        teacher could write (always True outside a formula, or without the grammar)."""
        if not self.grammar:
            return True
        before = len(text.rsplit("\n", 1)[-1])
        line = text.rsplit("\n", 1)[-1] + piece
        if "\n" in piece:
            line = line.split("\n", 1)[0]
            return shape_ok(line, complete=True, forms=self.stated_pattern) is not False and \
                self.units_as_written(line, since=before)
        return shape_ok(line, forms=self.stated_pattern) is not False and self.units_as_written(line, since=before)

    def units_as_written(self, line: str, since: int = 0) -> bool:
        """Every unit in brackets after a number the text states with a unit is (the start of)
        that unit, in any of its spellings: what the prompt asks ("units in brackets as written
        (350[g])") and what the teacher does. On held-out wording the student copied the 0.153
        of "0.153 m/s" as 0.153[m], and the .632 of "0.632 m/s" as 0.632[cm]. A number the text
        states without a unit, or not at all (a constant, a 0), is not constrained. `since`: only
        brackets that end after this many characters of the line (those the new piece writes)
        are checked, so a unit the model wrote anyway never blocks the rest of the line."""
        head = _HEAD_RE.match(line)
        if head is None:
            return True
        formula = line[head.end():]
        cut = _value_sign(formula)
        for match in _BRACKET_RE.finditer(formula if cut is None else formula[:cut]):
            if head.end() + match.end() <= since:
                continue
            units = {n.unit for n in self.numbers if n.text == match.group(1) and n.unit}
            if not units:
                continue
            unit = match.group(2).strip()
            if match.group(3):
                if calculator.UNITS.get(unit, (None,))[0] not in units:
                    return False
            elif not any(alias.startswith(unit) and canonical[0] in units
                         for alias, canonical in calculator.UNITS.items()):
                return False
        return True

    def writes_off(self, text: str) -> bool:
        """Whether the grammar writes the check just headed at the end of `text` ("grasp
        crushing:") off as `n/a`: one that may not apply (worked.NA_OPTIONAL) and whose every
        form compares more distinct forces or masses than the text states. A crush line compares
        the grip with a crush limit; a text that states one force gives no limit, so the object
        is not one the teacher checks for crushing. Worked try 16 wrote the line anyway for 16
        of the 52 test scenarios it got wrong, with whatever number came to hand ("33.9/5.1 =
        6.647 FAILS" for a wooden block, 5.1 being a slope in percent)."""
        if not self.grammar:
            return False
        line = text.rsplit("\n", 1)[-1]
        head = _HEAD_RE.match(line)
        if head is None or line[head.end():].strip() or not line.rstrip().endswith(":"):
            return False
        key = (PHASES[head.group(1)], head.group(2))
        shapes = distinct_needed().get(key)
        if key not in NA_OPTIONAL or not shapes:
            return False
        return all(any(n > self.stated_count(d) for d, n in need.items() if d in FRESH_KINDS)
                   for need in shapes.values())

    def missing_check(self, text: str) -> str | None:
        """The head ("transport sloshing:") of a check the text's role words imply that the
        answer so far has not written, to write before the verdict; None when there is none,
        or a line so far fails (the teacher stops at the phase that fails). A check is implied (`implied_checks`, a `FORCEABLE` hazard) when
        the text states a non-zero number of every role that implies it, one of them a strong
        one (physlab.roles.STRONG: a fill level, a tracking error, a rolling resistance): a
        collision needs a tracking error and a clearance, not a bare "repeatability is 0.05
        mm". Why: a student reading "filled to 0.85 of its height" in words it never saw wrote
        no sloshing line and answered NO (hand-written fixtures)."""
        if not self.grammar or "FAILS" in text:
            return None
        written = {m.group(2) for m in (_HEAD_RE.match(line) for line in text.split("\n")) if m}
        return next((head for head in self.implied_heads() if head.split()[1].rstrip(":") not in written), None)

    def implied_heads(self) -> list[str]:
        """The heads of the hazard checks the text's role words imply (`missing_check`)."""
        present = {n.role for n in self.numbers if n.role and n.value != 0}
        return [f"{WORDS[phase]} {mode}:" for (phase, mode), needed in _implying_roles()
                if needed <= present and needed & set(roles.STRONG)]

    def stated_count(self, dim: str) -> int:
        """How many non-zero numbers of a dimension the text states, repeats counted ("grip 20 N,
        crushes at 20 N" states two forces)."""
        return sum(1 for n in self.numbers if n.dim == dim and n.value != 0)

    @functools.cached_property
    def stated_kinds(self) -> frozenset[str]:
        """The kinds of number the text states (`stated_kinds`)."""
        return stated_kinds(self.numbers)

    def stated_forms(self, key: tuple[int, str]) -> frozenset[str] | None:
        """The forms of the check `key` that the text states every kind of number for (any of
        the form's shapes), narrowed to the implied ones among them (`implied_forms`) where
        there are any; None when that is all of them or none (then the grammar allows every
        form, as without a text). Why: a student that sees a stopping-distance clearance
        in training now and then writes one for a text with no speed and no reaction time, and
        fills it with the accelerations (worked try 16: 20 of 152 test collision lines)."""
        forms = form_kinds().get(key)
        if not forms:
            return None
        kept = frozenset(form for form, shapes in forms.items()
                         if any(kinds <= self.stated_kinds for kinds in shapes))
        # A form the teacher always writes for a text that states its kinds (`implied_forms`)
        # is then the only one: a student reading past "the arm must stop before it: 0.3 m/s,
        # 50 ms reaction" wrote a plain clearance (worked try 16: 23 of 68 such test texts).
        kept = (kept & implied_forms().get(key, frozenset())) or kept
        return kept if kept and kept != frozenset(forms) else None

    def stated_pattern(self, key: tuple[int, str]) -> Any:
        """The grammar pattern of `stated_forms(key)` (None: every form). A text that states a
        slope's angle (an angle with a support word: "a ramp tilted by 18°") gives the slope as
        that angle: no slope worked out from a rise over a run or a grade
        (`form_pattern(..., angle_stated=True)`); a student read "200 x 300 mm footprint, 120 mm
        tall, on a ramp tilted by 18°" as atan(120/200) (hand-written fixtures)."""
        if key not in self._forms:
            forms = self.stated_forms(key)
            angle = any(n.dim == "angle" and n.role == "support" and n.value != 0 for n in self.numbers)
            self._forms[key] = None if forms is None and not angle else form_pattern(key, forms, angle)
        return self._forms[key]

    def shape_moves_on(self, text: str, piece: str) -> bool:
        """`shape_allows`, and the piece writes something of the formula (not only spaces or an
        opening `[`): what a replacement token must do, so the grammar never pads a line."""
        line = text.rsplit("\n", 1)[-1]
        head = _HEAD_RE.match(line + piece)
        if head is not None and _is_na_start((line + piece)[head.end():]):
            return False  # a token replacement never writes a check off as n/a (writes_off may)
        # unit text inside a bracket moves the formula on too ("/s]" after "665[m"), a lone "[" not
        unit_text = piece.strip() != "[" and (line.rfind("[") > line.rfind("]") or "[" in piece)
        return bool(piece.strip()) and self.shape_allows(text, piece) and (
            "\n" in piece or shape(line + piece) != shape(line) or unit_text)

    @functools.cached_property
    def directional(self) -> bool:
        """The text tags one acceleration up and another sideways: only then do the direction
        tags narrow a slot (a lone tagged acceleration may be the only one the text gives)."""
        tags = {n.dim for n in self.numbers}
        return {"accel_up", "accel_side"} <= tags

    def strings_for(self, dims: frozenset[str | None], zero: bool = True,
                    excluded: frozenset[str] = frozenset()) -> frozenset[str] | None:
        """The number strings a slot of these dimensions may take (None: unconstrained);
        `zero`: also the 0 the teacher writes for a quantity the text leaves at none, only where
        the teacher's lines of the shape ever write 0 there (a stopping distance's speed never:
        on held-out wording the student began "0", went on to "0.05", the reaction time, and
        nothing could steer it back to the text's 665 mm/s). `excluded`: roles (physlab.roles)
        whose numbers are another slot's ("radius" for a container's height)."""
        if None in dims or not dims:
            return None
        if not self.directional:
            dims = frozenset("accel" if d in ("accel_up", "accel_side") else d for d in dims)
        accepted = set().union(*(ACCEPTS.get(d, {d}) for d in dims if d is not None))
        allowed = {n.text for n in self.numbers
                   if (n.dim in accepted or (n.dim is None and "ratio" in accepted)) and n.role not in excluded}
        # 0 is what the teacher writes for a quantity the text leaves at none (set down, at rest)
        return frozenset(allowed | ({"0"} if zero else set())) if allowed else None

    def allowed(self, text: str) -> Constraint | None:
        """The constraint on the literal being written at the end of `text` (a worked line's
        formula), or None when nothing is constrained there."""
        line = text.rsplit("\n", 1)[-1]
        head = _HEAD_RE.match(line)
        if head is None:
            return None
        formula = line[head.end():]
        if _has_value_sign(formula):
            return None  # past the formula: the value and the verdict
        partial = _PARTIAL_RE.search(formula)
        written = partial.group(0) if partial else ""
        context = shape(formula[:len(formula) - len(written)])
        key = (PHASES[head.group(1)], head.group(2))
        index = context.count("#")
        cache_key = (key[0], key[1] + "|" + context, index)
        if cache_key not in self._cache:
            dims: set[str | None] = set()
            need = None  # distinct numbers of this literal's dimension the line compares
            # Per matching shape: (distinct numbers of this literal's kind its teacher lines copy,
            # literals of that kind from this one to the formula's end). Emptied when any shape
            # puts another kind here: then 0 or a repeat may be right, and nothing is demanded.
            budget: list[tuple[int, int]] | None = []
            zero = False  # some matching shape's teacher lines write 0 here
            slots: set[tuple[str, int, int]] = set()  # the teacher's slot keys here (`slot_keys`)
            for s, literal in templates().get(key, {}).items():
                if s.startswith(context + "#") and index < len(literal):
                    dims |= literal[index]
                    slots |= _tables().slots.get(key, {}).get(s, (frozenset(),) * len(literal))[index]
                    zero = zero or _tables().zeros.get(key, {}).get(s, [True] * len(literal))[index]
                    counts = distinct_needed().get(key, {}).get(s, {})
                    kinds = literal[index] - {None}
                    if not kinds:
                        continue
                    shape_need = min(counts.get(d, 0) for d in kinds)
                    need = shape_need if need is None else min(need, shape_need)
                    if budget is not None and kinds <= FRESH_KINDS:
                        budget.append((shape_need, sum(1 for later in literal[index:] if later & kinds)))
                    else:
                        budget = None
            allowed = self.strings_for(frozenset(dims), zero) if dims else None
            # A line that compares more numbers of a kind than the text states (a crush line
            # for a text with one force, the grip) is one the teacher would not write: leave
            # the student's numbers as they are rather than force the one force into both slots.
            if allowed and need is not None and len(allowed - {"0"}) < need:
                allowed = None
            # Role words: a number the text's words make another slot's (a radius where a height
            # belongs, a rolling resistance where a slope's friction belongs) is not offered,
            # unless that leaves nothing of the kind.
            excluded = excluded_roles(frozenset(slots), frozenset(dims))
            if allowed and excluded:
                narrowed = self.strings_for(frozenset(dims), zero, excluded)
                if narrowed and narrowed - {"0"}:
                    allowed = narrowed
            self._cache[cache_key] = (allowed, tuple(budget or ()))
        allowed, budget = self._cache[cache_key]
        if not allowed:
            return None
        used = {m.group(0) for m in _LITERAL_RE.finditer(formula[:len(formula) - len(written)])}
        fresh = allowed - used - {"0"}
        # The line still needs a new number of this kind in every slot of it that is left (in
        # every shape it may become): the student who starts "0." there (on the way to the grip
        # it already copied, or to a 0) is writing no number the teacher would, so even its own
        # token must head for a fresh one. Seen on held-out wording: "Beyond about 36.7 N of
        # pinch" with the grip 0.569 N, the crush line became 0.569/0.65.
        # A number the text states twice ("5 by 5 cm") may be copied twice: then no demand.
        copied = (used & allowed) - {"0"}
        stated_twice = any(sum(n.text == c for n in self.numbers) > 1 for c in copied)
        must_fresh = bool(budget) and bool(fresh) and not stated_twice and all(
            len(copied) + left <= shape_need for shape_need, left in budget)
        return Constraint(allowed, written, fresh, must_fresh)


def _value_sign(formula: str) -> int | None:
    """The index of the formula's own `=` (outside every parenthesis), None before it."""
    depth = 0
    for index, char in enumerate(formula):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "=" and depth <= 0:
            return index
    return None


def _has_value_sign(formula: str) -> bool:
    """True once the formula's own `=` (outside every parenthesis) has been written."""
    return _value_sign(formula) is not None


CONVERSIONS = ("(#*#)", "(#/#)", "(atan(#))", "(atan(#/#))")  # what a wording puts at a number


def grammar_form(shape_: str) -> str:
    """The grammar's form of a teacher shape: conversions read as one number
    (physlab.teacher.formula_form), the rolling body as `k=B`."""
    from physlab.teacher import formula_form

    return re.sub(r"k=(?:[a-z_]+|#)", "k=B", formula_form(shape_))


@functools.cache
def grammar_patterns() -> dict[tuple[int, str], Any]:
    """{(phase, mode): compiled pattern of the formula shapes the teacher writes for it}: each of
    its forms (`grammar_form`) with, at every number, `#` or any unit conversion the teacher
    writes in that form's lines, and any rolling body (calculator.BODIES, or a number)."""
    return {key: form_pattern(key, None) for key in templates()}


@functools.cache
def form_pattern(key: tuple[int, str], forms: frozenset[str] | None, angle_stated: bool = False) -> Any:
    """The compiled pattern of `forms` of the check `key` (all of its forms when None);
    `angle_stated`: without the conversions that work an angle out (`atan`)."""
    import regex  # partial matching: "can this prefix still become a match"

    shapes = templates()[key]
    body = "(?:" + "|".join(regex.escape(b) for b in sorted(calculator.BODIES, key=len, reverse=True)) + "|#)"
    chosen = sorted({grammar_form(s) for s in shapes} if forms is None else forms)
    alternatives = []
    for form in chosen:
        # the conversions the teacher writes in this form's lines (a stopping distance's 2*5 is
        # not one a plain clearance may take), at any of its numbers
        conversions = sorted({c for s in shapes if grammar_form(s) == form for c in CONVERSIONS
                              if c in s and not (angle_stated and "atan" in c)})
        slot = "(?:#" + "".join("|" + regex.escape(c) for c in conversions) + ")"
        alternatives.append("".join(slot if part == "#" else "k=" + body if part == "k=B" else regex.escape(part)
                                    for part in re.split(r"(#|k=B)", form) if part))
    return regex.compile("(?:" + "|".join(alternatives) + ")")


@functools.cache
def form_kinds() -> dict[tuple[int, str], dict[str, tuple[frozenset[str], ...]]]:
    """{(phase, mode): {form: per teacher shape of it, the kinds of number its lines copy}}: the
    kinds the teacher copies a stated (non-zero) number of, accelerations as one kind. A
    stopping-distance clearance copies a time and a speed; a plain one copies two lengths."""
    out: dict[tuple[int, str], dict[str, set[frozenset[str]]]] = {}
    for key, shapes in distinct_needed().items():
        for s, need in shapes.items():
            kinds = frozenset(_kind(d) for d, n in need.items() if n)
            out.setdefault(key, {}).setdefault(grammar_form(s), set()).add(kinds)
    return {key: {form: tuple(sorted(v, key=sorted)) for form, v in forms.items()} for key, forms in out.items()}


@functools.cache
def implied_forms() -> dict[tuple[int, str], frozenset[str]]:
    """{(phase, mode): the forms the teacher always writes when the text states every kind of
    number they copy}, over the same texts as `templates` (the seed preset in the curriculum's wordings):
    a form is implied when some of those texts state its kinds and, in every one that does,
    the teacher wrote it. A stopping-distance clearance is (a text that states a speed, a
    reaction time and a braking deceleration always asks for one); a plain clearance is not,
    and neither is either tray form (both copy the same kinds)."""
    kinds_of = form_kinds()
    seen: dict[tuple[tuple[int, str], str], set[bool]] = {}
    for phase, mode, shape_, kinds in _tables().written:
        key = (phase, mode)
        forms = kinds_of.get(key, {})
        if len(forms) < 2:
            continue
        for form, shapes in forms.items():
            if any(need <= kinds for need in shapes):
                seen.setdefault((key, form), set()).add(grammar_form(shape_) == form)
    out: dict[tuple[int, str], set[str]] = {}
    for (key, form), outcomes in seen.items():
        if outcomes == {True}:
            out.setdefault(key, set()).add(form)
    return {key: frozenset(forms) for key, forms in out.items()}


IMPLIED_MIN_TEXTS = 10  # a role implies a check only after this many seed texts show it
# The checks a role may imply (`Typer.missing_check`): the hazards a text has or has not (an
# obstacle, a crush limit, a liquid, a rolling body; worked.NA_SLOTS). Not tipping or slipping:
# whether those lines are written depends on how the object is carried, which a role word does
# not settle (a gripped glass whose centre of mass the text gives has no tipping line).
FORCEABLE = frozenset(m for p in (1, 3) for m in NA_SLOTS[p] if m != "*") | {"rolling_away"}


@functools.cache
def implied_checks() -> dict[str, tuple[tuple[int, str], ...]]:
    """{role: the checks (phase, mode) whose mode the teacher writes for every seed text (that
    passes every check) with a number of that role, and not for every such text}: a fill level
    implies a sloshing line, a tracking error a collision line. The phase is the one the
    teacher writes that mode in most often for those texts (a collision may be the grasp's or
    the carry's; the label is the mode). Learned over the same texts as `templates`."""
    checks = [(roles_, frozenset(m for _, m in c), c) for roles_, c in _tables().checks]
    everywhere = frozenset.intersection(*(m for _, m, _ in checks)) if checks else frozenset()
    out: dict[str, tuple[tuple[int, str], ...]] = {}
    for role in sorted({r for rs, _, _ in checks for r in rs}):
        having = [(m, c) for rs, m, c in checks if role in rs]
        if len(having) < IMPLIED_MIN_TEXTS:
            continue
        common = frozenset.intersection(*(m for m, _ in having)) - everywhere
        out_role = []
        for mode in sorted(common):
            phases = Counter(p for _, c in having for p, m in c if m == mode)
            out_role.append((phases.most_common(1)[0][0], mode))
        if out_role:
            out[role] = tuple(out_role)
    return out


@functools.cache
def _implying_roles() -> tuple[tuple[tuple[int, str], frozenset[str]], ...]:
    """Each `FORCEABLE` check of `implied_checks` with every role that implies it, in order."""
    by_check: dict[tuple[int, str], set[str]] = {}
    for role, checks in implied_checks().items():
        for check in checks:
            by_check.setdefault(check, set()).add(role)
    return tuple((check, frozenset(r)) for check, r in sorted(by_check.items()) if check[1] in FORCEABLE)


def implied_check_names(description: str) -> list[str]:
    """The checks a description's role words imply ("transport sloshing"), for the Predict page
    and `physlab predict --reading`."""
    return [head.rstrip(":") for head in Typer.for_description(description, grammar=True).implied_heads()]


def stated_kinds(numbers: Sequence[TextNumber]) -> frozenset[str]:
    """The kinds of number a text states (non-zero): a bare number or a percentage can be a
    ratio; accelerations are one kind."""
    kinds: set[str] = set()
    for n in numbers:
        if n.value != 0:
            kinds |= {"ratio"} if n.dim is None else {_kind(n.dim)} | ({"ratio"} if n.dim == "percent" else set())
    return frozenset(kinds)


def _kind(dim: str) -> str:
    """Accelerations count as one kind here: a direction word is no reason to drop a form."""
    return "accel" if dim.startswith("accel") else dim


def _units_ok(formula: str) -> bool:
    """Every bracket holds a unit the calculator knows (the last one, still open, the start of one)."""
    for match in re.finditer(r"\[([^\]]*)(\]?)", formula):
        unit = match.group(1).strip()
        if match.group(2) and unit not in calculator.UNITS:
            return False
        if not match.group(2) and not any(alias.startswith(unit) for alias in calculator.UNITS):
            return False
    return True


def shape_ok(line: str, complete: bool = False, forms: Any = None) -> bool | None:
    """Whether a worked line being written (`complete`: one that has just ended) can still be a
    formula of the teacher's forms for its phase and mode (`grammar_patterns`); None when it is
    not a line of a known check (yet). A number or unit still being written counts as written.
    `forms(key)`, when given, returns the pattern of the forms allowed for a check (None: all)."""
    head = _HEAD_RE.match(line)
    if head is None:
        return None
    key = (PHASES[head.group(1)], head.group(2))
    pattern = grammar_patterns().get(key)
    if pattern is not None and forms is not None:
        pattern = forms(key) or pattern
    if pattern is None:
        return None
    formula = line[head.end():]
    if _is_na_start(formula):  # "grasp crushing: n/a": an optional check that does not apply
        if (PHASES[head.group(1)], head.group(2)) not in NA_OPTIONAL:
            return False  # a check that always applies is never n/a
        return formula.strip() == NA_TEXT or not complete
    cut = _value_sign(formula)
    if cut is not None and formula.rfind("[", 0, cut) > formula.rfind("]", 0, cut):
        return False  # an `=` inside an open bracket ("91.6[n= ?"): no unit holds one
    if not _units_ok(formula if cut is None else formula[:cut]):
        return False
    if cut is not None:
        return pattern.fullmatch(shape(formula[:cut])) is not None
    if complete:
        return False  # a formula line must reach its `=`
    partial = re.sub(r"(?<=\d)[eE][-+]?$", "", formula)  # "3.5e-" on the way to "3.5e-1"
    if partial.endswith(".") and not partial[-2:-1].isdigit():
        partial += "0"  # ".3" on its way
    return pattern.fullmatch(shape(partial), partial=True) is not None


def _is_na_start(formula: str) -> bool:
    """The formula part of a line is (the start of) `n/a`."""
    written = formula.strip()
    return bool(written) and NA_TEXT.startswith(written)


def _number_part(piece: str) -> str:
    n = 0
    while n < len(piece) and piece[n] in _NUMBER_CHARS:
        n += 1
    return piece[:n]


def fits(written: str, piece: str, allowed: frozenset[str]) -> bool:
    """Whether writing `piece` after the literal's `written` part keeps it a (prefix of an)
    allowed string, or ends it on a whole one."""
    digits = _number_part(piece)
    new = written + digits
    if len(digits) == len(piece):
        return any(a.startswith(new) for a in allowed) if new else True
    if not written and not digits:
        return True  # not a number: nothing to check
    return new in allowed


def choose(candidates: Sequence[int], pieces: Sequence[str], constraint: Constraint | None) -> tuple[int, bool]:
    """The model's own token (candidates[0]) when the constraint allows it, else the best other
    candidate that fits a fresh number, and whether it overrode the model. A constraint only
    acts once a number is started (by the model's choice or already in the line); when no
    candidate fits, the model's choice stands."""
    if constraint is None or not candidates:
        return (candidates[0] if candidates else -1), False
    written = constraint.written
    first = pieces[0]
    starting = not written and first[:1] in _DIGITS
    if not written and not starting:
        return candidates[0], False
    if fits(written, first, constraint.fresh if constraint.must_fresh else constraint.allowed):
        return candidates[0], False
    for token, piece in zip(candidates[1:], pieces[1:], strict=False):
        if starting and piece[:1] not in _DIGITS:
            continue  # the model is writing a number: keep it a number
        if fits(written, piece, constraint.fresh):
            return token, True
    return candidates[0], False
