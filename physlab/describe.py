"""The natural-language scenario description: the model's input.

A description states, with units, every number that one of the applicable physics checks
(physlab.physics) needs, and nothing else from the scenario: no liquid numbers for a box, no
crush force for a robust object, no rolling resistance for something that cannot roll. It
never names the outcome or hints at it ("fragile", "too fast", "unstable", ...: LEAK_WORDS);
the numbers alone carry the answer, so a model has to learn the thresholds instead of
keywords.

Phrasing varies (several templates per sentence, some sentences move), chosen by the rng,
so a student cannot key on one fixed sentence shape. The same rng seed gives the same text.
Descriptions are kept short (about 60-130 words): every token is paid for in every training
step on a CPU.

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

from physlab.schema import Scenario

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
_GRIPPER_WORDS = {"parallel_jaw": "parallel-jaw gripper", "three_finger": "three-finger gripper"}


def _object_name(scenario: Scenario) -> str:
    o = scenario.object
    name = o.type.replace("_", " ").strip()
    material = _MATERIAL_WORD.get(o.material)
    if material and material not in name and o.material not in name:
        name = f"{material} {name}"
    return name


def _size(scenario: Scenario, rng: random.Random) -> str:
    o = scenario.object
    if o.shape == "box":
        dims = f"{fmt_number(o.width_m * 1000)} × {fmt_number(o.depth_m * 1000)} × {fmt_mm(o.height_m)}"
        return rng.choice([dims, f"{dims} (w × d × h)"])
    diameter = max(o.width_m, o.depth_m)
    if o.shape == "sphere":
        if abs(o.height_m - diameter) > 0.02 * diameter:  # egg-like: taller than wide
            return rng.choice([f"{fmt_mm(diameter)} across and {fmt_mm(o.height_m)} tall",
                               f"diameter {fmt_mm(diameter)}, height {fmt_mm(o.height_m)}"])
        return rng.choice([f"{fmt_mm(diameter)} in diameter", f"diameter {fmt_mm(diameter)}"])
    if o.orientation == "on_side":
        return rng.choice([f"{fmt_mm(diameter)} in diameter and {fmt_mm(o.height_m)} long",
                           f"diameter {fmt_mm(diameter)}, length {fmt_mm(o.height_m)}"])
    return rng.choice([f"{fmt_mm(diameter)} across and {fmt_mm(o.height_m)} tall",
                       f"diameter {fmt_mm(diameter)}, height {fmt_mm(o.height_m)}",
                       f"{fmt_mm(o.height_m)} tall with a {fmt_mm(diameter)} diameter"])


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


def _object_sentences(scenario: Scenario, rng: random.Random) -> list[str]:
    o = scenario.object
    thing = _article(_object_name(scenario))
    mass, size = _kg(o.mass_kg), _size(scenario, rng)
    first = rng.choice([
        f"The object is {thing}, {mass}, {size}.",
        f"The robot handles {thing} of {mass}, {size}.",
        f"Object: {thing}, {mass}, {size}.",
        f"{_cap(thing)} weighing {mass} ({size}) is to be moved.",
    ])
    sentences = [first]
    if o.orientation == "on_side":
        sentences[0] = first[:-1] + rng.choice([", lying on its side.", ", on its side."])
    if _rolls(scenario):
        wall = ("hollow" if o.hollow else "solid") if o.shape == "sphere" else \
            ("thin-walled" if o.hollow else "solid")
        sentences.append(rng.choice([f"It is {wall}.", f"Its body is {wall}."]))
    if _stands_free(scenario):
        com = fmt_mm(o.com_height_m)
        sentences.append(rng.choice([
            f"Its centre of mass is {com} above its base.",
            f"The centre of mass sits {com} above the base.",
            f"Centre of mass height: {com}.",
        ]))
    if _liquid(scenario):
        fill = f"{fmt_number(o.fill_fraction * 100)}%"
        sentences.append(rng.choice([
            f"It is open and filled with liquid to {fill} of its height.",
            f"Liquid fills the open container to {fill} of its height.",
            f"It holds liquid up to {fill} of its height, with no lid.",
        ]))
    return sentences


def _crush_sentence(scenario: Scenario, rng: random.Random) -> str | None:
    crush = scenario.object.crush_force_n
    if crush is None or scenario.motion.carry != "grasped":
        return None  # only a grasp squeezes it
    c = _n(crush)
    return rng.choice([
        f"It is damaged by a squeeze above about {c}.",
        f"A squeeze above about {c} damages it.",
        f"It takes damage from more than about {c} of squeeze.",
        f"Its damage threshold is about {c} of squeeze.",
    ])


def _support_words(scenario: Scenario) -> str:
    return scenario.environment.surface.replace("_", " ")


def _hold_sentences(scenario: Scenario, rng: random.Random) -> list[str]:
    g, m, env = scenario.gripper, scenario.motion, scenario.environment
    surface = _support_words(scenario)
    if m.carry == "on_tray":
        if _rolls(scenario):
            return [rng.choice([
                f"It rides on {_article(surface)}, nothing holding it in place; rolling resistance "
                f"there is {fmt_number(env.rolling_resistance)}.",
                f"Nothing holds it: it rests on {_article(surface)} that is moved "
                f"(rolling resistance {fmt_number(env.rolling_resistance)}).",
            ])]
        return [rng.choice([
            f"It stands upright on {_article(surface)} that is moved, nothing holding it in place; "
            f"friction with the {surface} is {_mu(env.support_friction)}.",
            f"Nothing holds it: it stands on {_article(surface)} that is moved "
            f"(support friction {_mu(env.support_friction)}).",
            f"It is carried standing free on {_article(surface)}, not gripped; "
            f"{surface} friction {_mu(env.support_friction)}.",
        ])]
    kind, force, mu, payload = _GRIPPER_WORDS[g.kind], _n(g.grip_force_n), _mu(g.pad_friction), _kg(g.payload_kg)
    sentences = [rng.choice([
        f"A {kind} grips it with {force} (pad friction {mu}); the rated payload is {payload}.",
        f"The {kind} closes with {force}, pad friction {mu}, rated payload {payload}.",
        f"Grasp: {kind}, grip force {force}, pads {mu}, payload rating {payload}.",
        f"It is held by a {kind} squeezing with {force}; pad friction {mu}, payload {payload}.",
    ])]
    if g.grasp_offset_m > 0:
        offset, pad = fmt_mm(g.grasp_offset_m), fmt_mm(g.pad_radius_m)
        sentences.append(rng.choice([
            f"The grasp point is {offset} from the centre of mass; pad radius {pad}.",
            f"It is gripped {offset} off its centre of mass, with pads of {pad} radius.",
            f"Grasp offset from the centre of mass: {offset}; pad radius {pad}.",
        ]))
    return sentences


def _motion_sentence(scenario: Scenario, rng: random.Random) -> str:
    m = scenario.motion
    task = _ACTION_WORDS.get(m.action, m.action.replace("_", " "))
    a_h = fmt_accel(m.transport_accel_mps2)
    if m.carry == "grasped":
        a_z = fmt_accel(m.lift_accel_mps2)
        text = rng.choice([
            f"Task: {task}; it is lifted at up to {a_z} and moved with peak acceleration {a_h}",
            f"For the {task}, the arm lifts at {a_z}, then moves sideways at up to {a_h}",
            f"Peak accelerations in this {task}: {a_z} lifting, {a_h} horizontally",
        ])
    else:
        text = rng.choice([
            f"Task: {task}; the {_support_words(scenario)} accelerates at up to {a_h} horizontally",
            f"For the {task}, the {_support_words(scenario)} is moved with peak acceleration {a_h}",
            f"Peak horizontal acceleration in this {task}: {a_h}",
        ])
    if _liquid(scenario):
        ramp = _s(m.ramp_time_s)
        text += rng.choice([f", reached in {ramp}", f" (ramp-up {ramp})", f", ramping up over {ramp}"])
    return text + "."


def _obstacle_sentences(scenario: Scenario, rng: random.Random) -> list[str]:
    m = scenario.motion
    if m.clearance_m is None:
        return []
    gap, error = fmt_mm(m.clearance_m), fmt_mm(m.tracking_error_m)
    where = "during the approach" if m.clearance_phase == "approach" else "during transport"
    sentences = [rng.choice([
        f"{_cap(where)} the path passes {gap} from an obstacle; tracking error {error}.",
        f"The nearest obstacle is {gap} from the path {where}, with {error} tracking error.",
        f"Clearance to an obstacle {where}: {gap}; the arm tracks its path to within {error}.",
    ])]
    if m.stop_before_obstacle:
        v, t, b = f"{fmt_number(m.speed_mps)} m/s", _s(m.reaction_time_s), fmt_accel(m.brake_decel_mps2)
        sentences.append(rng.choice([
            f"The arm must stop before it: speed {v}, reaction time {t}, braking at {b}.",
            f"It has to halt before the obstacle, moving at {v} with {t} reaction time and {b} braking.",
            f"A stop is required before the obstacle; it travels at {v}, reacts in {t}, decelerates at {b}.",
        ]))
    return sentences


def _place_sentences(scenario: Scenario, rng: random.Random) -> list[str]:
    m, env, o = scenario.motion, scenario.environment, scenario.object
    surface = _support_words(scenario)
    sentences = []
    if m.carry == "on_tray" and m.release_height_m == 0:
        sentences.append(rng.choice([
            f"At the end the {surface} comes to rest.",
            f"The {surface} then stops and is put down.",
        ]))
    elif m.release_height_m > 0:
        h = fmt_mm(m.release_height_m)
        sentences.append(rng.choice([
            f"The gripper opens {h} above the {surface}.",
            f"It is released {h} above the {surface}.",
            f"Release height above the {surface}: {h}.",
        ]))
    else:
        sentences.append(rng.choice([
            f"It is set down on the {surface} before the gripper opens.",
            f"The gripper opens with it resting on the {surface}.",
            f"It is released in contact with the {surface}.",
        ]))
    slope = env.slope_deg
    if slope > 0 and not o.rolls:
        friction = "" if m.carry == "on_tray" else f", friction {_mu(env.support_friction)}"
        sentences.append(rng.choice([
            f"The {surface} is inclined at {fmt_number(slope)}°{friction}.",
            f"That {surface} slopes at {fmt_number(slope)}°{friction}.",
        ]))
    if o.rolls:
        degrees = fmt_number(slope)
        incline = f"inclined at {degrees}°" if slope > 0 else "level (0°)"
        on_surface = f"on a {surface} inclined at {degrees}°" if slope > 0 else f"on a level {surface} (0°)"
        speed = f"{fmt_number(m.release_speed_mps)} m/s"
        start = f"with a residual speed of {speed}" if m.release_speed_mps > 0 else "at rest (0 m/s)"
        tolerance = fmt_cm(env.roll_tolerance_m)
        rolling = "" if m.carry == "on_tray" else f", rolling resistance {fmt_number(env.rolling_resistance)}"
        sentences.append(rng.choice([
            f"The {surface} is {incline}{rolling}; it is let go {start} and may roll at most {tolerance}.",
            f"It is let go {start} {on_surface}{rolling}; {tolerance} of rolling is tolerated.",
            f"Placement: {surface} {incline}{rolling}, let go {start}, at most {tolerance} of roll allowed.",
        ]))
    return sentences


def describe(scenario: Scenario, rng: random.Random | int) -> str:
    """The model's input text for `scenario`; phrasing chosen by `rng` (or an int seed)."""
    if not isinstance(rng, random.Random):
        rng = random.Random(rng)
    objects = _object_sentences(scenario, rng)
    crush = _crush_sentence(scenario, rng)
    hold = _hold_sentences(scenario, rng)
    motion = [_motion_sentence(scenario, rng)]
    obstacle = _obstacle_sentences(scenario, rng)
    place = _place_sentences(scenario, rng)

    # Order varies a little: the object comes first and the placement last (time order),
    # the crush threshold goes with the object or after the grasp, an obstacle before or
    # after the motion sentence.
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
    return " ".join(sentences)
