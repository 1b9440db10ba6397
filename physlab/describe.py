"""The natural-language scenario description: the model's input.

A description states, with units, every number that one of the applicable physics checks
(physlab.physics) needs, and nothing else from the scenario: no liquid numbers for a box, no
crush force for a robust object, no rolling resistance for something that cannot roll. It
never names the outcome or hints at it ("fragile", "too fast", "unstable", ...: LEAK_WORDS);
the numbers alone carry the answer, so a model has to learn the thresholds instead of
keywords.

Wording varies, chosen by the rng (the same seed gives the same text):
  * sentence templates, several per sentence, in different orders and voices;
  * synonyms for every quantity ("grip force", "clamping force", "squeeze", ...);
  * units: g / kg, mm / cm / m, s / ms, m/s / mm/s / cm/s, m/s² / m/s^2, N / newtons;
  * number styles: 0.35, .35, 3.5e-1 (rarely), thousands separators ("1,200 g");
  * derived quantities: a radius instead of a diameter, the fill level as a liquid depth
    (of a container whose height the text states), a slope as a percentage grade or as a
    rise over a run;
  * optional distractors without numbers (a colour, the robot's nickname, the workplace).
Descriptions stay short (about 60-140 words): every token is paid for in training.

Held-out wording. Every list of templates or synonyms (`Choices`, registered in `REGISTRY`)
has a `train` part and, for lists of three or more, a `held` part (about a quarter to a
third). `wording="train"` uses only the train parts; `wording="holdout"` prefers the held
parts wherever a list has one, so the text reads in phrasings never seen in training;
`wording="any"` draws from both. `wording="wide"` draws from the train parts and a third,
curriculum-only part (`WIDE`): more phrasings for the worked curriculum's extra copies, never
used by a split. Units and number styles are never held out (a model must
have seen grams to read grams). `heldout_markers()` lists a literal fragment of every held
string, so a test can check that no train text contains one.

Machine-readable quantities. `describe_with_quantities` also returns, for every physics
quantity the text states, a SLOT name mapped to a Python arithmetic expression giving the
value in SI units (slope in degrees), built only from the numbers as written in the text
(thousands separators removed), each with its unit as written in square brackets, which
physlab.calculator converts: "350 g" -> "350[g]", "radius 16 mm" -> diameter "2*16[mm]",
"8% grade" -> "atan(8[%])" (atan in degrees), "60 mm deep" in an "82 mm" tall container ->
fill "60[mm]/82[mm]". Forces (N) and accelerations (m/s²) are always written in SI and carry
no bracket; neither do friction coefficients and slopes in degrees. `eval_expression`
evaluates one. Slots (present exactly when the text states the quantity):
  mass (kg); width, depth, height (m; round objects: width = depth = diameter, plus
  `diameter`; a ball only gets `height` when it is not round, e.g. an egg); com_height (m);
  fill (fraction); crush, grip (N); pad_mu; payload (kg); offset, pad_radius (m);
  lift_accel, transport_accel (m/s²); ramp (s); clearance, tracking (m); speed (m/s);
  reaction (s); brake (m/s²); release_height (m, only when > 0: a release in contact is
  said in words); support_mu; slope (degrees, also a level "0°"); rolling_res;
  release_speed (m/s, also "at rest (0 m/s)"); roll_tol (m).
The gripper kind (contacts) and the rolling body (inertia) are carried by words:
GRIPPER_WORDS and BODY_WORDS.

Which numbers appear (the checks they feed):
  always          object, mass, size, accelerations, release height (dropping by release)
  grasped         grip force, gripper kind (contacts n), pad friction, rated payload;
                  crush force when set (crushing); offset + pad radius when off-centre
  on_tray         the support it stands on; support friction and centre-of-mass height
                  (tipping vs sliding on the support) unless it rolls
  open + filled   fill level and ramp time (sloshing; size gives D and the height)
  clearance       obstacle gap, tracking error and phase; speed, reaction time and braking
                  deceleration when the arm must stop before the obstacle
  slope > 0       slope angle; support friction and centre of mass for a standing object
  rolls           wall type (inertia), rolling resistance, slope, release speed, tolerated roll
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from string import Formatter

from physlab.schema import Scenario

WORDINGS = ("train", "holdout", "any", "wide")

# Words that give the label away (or judge the motion) and must never appear in a
# description. Matched as word starts, case-insensitive, so "fragile" also catches
# "fragility" and "tight" catches "tightly"; see find_leaks.
LEAK_WORDS = (
    "fragile", "fragility", "delicate", "too fast", "too slow", "too high", "too much", "too close",
    "risk", "unstable", "instabil", "stable", "safe", "secure", "unsecured", "gentl", "aggressiv",
    "careful", "danger", "overload", "top-heavy", "top heavy", "loose", "tight", "firm",
    "precarious", "wobbl", "shaky", "slippery", "greasy", "weak", "strong", "sturdy", "robust",
    "brittle", "heavy", "overfull", "brim", "spill", "slosh", "tips", "tipping", "topple",
    "slips", "slipping", "slides", "crush", "collide", "collision", "hits", "drop", "falls",
    "roll away", "rolls away", "rolling away", "fail", "success", "succeed", "break", "breaks",
    "cracks", "abrupt", "jerk", "violent", "sudden", "rapid", "quick", "fast", "slowly",
    "barely", "nearly", "almost", "just",
)
_LEAK_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in LEAK_WORDS) + r")", re.IGNORECASE)


def find_leaks(text: str) -> list[str]:
    """The leak words (as written) found in `text`; empty when the text is clean."""
    return [m.group(0) for m in _LEAK_RE.finditer(text)]


# --------------------------------------------------------------------------- numbers


def fmt_number(x: float, sig: int = 3) -> str:
    """About `sig` significant figures, plain notation, no trailing zeros: 0.35, 82, 4.5, 0.0015."""
    if x == 0:
        return "0"
    decimals = max(sig - 1 - math.floor(math.log10(abs(x))), 0)
    text = f"{round(x, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_mm(metres: float) -> str:
    return f"{fmt_number(metres * 1000)} mm"


def fmt_cm(metres: float) -> str:
    return f"{fmt_number(metres * 100)} cm"


def _kg(kg: float) -> str:
    return f"{fmt_number(kg)} kg"


def _n(newtons: float) -> str:
    return f"{fmt_number(newtons)} N"


def fmt_accel(mps2: float) -> str:
    return f"{fmt_number(mps2)} m/s²"


def _mu(mu: float) -> str:
    return f"mu {fmt_number(mu)}"


def _s(seconds: float) -> str:
    return f"{fmt_number(seconds)} s"


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- wording registry


@dataclass(frozen=True)
class Choices:
    """One list of interchangeable templates or synonyms; `held` ones only outside training."""

    name: str
    train: tuple[str, ...]
    held: tuple[str, ...] = ()
    wide: tuple[str, ...] = ()  # curriculum-only extra phrasings (`wording="wide"`), never in a split

    def options(self, wording: str) -> tuple[str, ...]:
        if wording == "train":
            return self.train
        if wording == "wide":
            return self.train + self.wide
        if wording == "holdout":
            return self.held or self.train
        return self.train + self.held


REGISTRY: dict[str, Choices] = {}


def _c(name: str, train: tuple[str, ...] | list[str], held: tuple[str, ...] | list[str] = ()) -> Choices:
    if name in REGISTRY:
        raise ValueError(f"wording list {name!r} registered twice")
    REGISTRY[name] = choices = Choices(name, tuple(train), tuple(held), WIDE.get(name, ()))
    return choices


# Curriculum-only phrasings (`wording="wide"`): more ways to say the train lists' sentences,
# drawn beside the train ones only for the worked curriculum's extra copies (physlab.teacher,
# `copy_wording`), so the standard splits keep their texts and every try's figures compare.
# Written in words of their own, never from a held-out string (tests/test_wording.py checks
# that no held-out pattern or marker occurs in them). Gripper and body words are left alone:
# they carry the physics (contacts, inertia) and are matched by word lists.
WIDE: dict[str, tuple[str, ...]] = {
    "body.sentence": ("Structurally it is {body}.",),
    "distractor.sentence": ("The operators call the robot {name}.", "This happens in a {place}."),
    "object.first": ("Next up is {thing}, {mass} in mass and {size}.",
                     "{Thing} ({mass}, {size}) has to be transferred.",
                     "The robot is given {thing} that weighs {mass}; size: {size}."),
    "object.on_side": (", turned on its side", ", placed on its side"),
    "size.box": ("{w} {u} × {d} {u} × {h} {u}", "{h} {u} tall on a {w} × {d} {u} base", "w {w}, d {d}, h {h} ({u})"),
    "size.ball": ("{rad} radius", "with a {dia} diameter", "{dia} in width"),
    "size.egg": ("{h} tall and {dia} wide at the middle", "height {h}, width {dia}"),
    "size.lying": ("length {h}, {dia} across", "{h} long with radius {rad}"),
    "size.upright": ("height {h} and diameter {dia}", "{dia} in diameter, {h} in height", "{rad} in radius and {h} tall"),
    "noun.com": ("mass center", "COM"),
    "object.com": ("The {com_noun} is {com} above the bottom.", "{Com_noun}: {com} up.",
                   "It has its {com_noun} {com} above the base."),
    "fill.phrase": ("{p}% of the way up", "a liquid depth of {depth}", "a {depth} depth"),
    "object.fill": ("The container is open, with liquid up to {fill}.",
                    "Open at the top, it contains liquid to {fill}."),
    "object.crush": ("More than about {c} of squeeze would damage it.", "Its squeeze limit is about {c}.",
                     "Grip forces over about {c} damage it."),
    "grip.phrase": ("a grasp force of {f}", "{f} of grasp force", "a jaw clamping force of {f}"),
    "pad_mu.phrase": ("pad friction coefficient {mu}", "pads whose friction is {mu}"),
    "payload.phrase": ("a payload of up to {m}", "a lifting capacity of {m}"),
    "hold.grasped": ("It is grasped by a {kind} with {grip} and {pad_mu}; the arm is rated for {payload_m}.",
                     "A {kind} ({grip}; {pad_mu}) holds it, on an arm with {payload}."),
    "hold.offset": ("The grasp is {offset} off the {com_noun}, and the pads have radius {pad}.",
                    "Pad radius {pad}; the grip point sits {offset} from the {com_noun}."),
    "noun.support_mu": ("surface contact friction",),
    "hold.tray_stand": ("It is not held at all: it stands upright on {a_surface} that is moved; {mu_noun} {mu}.",
                        "Unheld, it stands on {a_surface} that moves ({surface} {mu_noun} {mu})."),
    "noun.rolling_res": ("rolling resistance factor",),
    "hold.tray_roll": ("Nobody grips it; it lies on {a_surface} that is moved, {roll_noun} {rr}.",
                       "It rests unheld on {a_surface} that moves; the {roll_noun} there is {rr}."),
    "motion.ramp": (" (reached after {t})", ", the ramp taking {t}"),
    "motion.grasped": ("It is lifted with up to {a_z} and carried with up to {a_h}{ramp} ({task}).",
                       "The {task} has a lift acceleration of {a_z} and a horizontal one of {a_h}{ramp}."),
    "motion.tray": ("The {surface} is accelerated sideways at up to {a_h}{ramp} in this {task}.",
                    "During the {task} the {surface} reaches {a_h} of horizontal acceleration{ramp}."),
    "obstacle.where.approach": ("while approaching", "as it reaches in"),
    "obstacle.where.transport": ("in transit", "mid-carry"),
    "obstacle.gap": ("{Where} an obstacle is {gap} from the path; the arm's path error is up to {error}.",
                     "The path passes within {gap} of an obstacle {where}, and the arm tracks it to {error}."),
    "obstacle.stop": ("The arm is required to stop before the obstacle; it moves at {v}, has a reaction time "
                      "of {t} and decelerates at {b}.",
                      "Braking to a stop before the obstacle is required: speed {v}, {t} of reaction time, "
                      "deceleration {b}."),
    "place.tray_rest": ("Then the {surface} stops.", "At the end, the {surface} is halted."),
    "place.release_high": ("It is let go at a height of {h} above the {surface}.",
                           "The gripper releases it {h} above the {surface}."),
    "place.release_contact": ("It is resting on the {surface} when it is released.",
                              "The gripper lets go after it is set on the {surface}."),
    "slope.deg": ("is angled at {t}°", "has a {t}-degree tilt"),
    "slope.grade": ("has a grade of {t}%", "is on a {t}% slope"),
    "slope.rise": ("rises by {r} across {run}", "has a rise of {r} per {run}"),
    "slope.level": ("is not inclined (0°)",),
    "place.incline": ("The destination {surface} {slope}{friction}.", "On placement, the {surface} {slope}{friction}."),
    "place.incline_friction": (" and has {mu_noun} {mu}",),
    "roll.start": ("moving at {v}", "with an initial speed of {v}"),
    "roll.rest": ("stationary (0 m/s)",),
    "roll.field": ("; {roll_noun}: {rr}",),
    "place.roll": ("It is let go {start} onto the {surface}, which {slope}{rolling}; it is allowed to roll up to {tol}.",
                   "The {surface} {slope}{rolling}. It is released {start}; up to {tol} of travel is acceptable."),
}


def _literal_parts(template: str) -> list[str]:
    return [literal for literal, _, _, _ in Formatter().parse(template) if literal]


def heldout_markers() -> dict[str, str]:
    """{held string: its longest literal fragment}, e.g. "{f} of closing force" -> "of closing force"."""
    return {held: max(_literal_parts(held), key=lambda s: len(s.strip())).strip()
            for choices in REGISTRY.values() for held in choices.held}


def heldout_patterns() -> dict[str, re.Pattern[str]]:
    """{held string: a regex matching any text written from it} (placeholders match anything
    short), so a test can scan train texts for every held-out template and synonym."""
    patterns = {}
    for choices in REGISTRY.values():
        for held in choices.held:
            parts = [re.escape(literal) + (".{1,60}?" if name is not None else "")
                     for literal, name, _, _ in Formatter().parse(held)]
            patterns[held] = re.compile("".join(parts))
    return patterns


# --------------------------------------------------------------------------- vocabulary

# Material as an adjective; None where the object's name already says it (egg, tomato).
_MATERIAL_WORD = {
    "ceramic": "ceramic", "glass": "glass", "aluminium": "aluminium", "steel": "steel",
    "plastic": "plastic", "cardboard": "cardboard", "paper": "paper", "wood": "wooden",
    "rubber": "rubber", "produce": None, "eggshell": None, "fabric": "fabric", "foam": "foam",
    "stone": "stone",
}
# Neutral task names (a family name such as "fast_transfer" would hint at the answer).
_ACTION_WORDS = {
    "pick_and_place": "pick and place", "tray_carry": "tray carry", "fast_transfer": "transfer",
    "shelf_insertion": "shelf insertion", "place_on_slope": "placement on an incline",
    "hand_over": "hand-over", "pour": "pour", "conveyor_transfer": "conveyor transfer",
    "stacking": "stacking", "bin_picking": "bin picking", "table_clearing": "table clearing",
    "packing": "packing",
}
# The gripper kind sets the number of contacts (parallel-jaw 2, three-finger 3): words only.
GRIPPER_WORDS: dict[str, Choices] = {
    "parallel_jaw": _c("gripper.parallel_jaw", ["parallel-jaw gripper", "two-finger parallel gripper",
                                                 "parallel gripper"], ["two-jaw parallel gripper"]),
    "three_finger": _c("gripper.three_finger", ["three-finger gripper", "three-fingered hand",
                                                 "three-finger hand"], ["tri-finger gripper"]),
}
# The rolling body sets the inertia factor: (shape, hollow) -> words.
BODY_WORDS: dict[tuple[str, bool], Choices] = {
    ("sphere", False): _c("body.solid_sphere", ["solid", "solid throughout"], ["solid all through"]),
    ("sphere", True): _c("body.hollow_sphere", ["hollow", "a hollow shell"], ["hollow inside"]),
    ("cylinder", False): _c("body.solid_cylinder", ["solid", "solid throughout"], ["solid all through"]),
    ("cylinder", True): _c("body.thin_cylinder", ["thin-walled", "a thin-walled tube"],
                           ["a thin-walled hollow tube"]),
}
_BODY_SENTENCE = _c("body.sentence", ["It is {body}.", "Its body is {body}.", "In build it is {body}.",
                                       "Its construction: {body}."],
                    ["Build: {body}."])

# Distractors: no numbers, nothing about the physics.
_COLOURS = _c("distractor.colour", ["red", "blue", "green", "white", "black", "grey"], ["teal", "amber"])
_ROBOT_NAMES = ("Ada", "Otto", "Mira", "Juno", "Rex", "Iris")
_PLACES = ("kitchen", "lab", "warehouse", "shop", "workshop")
_DISTRACTOR = _c("distractor.sentence", [
    "The robot doing this is nicknamed {name}.",
    "The work cell is in a {place}.",
    "The arm, called {name}, works in a {place}.",
], ["Staff in the {place} refer to this robot as {name}."])

# Notation for friction coefficients: "mu 0.6", "μ = 0.6", "0.6". A notation, like a unit,
# is never held out.
_MU = _c("mu.style", ["mu {v}", "μ = {v}", "μ {v}", "{v}"])
_OF_MU = _c("mu.style.of", ["of {v}", "mu {v}", "μ = {v}"])

# --------------------------------------------------------------------------- sentences (templates)

_OBJECT_FIRST = _c("object.first", [
    "The object is {thing}, {mass}, {size}.",
    "The robot handles {thing} of {mass}, {size}.",
    "Object: {thing}, {mass}, {size}.",
    "{Thing} weighing {mass} ({size}) is to be moved.",
    "This time it is {thing}: {size}, mass {mass}.",
    "We need to move {thing} ({mass}; {size}).",
    "The item is {thing} with a mass of {mass}, measuring {size}.",
    "{Thing}, {size}, {mass}, is the part to handle.",
    "Target: {thing}, {size}, that weighs {mass}.",
], [
    "In question: {thing}, mass {mass}; {size}.",
    "Up for handling: {thing}, {size}; it has a mass of {mass}.",
])
_ON_SIDE = _c("object.on_side", [", lying on its side", ", on its side", ", laid on its side"],
              [", resting sideways"])
_BOX_SIZE = _c("size.box", [
    "{w} × {d} × {h} {u}",
    "{w} × {d} × {h} {u} (w × d × h)",
    "{w} {u} wide, {d} {u} deep and {h} {u} tall",
    "width {w} {u}, depth {d} {u}, height {h} {u}",
    "{w} by {d} by {h} {u}",
    "{w} × {d} {u} at the base and {h} {u} high",
    "{w} {u} (w) × {d} {u} (d) × {h} {u} (h)",
], ["a footprint of {w} by {d} {u} and a height of {h} {u}"])
_ROUND_DIAMETER = _c("size.ball", ["{dia} in diameter", "diameter {dia}", "{dia} across", "radius {rad}",
                                   "of diameter {dia}", "{rad} in radius", "{dia} wide"],
                     ["a radius of {rad}", "{dia} from side to side"])
_EGG_SIZE = _c("size.egg", ["{dia} across and {h} tall", "diameter {dia}, height {h}",
                            "radius {rad}, height {h}", "{h} tall, {dia} wide"], ["{h} from end to end and {dia} wide"])
_LYING_SIZE = _c("size.lying", ["{dia} in diameter and {h} long", "diameter {dia}, length {h}",
                                "radius {rad}, length {h}", "{h} long, {dia} across"], ["{h} in length with a {dia} diameter"])
_UPRIGHT_SIZE = _c("size.upright", [
    "{dia} across and {h} tall", "diameter {dia}, height {h}", "{h} tall with a {dia} diameter",
    "radius {rad}, height {h}", "{h} high and {dia} in diameter", "{dia} wide, {h} high",
], ["standing {h} high on a base {dia} wide", "{h} high, radius {rad}"])

_COM_NOUN = _c("noun.com", ["centre of mass", "center of mass", "centre of mass", "CoM", "mass centre"], ["centre of gravity"])
_COM = _c("object.com", [
    "Its {com_noun} is {com} above its base.",
    "The {com_noun} sits {com} above the base.",
    "{Com_noun} height: {com}.",
    "Its {com_noun} is at a height of {com}.",
    "Measured from the bottom, the {com_noun} is at {com}.",
    "The {com_noun} is located {com} up.",
    "Its {com_noun} is {com} from the bottom.",
    "The {com_noun} is {com} off the base.",
], ["The {com_noun} lies {com} up from the base."])
_FILL_PHRASE = _c("fill.phrase", ["{p}% of its height", "{f} of its height", "a depth of {depth}"],
                  ["{p}% of the container height", "a liquid level {depth} above the inside bottom"])
_FILL = _c("object.fill", [
    "It is open and filled with liquid to {fill}.",
    "Liquid fills the open container to {fill}.",
    "It holds liquid up to {fill}, with no lid.",
    "It has no lid and contains liquid filled to {fill}.",
    "There is liquid in it up to {fill}; the top is open.",
    "Liquid reaches {fill} inside it, and it has no cover.",
    "It is an uncovered container with liquid to {fill}.",
], ["Its open top shows liquid standing at {fill}."])
_CRUSH = _c("object.crush", [
    "It is damaged by a squeeze above about {c}.",
    "A squeeze above about {c} damages it.",
    "It takes damage from more than about {c} of squeeze.",
    "Its damage threshold is about {c} of squeeze.",
    "Squeezing it with more than about {c} damages it.",
    "It deforms if squeezed with over about {c}.",
    "It can take about {c} of squeeze before it is damaged.",
    "It dents under more than about {c}.",
    "Its damage limit is about {c} of clamping.",
    "Gripping it harder than about {c} damages it.",
    "It survives up to about {c} of grip force, no more.",
    "About {c} is the most grip force it takes without damage.",
], ["Over roughly {c} of squeeze deforms it.",
    "Beyond about {c} of pinch it gets dented."])

_GRIP = _c("grip.phrase", ["a grip force of {f}", "{f} of clamping force", "a squeeze of {f}",
                           "{f} of grip force", "a clamping force of {f}", "grip force {f}", "{f} of squeeze",
                           "a clamp force of {f}", "a gripping force of {f}", "a holding force of {f}",
                           "{f} of jaw force", "a finger force of {f}"],
           ["{f} of closing force", "a gripping effort of {f}"])
_PAD_MU = _c("pad_mu.phrase", ["pad friction {mu}", "a pad friction coefficient {of_mu}",
                               "friction {mu} at the pads", "pads with a friction coefficient {of_mu}",
                               "finger-pad friction {mu}", "pads of friction {mu}", "pad-object friction {mu}"],
             ["a coefficient of friction {of_mu} on the pads"])
_PAYLOAD = _c("payload.phrase", ["a rated payload of {m}", "a payload rating of {m}",
                                 "a {m} rated payload", "a payload limit of {m}", "a payload capacity of {m}",
                                 "{m} of rated payload", "a load rating of {m}"],
              ["a maximum rated load of {m}"])
_HOLD = _c("hold.grasped", [
    "A {kind} grips it with {grip} and {pad_mu}; the arm has {payload}.",
    "The {kind} closes with {grip}, {pad_mu}, and is rated for {payload_m}.",
    "Grasp: {kind}, {grip}, {pad_mu}, {payload}.",
    "It is held by a {kind} applying {grip}; {pad_mu}; {payload}.",
    "The arm ({payload}) holds it in a {kind} with {grip} and {pad_mu}.",
    "Gripper: {kind}, {grip}, {pad_mu}. Arm: {payload}.",
    "A {kind} takes hold of it using {grip}; {pad_mu}; the robot has {payload}.",
    "The robot (rated for {payload_m}) closes a {kind} on it with {grip} and {pad_mu}.",
    "It is picked with a {kind} ({grip}, {pad_mu}); {payload}.",
], [
    "Holding it: a {kind} exerting {grip}, {pad_mu}; the arm carries {payload}.",
    "Its grasp relies on a {kind}: {grip}, {pad_mu}, and {payload}.",
])
_OFFSET = _c("hold.offset", [
    "The grasp point is {offset} from the {com_noun}; pad radius {pad}.",
    "It is gripped {offset} off its {com_noun}, with pads of {pad} radius.",
    "Grasp offset from the {com_noun}: {offset}; pad radius {pad}.",
    "Its {com_noun} is {offset} away from the grasp point; the pads have a {pad} radius.",
    "Offset between the grasp and the {com_noun}: {offset}. Pad radius: {pad}.",
], ["The fingers close {offset} away from the {com_noun}, on round pads of radius {pad}."])
_SUPPORT_MU_NOUN = _c("noun.support_mu", ["support friction", "friction coefficient", "friction",
                                          "surface friction"],
                      ["coefficient of friction"])
_TRAY_STAND = _c("hold.tray_stand", [
    "It stands upright on {a_surface} that is moved, nothing holding it in place; {mu_noun} with the {surface} is {mu}.",
    "Nothing holds it: it stands on {a_surface} that is moved ({mu_noun} {mu}).",
    "It is carried standing free on {a_surface}, not gripped; {surface} {mu_noun} {mu}.",
    "It is not gripped but stands on {a_surface} that moves; {mu_noun} {mu}.",
    "Standing upright on {a_surface} that is moved, it is held by nothing ({mu_noun} {mu}).",
    "It is placed upright on {a_surface} and not held; the {mu_noun} between them is {mu}.",
    "Free-standing on {a_surface} that moves, it is not gripped ({mu_noun} {mu}).",
], ["No gripper touches it; it rides upright on {a_surface} whose {mu_noun} against it is {mu}."])
_ROLL_NOUN = _c("noun.rolling_res", ["rolling resistance", "rolling resistance coefficient",
                                     "rolling-resistance coefficient", "rolling friction",
                                     "rolling friction coefficient"], ["coefficient of rolling resistance"])
_TRAY_ROLL = _c("hold.tray_roll", [
    "It rides on {a_surface}, nothing holding it in place; {roll_noun} there is {rr}.",
    "Nothing holds it: it rests on {a_surface} that is moved ({roll_noun} {rr}).",
    "It lies free on {a_surface} that is moved, with {roll_noun} {rr}.",
    "It is not gripped and rests on {a_surface} that moves; {roll_noun} {rr}.",
    "It is placed unheld on {a_surface} in motion; {roll_noun} {rr}.",
], ["Ungripped, it sits on {a_surface} in motion; the {roll_noun} is {rr}."])

_RAMP = _c("motion.ramp", [", reached in {t}", " (ramp-up {t})", ", ramping up over {t}"],
           [", built up over {t}"])
_MOTION_GRASPED = _c("motion.grasped", [
    "Task: {task}; it is lifted at up to {a_z} and moved with peak acceleration {a_h}{ramp}.",
    "For the {task}, the arm lifts at {a_z}, then moves sideways at up to {a_h}{ramp}.",
    "Peak accelerations in this {task}: {a_z} lifting, {a_h} horizontally{ramp}.",
    "In the {task} the lift reaches {a_z} and the horizontal move {a_h}{ramp}.",
    "The {task} lifts it at {a_z} and carries it at up to {a_h} horizontal acceleration{ramp}.",
    "Lift acceleration {a_z}; horizontal acceleration {a_h}{ramp} ({task}).",
    "The arm accelerates upward at {a_z} and sideways at {a_h}{ramp} in this {task}.",
    "Motion for the {task}: a vertical peak of {a_z} and a horizontal peak of {a_h}{ramp}.",
], [
    "During the {task}, vertical acceleration tops out at {a_z}, horizontal at {a_h}{ramp}.",
    "The {task} calls for at most {a_z} upward and {a_h} lateral acceleration{ramp}.",
])
_MOTION_TRAY = _c("motion.tray", [
    "Task: {task}; the {surface} accelerates at up to {a_h} horizontally{ramp}.",
    "For the {task}, the {surface} is moved with peak acceleration {a_h}{ramp}.",
    "Peak horizontal acceleration in this {task}: {a_h}{ramp}.",
    "The {surface} moves with up to {a_h} of horizontal acceleration{ramp} ({task}).",
    "Horizontal acceleration of the {surface}: at most {a_h}{ramp}, for the {task}.",
], ["In the {task}, horizontal acceleration of the {surface} tops out at {a_h}{ramp}."])

_WHERE = {
    "approach": _c("obstacle.where.approach", ["during the approach", "on the way in", "while reaching in",
                                                          "on approach", "before the grasp", "when reaching for it"],
                   ["as the arm comes in"]),
    "transport": _c("obstacle.where.transport", ["during transport", "while it is carried", "on the carry",
                                                             "as it is moved", "during the carry", "while moving it"],
                    ["in the carrying phase"]),
}
_OBSTACLE = _c("obstacle.gap", [
    "{Where} the path passes {gap} from an obstacle; tracking error {error}.",
    "The nearest obstacle is {gap} from the path {where}, with {error} tracking error.",
    "Clearance to an obstacle {where}: {gap}; the arm tracks its path to within {error}.",
    "There is an obstacle {gap} from the path {where}; the arm's tracking error is {error}.",
    "{Where} an obstacle sits {gap} beside the path, and the path tracking error is {error}.",
    "Gap between the path and an obstacle {where}: {gap}. Tracking error: {error}.",
    "The arm follows its path to within {error}, and {where} the path comes within {gap} of an obstacle.",
    "{Where} the trajectory comes {gap} from an obstacle; the arm tracks it to within {error}.",
    "An obstacle is {gap} away from the route {where}; tracking error {error}.",
    "The path clears an obstacle by {gap} {where}; the arm deviates from its path by up to {error}.",
], ["An obstacle stands {gap} off the planned path {where}; path-following error {error}."])
_STOP = _c("obstacle.stop", [
    "The arm must stop before it: speed {v}, reaction time {t}, braking at {b}.",
    "It has to halt before the obstacle, moving at {v} with {t} reaction time and {b} braking.",
    "A stop is required before the obstacle; it travels at {v}, reacts in {t}, decelerates at {b}.",
    "Before the obstacle the arm has to stop: it moves at {v}, needs {t} to react and brakes at {b}.",
    "Stopping is needed short of the obstacle (speed {v}, reaction {t}, deceleration {b}).",
], ["It must halt short of the obstacle: {v}, {t} to respond, {b} to slow down."])

_TRAY_REST = _c("place.tray_rest", ["At the end the {surface} comes to rest.",
                                    "The {surface} then stops and is put down.",
                                    "Finally the {surface} is brought to a standstill.",
                                    "The {surface} stops at the end of the move."],
                ["The move ends with the {surface} parked."])
_RELEASE_HIGH = _c("place.release_high", [
    "The gripper opens {h} above the {surface}.",
    "It is released {h} above the {surface}.",
    "Release height above the {surface}: {h}.",
    "It is let go {h} above the {surface}.",
    "The gripper lets go with it {h} over the {surface}.",
    "It is released from {h} above the {surface}.",
    "Its fingers open while it is still {h} above the {surface}.",
    "The jaws open with it {h} clear of the {surface}.",
    "At release it is {h} above the {surface}.",
    "The gripper opens at a height of {h} over the {surface}.",
    "It leaves the gripper {h} above the {surface}.",
], ["The fingers part with it hanging {h} over the {surface}."])
_RELEASE_CONTACT = _c("place.release_contact", [
    "It is set down on the {surface} before the gripper opens.",
    "The gripper opens with it resting on the {surface}.",
    "It is released in contact with the {surface}.",
    "The robot sets it down on the {surface} and then opens the gripper.",
    "It is placed on the {surface}, then let go.",
    "It is put down on the {surface} before release.",
    "It already touches the {surface} when the gripper opens.",
    "Its fingers open only after it rests on the {surface}.",
    "The jaws open once it is standing on the {surface}.",
    "At release it already sits on the {surface}.",
    "It is lowered until it touches the {surface}, then the gripper opens.",
], ["Only once it sits on the {surface} do the fingers part."])
_SLOPE_DEG = _c("slope.deg", ["is inclined at {t}°", "slopes at {t}°", "is tilted {t} degrees",
                              "has an incline of {t}°", "is at a {t}° incline", "is tilted at {t}°",
                              "makes a {t}° angle with the floor", "is pitched at {t}°"], ["leans {t}° from the horizontal"])
_SLOPE_GRADE = _c("slope.grade", ["has a {t}% grade", "slopes at a {t}% grade", "is inclined at a grade of {t}%",
                                "has a slope of {t}%"],
                  ["climbs at a {t}% gradient"])
_SLOPE_RISE = _c("slope.rise", ["rises {r} over {run}", "is inclined, rising {r} over {run}",
                                "climbs {r} in {run}", "goes up {r} for every {run}"], ["gains {r} of height per {run} along it"])
_SLOPE_LEVEL = _c("slope.level", ["is level (0°)", "is flat (0° incline)", "is horizontal (0°)"],
                  ["lies dead level (0°)"])
_INCLINE = _c("place.incline", [
    "The {surface} {slope}{friction}.",
    "That {surface} {slope}{friction}.",
    "Where it goes, the {surface} {slope}{friction}.",
    "The {surface} it is placed on {slope}{friction}.",
    "At the target spot the {surface} {slope}{friction}.",
], ["Under it, the {surface} {slope}{friction}."])
_INCLINE_FRICTION = _c("place.incline_friction", [", friction {mu}", " ({mu_noun} {mu})", "; {mu_noun} {mu}"],
                       [", with a {mu_noun} of {v}"])
_START_MOVING = _c("roll.start", ["with a residual speed of {v}", "still moving at {v}", "at {v}"],
                   ["carrying {v} of leftover speed"])
_START_REST = _c("roll.rest", ["at rest (0 m/s)", "from rest (0 m/s)", "with no speed (0 m/s)"],
                 ["from standstill (0 m/s)"])
_ROLLING_FIELD = _c("roll.field", [", {roll_noun} {rr}", " ({roll_noun} {rr})", " with {roll_noun} {rr}"],
                     [", its {roll_noun} being {rr}"])
_ROLL_PLACE = _c("place.roll", [
    "The {surface} {slope}{rolling}; it is let go {start} and may roll at most {tol}.",
    "It is let go {start} on the {surface}, which {slope}{rolling}; {tol} of rolling is tolerated.",
    "Placement: the {surface} {slope}{rolling}; let go {start}, at most {tol} of roll allowed.",
    "It is released {start} onto the {surface}; the {surface} {slope}{rolling}, and it may roll {tol} at most.",
    "It starts on the {surface} {start}; the {surface} {slope}{rolling}, and a roll of up to {tol} is acceptable.",
    "It is let go {start} on the {surface}, which {slope}{rolling}; it must come to rest within {tol}.",
    "The {surface} {slope}{rolling}. Let go {start}, it may move at most {tol}.",
    "Allowed movement after release: {tol}. It is let go {start}; the {surface} {slope}{rolling}.",
], ["Released {start} on a {surface} that {slope}{rolling}, it may travel up to {tol}."])


# --------------------------------------------------------------------------- quantities


@dataclass(frozen=True)
class Q:
    """A piece of text and the quantity slots it states: {slot: SI expression}."""

    text: str
    slots: dict[str, str] = field(default_factory=dict)

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)


@dataclass(frozen=True)
class Described:
    """A description and, per quantity slot it states, an SI expression over its numbers."""

    text: str
    quantities: dict[str, str]


def eval_expression(expression: str) -> float:
    """Evaluate a quantity expression with physlab.calculator (units in brackets, atan in degrees)."""
    from physlab.calculator import evaluate

    result = evaluate(expression)
    if not result.ok:
        raise ValueError(f"not a quantity expression: {expression!r} ({result.error})")
    return result.value


class _Writer:
    """Picks wording and formats numbers with the rng; collects the stated quantity slots."""

    def __init__(self, rng: random.Random, wording: str) -> None:
        self.rng = rng
        self.wording = wording
        self.quantities: dict[str, str] = {}

    # ---- wording
    def word(self, choices: Choices) -> str:
        return self.rng.choice(choices.options(self.wording))

    def say(self, choices: Choices, **fields: object) -> Q:
        """Fill a template from `choices`; the slots of the fields it uses travel with it."""
        template = self.word(choices)
        used = {name for _, name, _, _ in Formatter().parse(template) if name}
        slots: dict[str, str] = {}
        for name in sorted(used):
            value = fields[name]
            if isinstance(value, Q):
                slots.update(value.slots)
        return Q(template.format(**fields), slots)

    def sentence(self, choices: Choices, **fields: object) -> str:
        q = self.say(choices, **fields)
        self.quantities.update(q.slots)
        return q.text

    # ---- numbers
    def number(self, x: float) -> tuple[str, str]:
        """(as written, as a Python literal): 0.35 / .35 / 3.5e-1, 1,200 / 1200."""
        plain = fmt_number(x)
        roll = self.rng.random()
        text = plain
        if abs(x) >= 1000 and "." not in plain:
            if roll < 0.7:
                text = f"{int(plain):,}"
        elif 0 < x < 1 and roll < 0.12:
            text = plain[1:]  # ".35"
        elif x > 0 and roll > 0.975:
            mantissa, exponent = f"{x:.2e}".split("e")
            mantissa = mantissa.rstrip("0").rstrip(".")
            if int(exponent) != 0:
                text = f"{mantissa}e{int(exponent)}"
        return text, text.replace(",", "")

    def mass(self, kg: float, slot: str) -> Q:
        grams = self.rng.random() < (0.45 if kg < 1 else 0.15)
        if grams:
            t, e = self.number(kg * 1000)
            return Q(f"{t} g", {slot: f"{e}[g]"})
        t, e = self.number(kg)
        return Q(f"{t} kg", {slot: f"{e}[kg]"})

    def length_unit(self, metres: float) -> str:
        r = self.rng.random()
        if metres < 0.01:
            return "mm" if r < 0.75 else ("cm" if r < 0.93 else "m")
        return "mm" if r < 0.55 else ("cm" if r < 0.87 else "m")

    def length_in(self, metres: float, unit: str) -> tuple[str, str]:
        scale = {"mm": 1000, "cm": 100, "m": 1}[unit]
        t, e = self.number(metres * scale)
        return t, f"{e}[{unit}]"

    def length(self, metres: float, *slots: str, unit: str | None = None) -> Q:
        unit = unit or self.length_unit(metres)
        t, e = self.length_in(metres, unit)
        return Q(f"{t} {unit}", {slot: e for slot in slots})

    def force(self, newtons: float, slot: str) -> Q:
        t, e = self.number(newtons)
        return Q(f"{t} {'newtons' if self.rng.random() < 0.1 else 'N'}", {slot: e})

    def accel(self, mps2: float, slot: str) -> Q:
        t, e = self.number(mps2)
        return Q(f"{t} {'m/s^2' if self.rng.random() < 0.15 else 'm/s²'}", {slot: e})

    def seconds(self, s: float, slot: str) -> Q:
        r = self.rng.random()
        if s < 1 and r < 0.35:
            t, e = self.number(s * 1000)
            return Q(f"{t} ms", {slot: f"{e}[ms]"})
        t, e = self.number(s)
        unit = "seconds" if r > 0.9 else "s"
        return Q(f"{t} {unit}", {slot: f"{e}[{unit}]"})

    def speed(self, mps: float, slot: str) -> Q:
        r = self.rng.random()
        if mps > 0 and r < 0.2:
            t, e = self.number(mps * 1000)
            return Q(f"{t} mm/s", {slot: f"{e}[mm/s]"})
        if mps > 0 and r < 0.35:
            t, e = self.number(mps * 100)
            return Q(f"{t} cm/s", {slot: f"{e}[cm/s]"})
        t, e = self.number(mps)
        return Q(f"{t} m/s", {slot: f"{e}[m/s]"})

    def plain(self, x: float, slot: str) -> Q:
        t, e = self.number(x)
        return Q(t, {slot: e})

    def mu(self, x: float, slot: str, style: Choices = _MU) -> Q:
        v = self.plain(x, slot)
        return self.say(style, v=v)

    def slope(self, degrees: float) -> Q:
        """A predicate: "is inclined at 12°", "has a 21.3% grade", "rises 5 cm over 50 cm"."""
        if degrees == 0:
            return self.say(_SLOPE_LEVEL)
        r = self.rng.random()
        tangent = math.tan(math.radians(degrees))
        if r < 0.5:
            t, e = self.number(degrees)
            return self.say(_SLOPE_DEG, t=Q(t, {"slope": e}))
        if r < 0.75:
            t, e = self.number(tangent * 100)
            return self.say(_SLOPE_GRADE, t=Q(t, {"slope": f"atan({e}[%])"}))
        run, unit = self.rng.choice([(100, "cm"), (50, "cm"), (1, "m"), (200, "mm"), (500, "mm"), (2, "m")])
        t, e = self.number(tangent * run)
        return self.say(_SLOPE_RISE, r=Q(f"{t} {unit}", {"slope": f"atan({e}[{unit}]/{run}[{unit}])"}), run=f"{run} {unit}")



def _object_name(scenario: Scenario) -> str:
    o = scenario.object
    name = o.type.replace("_", " ").strip()
    material = _MATERIAL_WORD.get(o.material)
    if material and material not in name and o.material not in name:
        name = f"{material} {name}"
    return name


def _size(scenario: Scenario, w: _Writer) -> Q:
    o = scenario.object
    if o.shape == "box":
        unit = w.length_unit(min(o.width_m, o.depth_m, o.height_m))
        parts = {}
        for key, slot, value in (("w", "width", o.width_m), ("d", "depth", o.depth_m), ("h", "height", o.height_m)):
            t, e = w.length_in(value, unit)
            parts[key] = Q(t, {slot: e})
        return w.say(_BOX_SIZE, u=unit, **parts)
    diameter = max(o.width_m, o.depth_m)
    unit = w.length_unit(diameter)
    d_text, d_expr = w.length_in(diameter, unit)
    r_text, r_expr = w.length_in(diameter / 2, unit)
    dia = Q(f"{d_text} {unit}", {"width": d_expr, "depth": d_expr, "diameter": d_expr})
    rad_expr = f"2*{r_expr}"
    rad = Q(f"{r_text} {unit}", {"width": rad_expr, "depth": rad_expr, "diameter": rad_expr})
    h = w.length(o.height_m, "height")
    if o.shape == "sphere":
        if abs(o.height_m - diameter) > 0.02 * diameter:  # egg-like: taller than wide
            return w.say(_EGG_SIZE, dia=dia, rad=rad, h=h)
        return w.say(_ROUND_DIAMETER, dia=dia, rad=rad)
    if o.orientation == "on_side":
        return w.say(_LYING_SIZE, dia=dia, rad=rad, h=h)
    return w.say(_UPRIGHT_SIZE, dia=dia, rad=rad, h=h)


# --------------------------------------------------------------------------- which checks apply


def _rolls(scenario: Scenario) -> bool:
    return scenario.object.rolls


def _stands_free(scenario: Scenario) -> bool:
    """Tipping / sliding on a support applies: on a tray, or set on a slope, and not round."""
    if _rolls(scenario):
        return False
    return scenario.motion.carry == "on_tray" or scenario.environment.slope_deg > 0


def _liquid(scenario: Scenario) -> bool:
    return scenario.object.open_top and scenario.object.fill_fraction is not None


# --------------------------------------------------------------------------- sentences


def _object_sentences(scenario: Scenario, w: _Writer) -> list[str]:
    o = scenario.object
    name = _object_name(scenario)
    if w.rng.random() < 0.2:
        name = f"{w.word(_COLOURS)} {name}"
    thing = _article(name)
    mass, size = w.mass(o.mass_kg, "mass"), _size(scenario, w)
    first = w.sentence(_OBJECT_FIRST, thing=thing, Thing=_cap(thing), mass=mass, size=size)
    if o.orientation == "on_side":
        first = first[:-1] + w.word(_ON_SIDE) + "."
    sentences = [first]
    if _rolls(scenario):
        body = w.word(BODY_WORDS[(o.shape, o.hollow)])
        sentences.append(w.sentence(_BODY_SENTENCE, body=body))
    if _stands_free(scenario):
        com_noun = w.word(_COM_NOUN)
        sentences.append(w.sentence(_COM, com_noun=com_noun, Com_noun=_cap(com_noun),
                                    com=w.length(o.com_height_m, "com_height")))
    if _liquid(scenario):
        fill = o.fill_fraction
        p_text, p_expr = w.number(fill * 100)
        f_text, f_expr = w.number(fill)
        # The liquid depth is computed from the height as written, so depth / height gives
        # the fill to the rounding of one printed number.
        height_expr = w.quantities.get("height")
        written_height = eval_expression(height_expr) if height_expr else scenario.object.height_m
        depth = w.length(fill * written_height, "_depth")
        depth_expr = depth.slots.pop("_depth")
        fields = {"p": Q(p_text, {"fill": f"{p_expr}[%]"}), "f": Q(f_text, {"fill": f_expr}),
                  "depth": Q(depth.text, {"fill": f"{depth_expr}/{height_expr}"} if height_expr
                             else {"fill": f"{p_expr}[%]"})}
        options = _FILL_PHRASE
        if not height_expr:  # no height written: percentages and fractions only
            options = Choices("fill.phrase", *(tuple(t for t in part if "{depth}" not in t)
                                               for part in (options.train, options.held, options.wide)))
        sentences.append(w.sentence(_FILL, fill=w.say(options, **fields)))
    return sentences


def _crush_sentence(scenario: Scenario, w: _Writer) -> str | None:
    crush = scenario.object.crush_force_n
    if crush is None or scenario.motion.carry != "grasped":
        return None  # only a grasp squeezes it
    return w.sentence(_CRUSH, c=w.force(crush, "crush"))


def _support_words(scenario: Scenario) -> str:
    return scenario.environment.surface.replace("_", " ")


def _hold_sentences(scenario: Scenario, w: _Writer) -> list[str]:
    g, m, env = scenario.gripper, scenario.motion, scenario.environment
    surface = _support_words(scenario)
    if m.carry == "on_tray":
        if _rolls(scenario):
            return [w.sentence(_TRAY_ROLL, a_surface=_article(surface), surface=surface,
                               roll_noun=w.word(_ROLL_NOUN), rr=w.plain(env.rolling_resistance, "rolling_res"))]
        return [w.sentence(_TRAY_STAND, a_surface=_article(surface), surface=surface,
                           mu_noun=w.word(_SUPPORT_MU_NOUN), mu=w.mu(env.support_friction, "support_mu"))]
    payload_m = w.mass(g.payload_kg, "payload")
    sentences = [w.sentence(
        _HOLD, kind=w.word(GRIPPER_WORDS[g.kind]),
        grip=w.say(_GRIP, f=w.force(g.grip_force_n, "grip")),
        pad_mu=w.say(_PAD_MU, mu=w.mu(g.pad_friction, "pad_mu"), of_mu=w.mu(g.pad_friction, "pad_mu", _OF_MU)),
        payload=w.say(_PAYLOAD, m=payload_m), payload_m=payload_m,
    )]
    if g.grasp_offset_m > 0:
        sentences.append(w.sentence(_OFFSET, offset=w.length(g.grasp_offset_m, "offset"),
                                    pad=w.length(g.pad_radius_m, "pad_radius"), com_noun=w.word(_COM_NOUN)))
    return sentences


def _motion_sentence(scenario: Scenario, w: _Writer) -> str:
    m = scenario.motion
    task = _ACTION_WORDS.get(m.action, m.action.replace("_", " "))
    a_h = w.accel(m.transport_accel_mps2, "transport_accel")
    ramp = w.say(_RAMP, t=w.seconds(m.ramp_time_s, "ramp")) if _liquid(scenario) else Q("")
    if m.carry == "grasped":
        return w.sentence(_MOTION_GRASPED, task=task, a_z=w.accel(m.lift_accel_mps2, "lift_accel"),
                          a_h=a_h, ramp=ramp)
    return w.sentence(_MOTION_TRAY, task=task, surface=_support_words(scenario), a_h=a_h, ramp=ramp)


def _obstacle_sentences(scenario: Scenario, w: _Writer) -> list[str]:
    m = scenario.motion
    if m.clearance_m is None:
        return []
    where = w.word(_WHERE[m.clearance_phase])
    sentences = [w.sentence(_OBSTACLE, where=where, Where=_cap(where),
                            gap=w.length(m.clearance_m, "clearance"), error=w.length(m.tracking_error_m, "tracking"))]
    if m.stop_before_obstacle:
        sentences.append(w.sentence(_STOP, v=w.speed(m.speed_mps, "speed"), t=w.seconds(m.reaction_time_s, "reaction"),
                                    b=w.accel(m.brake_decel_mps2, "brake")))
    return sentences


def _place_sentences(scenario: Scenario, w: _Writer) -> list[str]:
    m, env, o = scenario.motion, scenario.environment, scenario.object
    surface = _support_words(scenario)
    sentences = []
    if m.carry == "on_tray" and m.release_height_m == 0:
        sentences.append(w.sentence(_TRAY_REST, surface=surface))
    elif m.release_height_m > 0:
        sentences.append(w.sentence(_RELEASE_HIGH, surface=surface, h=w.length(m.release_height_m, "release_height")))
    else:
        sentences.append(w.sentence(_RELEASE_CONTACT, surface=surface))
    if env.slope_deg > 0 and not o.rolls:
        friction = Q("")
        if m.carry != "on_tray":
            v = w.plain(env.support_friction, "support_mu")
            friction = w.say(_INCLINE_FRICTION, mu=w.say(_MU, v=v), v=v, mu_noun=w.word(_SUPPORT_MU_NOUN))
        sentences.append(w.sentence(_INCLINE, surface=surface, slope=w.slope(env.slope_deg), friction=friction))
    if o.rolls:
        speed = (w.say(_START_MOVING, v=w.speed(m.release_speed_mps, "release_speed"))
                 if m.release_speed_mps > 0 else w.say(_START_REST))
        if m.release_speed_mps == 0:
            speed = Q(speed.text, {"release_speed": "0"})
        rolling = Q("") if m.carry == "on_tray" else w.say(
            _ROLLING_FIELD, roll_noun=w.word(_ROLL_NOUN), rr=w.plain(env.rolling_resistance, "rolling_res"))
        slope = w.slope(env.slope_deg)
        if env.slope_deg == 0:
            slope = Q(slope.text, {"slope": "0"})
        sentences.append(w.sentence(_ROLL_PLACE, surface=surface, slope=slope, rolling=rolling, start=speed,
                                    tol=w.length(env.roll_tolerance_m, "roll_tol")))
    return sentences


def _distractor(w: _Writer) -> str:
    return w.sentence(_DISTRACTOR, name=w.rng.choice(_ROBOT_NAMES), place=w.rng.choice(_PLACES))


def describe_with_quantities(scenario: Scenario, rng: random.Random | int, wording: str = "train") -> Described:
    """The model's input text for `scenario` and the quantities it states (see the module doc).

    `wording`: "train" (no held-out templates or synonyms), "holdout" (held-out ones wherever
    a list has them), "any", or "wide" (train plus the curriculum-only `WIDE` phrasings). The phrasing is chosen by `rng` (or an int seed).
    """
    if wording not in WORDINGS:
        raise ValueError(f"wording must be one of {', '.join(WORDINGS)} (got {wording!r})")
    if not isinstance(rng, random.Random):
        rng = random.Random(rng)
    w = _Writer(rng, wording)
    objects = _object_sentences(scenario, w)
    crush = _crush_sentence(scenario, w)
    hold = _hold_sentences(scenario, w)
    motion = [_motion_sentence(scenario, w)]
    obstacle = _obstacle_sentences(scenario, w)
    place = _place_sentences(scenario, w)
    distractor = _distractor(w) if rng.random() < 0.25 else None

    # Order varies: the object comes first and the placement last (time order), the crush
    # threshold goes with the object or after the grasp, an obstacle before or after the
    # motion sentence, a distractor first, after the object or last.
    sentences = list(objects)
    if crush and rng.random() < 0.5:
        sentences.append(crush)
        crush = None
    sentences += hold
    if crush:
        sentences.append(crush)
    if (obstacle and scenario.motion.clearance_phase == "approach") or rng.random() < 0.5:
        sentences += obstacle + motion
    else:
        sentences += motion + obstacle
    sentences += place
    if distractor and sum(len(x.split()) for x in sentences) < 100:  # short ones only: tokens cost
        sentences.insert(rng.choice([0, 1, len(sentences)]), distractor)
    return Described(" ".join(sentences), dict(sorted(w.quantities.items())))


def describe(scenario: Scenario, rng: random.Random | int, wording: str = "train") -> str:
    """The model's input text for `scenario`; phrasing chosen by `rng` (or an int seed)."""
    return describe_with_quantities(scenario, rng, wording).text
