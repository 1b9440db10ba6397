"""Object types and scenario families: the raw material of every dataset.

An **object type** is a kind of thing a robot handles (a mug, an egg, a tote) with realistic
ranges for its mass, size, centre of mass, crush force and friction (docs/physics.md: "S"
published figures, "E" estimates). A **scenario family** is one object type handled with one
manipulation strategy, plus the parameters that vary across its scenarios and over which
ranges. Families are built so that every one of them yields both failures and successes:
the object alone never decides the label, the numbers do.

Families are data, not code: one small `Family(...)` entry each in the table below. The
sampler (`sample_params`) turns a family and a `random.Random` into a scenario dict that
`schema.parse_scenario` validates and `physics.assess` labels; the generator in
physlab/scenarios.py keeps or rejects it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from physlab.physics import MODES
from physlab.schema import ACTIONS, MATERIALS, SHAPES

Range = tuple[float, float]

# --------------------------------------------------------------------------- object types


@dataclass(frozen=True)
class ObjectType:
    """A kind of object with the ranges its instances are drawn from (SI units).

    For cylinders and spheres `width_m` is the diameter and the depth equals it. A liquid
    container (`liquid_kg` set) is open at the top; its mass is the empty mass plus
    fill_fraction * liquid_kg, so a fuller cup is also a heavier one.
    """

    name: str
    category: str  # kitchen, lab, warehouse, retail
    shape: str
    material: str
    mass_kg: Range  # empty mass for liquid containers
    width_m: Range
    height_m: Range
    depth_m: Range | None = None  # boxes only; None = same as width (round objects)
    com_fraction: Range = (0.5, 0.5)  # centre-of-mass height / height
    crush_force_n: Range | None = None  # None = robust (not damaged by any grip in range)
    pad_friction: Range = (0.5, 0.8)  # rubber pad against this object
    support_friction: Range = (0.3, 0.6)  # this object on a typical table, tray or belt
    open_top: bool = False
    liquid_kg: float | None = None  # liquid mass when brim-full; None = holds no liquid
    fill: Range = (0.5, 0.9)  # liquid depth / container height
    hollow: bool = False  # thin-walled: rolls with 1 + I/mR^2 = 2 (cylinder) or 5/3 (sphere)
    source: str = "E"  # S: YCB or published figure, E: estimate

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"object type {self.name}: shape {self.shape!r} not in {SHAPES}")
        if self.material not in MATERIALS:
            raise ValueError(f"object type {self.name}: material {self.material!r} not in {MATERIALS}")
        if self.liquid_kg is not None and not self.open_top:
            raise ValueError(f"object type {self.name}: a liquid container must be open_top")

    @property
    def holds_liquid(self) -> bool:
        return self.liquid_kg is not None


def _obj(*args: Any, **kwargs: Any) -> tuple[str, ObjectType]:
    o = ObjectType(*args, **kwargs)
    return o.name, o


# Crush forces are for flat rubber pads; glass and ceramic in their holders are taken as robust
# unless thin (wine glass bowl, light bulb). Friction: rubber pad on glass/ceramic 0.5-1.0,
# plastic 0.4-0.8, cardboard 0.5-0.8 (E); wet or oily x0.3-0.5 is applied per family.
OBJECTS: dict[str, ObjectType] = dict([
    # ---- kitchen
    _obj("mug", "kitchen", "cylinder", "ceramic", (0.11, 0.13), (0.078, 0.082), (0.080, 0.085),
         com_fraction=(0.42, 0.48), pad_friction=(0.5, 0.9), support_friction=(0.4, 0.7), open_top=True,
         source="S"),
    _obj("mug_of_coffee", "kitchen", "cylinder", "ceramic", (0.11, 0.13), (0.078, 0.082), (0.080, 0.085),
         com_fraction=(0.38, 0.45), pad_friction=(0.5, 0.9), support_friction=(0.4, 0.7), open_top=True,
         liquid_kg=0.30, fill=(0.5, 0.95), source="S"),
    _obj("egg", "kitchen", "sphere", "eggshell", (0.05, 0.07), (0.042, 0.045), (0.055, 0.058),
         crush_force_n=(25, 50), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("wine_glass", "kitchen", "cylinder", "glass", (0.15, 0.25), (0.065, 0.075), (0.19, 0.21),
         com_fraction=(0.35, 0.45), crush_force_n=(20, 100), pad_friction=(0.5, 0.9),
         support_friction=(0.3, 0.9)),
    _obj("glass_of_water", "kitchen", "cylinder", "glass", (0.18, 0.25), (0.07, 0.08), (0.11, 0.13),
         com_fraction=(0.35, 0.45), crush_force_n=(60, 150), pad_friction=(0.5, 0.9),
         support_friction=(0.3, 0.9), open_top=True, liquid_kg=0.30, fill=(0.4, 0.9)),
    _obj("bowl_of_soup", "kitchen", "cylinder", "ceramic", (0.14, 0.155), (0.155, 0.160), (0.050, 0.055),
         com_fraction=(0.35, 0.45), pad_friction=(0.5, 0.9), support_friction=(0.3, 0.7), open_top=True,
         liquid_kg=0.45, fill=(0.6, 0.9), source="S"),
    _obj("soup_can", "kitchen", "cylinder", "steel", (0.33, 0.36), (0.066, 0.067), (0.100, 0.102),
         pad_friction=(0.5, 0.85), support_friction=(0.3, 0.9), source="S"),
    _obj("frying_pan", "kitchen", "cylinder", "steel", (0.8, 1.6), (0.24, 0.28), (0.045, 0.06),
         com_fraction=(0.3, 0.4), pad_friction=(0.5, 0.85), support_friction=(0.2, 0.5)),
    _obj("plate", "kitchen", "cylinder", "ceramic", (0.35, 0.6), (0.20, 0.27), (0.02, 0.03),
         pad_friction=(0.5, 0.9), support_friction=(0.3, 0.7)),
    _obj("glass_jar", "kitchen", "cylinder", "glass", (0.35, 0.7), (0.075, 0.09), (0.10, 0.14),
         crush_force_n=(150, 300), pad_friction=(0.5, 0.9), support_friction=(0.3, 0.8)),
    _obj("vase", "kitchen", "cylinder", "ceramic", (0.6, 1.3), (0.08, 0.11), (0.25, 0.35),
         com_fraction=(0.38, 0.45), pad_friction=(0.5, 0.9), support_friction=(0.3, 0.9)),
    _obj("sponge", "kitchen", "box", "foam", (0.01, 0.03), (0.065, 0.075), (0.035, 0.045),
         depth_m=(0.105, 0.115), pad_friction=(0.6, 1.0), support_friction=(0.5, 0.9)),
    _obj("apple", "kitchen", "sphere", "produce", (0.15, 0.25), (0.07, 0.085), (0.07, 0.085),
         crush_force_n=(40, 100), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("tomato", "kitchen", "sphere", "produce", (0.10, 0.16), (0.06, 0.075), (0.055, 0.07),
         crush_force_n=(10, 30), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("strawberry", "kitchen", "sphere", "produce", (0.012, 0.025), (0.025, 0.035), (0.03, 0.04),
         crush_force_n=(2, 5), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("paper_cup_of_coffee", "kitchen", "cylinder", "paper", (0.01, 0.015), (0.08, 0.09), (0.09, 0.11),
         com_fraction=(0.38, 0.45), crush_force_n=(2, 6), pad_friction=(0.5, 0.8),
         support_friction=(0.3, 0.6), open_top=True, liquid_kg=0.30, fill=(0.5, 0.95)),
    _obj("drink_can", "kitchen", "cylinder", "aluminium", (0.36, 0.38), (0.066, 0.066), (0.122, 0.122),
         crush_force_n=(40, 90), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("empty_can", "retail", "cylinder", "aluminium", (0.013, 0.016), (0.066, 0.066), (0.122, 0.122),
         crush_force_n=(8, 12), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6), hollow=True),
    _obj("water_bottle", "retail", "cylinder", "plastic", (0.50, 0.54), (0.063, 0.067), (0.20, 0.22),
         com_fraction=(0.42, 0.48), crush_force_n=(30, 60), pad_friction=(0.4, 0.8),
         support_friction=(0.3, 0.6)),
    # ---- retail
    _obj("mustard_bottle", "retail", "box", "plastic", (0.58, 0.62), (0.053, 0.058), (0.175, 0.19),
         depth_m=(0.09, 0.095), com_fraction=(0.38, 0.45), pad_friction=(0.4, 0.8),
         support_friction=(0.2, 0.7), source="S"),
    _obj("bleach_bottle", "retail", "box", "plastic", (1.10, 1.16), (0.065, 0.07), (0.24, 0.25),
         depth_m=(0.095, 0.10), com_fraction=(0.38, 0.45), pad_friction=(0.4, 0.8),
         support_friction=(0.3, 0.6), source="S"),
    _obj("cracker_box", "retail", "box", "cardboard", (0.39, 0.43), (0.06, 0.06), (0.21, 0.21),
         depth_m=(0.158, 0.158), crush_force_n=(40, 80), pad_friction=(0.5, 0.8),
         support_friction=(0.2, 0.6), source="S"),
    _obj("cereal_box", "retail", "box", "cardboard", (0.4, 0.6), (0.065, 0.075), (0.28, 0.30),
         depth_m=(0.19, 0.20), crush_force_n=(40, 80), pad_friction=(0.5, 0.8), support_friction=(0.2, 0.6)),
    _obj("milk_carton", "retail", "box", "cardboard", (1.0, 1.1), (0.07, 0.072), (0.20, 0.24),
         depth_m=(0.07, 0.072), com_fraction=(0.42, 0.48), crush_force_n=(30, 70),
         pad_friction=(0.5, 0.8), support_friction=(0.2, 0.6)),
    _obj("book", "retail", "box", "paper", (0.3, 1.5), (0.15, 0.2), (0.02, 0.05), depth_m=(0.21, 0.26),
         pad_friction=(0.5, 0.8), support_friction=(0.25, 0.5)),
    _obj("smartphone_box", "retail", "box", "cardboard", (0.2, 0.35), (0.08, 0.09), (0.045, 0.055),
         depth_m=(0.16, 0.17), crush_force_n=(80, 150), pad_friction=(0.5, 0.8), support_friction=(0.3, 0.6)),
    _obj("tennis_ball", "retail", "sphere", "rubber", (0.056, 0.059), (0.064, 0.067), (0.064, 0.067),
         pad_friction=(0.6, 0.9), support_friction=(0.5, 0.8), hollow=True, source="S"),
    _obj("baseball", "retail", "sphere", "fabric", (0.142, 0.149), (0.072, 0.075), (0.072, 0.075),
         pad_friction=(0.5, 0.8), support_friction=(0.4, 0.7), source="S"),
    _obj("wooden_block", "retail", "box", "wood", (0.05, 0.3), (0.03, 0.05), (0.12, 0.2),
         depth_m=(0.03, 0.05), pad_friction=(0.6, 0.9), support_friction=(0.25, 0.5)),
    # ---- lab
    _obj("beaker", "lab", "cylinder", "glass", (0.09, 0.11), (0.068, 0.072), (0.092, 0.098),
         com_fraction=(0.38, 0.45), crush_force_n=(40, 100), pad_friction=(0.5, 0.9),
         support_friction=(0.3, 0.8), open_top=True, liquid_kg=0.25, fill=(0.3, 0.9)),
    _obj("erlenmeyer_flask", "lab", "cylinder", "glass", (0.12, 0.16), (0.08, 0.09), (0.13, 0.15),
         com_fraction=(0.28, 0.35), crush_force_n=(40, 100), pad_friction=(0.5, 0.9),
         support_friction=(0.3, 0.8), open_top=True, liquid_kg=0.25, fill=(0.3, 0.8)),
    _obj("test_tube_rack", "lab", "box", "plastic", (0.25, 0.6), (0.08, 0.1), (0.07, 0.09),
         depth_m=(0.22, 0.26), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("reagent_bottle", "lab", "cylinder", "glass", (0.6, 0.9), (0.08, 0.09), (0.17, 0.19),
         com_fraction=(0.38, 0.45), crush_force_n=(100, 250), pad_friction=(0.5, 0.9),
         support_friction=(0.3, 0.8)),
    # ---- warehouse
    _obj("cardboard_box", "warehouse", "box", "cardboard", (0.5, 4.0), (0.2, 0.3), (0.15, 0.3),
         depth_m=(0.25, 0.4), crush_force_n=(100, 300), pad_friction=(0.5, 0.8), support_friction=(0.3, 0.6)),
    _obj("tote", "warehouse", "box", "plastic", (1.0, 8.0), (0.29, 0.31), (0.15, 0.25), depth_m=(0.39, 0.41),
         com_fraction=(0.35, 0.45), pad_friction=(0.4, 0.8), support_friction=(0.2, 0.5)),
    _obj("hammer", "warehouse", "box", "steel", (0.45, 0.75), (0.028, 0.032), (0.028, 0.032),
         depth_m=(0.28, 0.33), pad_friction=(0.5, 0.85), support_friction=(0.2, 0.5)),
    _obj("wrench", "warehouse", "box", "steel", (0.1, 0.35), (0.018, 0.025), (0.008, 0.012),
         depth_m=(0.15, 0.25), pad_friction=(0.4, 0.85), support_friction=(0.2, 0.5)),
    _obj("paint_can", "warehouse", "cylinder", "steel", (3.0, 5.0), (0.165, 0.17), (0.19, 0.19),
         pad_friction=(0.5, 0.85), support_friction=(0.3, 0.6)),
    _obj("toolbox", "warehouse", "box", "steel", (3.0, 9.0), (0.19, 0.21), (0.19, 0.21), depth_m=(0.43, 0.47),
         com_fraction=(0.35, 0.45), pad_friction=(0.5, 0.85), support_friction=(0.2, 0.5)),
    # ---- reserved for the ood split: never used by a train or test family
    _obj("light_bulb", "retail", "sphere", "glass", (0.03, 0.05), (0.058, 0.062), (0.058, 0.062),
         crush_force_n=(30, 80), pad_friction=(0.5, 0.9), support_friction=(0.3, 0.8), hollow=True),
    _obj("golf_ball", "retail", "sphere", "rubber", (0.045, 0.046), (0.0427, 0.043), (0.0427, 0.043),
         pad_friction=(0.5, 0.8), support_friction=(0.4, 0.7)),
    _obj("orange", "kitchen", "sphere", "produce", (0.13, 0.2), (0.07, 0.08), (0.07, 0.08),
         crush_force_n=(30, 80), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6)),
    _obj("water_pitcher", "kitchen", "cylinder", "plastic", (0.3, 0.4), (0.11, 0.13), (0.20, 0.24),
         com_fraction=(0.38, 0.45), pad_friction=(0.4, 0.8), support_friction=(0.3, 0.6), open_top=True,
         liquid_kg=1.8, fill=(0.4, 0.85)),
    _obj("brick", "warehouse", "box", "stone", (2.0, 2.6), (0.063, 0.067), (0.21, 0.22), depth_m=(0.1, 0.105),
         pad_friction=(0.5, 0.9), support_friction=(0.4, 0.8)),
    _obj("wine_bottle", "retail", "cylinder", "glass", (1.2, 1.5), (0.073, 0.077), (0.29, 0.31),
         com_fraction=(0.36, 0.42), pad_friction=(0.5, 0.9), support_friction=(0.3, 0.9)),
    _obj("graduated_cylinder", "lab", "cylinder", "glass", (0.15, 0.25), (0.07, 0.09), (0.30, 0.35),
         com_fraction=(0.3, 0.4), crush_force_n=(30, 80), pad_friction=(0.5, 0.9), support_friction=(0.3, 0.9),
         open_top=True, liquid_kg=0.25, fill=(0.4, 0.9)),
])

# Object types kept out of train and test entirely: the ood split asks whether the physics
# transfers to things the model has never seen.
OOD_OBJECTS: tuple[str, ...] = (
    "light_bulb", "golf_ball", "orange", "water_pitcher", "brick", "wine_bottle", "graduated_cylinder",
)

# --------------------------------------------------------------------------- families

# Short names for the parameter paths that families vary (section.field of the schema).
GRIP = "gripper.grip_force_n"
PAD_MU = "gripper.pad_friction"
PAYLOAD = "gripper.payload_kg"
OFFSET = "gripper.grasp_offset_m"
LIFT = "motion.lift_accel_mps2"
ACCEL = "motion.transport_accel_mps2"
RAMP = "motion.ramp_time_s"
SPEED = "motion.speed_mps"
TRACK = "motion.tracking_error_m"
CLEAR = "motion.clearance_m"
DROP_H = "motion.release_height_m"
RELEASE_V = "motion.release_speed_mps"
FILL = "object.fill_fraction"
SLOPE = "environment.slope_deg"
SUPPORT_MU = "environment.support_friction"
ROLL_MU = "environment.rolling_resistance"
ROLL_TOL = "environment.roll_tolerance_m"


@dataclass(frozen=True)
class Vary:
    """One parameter drawn uniformly (or log-uniformly) from [low, high].

    `zero` is the share of draws that take exactly 0 instead (a grasp at the centre of mass,
    a flat support): the family then shows the same object with and without that cause.
    """

    path: str
    low: float
    high: float
    log: bool = False
    zero: float = 0.0

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"Vary {self.path}: low {self.low} must not exceed high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"Vary {self.path}: a log range needs low > 0 (got {self.low})")

    def sample(self, rng: random.Random) -> float:
        if self.zero and rng.random() < self.zero:
            return 0.0
        if self.log:
            return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return rng.uniform(self.low, self.high)


def V(path: str, low: float, high: float, log: bool = False, zero: float = 0.0) -> Vary:
    return Vary(path, low, high, log, zero)


# Where the object ends up, per action: sets the surface named in descriptions and whether the
# object is grasped or rides unsecured (tray, conveyor belt).
ACTION_SURFACE = {
    "pick_and_place": "table", "tray_carry": "tray", "fast_transfer": "table", "shelf_insertion": "shelf",
    "place_on_slope": "ramp", "hand_over": "person's hand", "pour": "bench", "conveyor_transfer": "conveyor belt",
    "stacking": "stack", "bin_picking": "bin", "table_clearing": "table", "packing": "box",
}
ACTION_CARRY = {"tray_carry": "on_tray", "conveyor_transfer": "on_tray"}
# Collisions while reaching into a box, bin or crate happen on the approach; on shelves and
# cluttered tables, while carrying the object past obstacles.
ACTION_CLEARANCE_PHASE = {"packing": "approach", "bin_picking": "approach", "stacking": "approach"}


@dataclass(frozen=True)
class Family:
    """One object type handled with one strategy, and what varies between its scenarios.

    `modes` are the failure modes the ranges are built to reach (each with clear margins);
    success is always reachable too. `fixed` sets parameters to one value (paths as in
    `vary`), e.g. {"object.orientation": "on_side"} for a can lying down.
    """

    name: str
    object: str
    action: str
    modes: tuple[str, ...]
    vary: tuple[Vary, ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    surface: str | None = None  # None: ACTION_SURFACE[action]
    note: str = ""

    def __post_init__(self) -> None:
        if self.object not in OBJECTS:
            raise ValueError(f"family {self.name}: unknown object type {self.object!r}")
        if self.action not in ACTIONS:
            raise ValueError(f"family {self.name}: action {self.action!r} not in {ACTIONS}")
        bad = [m for m in self.modes if m not in MODES]
        if bad or not self.modes:
            raise ValueError(f"family {self.name}: modes {bad or '()'} must be a non-empty subset of {MODES}")

    @property
    def carry(self) -> str:
        return self.fixed.get("motion.carry", ACTION_CARRY.get(self.action, "grasped"))


F = Family

# Each entry: name, object, action, failure modes it reaches, and the ranges that vary.
# Grip forces are log-uniform: the interesting thresholds (slip at a few N, crush at 2-300 N)
# span two orders of magnitude. They start at 0.5 N (a soft, force-controlled gripper); light
# objects slip through low pad friction instead (wet or oily: x0.3-0.5).
_FAMILIES: tuple[Family, ...] = (
    # ---- mugs and cups
    F("mug_pick_by_rim", "mug", "pick_and_place", ("dropping", "slipping"),
      (V(GRIP, 0.5, 60, log=True), V(OFFSET, 0.003, 0.05, zero=0.4), V(LIFT, 0.5, 8)), note="held at the rim, off-centre"),
    F("mug_shelf_insertion", "mug", "shelf_insertion", ("collision", "dropping"),
      (V(GRIP, 15, 60), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008), V(DROP_H, 0, 0.03))),
    F("mug_table_clearing", "mug", "table_clearing", ("collision", "dropping", "slipping"),
      (V(GRIP, 0.5, 40, log=True), V(OFFSET, 0.003, 0.04, zero=0.4), V(CLEAR, 0.002, 0.03, log=True), V(TRACK, 0.0005, 0.006))),
    F("coffee_mug_tray", "mug_of_coffee", "tray_carry", ("sloshing", "slipping"),
      (V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.5, 0.95), V(SUPPORT_MU, 0.15, 0.8))),
    F("coffee_mug_fast_transfer", "mug_of_coffee", "fast_transfer", ("sloshing", "slipping"),
      (V(GRIP, 0.7, 40, log=True), V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.5, 0.95))),
    F("coffee_mug_pour", "mug_of_coffee", "pour", ("sloshing", "dropping"),
      (V(GRIP, 5, 60, log=True), V(OFFSET, 0.005, 0.06, zero=0.5), V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.6, 0.95))),
    F("paper_cup_tray", "paper_cup_of_coffee", "tray_carry", ("sloshing", "slipping"),
      (V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.5, 0.95), V(SUPPORT_MU, 0.15, 0.7))),
    F("paper_cup_hand_over", "paper_cup_of_coffee", "hand_over", ("crushing", "slipping"),
      (V(GRIP, 0.5, 12, log=True), V(LIFT, 0.3, 4), V(ACCEL, 0.1, 1.0)), fixed={"gripper.kind": "three_finger",
                                                                                 "object.fill_fraction": 0.5}),
    F("glass_of_water_tray", "glass_of_water", "tray_carry", ("sloshing", "slipping"),
      (V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.05, 1.5), V(FILL, 0.6, 0.95), V(SUPPORT_MU, 0.15, 1.0))),
    F("glass_of_water_pick", "glass_of_water", "pick_and_place", ("slipping", "sloshing", "crushing"),
      (V(GRIP, 1, 300, log=True), V(PAD_MU, 0.15, 0.9), V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.6, 0.95))),
    F("wine_glass_tray", "wine_glass", "tray_carry", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 12, log=True), V(SUPPORT_MU, 0.15, 1.0))),
    F("wine_glass_pick", "wine_glass", "pick_and_place", ("crushing", "slipping"),
      (V(GRIP, 0.5, 200, log=True), V(LIFT, 0.5, 8))),
    F("wine_glass_shelf", "wine_glass", "shelf_insertion", ("collision", "crushing"),
      (V(GRIP, 5, 150, log=True), V(CLEAR, 0.003, 0.1, log=True), V(SPEED, 0.05, 0.8)),
      fixed={"motion.stop_before_obstacle": True}),
    F("soup_bowl_tray", "bowl_of_soup", "tray_carry", ("sloshing", "slipping"),
      (V(ACCEL, 0.1, 6, log=True), V(RAMP, 0.05, 1.5), V(FILL, 0.4, 0.9), V(SUPPORT_MU, 0.06, 0.6))),
    F("soup_bowl_hand_over", "bowl_of_soup", "hand_over", ("sloshing", "dropping"),
      (V(GRIP, 10, 60), V(ACCEL, 0.05, 3, log=True), V(RAMP, 0.1, 1.5), V(FILL, 0.5, 0.9), V(DROP_H, 0, 0.03))),
    # ---- eggs, fruit and vegetables
    F("egg_pick_place", "egg", "pick_and_place", ("crushing", "slipping", "rolling_away"),
      (V(GRIP, 0.5, 120, log=True), V(PAD_MU, 0.15, 0.8), V(LIFT, 0.5, 8), V(RELEASE_V, 0, 0.25),
       V(ROLL_MU, 0.01, 0.05))),
    F("egg_packing", "egg", "packing", ("crushing", "collision", "dropping"),
      (V(GRIP, 3, 120, log=True), V(CLEAR, 0.001, 0.02, log=True), V(DROP_H, 0, 0.03)),
      fixed={"environment.roll_tolerance_m": 0.5}, surface="egg carton"),
    F("apple_pick_place", "apple", "pick_and_place", ("crushing", "slipping", "rolling_away"),
      (V(GRIP, 0.5, 250, log=True), V(LIFT, 0.5, 8), V(RELEASE_V, 0, 0.25), V(ROLL_MU, 0.01, 0.05))),
    F("apple_packing", "apple", "packing", ("crushing", "collision", "dropping"),
      (V(GRIP, 5, 250, log=True), V(CLEAR, 0.002, 0.03, log=True), V(TRACK, 0.0005, 0.006), V(DROP_H, 0, 0.03)),
      fixed={"environment.roll_tolerance_m": 0.5}, surface="crate"),
    F("tomato_pick_place", "tomato", "pick_and_place", ("crushing", "slipping"),
      (V(GRIP, 0.5, 80, log=True), V(PAD_MU, 0.2, 0.8), V(LIFT, 0.5, 8))),
    F("tomato_conveyor", "tomato", "conveyor_transfer", ("rolling_away",),
      (V(ACCEL, 0.01, 1.5, log=True), V(ROLL_MU, 0.01, 0.06))),
    F("strawberry_pick_place", "strawberry", "pick_and_place", ("crushing", "slipping"),
      (V(GRIP, 0.5, 15, log=True), V(PAD_MU, 0.1, 0.8), V(LIFT, 0.5, 10)), note="wet berries: low pad friction"),
    F("strawberry_packing", "strawberry", "packing", ("crushing", "collision", "dropping"),
      (V(GRIP, 0.5, 12, log=True), V(CLEAR, 0.001, 0.02, log=True), V(DROP_H, 0, 0.03)),
      fixed={"environment.roll_tolerance_m": 0.5}, surface="punnet"),
    # ---- cans and bottles
    F("soup_can_slope", "soup_can", "place_on_slope", ("tipping", "slipping"),
      (V(SLOPE, 2, 45), V(SUPPORT_MU, 0.15, 1.2))),
    F("soup_can_on_side_place", "soup_can", "pick_and_place", ("rolling_away",),
      (V(RELEASE_V, 0, 0.3), V(ROLL_MU, 0.003, 0.05, log=True), V(SLOPE, 0, 2)),
      fixed={"object.orientation": "on_side"}),
    F("soup_can_conveyor", "soup_can", "conveyor_transfer", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 14, log=True), V(SUPPORT_MU, 0.15, 1.2))),
    F("drink_can_pick", "drink_can", "pick_and_place", ("crushing", "slipping"),
      (V(GRIP, 1, 250, log=True), V(PAD_MU, 0.15, 0.8), V(LIFT, 0.5, 8))),
    F("drink_can_on_side_conveyor", "drink_can", "conveyor_transfer", ("rolling_away",),
      (V(ACCEL, 0.01, 1.5, log=True), V(ROLL_MU, 0.005, 0.05)), fixed={"object.orientation": "on_side"}),
    F("empty_can_bin_picking", "empty_can", "bin_picking", ("crushing", "collision"),
      (V(GRIP, 1, 40, log=True), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.006))),
    F("water_bottle_pick", "water_bottle", "pick_and_place", ("crushing", "slipping", "dropping"),
      (V(GRIP, 2, 150, log=True), V(LIFT, 0.5, 8), V(DROP_H, 0, 0.03))),
    F("water_bottle_tray", "water_bottle", "tray_carry", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 10, log=True), V(SUPPORT_MU, 0.15, 0.9))),
    F("water_bottle_on_side_slope", "water_bottle", "place_on_slope", ("rolling_away",),
      (V(GRIP, 5, 20), V(SLOPE, 0.05, 5, log=True), V(ROLL_MU, 0.005, 0.05)),
      fixed={"object.orientation": "on_side"}),
    F("mustard_conveyor", "mustard_bottle", "conveyor_transfer", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 10, log=True), V(SUPPORT_MU, 0.15, 0.9))),
    F("mustard_shelf_insertion", "mustard_bottle", "shelf_insertion", ("collision", "dropping"),
      (V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008), V(DROP_H, 0, 0.03))),
    F("bleach_bottle_pick", "bleach_bottle", "pick_and_place", ("slipping", "dropping"),
      (V(GRIP, 2, 100, log=True), V(PAYLOAD, 0.5, 5), V(LIFT, 0.5, 6))),
    F("bleach_bottle_hand_over", "bleach_bottle", "hand_over", ("dropping", "slipping"),
      (V(GRIP, 3, 140, log=True), V(OFFSET, 0.005, 0.1, zero=0.4), V(ACCEL, 0.2, 4))),
    F("glass_jar_shelf", "glass_jar", "shelf_insertion", ("collision", "dropping"),
      (V(GRIP, 20, 100), V(CLEAR, 0.005, 0.1, log=True), V(SPEED, 0.05, 0.8), V(DROP_H, 0, 0.03)),
      fixed={"motion.stop_before_obstacle": True}),
    F("wet_glass_jar_pick", "glass_jar", "pick_and_place", ("slipping", "crushing"),
      (V(GRIP, 2, 500, log=True), V(PAD_MU, 0.15, 0.5), V(LIFT, 0.5, 6)), note="wet jar: pad friction x0.3-0.5"),
    F("reagent_bottle_hand_over", "reagent_bottle", "hand_over", ("dropping", "slipping", "crushing"),
      (V(GRIP, 2, 400, log=True), V(DROP_H, 0, 0.03), V(LIFT, 0.5, 6))),
    # ---- boxes and books
    F("cracker_box_pick_place", "cracker_box", "pick_and_place", ("crushing", "slipping", "dropping"),
      (V(GRIP, 1, 150, log=True), V(LIFT, 0.5, 8), V(DROP_H, 0, 0.03))),
    F("cracker_box_slope", "cracker_box", "place_on_slope", ("tipping", "slipping"),
      (V(GRIP, 5, 25), V(SLOPE, 2, 35), V(SUPPORT_MU, 0.15, 0.9))),
    F("cracker_box_shelf", "cracker_box", "shelf_insertion", ("collision",),
      (V(GRIP, 8, 30), V(CLEAR, 0.005, 0.1, log=True), V(SPEED, 0.05, 0.8), V(TRACK, 0.0005, 0.006)),
      fixed={"motion.stop_before_obstacle": True}),
    F("cereal_box_conveyor", "cereal_box", "conveyor_transfer", ("tipping", "slipping"),
      (V(ACCEL, 0.3, 8, log=True), V(SUPPORT_MU, 0.1, 0.7))),
    F("cereal_box_shelf", "cereal_box", "shelf_insertion", ("collision", "dropping"),
      (V(GRIP, 8, 30), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008), V(DROP_H, 0, 0.03))),
    F("milk_carton_pick", "milk_carton", "pick_and_place", ("crushing", "slipping"),
      (V(GRIP, 2, 150, log=True), V(LIFT, 0.5, 8))),
    F("milk_carton_tray", "milk_carton", "tray_carry", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 10, log=True), V(SUPPORT_MU, 0.15, 0.9))),
    F("book_shelf_insertion", "book", "shelf_insertion", ("collision",),
      (V(CLEAR, 0.005, 0.12, log=True), V(SPEED, 0.05, 1.0), V(GRIP, 30, 80)),
      fixed={"motion.stop_before_obstacle": True}),
    F("book_stacking", "book", "stacking", ("slipping", "dropping", "collision"),
      (V(GRIP, 20, 80), V(SLOPE, 0, 30, zero=0.3), V(DROP_H, 0, 0.03), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008))),
    F("heavy_book_pick", "book", "pick_and_place", ("slipping", "dropping"),
      (V(GRIP, 1, 60, log=True), V(PAYLOAD, 0.3, 3), V(LIFT, 0.5, 8))),
    F("smartphone_box_packing", "smartphone_box", "packing", ("collision", "crushing", "dropping"),
      (V(GRIP, 10, 300, log=True), V(CLEAR, 0.001, 0.02, log=True), V(DROP_H, 0, 0.03))),
    F("cardboard_box_palletizing", "cardboard_box", "stacking", ("dropping", "slipping", "collision"),
      (V(GRIP, 5, 120, log=True), V(PAYLOAD, 1, 5), V(CLEAR, 0.001, 0.04, log=True), V(TRACK, 0.0005, 0.008), V(LIFT, 0.5, 4))),
    F("cardboard_box_bin_picking", "cardboard_box", "bin_picking", ("crushing", "slipping"),
      (V(GRIP, 10, 500, log=True), V(LIFT, 0.5, 4)), fixed={"gripper.payload_kg": 5.0}),
    F("cardboard_box_conveyor", "cardboard_box", "conveyor_transfer", ("slipping",),
      (V(ACCEL, 0.3, 8, log=True), V(SUPPORT_MU, 0.15, 0.7))),
    F("wooden_block_stacking", "wooden_block", "stacking", ("tipping", "slipping", "dropping"),
      (V(SLOPE, 0, 30), V(SUPPORT_MU, 0.1, 0.9), V(DROP_H, 0, 0.03))),
    F("wooden_block_conveyor", "wooden_block", "conveyor_transfer", ("tipping", "slipping"),
      (V(ACCEL, 0.3, 8, log=True), V(SUPPORT_MU, 0.1, 0.9))),
    # ---- balls
    F("tennis_ball_pick_place", "tennis_ball", "pick_and_place", ("rolling_away", "slipping"),
      (V(GRIP, 0.5, 10, log=True), V(PAD_MU, 0.15, 0.9), V(RELEASE_V, 0, 0.25), V(ROLL_MU, 0.01, 0.05),
       V(ROLL_TOL, 0.03, 0.2))),
    F("tennis_ball_tray", "tennis_ball", "tray_carry", ("rolling_away",),
      (V(ACCEL, 0.01, 1.5, log=True), V(ROLL_MU, 0.01, 0.06))),
    F("tennis_ball_bin_picking", "tennis_ball", "bin_picking", ("collision", "slipping"),
      (V(GRIP, 0.5, 10, log=True), V(PAD_MU, 0.15, 0.9), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.006))),
    F("baseball_slope", "baseball", "place_on_slope", ("rolling_away",),
      (V(SLOPE, 0.05, 5, log=True), V(ROLL_MU, 0.005, 0.05))),
    F("baseball_hand_over", "baseball", "hand_over", ("dropping", "slipping"),
      (V(GRIP, 0.5, 20, log=True), V(PAD_MU, 0.15, 0.8), V(DROP_H, 0, 0.03), V(LIFT, 0.5, 6)),
      fixed={"environment.roll_tolerance_m": 1.0}),
    # ---- lab
    F("beaker_pour", "beaker", "pour", ("sloshing", "crushing"),
      (V(GRIP, 5, 200, log=True), V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.6, 0.95))),
    F("beaker_tray", "beaker", "tray_carry", ("sloshing", "slipping"),
      (V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.6, 0.95), V(SUPPORT_MU, 0.15, 0.8))),
    F("flask_pick_place", "erlenmeyer_flask", "pick_and_place", ("sloshing", "crushing", "slipping"),
      (V(GRIP, 0.5, 200, log=True), V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.6, 0.92))),
    F("flask_conveyor", "erlenmeyer_flask", "conveyor_transfer", ("sloshing", "slipping"),
      (V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.75, 0.97), V(SUPPORT_MU, 0.2, 0.9))),
    F("test_tube_rack_transfer", "test_tube_rack", "fast_transfer", ("slipping", "collision"),
      (V(GRIP, 1, 60, log=True), V(ACCEL, 0.5, 10), V(CLEAR, 0.002, 0.04, log=True), V(TRACK, 0.0005, 0.008))),
    F("test_tube_rack_by_end", "test_tube_rack", "pick_and_place", ("dropping", "slipping"),
      (V(GRIP, 2, 80, log=True), V(OFFSET, 0.005, 0.11, zero=0.4), V(LIFT, 0.5, 6))),
    # ---- tools and warehouse
    F("hammer_by_handle", "hammer", "pick_and_place", ("dropping", "slipping"),
      (V(GRIP, 3, 150, log=True), V(OFFSET, 0.005, 0.15, zero=0.4), V(LIFT, 0.5, 6))),
    F("hammer_table_clearing", "hammer", "table_clearing", ("collision", "dropping"),
      (V(GRIP, 30, 120), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008), V(DROP_H, 0, 0.03))),
    F("wrench_bin_picking", "wrench", "bin_picking", ("collision", "slipping"),
      (V(GRIP, 0.5, 40, log=True), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.006))),
    F("frying_pan_by_handle", "frying_pan", "pick_and_place", ("dropping",),
      (V(GRIP, 10, 235, log=True), V(OFFSET, 0.05, 0.2), V(PAD_MU, 0.5, 1.0), V("gripper.pad_radius_m", 0.01, 0.02), V(LIFT, 0.5, 6)), fixed={"gripper.payload_kg": 5.0}),
    F("frying_pan_table_clearing", "frying_pan", "table_clearing", ("collision", "slipping"),
      (V(GRIP, 3, 100, log=True), V(CLEAR, 0.005, 0.1, log=True), V(SPEED, 0.05, 0.8)),
      fixed={"motion.stop_before_obstacle": True}),
    F("plate_stacking", "plate", "stacking", ("dropping", "collision", "slipping"),
      (V(GRIP, 10, 60), V(DROP_H, 0, 0.03), V(CLEAR, 0.001, 0.02, log=True), V(SLOPE, 0, 30))),
    F("plate_tray", "plate", "tray_carry", ("slipping",),
      (V(ACCEL, 0.3, 8, log=True), V(SUPPORT_MU, 0.15, 0.8))),
    F("vase_conveyor", "vase", "conveyor_transfer", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 10, log=True), V(SUPPORT_MU, 0.15, 0.9))),
    F("vase_slope", "vase", "place_on_slope", ("tipping", "slipping"),
      (V(SLOPE, 2, 35), V(SUPPORT_MU, 0.15, 0.9))),
    F("sponge_table_clearing", "sponge", "table_clearing", ("collision", "dropping"),
      (V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008), V(DROP_H, 0, 0.03))),
    F("paint_can_pick", "paint_can", "pick_and_place", ("dropping", "slipping"),
      (V(GRIP, 10, 235, log=True), V(PAYLOAD, 2, 8), V(LIFT, 0.5, 5))),
    F("toolbox_pick", "toolbox", "pick_and_place", ("dropping", "slipping"),
      (V(GRIP, 10, 235, log=True), V(PAYLOAD, 2, 12), V(LIFT, 0.5, 5))),
    F("tote_conveyor", "tote", "conveyor_transfer", ("slipping",),
      (V(ACCEL, 0.3, 8, log=True), V(SUPPORT_MU, 0.15, 0.6))),
    F("tote_warehouse_pick", "tote", "bin_picking", ("dropping", "slipping", "collision"),
      (V(GRIP, 20, 235, log=True), V(PAYLOAD, 2, 12), V(CLEAR, 0.001, 0.04, log=True), V(TRACK, 0.0005, 0.008), V(LIFT, 0.5, 4))),
    # ---- ood only (object types in OOD_OBJECTS)
    F("light_bulb_pick_place", "light_bulb", "pick_and_place", ("crushing", "slipping", "rolling_away"),
      (V(GRIP, 0.5, 150, log=True), V(PAD_MU, 0.15, 0.9), V(LIFT, 0.5, 8), V(RELEASE_V, 0, 0.25), V(ROLL_MU, 0.01, 0.05))),
    F("light_bulb_packing", "light_bulb", "packing", ("crushing", "collision", "dropping"),
      (V(GRIP, 2, 150, log=True), V(CLEAR, 0.001, 0.02, log=True), V(DROP_H, 0, 0.03)),
      fixed={"environment.roll_tolerance_m": 0.5}),
    F("golf_ball_slope", "golf_ball", "place_on_slope", ("rolling_away",),
      (V(SLOPE, 0.05, 5, log=True), V(ROLL_MU, 0.005, 0.05))),
    F("golf_ball_pick_place", "golf_ball", "pick_and_place", ("rolling_away", "slipping"),
      (V(GRIP, 0.5, 10, log=True), V(PAD_MU, 0.15, 0.9), V(RELEASE_V, 0, 0.25), V(ROLL_MU, 0.01, 0.05),
       V(ROLL_TOL, 0.03, 0.2))),
    F("orange_pick_place", "orange", "pick_and_place", ("crushing", "slipping", "rolling_away"),
      (V(GRIP, 0.5, 200, log=True), V(LIFT, 0.5, 8), V(RELEASE_V, 0, 0.25), V(ROLL_MU, 0.01, 0.05))),
    F("orange_conveyor", "orange", "conveyor_transfer", ("rolling_away",),
      (V(ACCEL, 0.01, 1.5, log=True), V(ROLL_MU, 0.01, 0.06))),
    F("water_pitcher_pour", "water_pitcher", "pour", ("sloshing", "dropping", "slipping"),
      (V(GRIP, 5, 235, log=True), V(OFFSET, 0.01, 0.09, zero=0.5), V(ACCEL, 0.3, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.8, 0.97)),
      fixed={"gripper.payload_kg": 5.0}),
    F("water_pitcher_tray", "water_pitcher", "tray_carry", ("sloshing", "slipping"),
      (V(ACCEL, 0.2, 6, log=True), V(RAMP, 0.02, 1.5), V(FILL, 0.75, 0.97), V(SUPPORT_MU, 0.1, 0.9))),
    F("brick_pick", "brick", "pick_and_place", ("dropping", "slipping"),
      (V(GRIP, 5, 235, log=True), V(PAYLOAD, 1, 5), V(LIFT, 0.5, 6))),
    F("brick_on_end_slope", "brick", "place_on_slope", ("tipping", "slipping"),
      (V(SLOPE, 2, 35), V(SUPPORT_MU, 0.1, 0.9))),
    F("wine_bottle_conveyor", "wine_bottle", "conveyor_transfer", ("tipping", "slipping"),
      (V(ACCEL, 0.5, 10, log=True), V(SUPPORT_MU, 0.15, 0.9))),
    F("wine_bottle_shelf", "wine_bottle", "shelf_insertion", ("collision", "dropping"),
      (V(GRIP, 40, 200), V(CLEAR, 0.001, 0.03, log=True), V(TRACK, 0.0005, 0.008), V(DROP_H, 0, 0.03)),
      fixed={"gripper.payload_kg": 5.0}),
    F("wine_bottle_on_side_slope", "wine_bottle", "place_on_slope", ("rolling_away",),
      (V(SLOPE, 0.05, 5, log=True), V(ROLL_MU, 0.005, 0.05)), fixed={"object.orientation": "on_side"}),
    F("graduated_cylinder_tray", "graduated_cylinder", "tray_carry", ("tipping", "slipping"),
      (V(ACCEL, 0.3, 10, log=True), V(RAMP, 0.3, 1.5), V(FILL, 0.3, 0.7), V(SUPPORT_MU, 0.15, 0.9))),
    F("graduated_cylinder_transfer", "graduated_cylinder", "fast_transfer", ("sloshing", "crushing", "slipping"),
      (V(GRIP, 0.5, 150, log=True), V(ACCEL, 0.2, 8, log=True), V(RAMP, 0.02, 1.0), V(FILL, 0.75, 0.97))),
)

FAMILIES: dict[str, Family] = {f.name: f for f in _FAMILIES}
if len(FAMILIES) != len(_FAMILIES):
    raise ValueError("duplicate family names in the catalog")


def is_ood_family(family: Family) -> bool:
    return family.object in OOD_OBJECTS


# --------------------------------------------------------------------------- sampling

# Background ranges for parameters a family does not vary: every scenario still carries its
# own plausible numbers (typical pick-and-place: 0.1-1 m/s, 0.5-5 m/s^2), small enough that
# they rarely decide the label on their own.
_BACKGROUND: tuple[Vary, ...] = (
    V(GRIP, 20, 60),
    V("gripper.pad_radius_m", 0.005, 0.01),
    V(LIFT, 0.5, 3),
    V(ACCEL, 0.3, 2),
    V(RAMP, 0.2, 1.0),
    V(SPEED, 0.1, 1.0),
    V(TRACK, 0.0005, 0.003),
    V(DROP_H, 0, 0.004),
    V(RELEASE_V, 0, 0.01),
    V(ROLL_MU, 0.01, 0.05),
    V(ROLL_TOL, 0.05, 0.15),
)
_PAYLOADS_KG = (3.0, 5.0)  # Franka arm, Robotiq 2F-85


def round_sig(x: float, digits: int = 3) -> float:
    """x to `digits` significant figures: descriptions and labels then use the same numbers."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _set(params: dict[str, dict[str, Any]], path: str, value: Any) -> None:
    section, _, key = path.partition(".")
    if section not in params or not key:
        raise ValueError(f"parameter path {path!r} must be section.field with section in {sorted(params)}")
    params[section][key] = value


