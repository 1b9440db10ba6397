"""Physics ground truth: every label comes from a demand / capacity ratio r (fails when r > 1).

The formulas are the ones in docs/physics.md; each lives in one pure function below (plain
floats in, r out) so a person, a test or a chart can recompute any number by hand.
`assess(scenario)` runs the checks that apply to a scenario, phase by phase, and labels it.

How the schema fields map to the checks
---------------------------------------
Phase 1, approach and grasp (fixed order: collision, then crushing)
  * collision: only when ``motion.clearance_m`` is set and ``motion.clearance_phase ==
    "approach"``. r = (tracking error + stopping distance) / clearance when
    ``stop_before_obstacle`` (stopping = v*t_react + v^2 / (2*a_brake)), else
    tracking error / clearance.
  * crushing: only when ``motion.carry == "grasped"`` and ``object.crush_force_n`` is set.
    r = grip_force_n / crush_force_n.
Phase 2, lift with a_z = ``motion.lift_accel_mps2`` (largest r wins), grasped only
  * dropping (payload): r = mass_kg / payload_kg.
  * dropping (off-centre torque): r = m*g*d / tau_cap, tau_cap = n*(2/3)*mu*F*r_pad with
    d = ``grasp_offset_m``, n = ``gripper.contacts``, mu = ``pad_friction``, r_pad = ``pad_radius_m``.
  * slipping in the hand: r = m*sqrt((g+a_z)^2 + a_t^2) / (n*mu*F) with a_t = 0.
Phase 3, transport with a_h = ``motion.transport_accel_mps2`` (largest r wins)
  * collision: only when clearance_m is set and clearance_phase == "transport".
  * grasped: slipping in the hand with a_z = 0 and a_t = a_h (conservative: the horizontal
    acceleration is taken to lie in the pad plane, where only friction holds the object).
  * on_tray (object stands unsecured on a tray, plate or conveyor; no grasp checks at all):
    tipping r = a_h*h_com / (g*w/2) and slipping on the support r = a_h / (mu_support*g),
    w = min(width_m, depth_m) (the narrow side tips first), h_com = com_height_m,
    mu_support = ``environment.support_friction``. Only one of them can happen: if
    mu_support > w/(2*h_com) the object tips before it can slide, otherwise it slides before
    it can tip. The mode that cannot happen has its acceleration capped at the other's
    threshold (tipping: a_h <= mu*g; sliding: a_h <= g*w/(2h)), so its r stays below 1 and
    the stored ratios never claim two incompatible failures.
    A round object (``object.rolls``) never tips or slides on a tray; it rolls: rolling_away
    r = a_h / (mu_roll*g) (a horizontal acceleration acts like a slope with tan(alpha) = a_h/g).
    This transport rolling check is an addition to the phase list of docs/physics.md.
  * sloshing (either carry): only when ``object.open_top`` and ``fill_fraction`` is set.
    tan(theta) = a_h / (g + a_z) with a_z = 0 in transport; rise = k*(D/2)*tan(theta) with
    D = max(width_m, depth_m) (the longest span, conservative); freeboard = height*(1-fill);
    k = 2 - clip(ramp_time / T1, 0, 1), T1 = 2*pi/omega1,
    omega1^2 = (1.841*g/R)*tanh(1.841*h/R), R = D/2, h = fill*height: k = 2 for a start
    faster than the first slosh period, 1 for a slow ramp.
Phase 4, place and release (fixed order: tipping, slipping, dropping, rolling_away)
  * tipping on the incline: only when slope_deg > 0 and the object does not roll:
    r = tan(alpha) / (w/(2*h_com)); sliding down the incline (mode slipping):
    r = tan(alpha) / mu_support. The same "which comes first" cap as in transport applies.
  * dropping by release height: r = release_height_m / 0.01 m.
  * rolling_away, only for objects that roll: on the slope r = tan(alpha)/mu_roll; released
    with v0 = release_speed_mps: roll distance (1 + I/(m R^2))*v0^2/(2*mu_roll*g) over
    ``roll_tolerance_m``; the larger of the two. A rolling object never tips.
Not modelled: tipping from residual horizontal speed at set-down of a non-rolling object.

Labelling: the first phase (in time) with any r > 1 decides; inside phases 2 and 3 the largest
r wins (a rising acceleration crosses the lowest threshold first), phases 1 and 4 use the fixed
order above. Exact ties follow TIE_ORDER. Ratios are never rounded; only the text is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from physlab.schema import Scenario

G = 9.81  # m/s^2

MODES = ("tipping", "slipping", "crushing", "sloshing", "collision", "dropping", "rolling_away")
LABELS = ("success", *MODES)
# Exact ties between modes are broken in this order (earlier wins).
TIE_ORDER = ("collision", "crushing", "dropping", "slipping", "tipping", "sloshing", "rolling_away")

PHASE_NAMES = {1: "approach and grasp", 2: "lift", 3: "transport", 4: "place and release"}
# Phases where the largest r wins; the others use the fixed order in which the checks are built.
MAX_RATIO_PHASES = frozenset({2, 3})

RELEASE_HEIGHT_LIMIT_M = 0.01  # releasing more than ~1 cm above the support drops the object
SLOSH_MODE_CONSTANT = 1.841  # first root of J1': first sloshing mode of an upright cylinder
# A brim-full container (fill_fraction = 1) has no freeboard; treat it as 1 mm so r stays a
# finite number (any noticeable surface tilt then gives r >> 1) instead of inf or 0/0.
MIN_FREEBOARD_M = 0.001

_FAIL_WORD = {
    "tipping": "tips", "slipping": "slips", "crushing": "crushes", "sloshing": "spills",
    "collision": "hits", "dropping": "drops", "rolling_away": "rolls away",
}
_OK_WORD = {
    "tipping": "stays upright", "slipping": "holds", "crushing": "survives",
    "sloshing": "stays in", "collision": "clears", "dropping": "holds", "rolling_away": "stays",
}


# --------------------------------------------------------------------------- ratio functions


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0 (got {value!r})")


def crushing_ratio(grip_force_n: float, crush_force_n: float) -> float:
    """r = F / F_crush."""
    _positive("crush_force_n", crush_force_n)
    return grip_force_n / crush_force_n


def slip_demand_n(mass_kg: float, a_z: float, a_t: float) -> float:
    """Friction force (N) the pads must supply: m*sqrt((g + a_z)^2 + a_t^2)."""
    return mass_kg * math.hypot(G + a_z, a_t)


def slipping_ratio(mass_kg: float, a_z: float, a_t: float, contacts: int, mu: float,
                   grip_force_n: float) -> float:
    """In-hand slip: r = m*sqrt((g+a_z)^2 + a_t^2) / (n*mu*F)."""
    _positive("contacts * mu * grip_force_n", contacts * mu * grip_force_n)
    return slip_demand_n(mass_kg, a_z, a_t) / (contacts * mu * grip_force_n)


def payload_ratio(mass_kg: float, payload_kg: float) -> float:
    """Overload: r = m / rated payload."""
    _positive("payload_kg", payload_kg)
    return mass_kg / payload_kg


def grip_torque_capacity_nm(contacts: int, mu: float, grip_force_n: float, pad_radius_m: float) -> float:
    """Torsional friction of n circular pads: tau_cap = n*(2/3)*mu*F*r_pad (N*m)."""
    return contacts * (2.0 / 3.0) * mu * grip_force_n * pad_radius_m


def offcentre_torque_ratio(mass_kg: float, offset_m: float, contacts: int, mu: float,
                           grip_force_n: float, pad_radius_m: float) -> float:
    """Off-centre grasp: r = m*g*d / tau_cap."""
    capacity = grip_torque_capacity_nm(contacts, mu, grip_force_n, pad_radius_m)
    _positive("torque capacity", capacity)
    return mass_kg * G * offset_m / capacity


def release_height_ratio(release_height_m: float) -> float:
    """Early release: r = h / 1 cm."""
    return release_height_m / RELEASE_HEIGHT_LIMIT_M


def tips_before_sliding(support_friction: float, width_m: float, com_height_m: float) -> bool:
    """True when mu_support > w/(2*h_com): the object tips before friction lets it slide."""
    _positive("com_height_m", com_height_m)
    return support_friction > width_m / (2.0 * com_height_m)


def tipping_ratio(accel_h: float, width_m: float, com_height_m: float, support_friction: float) -> float:
    """Unsecured object under horizontal acceleration: r = a_h*h_com / (g*w/2).

    If it slides first (mu <= w/(2h)) the support cannot pass more than mu*g to it, so the
    acceleration is capped there: r <= mu*2h/w < 1, it never tips.
    """
    _positive("width_m", width_m)
    effective = accel_h
    if not tips_before_sliding(support_friction, width_m, com_height_m):
        effective = min(accel_h, support_friction * G)
    return effective * com_height_m / (G * width_m / 2.0)


def support_slip_ratio(accel_h: float, support_friction: float, width_m: float, com_height_m: float) -> float:
    """Object sliding on its support: r = a_h / (mu_support*g).

    If it tips first (mu > w/(2h)) it is already falling over at a_h = g*w/(2h); the
    acceleration is capped there, so r < 1 and it is never counted as sliding.
    """
    _positive("support_friction", support_friction)
    effective = accel_h
    if tips_before_sliding(support_friction, width_m, com_height_m):
        effective = min(accel_h, G * width_m / (2.0 * com_height_m))
    return effective / (support_friction * G)


def incline_tipping_ratio(slope_deg: float, width_m: float, com_height_m: float,
                          support_friction: float) -> float:
    """Standing on an incline: r = tan(alpha) / (w/(2*h_com)); capped at tan(alpha) <= mu if it slides first."""
    _positive("width_m", width_m)
    tan_alpha = math.tan(math.radians(slope_deg))
    if not tips_before_sliding(support_friction, width_m, com_height_m):
        tan_alpha = min(tan_alpha, support_friction)
    return tan_alpha / (width_m / (2.0 * com_height_m))


def incline_slip_ratio(slope_deg: float, support_friction: float, width_m: float, com_height_m: float) -> float:
    """Sliding down an incline: r = tan(alpha) / mu; capped at tan(alpha) <= w/(2h) if it tips first."""
    _positive("support_friction", support_friction)
    tan_alpha = math.tan(math.radians(slope_deg))
    if tips_before_sliding(support_friction, width_m, com_height_m):
        tan_alpha = min(tan_alpha, width_m / (2.0 * com_height_m))
    return tan_alpha / support_friction


def first_slosh_period_s(radius_m: float, fill_depth_m: float) -> float:
    """T1 = 2*pi/omega1 with omega1^2 = (1.841*g/R)*tanh(1.841*h/R) (upright cylinder)."""
    _positive("radius_m", radius_m)
    _positive("fill_depth_m", fill_depth_m)
    k1 = SLOSH_MODE_CONSTANT / radius_m
    omega1 = math.sqrt(G * k1 * math.tanh(k1 * fill_depth_m))
    return 2.0 * math.pi / omega1


def slosh_amplification(ramp_time_s: float, period_s: float) -> float:
    """k = 2 - clip(ramp/T1, 0, 1): 2 for a sudden start, 1 for a ramp slower than one period."""
    return 2.0 - min(max(ramp_time_s / period_s, 0.0), 1.0)


def slosh_rise_m(accel_h: float, a_z: float, diameter_m: float, height_m: float,
                 fill_fraction: float, ramp_time_s: float) -> float:
    """Wall rise k*(D/2)*tan(theta), tan(theta) = a_h/(g + a_z), in metres."""
    radius = diameter_m / 2.0
    period = first_slosh_period_s(radius, fill_fraction * height_m)
    k = slosh_amplification(ramp_time_s, period)
    return k * radius * accel_h / (G + a_z)


def freeboard_m(height_m: float, fill_fraction: float) -> float:
    """Height (m) between the liquid surface at rest and the rim; at least MIN_FREEBOARD_M."""
    return max(height_m * (1.0 - fill_fraction), MIN_FREEBOARD_M)


def sloshing_ratio(accel_h: float, a_z: float, diameter_m: float, height_m: float,
                   fill_fraction: float, ramp_time_s: float) -> float:
    """r = rise at the wall / freeboard."""
    rise = slosh_rise_m(accel_h, a_z, diameter_m, height_m, fill_fraction, ramp_time_s)
    return rise / freeboard_m(height_m, fill_fraction)


def stopping_distance_m(speed_mps: float, reaction_time_s: float, brake_decel_mps2: float) -> float:
    """v*t_react + v^2/(2*a_brake)."""
    _positive("brake_decel_mps2", brake_decel_mps2)
    return speed_mps * reaction_time_s + speed_mps**2 / (2.0 * brake_decel_mps2)


def collision_ratio(tracking_error_m: float, clearance_m: float, stop_before_obstacle: bool,
                    speed_mps: float = 0.0, reaction_time_s: float = 0.0,
                    brake_decel_mps2: float = 1.0) -> float:
    """r = (tracking error [+ stopping distance when it must stop]) / clearance."""
    _positive("clearance_m", clearance_m)
    demand = tracking_error_m
    if stop_before_obstacle:
        demand += stopping_distance_m(speed_mps, reaction_time_s, brake_decel_mps2)
    return demand / clearance_m


def roll_distance_m(release_speed_mps: float, inertia_factor: float, rolling_resistance: float) -> float:
    """(1 + I/(m R^2)) * v0^2 / (2*mu_roll*g)."""
    _positive("rolling_resistance", rolling_resistance)
    return inertia_factor * release_speed_mps**2 / (2.0 * rolling_resistance * G)


def rolling_slope_ratio(slope_deg: float, rolling_resistance: float) -> float:
    """Round object on a slope: r = tan(alpha) / mu_roll."""
    _positive("rolling_resistance", rolling_resistance)
    return math.tan(math.radians(slope_deg)) / rolling_resistance


def rolling_release_ratio(release_speed_mps: float, inertia_factor: float, rolling_resistance: float,
                          roll_tolerance_m: float) -> float:
    """Released with residual speed: roll distance / tolerated distance."""
    _positive("roll_tolerance_m", roll_tolerance_m)
    return roll_distance_m(release_speed_mps, inertia_factor, rolling_resistance) / roll_tolerance_m


def rolling_away_ratio(slope_deg: float, release_speed_mps: float, inertia_factor: float,
                       rolling_resistance: float, roll_tolerance_m: float) -> float:
    """The larger of the slope and the release-speed rolling ratios."""
    return max(rolling_slope_ratio(slope_deg, rolling_resistance),
               rolling_release_ratio(release_speed_mps, inertia_factor, rolling_resistance, roll_tolerance_m))


def rolling_accel_ratio(accel_h: float, rolling_resistance: float) -> float:
    """Round object on an accelerating tray: r = a_h / (mu_roll*g) (a_h/g acts as tan(alpha))."""
    _positive("rolling_resistance", rolling_resistance)
    return accel_h / (rolling_resistance * G)


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class Check:
    """One demand / capacity check in one phase; it fails when ratio > 1."""

    mode: str
    phase: int
    phase_name: str
    ratio: float
    explanation: str
    name: str = ""  # which check of the mode, e.g. "payload", "off-centre torque"

    @property
    def fails(self) -> bool:
        return self.ratio > 1.0


@dataclass(frozen=True)
class Assessment:
    label: str
    ratios: dict[str, float]  # every mode: max r over its checks, 0.0 when none applies
    margin: float  # r of the deciding check (failure) or the largest r (success)
    explanation: str
    checks: tuple[Check, ...] = field(default_factory=tuple)
    deciding: Check | None = None

    @property
    def fails(self) -> bool:
        return self.label != "success"


def _fmt(x: float) -> str:
    """About three significant figures, never scientific notation."""
    ax = abs(x)
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 1:
        return f"{x:.1f}"
    if ax >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _cm(metres: float) -> str:
    return f"{metres * 100:.1f} cm"


def _mm(metres: float) -> str:
    return f"{metres * 1000:.1f} mm"


def _verdict(mode: str, ratio: float) -> str:
    return _FAIL_WORD[mode] if ratio > 1.0 else _OK_WORD[mode]


def _check(mode: str, phase: int, ratio: float, text: str, name: str) -> Check:
    return Check(mode=mode, phase=phase, phase_name=PHASE_NAMES[phase], ratio=ratio,
                 explanation=f"{text}: {_verdict(mode, ratio)}", name=name)


def _collision_check(scenario: Scenario, phase: int) -> Check:
    m = scenario.motion
    ratio = collision_ratio(m.tracking_error_m, m.clearance_m, m.stop_before_obstacle,
                            m.speed_mps, m.reaction_time_s, m.brake_decel_mps2)
    if m.stop_before_obstacle:
        stop = stopping_distance_m(m.speed_mps, m.reaction_time_s, m.brake_decel_mps2)
        text = (f"tracking error {_mm(m.tracking_error_m)} + stopping distance {_cm(stop)} "
                f"(from {_fmt(m.speed_mps)} m/s, {_fmt(m.reaction_time_s)} s reaction, "
                f"{_fmt(m.brake_decel_mps2)} m/s² braking) against {_cm(m.clearance_m)} clearance")
    else:
        text = f"tracking error {_mm(m.tracking_error_m)} against {_mm(m.clearance_m)} clearance"
    return _check("collision", phase, ratio, text, "clearance")


def _grasp_checks(scenario: Scenario) -> list[Check]:
    o, gr = scenario.object, scenario.gripper
    checks = []
    if o.crush_force_n is not None:
        ratio = crushing_ratio(gr.grip_force_n, o.crush_force_n)
        checks.append(_check("crushing", 1, ratio,
                             f"squeezes the {o.type} with {_fmt(gr.grip_force_n)} N; "
                             f"it is damaged above {_fmt(o.crush_force_n)} N", "grip force"))
    return checks


def _lift_checks(scenario: Scenario) -> list[Check]:
    o, gr, m = scenario.object, scenario.gripper, scenario.motion
    n, mu, force = gr.contacts, gr.pad_friction, gr.grip_force_n
    checks = [_check("dropping", 2, payload_ratio(o.mass_kg, gr.payload_kg),
                     f"{_fmt(o.mass_kg)} kg against a rated payload of {_fmt(gr.payload_kg)} kg", "payload")]
    if gr.grasp_offset_m > 0:
        demand = o.mass_kg * G * gr.grasp_offset_m
        capacity = grip_torque_capacity_nm(n, mu, force, gr.pad_radius_m)
        checks.append(_check(
            "dropping", 2, offcentre_torque_ratio(o.mass_kg, gr.grasp_offset_m, n, mu, force, gr.pad_radius_m),
            f"lifting {_fmt(o.mass_kg)} kg at {_cm(gr.grasp_offset_m)} off-centre needs {demand:.3f} N·m; "
            f"the grip resists {capacity:.3f} N·m", "off-centre torque"))
    a_z = m.lift_accel_mps2
    checks.append(_check(
        "slipping", 2, slipping_ratio(o.mass_kg, a_z, 0.0, n, mu, force),
        f"lifting at {_fmt(a_z)} m/s² needs {_fmt(slip_demand_n(o.mass_kg, a_z, 0.0))} N of friction, "
        f"pads give {_fmt(n * mu * force)} N", "in-hand slip (lift)"))
    return checks


def _sloshing_check(scenario: Scenario) -> Check:
    o, m = scenario.object, scenario.motion
    diameter = max(o.width_m, o.depth_m)
    a_h, a_z = m.transport_accel_mps2, 0.0  # no vertical acceleration while moving sideways
    period = first_slosh_period_s(diameter / 2.0, o.fill_fraction * o.height_m)
    k = slosh_amplification(m.ramp_time_s, period)
    rise = slosh_rise_m(a_h, a_z, diameter, o.height_m, o.fill_fraction, m.ramp_time_s)
    ratio = sloshing_ratio(a_h, a_z, diameter, o.height_m, o.fill_fraction, m.ramp_time_s)
    text = (f"{_fmt(a_h)} m/s² tilts the surface by tan θ = {a_h / (G + a_z):.2f}; "
            f"k = {k:.2f} ({_fmt(m.ramp_time_s)} s ramp vs {_fmt(period)} s slosh period) "
            f"raises it {_cm(rise)} at the wall, freeboard {_cm(freeboard_m(o.height_m, o.fill_fraction))}")
    return _check("sloshing", 3, ratio, text, "free surface")


def _transport_checks(scenario: Scenario) -> list[Check]:
    o, gr, m, env = scenario.object, scenario.gripper, scenario.motion, scenario.environment
    a_h = m.transport_accel_mps2
    checks = []
    if m.clearance_m is not None and m.clearance_phase == "transport":
        checks.append(_collision_check(scenario, 3))
    if m.carry == "grasped":
        n, mu, force = gr.contacts, gr.pad_friction, gr.grip_force_n
        checks.append(_check(
            "slipping", 3, slipping_ratio(o.mass_kg, 0.0, a_h, n, mu, force),
            f"moving at {_fmt(a_h)} m/s² needs {_fmt(slip_demand_n(o.mass_kg, 0.0, a_h))} N of friction, "
            f"pads give {_fmt(n * mu * force)} N", "in-hand slip (transport)"))
    elif o.rolls:
        checks.append(_check(
            "rolling_away", 3, rolling_accel_ratio(a_h, env.rolling_resistance),
            f"{_fmt(a_h)} m/s² on the {env.surface} acts like a slope of a_h/g = {a_h / G:.3f} "
            f"against rolling resistance {env.rolling_resistance:.3f}", "rolls on the support"))
    else:
        w, h, mu_s = min(o.width_m, o.depth_m), o.com_height_m, env.support_friction
        tip_at, slide_at = G * w / (2.0 * h), mu_s * G
        first = "tips" if tips_before_sliding(mu_s, w, h) else "slides"
        thresholds = (f"it tips above g·w/(2h) = {_fmt(tip_at)} m/s² (w {_cm(w)}, h_com {_cm(h)}) "
                      f"and slides above mu·g = {_fmt(slide_at)} m/s² (mu {mu_s:.2f}): {first} first")
        checks.append(_check("slipping", 3, support_slip_ratio(a_h, mu_s, w, h),
                             f"unsecured on the {env.surface} at {_fmt(a_h)} m/s²; {thresholds}",
                             "slides on the support"))
        checks.append(_check("tipping", 3, tipping_ratio(a_h, w, h, mu_s),
                             f"unsecured on the {env.surface} at {_fmt(a_h)} m/s²; {thresholds}",
                             "tips over"))
    if o.open_top and o.fill_fraction is not None:
        checks.append(_sloshing_check(scenario))
    return checks


def _place_checks(scenario: Scenario) -> list[Check]:
    o, m, env = scenario.object, scenario.motion, scenario.environment
    checks = []
    slope = env.slope_deg
    if slope > 0 and not o.rolls:
        w, h, mu_s = min(o.width_m, o.depth_m), o.com_height_m, env.support_friction
        tan_a = math.tan(math.radians(slope))
        first = "tips" if tips_before_sliding(mu_s, w, h) else "slides"
        thresholds = (f"on a {_fmt(slope)}° slope (tan = {tan_a:.2f}) it tips above w/(2h) = {w / (2 * h):.2f} "
                      f"and slides above mu = {mu_s:.2f}: {first} first")
        checks.append(_check("tipping", 4, incline_tipping_ratio(slope, w, h, mu_s), thresholds, "tips on the slope"))
        checks.append(_check("slipping", 4, incline_slip_ratio(slope, mu_s, w, h), thresholds, "slides down the slope"))
    checks.append(_check("dropping", 4, release_height_ratio(m.release_height_m),
                         f"released {_cm(m.release_height_m)} above the {env.surface} "
                         f"(limit {_cm(RELEASE_HEIGHT_LIMIT_M)})", "release height"))
    if o.rolls:
        mu_r = env.rolling_resistance
        on_slope = rolling_slope_ratio(slope, mu_r)
        on_release = rolling_release_ratio(m.release_speed_mps, o.inertia_factor, mu_r, env.roll_tolerance_m)
        if on_slope >= on_release:
            text = (f"on a {_fmt(slope)}° slope tan = {math.tan(math.radians(slope)):.3f} "
                    f"against rolling resistance {mu_r:.3f}")
        else:
            distance = roll_distance_m(m.release_speed_mps, o.inertia_factor, mu_r)
            text = (f"released at {_fmt(m.release_speed_mps)} m/s it rolls {_cm(distance)} "
                    f"(1 + I/mR² = {o.inertia_factor:.2f}, rolling resistance {mu_r:.3f}); "
                    f"tolerated {_cm(env.roll_tolerance_m)}")
        checks.append(_check("rolling_away", 4, max(on_slope, on_release), text, "rolls after release"))
    return checks


def _phase_checks(scenario: Scenario) -> list[Check]:
    """All applicable checks, in time order; inside phases 1 and 4 in their fixed order."""
    m = scenario.motion
    checks: list[Check] = []
    if m.clearance_m is not None and m.clearance_phase == "approach":
        checks.append(_collision_check(scenario, 1))
    if m.carry == "grasped":
        checks += _grasp_checks(scenario)
        checks += _lift_checks(scenario)
    checks += _transport_checks(scenario)
    checks += _place_checks(scenario)
    return checks


def _tie_rank(check: Check) -> int:
    return TIE_ORDER.index(check.mode)


def deciding_check(checks: tuple[Check, ...] | list[Check]) -> Check | None:
    """The check that labels the scenario: the first phase with a failure decides."""
    for phase in sorted(PHASE_NAMES):
        failing = [c for c in checks if c.phase == phase and c.fails]
        if not failing:
            continue
        if phase in MAX_RATIO_PHASES:
            # Largest r first; an exact tie goes to the mode earlier in TIE_ORDER.
            return min(failing, key=lambda c: (-c.ratio, _tie_rank(c)))
        return failing[0]  # fixed order: the order the checks were built in
    return None


def assess(scenario: Scenario) -> Assessment:
    """Run every applicable check and label the scenario (see the module docstring)."""
    checks = tuple(_phase_checks(scenario))
    ratios = {mode: 0.0 for mode in MODES}
    for c in checks:
        ratios[c.mode] = max(ratios[c.mode], c.ratio)
    deciding = deciding_check(checks)
    if deciding is not None:
        return Assessment(label=deciding.mode, ratios=ratios, margin=deciding.ratio,
                          explanation=f"{deciding.phase_name}: {deciding.explanation}",
                          checks=checks, deciding=deciding)
    if checks:
        closest = min(checks, key=lambda c: (-c.ratio, _tie_rank(c)))
        margin = closest.ratio
        explanation = (f"no check fails; closest: {closest.mode} at r = {closest.ratio:.2f} "
                       f"({closest.phase_name}: {closest.explanation})")
    else:
        margin, explanation = 0.0, "no check applies"
    return Assessment(label="success", ratios=ratios, margin=margin, explanation=explanation,
                      checks=checks, deciding=None)


def explain_ratios(assessment: Assessment) -> list[str]:
    """One line per check in time order, e.g. 'lift · slipping r = 0.62: needs ...: holds'.

    The deciding check is marked with '→' so a reader sees which one set the label.
    """
    lines = []
    for c in assessment.checks:
        marker = "→ " if c is assessment.deciding else "  "
        lines.append(f"{marker}{c.phase}. {c.phase_name} · {c.mode} ({c.name}) r = {c.ratio:.2f}: {c.explanation}")
    return lines
