"""What-if: edit one parameter of a scenario, or sweep it, and see what the physics says.

Pure functions over scenario parameter dicts (the `params` of a data record); the Predict page
asks the models about the same descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Parameters a person can edit or sweep on the Predict page: dotted path -> label with unit.
EDITABLE_PARAMS = {
    "gripper.grip_force_n": "grip force (N)",
    "gripper.pad_friction": "pad friction μ",
    "gripper.payload_kg": "rated payload (kg)",
    "gripper.grasp_offset_m": "grasp offset from CoM (m)",
    "object.mass_kg": "mass (kg)",
    "object.crush_force_n": "crush force (N)",
    "object.fill_fraction": "fill level (fraction)",
    "object.com_height_m": "centre-of-mass height (m)",
    "motion.lift_accel_mps2": "lift acceleration (m/s²)",
    "motion.transport_accel_mps2": "transport acceleration (m/s²)",
    "motion.ramp_time_s": "ramp time (s)",
    "motion.clearance_m": "clearance (m)",
    "motion.speed_mps": "speed (m/s)",
    "motion.release_height_m": "release height (m)",
    "motion.release_speed_mps": "release speed (m/s)",
    "environment.support_friction": "support friction μ",
    "environment.slope_deg": "slope (deg)",
}


def get_param(params: dict[str, Any], path: str) -> Any:
    section, name = path.split(".", 1)
    return (params.get(section) or {}).get(name)


def set_param(params: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `params` with one dotted field replaced (the input is not modified)."""
    section, name = path.split(".", 1)
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    out.setdefault(section, {})[name] = value
    return out


def present_params(params: dict[str, Any]) -> dict[str, float]:
    """The editable parameters this scenario sets (None means 'not applicable': left out)."""
    found = {}
    for path in EDITABLE_PARAMS:
        v = get_param(params, path)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            found[path] = float(v)
    return found


@dataclass(frozen=True)
class PhysicsPoint:
    value: float
    label: str
    largest_ratio: float  # max r over all modes: the scenario fails exactly when this is > 1
    ratios: dict[str, float]
    description: str


def physics_of(params: dict[str, Any], seed: int = 0) -> tuple[Any, Any, str]:
    """(scenario, assessment, description) of a parameter dict. ValueError names a bad field."""
    from physlab.describe import describe
    from physlab.physics import assess
    from physlab.schema import parse_scenario

    params = dict(params)
    params.setdefault("id", "what-if")
    params.setdefault("family", "custom")
    scenario = parse_scenario(params)
    return scenario, assess(scenario), describe(scenario, seed)


def default_range(current: float) -> tuple[float, float]:
    """The sweep's starting range around a scenario's own value: a quarter of it to twice it."""
    low = round(current * 0.25, 4)
    high = round(max(current * 2.0, current + 0.1), 4)
    return low, high


def sweep_values(low: float, high: float, points: int) -> list[float]:
    if points < 2:
        raise ValueError(f"points: at least 2 (got {points})")
    if not high > low:
        raise ValueError(f"range: the upper end must be above the lower one (got {low} .. {high})")
    return [low + (high - low) * i / (points - 1) for i in range(points)]


def physics_sweep(params: dict[str, Any], path: str, values: list[float], seed: int = 0) -> list[PhysicsPoint]:
    """The physics at each value of one parameter; the description keeps the same phrasing (seed).

    Raises ValueError naming the parameter and value when one point does not validate.
    """
    if path not in EDITABLE_PARAMS:
        raise ValueError(f"parameter: must be one of {', '.join(EDITABLE_PARAMS)} (got {path!r})")
    points = []
    for v in values:
        try:
            _, assessment, text = physics_of(set_param(params, path, v), seed)
        except ValueError as err:
            raise ValueError(f"{path} = {v:g} is not a valid scenario: {err}") from None
        points.append(PhysicsPoint(v, assessment.label, max(assessment.ratios.values(), default=0.0),
                                   dict(assessment.ratios), text))
    return points