def sample_object(obj: ObjectType, rng: random.Random) -> dict[str, Any]:
    """An object spec dict drawn from the type's ranges (fill and liquid mass set later)."""
    width = rng.uniform(*obj.width_m)
    depth = rng.uniform(*obj.depth_m) if obj.depth_m is not None else width
    height = rng.uniform(*obj.height_m)
    spec: dict[str, Any] = {
        "type": obj.name, "shape": obj.shape, "material": obj.material,
        "mass_kg": rng.uniform(*obj.mass_kg), "width_m": width, "depth_m": depth, "height_m": height,
        "com_height_m": height * rng.uniform(*obj.com_fraction),
        "crush_force_n": rng.uniform(*obj.crush_force_n) if obj.crush_force_n else None,
        "open_top": obj.open_top,
        "fill_fraction": rng.uniform(*obj.fill) if obj.holds_liquid else None,
        "hollow": obj.hollow, "orientation": "upright",
    }
    return spec


def sample_params(family: Family, rng: random.Random, scenario_id: str = "pending") -> dict[str, Any]:
    """One variation of a family as a plain dict for schema.parse_scenario.

    Draw order is fixed (object, background, family ranges) so a seed always gives the same
    numbers. Every float is rounded to 3 significant figures before labelling.
    """
    obj = OBJECTS[family.object]
    params: dict[str, dict[str, Any]] = {
        "object": sample_object(obj, rng),
        "gripper": {"kind": "parallel_jaw", "payload_kg": rng.choice(_PAYLOADS_KG),
                    "pad_friction": rng.uniform(*obj.pad_friction), "grasp_offset_m": 0.0},
        "motion": {"action": family.action, "carry": family.carry,
                   "clearance_m": None, "clearance_phase": ACTION_CLEARANCE_PHASE.get(family.action, "transport"),
                   "stop_before_obstacle": False, "reaction_time_s": 0.05, "brake_decel_mps2": 5.0},
        "environment": {"surface": family.surface or ACTION_SURFACE[family.action],
                        "support_friction": rng.uniform(*obj.support_friction), "slope_deg": 0.0},
    }
    for vary in _BACKGROUND:
        _set(params, vary.path, vary.sample(rng))
    for path, value in family.fixed.items():
        _set(params, path, value)
    for vary in family.vary:
        _set(params, vary.path, vary.sample(rng))

    spec = params["object"]
    if obj.holds_liquid:
        # A fuller container is heavier: empty mass + fill * brim-full liquid mass.
        spec["mass_kg"] = spec["mass_kg"] + spec["fill_fraction"] * obj.liquid_kg
    for section in params.values():
        for key, value in section.items():
            if isinstance(value, float):
                section[key] = round_sig(value)
    # Rounding must not push the centre of mass above the top.
    spec["com_height_m"] = min(spec["com_height_m"], spec["height_m"])
    return {"id": scenario_id, "family": family.name, **params}
