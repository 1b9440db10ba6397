"""Typed, validated scenario parameters: one object, one gripper, one motion, one environment.

Everything that reaches the physics checks passes through these models, so a bad value
(negative mass, a friction of 5, an unknown shape, a missing field) is rejected at the edge
with a message that names the field and what is allowed. Units are SI and carried in the
field names (m, kg, N, s, m/s, m/s^2, deg).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SHAPES = ("box", "cylinder", "sphere")
MATERIALS = (
    "ceramic", "glass", "aluminium", "steel", "plastic", "cardboard", "paper", "wood",
    "rubber", "produce", "eggshell", "fabric", "foam", "stone",
)
GRIPPER_KINDS = ("parallel_jaw", "three_finger")
ACTIONS = (
    "pick_and_place", "tray_carry", "fast_transfer", "shelf_insertion", "place_on_slope",
    "hand_over", "pour", "conveyor_transfer", "stacking", "bin_picking", "table_clearing",
    "packing",
)
CARRY_MODES = ("grasped", "on_tray")
CLEARANCE_PHASES = ("approach", "transport")

# Contact points of each gripper kind: the n in the slipping and torque formulas.
CONTACTS = {"parallel_jaw": 2, "three_finger": 3}


class _Strict(BaseModel):
    # Unknown keys are an error (a typo must not silently fall back to a default);
    # frozen so a validated scenario cannot drift away from its label; strict, so "0.35" or
    # true is never read as a number (an int is still a float), and no NaN or infinity.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ObjectSpec(_Strict):
    type: str = Field(min_length=1, description="catalog object type, e.g. 'mug'")
    shape: Literal["box", "cylinder", "sphere"]
    material: Literal[MATERIALS]  # type: ignore[valid-type]
    mass_kg: float = Field(gt=0, le=50)
    # For cylinders and spheres width = depth = diameter. Width is the footprint across
    # the direction of motion's tipping edge: the w in w / (2 h_com).
    width_m: float = Field(gt=0.002, le=2)
    depth_m: float = Field(gt=0.002, le=2)
    height_m: float = Field(gt=0.002, le=2)
    com_height_m: float = Field(gt=0, le=2, description="centre of mass above the base")
    crush_force_n: float | None = Field(default=None, gt=0, le=5000,
                                        description="squeeze that damages it; None = robust")
    open_top: bool = False
    fill_fraction: float | None = Field(default=None, gt=0, le=1,
                                        description="liquid depth / container height")
    hollow: bool = Field(default=False, description="thin-walled (can, tennis ball): rolling inertia")
    orientation: Literal["upright", "on_side"] = "upright"

    @model_validator(mode="after")
    def _consistent(self) -> ObjectSpec:
        if self.com_height_m > self.height_m:
            raise ValueError(f"com_height_m ({self.com_height_m}) must not exceed height_m ({self.height_m})")
        if self.fill_fraction is not None and not self.open_top:
            raise ValueError("fill_fraction is only allowed for an open container (open_top = true)")
        if self.orientation == "on_side" and self.shape != "cylinder":
            raise ValueError("orientation 'on_side' is only allowed for shape 'cylinder'")
        return self

    @property
    def rolls(self) -> bool:
        """Round on the support: a sphere, or a cylinder lying on its side."""
        return self.shape == "sphere" or (self.shape == "cylinder" and self.orientation == "on_side")

    @property
    def inertia_factor(self) -> float:
        """1 + I/(m R^2): solid sphere 1.4, hollow sphere 5/3, solid cylinder 1.5, thin-walled 2."""
        if self.shape == "sphere":
            return 5 / 3 if self.hollow else 1.4
        return 2.0 if self.hollow else 1.5


class GripperSpec(_Strict):
    kind: Literal["parallel_jaw", "three_finger"] = "parallel_jaw"
    grip_force_n: float = Field(gt=0, le=500)
    payload_kg: float = Field(gt=0, le=50, description="rated payload of gripper and arm")
    pad_friction: float = Field(ge=0.05, le=1.5, description="static friction pad-object")
    pad_radius_m: float = Field(default=0.008, ge=0.003, le=0.02)
    grasp_offset_m: float = Field(default=0.0, ge=0, le=0.5,
                                  description="horizontal distance grasp point to centre of mass")

    @property
    def contacts(self) -> int:
        return CONTACTS[self.kind]


class MotionSpec(_Strict):
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    carry: Literal["grasped", "on_tray"] = "grasped"
    lift_accel_mps2: float = Field(default=0.0, ge=0, le=30, description="a_z, peak while lifting")
    transport_accel_mps2: float = Field(default=0.0, ge=0, le=30, description="a_h, peak while moving")
    ramp_time_s: float = Field(default=0.5, ge=0.005, le=10, description="time to reach peak a_h")
    speed_mps: float = Field(default=0.3, ge=0, le=3)
    tracking_error_m: float = Field(default=0.002, ge=0, le=0.2)
    clearance_m: float | None = Field(default=None, gt=0, le=2,
                                      description="gap to the nearest obstacle; None = none nearby")
    clearance_phase: Literal["approach", "transport"] = "transport"
    stop_before_obstacle: bool = Field(default=False,
                                       description="the arm must brake to a stop before the obstacle")
    reaction_time_s: float = Field(default=0.05, ge=0, le=2)
    brake_decel_mps2: float = Field(default=5.0, gt=0, le=50)
    release_height_m: float = Field(default=0.0, ge=0, le=2, description="height above the support at release")
    release_speed_mps: float = Field(default=0.0, ge=0, le=3, description="residual speed at release")


class EnvironmentSpec(_Strict):
    surface: str = Field(default="table", min_length=1, description="what the object stands on")
    support_friction: float = Field(default=0.5, ge=0.05, le=1.5, description="static friction object-support")
    slope_deg: float = Field(default=0.0, ge=0, le=45)
    rolling_resistance: float = Field(default=0.01, ge=0.0001, le=0.5)
    roll_tolerance_m: float = Field(default=0.05, gt=0, le=5, description="roll distance tolerated (to an edge)")


class Scenario(_Strict):
    id: str = Field(min_length=1)
    family: str = Field(min_length=1)
    object: ObjectSpec
    gripper: GripperSpec
    motion: MotionSpec
    environment: EnvironmentSpec = EnvironmentSpec()


def format_validation_error(err: ValidationError, where: str = "") -> str:
    """One line per problem: 'object.mass_kg: Input should be greater than 0 (got -1)'."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(scenario)"
        got = f" (got {e['input']!r})" if e.get("type") != "missing" and not isinstance(e.get("input"), dict) else ""
        lines.append(f"{where}{loc}: {e['msg']}{got}")
    return "\n".join(lines)


def parse_scenario(data: dict, where: str = "") -> Scenario:
    """Validate a dict into a Scenario, raising ValueError with field-named messages."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ValueError(format_validation_error(err, where)) from None
