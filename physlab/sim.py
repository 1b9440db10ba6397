"""Check the analytic labels in a rigid-body simulator (MuJoCo, optional extra ``physlab[sim]``).

Each check of physlab.physics that a rigid-body simulator can show becomes a small scene built
from the scenario's own parameters:

* ``support``: the object stands unsecured on a plate (tray, conveyor) or on an incline. The
  plate's horizontal acceleration and the slope are applied as a tilted gravity vector (the
  plate's frame): for a rigid plate that is the same physics and needs no driven body.
  Measures tilt (tipping), sliding (slipping on the support) and rolling (rolling_away).
* ``grasp``: the object hangs by a grip block between two spherical pads pressed together with
  the grip force; lift (g + a_z) and then transport (a_h in the pad plane) are applied as
  gravity in the hand frame. Measures slip (slipping) and rotation about the grasp axis
  (dropping from an off-centre torque). Pad torsional friction is (2/3)*mu*r_pad per contact,
  the torsional capacity of a uniformly pressed circular pad.
* ``release``: a round object released with residual speed rolls against rolling resistance
  (MuJoCo rolling friction = mu_roll * R, a length). Released on a slope, slope and speed act
  together (downhill, the worst case), where the analytic rule takes the larger of two ratios.
  A roll still under way when the time is up is extrapolated from its measured deceleration.
* ``clearance``: the object, carried kinematically along its path (tracking error toward the
  obstacle, reaction time, braking), against a wall; MuJoCo's signed geom distance gives the
  smallest gap. This is geometry along a prescribed path, not dynamics.

Contacts are stiff as docs/physics.md records (elliptic cone, 0.5 ms step, solref 0.005): default
soft contacts tip 2-5 % early. Crushing (rigid bodies do not break), sloshing (no free surface),
payload (a rating, not a rigid-body effect) and release height (a 1 cm convention) stay analytic.

``mujoco`` is imported inside functions, so physlab imports without it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from physlab.physics import Assessment, Check, G, assess
from physlab.schema import Scenario

SIMULATED_MODES = ("tipping", "slipping", "dropping", "rolling_away", "collision", "success")
ANALYTIC_ONLY_MODES = ("crushing", "sloshing")
# Checks (by physics.Check.name) that a rigid-body scene cannot decide.
ANALYTIC_ONLY_CHECKS = {
    "grip force": "rigid bodies do not break (crushing)",
    "free surface": "no free-surface fluid in a rigid-body simulator (sloshing)",
    "payload": "a rated payload is an arm/gripper rating, not a rigid-body effect",
    "release height": "the 1 cm release limit is a convention; a simulator shows the fall but no threshold",
}

TIMESTEP_S = 0.0005
SOLREF_S = 0.005  # contact time constant: stiff (physics.md: tips at 0.999 of the analytic threshold)
# Friction in MuJoCo is a soft constraint: under a steady load a held object creeps (~8 mm/s seen
# at r = 0.54). Noslip iterations remove that creep, so a slip means friction really ran out.
NOSLIP_ITERATIONS = 10
TIP_DEG = 10.0  # a tilt past this counts as tipping over
SLIDE_M = 0.005  # sliding / in-hand slip past this counts as slipping
DROP_ROTATION_DEG = 3.0  # rotation about the grasp axis past this counts as dropping (turning out of the grip)
SETTLE_S = 0.1  # grip closes (or the object settles) before any load is applied
LOAD_RAMP_S = 0.1  # the peak load is reached over this (short: the analytic rules are quasi-static)
GRIP_BLOCK_HALF_M = 0.005  # half thickness of the grip block the pads squeeze
PAD_SPHERE_M = 0.01  # radius of the spherical pads (one contact point each)
MAX_STOP_S = 30.0  # longest braking manoeuvre followed in the clearance scene


@dataclass
class SimResult:
    """What the simulation showed. outcome None means it cannot decide (see reason)."""

    outcome: str | None
    measured: dict[str, Any] = field(default_factory=dict)
    # (t s, x m, z m, tilt deg): x along the motion (toward the obstacle in the clearance scene),
    # tilt is the rotation about the grasp axis in the grasp scene.
    trajectory: list[tuple[float, float, float, float]] = field(default_factory=list)
    reason: str = ""
    scene: str = ""
    seconds_cpu: float = 0.0


@dataclass
class _Run:
    """One scene's verdict: mode (or None for no failure), onset time and measurements."""

    mode: str | None
    onset_s: float
    measured: dict[str, Any]
    trajectory: list[tuple[float, float, float, float]]
    scene: str


# --------------------------------------------------------------------------- MJCF helpers


def _inertia(shape: str, mass: float, w: float, d: float, h: float) -> tuple[float, float, float]:
    """Principal inertia (kg m^2) of the solid shape about its centre, in the body frame (z up)."""
    if shape == "sphere":
        i = 0.4 * mass * (w / 2) ** 2
        return i, i, i
    if shape == "cylinder":
        r = w / 2
        side = mass * (3 * r * r + h * h) / 12
        return side, side, 0.5 * mass * r * r
    return mass * (d * d + h * h) / 12, mass * (w * w + h * h) / 12, mass * (w * w + d * d) / 12


def _origin_height(scenario: Scenario) -> float:
    """Height of the body origin above the support: the centre for a round object (so a free
    joint's velocity is the centre's, and rolling without slipping is v = omega*R), else the base."""
    return scenario.object.width_m / 2 if scenario.object.rolls else 0.0


def _shape_geom(scenario: Scenario, extra: str) -> str:
    """The object's geom: upright with its base at the body origin, or round and centred on it."""
    o = scenario.object
    # A round object's body origin is its centre (see _origin_height), so its geom sits at 0.
    if o.shape == "sphere":
        return f'<geom type="sphere" size="{o.width_m / 2}" {extra}/>'
    if o.shape == "cylinder" and o.orientation == "on_side":
        return f'<geom type="cylinder" size="{o.width_m / 2} {o.height_m / 2}" euler="90 0 0" {extra}/>'
    if o.shape == "cylinder":
        return f'<geom type="cylinder" size="{o.width_m / 2} {o.height_m / 2}" pos="0 0 {o.height_m / 2}" {extra}/>'
    # Box: the narrow side along x, the direction of the tipping acceleration.
    wx, wy = sorted((o.width_m, o.depth_m))
    return f'<geom type="box" size="{wx / 2} {wy / 2} {o.height_m / 2}" pos="0 0 {o.height_m / 2}" {extra}/>'


def _object_inertial(scenario: Scenario) -> str:
    o = scenario.object
    if o.rolls:
        r = o.width_m / 2
        if o.shape == "sphere":
            factor = o.inertia_factor - 1.0  # I = (f - 1) m R^2 about any axis
            i = factor * o.mass_kg * r * r
            diag = (i, i, i)
        else:
            # Lying along y: the rolling axis is y; I_y = (f - 1) m R^2 (hollow 1.0, solid 0.5).
            iy = (o.inertia_factor - 1.0) * o.mass_kg * r * r
            other = o.mass_kg * (3 * r * r + o.height_m**2) / 12
            diag = (other, iy, other)
        return f'<inertial pos="0 0 0" mass="{o.mass_kg}" diaginertia="{diag[0]} {diag[1]} {diag[2]}"/>'
    wx, wy = sorted((o.width_m, o.depth_m))
    diag = _inertia(o.shape, o.mass_kg, wx, wy, o.height_m)
    return f'<inertial pos="0 0 {o.com_height_m}" mass="{o.mass_kg}" diaginertia="{diag[0]} {diag[1]} {diag[2]}"/>'


def _option(gravity: tuple[float, float, float]) -> str:
    return (f'<option timestep="{TIMESTEP_S}" cone="elliptic" noslip_iterations="{NOSLIP_ITERATIONS}" gravity="{gravity[0]} {gravity[1]} {gravity[2]}"/>'
            f'<default><geom solref="{SOLREF_S} 1" solimp="0.95 0.99 0.001"/></default>')


def _tilt_deg(xmat: Sequence[float]) -> float:
    """Angle between the body's z axis and the world z axis."""
    return math.degrees(math.acos(max(-1.0, min(1.0, float(xmat[8])))))


def _load(xml: str):
    import mujoco

    model = mujoco.MjModel.from_xml_string(xml)
    return mujoco, model, mujoco.MjData(model)


# --------------------------------------------------------------------------- support scene


def _support_scene(scenario: Scenario, accel_h: float, slope_deg: float, release_speed: float,
                   seconds: float, name: str) -> _Run:
    """Object on a plate: tilted gravity = plate acceleration (-a_h) plus slope; watch tilt, slide, roll."""
    o, env = scenario.object, scenario.environment
    alpha = math.radians(slope_deg)
    # Plate frame: gravity's downhill part along +x, plus the pseudo-force of the plate's acceleration.
    gx_peak, gz = G * math.sin(alpha) + accel_h * math.cos(alpha), -G * math.cos(alpha)
    mu = env.support_friction
    radius = o.width_m / 2
    if o.rolls:
        # condim 6: rolling friction is a length, torque = mu_roll * R * N resists rolling.
        friction = f'friction="{mu} 0.0001 {env.rolling_resistance * radius}" condim="6"'
    else:
        friction = f'friction="{mu} 0.005 0.0001" condim="3"'
    xml = f"""<mujoco>{_option((0.0, 0.0, gz))}
      <worldbody>
        <geom name="plate" type="plane" size="5 1 0.1" {friction}/>
        <body name="object" pos="0 0 {_origin_height(scenario)}">
          <freejoint/>
          {_object_inertial(scenario)}
          {_shape_geom(scenario, friction)}
        </body>
      </worldbody></mujoco>"""
    mujoco, model, data = _load(xml)
    if release_speed > 0 and o.rolls:
        data.qvel[0] = release_speed
        data.qvel[4] = release_speed / radius  # rolling without slipping about +y
    steps = int(seconds / TIMESTEP_S)
    x0 = float(data.qpos[0])
    trajectory, speeds = [], []
    tip_at = slide_at = None
    max_tilt = 0.0
    for step in range(steps):
        t = step * TIMESTEP_S
        load = min(max(t - SETTLE_S, 0.0) / LOAD_RAMP_S, 1.0) if release_speed == 0 else 1.0
        model.opt.gravity[0] = gx_peak * load
        mujoco.mj_step(model, data)
        tilt = 0.0 if o.rolls else _tilt_deg(data.xmat[1])
        x = float(data.qpos[0]) - x0
        max_tilt = max(max_tilt, tilt)
        if tip_at is None and tilt > TIP_DEG:
            tip_at = t
        if slide_at is None and not o.rolls and abs(x) > SLIDE_M and tilt < TIP_DEG / 2:
            slide_at = t
        if step % 40 == 0:
            trajectory.append((round(t, 4), x, float(data.qpos[2]), tilt))
            speeds.append((t, float(data.qvel[0])))
    x_end = float(data.qpos[0]) - x0
    measured: dict[str, Any] = {"tilt_deg": max_tilt, "slide_m": 0.0 if o.rolls else abs(x_end),
                                "effective_gravity_x_mps2": gx_peak, "contacts": int(data.ncon)}
    if o.rolls:
        return _rolling_verdict(scenario, x_end, speeds, trajectory, measured, name)
    onsets = [(t, m) for t, m in ((tip_at, "tipping"), (slide_at, "slipping")) if t is not None]
    if not onsets:
        return _Run(None, math.inf, measured, trajectory, name)
    onset, mode = min(onsets)
    return _Run(mode, onset, measured, trajectory, name)


def _rolling_verdict(scenario: Scenario, x_end: float, speeds: list[tuple[float, float]],
                     trajectory: list, measured: dict, name: str) -> _Run:
    """Rolls away if it passed the tolerance, or is still rolling without slowing, or its measured
    deceleration would carry it past the tolerance (extrapolated, reported as such)."""
    tolerance = scenario.environment.roll_tolerance_m
    distance = abs(x_end)
    measured["roll_m"] = distance
    crossed = next((t for t, x, _, _ in trajectory if abs(x) > tolerance), None)
    if crossed is not None:
        return _Run("rolling_away", crossed, measured, trajectory, name)
    v_end = abs(speeds[-1][1])
    if v_end < 1e-3:
        return _Run(None, math.inf, measured, trajectory, name)
    t_prev, v_prev = speeds[int(len(speeds) * 0.7)]
    decel = (abs(v_prev) - v_end) / max(speeds[-1][0] - t_prev, 1e-6)
    if decel <= 1e-4:
        measured["roll_projected_m"] = math.inf
        return _Run("rolling_away", speeds[-1][0], measured, trajectory, name)
    projected = distance + v_end**2 / (2 * decel)
    measured["roll_projected_m"] = projected
    if projected > tolerance:
        return _Run("rolling_away", speeds[-1][0], measured, trajectory, name)
    return _Run(None, math.inf, measured, trajectory, name)


# --------------------------------------------------------------------------- grasp scene


def _grasp_scene(scenario: Scenario, lift: bool, transport: bool, seconds: float) -> _Run:
    """Object held by a grip block between two spherical pads; lift then transport as hand-frame gravity."""
    o, gr, m = scenario.object, scenario.gripper, scenario.motion
    mu, force = gr.pad_friction, gr.grip_force_n
    # Three-finger grippers: n contacts share the load; model them as n/2 pad pairs by scaling force.
    pair_force = force * gr.contacts / 2
    torsion = (2.0 / 3.0) * mu * gr.pad_radius_m
    d = gr.grasp_offset_m
    # The grip block sits at the height of the centre of mass (offset d sideways only), so a
    # horizontal acceleration adds no torque, as the analytic checks assume.
    z_c = 0.0 if o.rolls else o.com_height_m
    pad_y = GRIP_BLOCK_HALF_M + PAD_SPHERE_M
    fr = f'friction="{mu} {torsion} 0.0001" condim="4"'
    xml = f"""<mujoco>{_option((0.0, 0.0, 0.0))}
      <worldbody>
        <body name="object" pos="{-d} 0 {-z_c}">
          <freejoint/>
          {_object_inertial(scenario)}
          {_shape_geom(scenario, 'contype="0" conaffinity="0" rgba="0.6 0.6 0.8 0.5"')}
          <geom name="block" type="box" size="{max(gr.pad_radius_m * 1.5, 0.01)} {GRIP_BLOCK_HALF_M} {max(gr.pad_radius_m * 1.5, 0.01)}"
                pos="{d} 0 {z_c}" mass="0" {fr}/>
        </body>
        <body name="pad_left" pos="0 {pad_y} 0">
          <joint name="left" type="slide" axis="0 1 0" damping="20"/>
          <geom type="sphere" size="{PAD_SPHERE_M}" mass="0.05" {fr}/>
        </body>
        <body name="pad_right" pos="0 {-pad_y} 0">
          <joint name="right" type="slide" axis="0 1 0" damping="20"/>
          <geom type="sphere" size="{PAD_SPHERE_M}" mass="0.05" {fr}/>
        </body>
      </worldbody>
      <actuator><motor joint="left" gear="1"/><motor joint="right" gear="1"/></actuator>
      </mujoco>"""
    mujoco, model, data = _load(xml)
    data.ctrl[:] = (-pair_force, pair_force)
    block = model.geom("block").id
    # Timeline: settle the grip, lift (g + a_z), back to g, then transport (a_h along x, in the pad plane).
    phase_s = max((seconds - SETTLE_S) / 2, 0.3)
    a_z, a_h = m.lift_accel_mps2, m.transport_accel_mps2
    steps = int((SETTLE_S + 2 * phase_s) / TIMESTEP_S)
    trajectory = []
    slip_at = drop_at = None
    start_pos = start_quat = None
    max_slip = max_rot = 0.0
    for step in range(steps):
        t = step * TIMESTEP_S
        gx, gz = 0.0, 0.0
        if t >= SETTLE_S:
            tl = t - SETTLE_S
            ramp = min(tl / LOAD_RAMP_S, 1.0)
            if tl < phase_s:
                gz = -(G + (a_z if lift else 0.0)) * ramp
            else:
                ramp2 = min((tl - phase_s) / LOAD_RAMP_S, 1.0)
                gz = -G
                gx = -(a_h * ramp2 if transport else 0.0)
        model.opt.gravity[0], model.opt.gravity[2] = gx, gz
        mujoco.mj_step(model, data)
        if start_pos is None and t >= SETTLE_S:
            start_pos, start_quat = data.geom_xpos[block].copy(), data.qpos[3:7].copy()
        if start_pos is None:
            continue
        # Slip is measured at the grip block: turning about the grasp point (an off-centre
        # load) moves the centre of mass but is not a slip between pads and object.
        slip = float(math.dist(data.geom_xpos[block], start_pos))
        # Rotation angle between the current and the starting orientation.
        dot = abs(float(sum(a * b for a, b in zip(data.qpos[3:7], start_quat, strict=True))))
        rot = math.degrees(2 * math.acos(min(1.0, dot)))
        max_slip, max_rot = max(max_slip, slip), max(max_rot, rot)
        phase_name = "lift" if t - SETTLE_S < phase_s else "transport"
        if drop_at is None and rot > DROP_ROTATION_DEG:
            drop_at = (t, phase_name)
        if slip_at is None and slip > SLIDE_M and rot < DROP_ROTATION_DEG:
            slip_at = (t, phase_name)
        if step % 40 == 0:
            trajectory.append((round(t, 4), float(data.qpos[0]), float(data.qpos[2]), rot))
    measured = {"slip_m": max_slip, "rotation_deg": max_rot, "contacts": int(data.ncon)}
    onsets = [(v[0], mode, v[1]) for v, mode in ((drop_at, "dropping"), (slip_at, "slipping")) if v is not None]
    if not onsets:
        return _Run(None, math.inf, measured, trajectory, "grasp")
    onset, mode, phase_name = min(onsets)
    measured["failed_in"] = phase_name
    return _Run(mode, onset, measured, trajectory, "grasp")


# --------------------------------------------------------------------------- clearance scene


def _clearance_scene(scenario: Scenario, seconds: float) -> _Run:
    """Carry the object (kinematically) along its path toward / past a wall; smallest signed gap."""
    m = scenario.motion
    o = scenario.object
    half = max(o.width_m, o.depth_m) / 2
    start_gap = m.clearance_m - m.tracking_error_m  # the tracking error is taken toward the obstacle
    xml = f"""<mujoco>{_option((0.0, 0.0, -G))}
      <worldbody>
        <body name="carried" mocap="true" pos="0 0 0.5">
          <geom name="object" type="box" size="{half} {half} {o.height_m / 2}"/>
        </body>
        <geom name="wall" type="box" size="2 0.01 1" pos="0 {half + m.clearance_m + 0.01} 0.5"/>
      </worldbody></mujoco>"""
    mujoco, model, data = _load(xml)
    g_obj, g_wall = model.geom("object").id, model.geom("wall").id
    y0 = m.clearance_m - start_gap  # = tracking error: the path offset toward the wall
    y, v, t = y0, m.speed_mps if m.stop_before_obstacle else 0.0, 0.0
    x_speed = 0.0 if m.stop_before_obstacle else m.speed_mps
    trajectory, min_gap = [], math.inf
    dt = 0.001
    # A pass lasts `seconds`; an arm that must stop is followed until it has stopped (a slow brake
    # can take longer than `seconds`), at most MAX_STOP_S.
    steps = int(seconds / dt)
    if m.stop_before_obstacle:
        steps = max(steps, int(min(m.reaction_time_s + m.speed_mps / m.brake_decel_mps2 + 0.1, MAX_STOP_S) / dt))
    for step in range(steps):
        t = step * dt
        data.mocap_pos[0] = (x_speed * t - 0.2, y, 0.5)
        mujoco.mj_forward(model, data)
        gap = mujoco.mj_geomDistance(model, data, g_obj, g_wall, 1.0, None)
        min_gap = min(min_gap, gap)
        if step % 40 == 0:
            trajectory.append((round(t, 4), y, 0.5, 0.0))
        # Move toward the wall: coast through the reaction time, then brake to a stop.
        if m.stop_before_obstacle and v > 0:
            y += v * dt
            if t >= m.reaction_time_s:
                v = max(v - m.brake_decel_mps2 * dt, 0.0)
        if min_gap < 0 or (m.stop_before_obstacle and v == 0.0):
            break
    measured = {"min_gap_m": min_gap, "contacts": int(min_gap < 0)}
    if min_gap < 0:
        return _Run("collision", t, measured, trajectory, "clearance")
    return _Run(None, math.inf, measured, trajectory, "clearance")


# --------------------------------------------------------------------------- scenario -> outcome


def _analytic_only(check: Check) -> str | None:
    return ANALYTIC_ONLY_CHECKS.get(check.name)


def simulate(scenario: Scenario, seconds: float = 1.5, assessment: Assessment | None = None) -> SimResult:
    """Run every check of the scenario that a rigid-body simulator can show and label it.

    Phases are walked in time order as in physics.assess; inside a phase the failure that the
    simulation shows first (under the same load ramp) wins. When the first failing phase is
    decided by an analytic-only check (crushing, sloshing, payload, release height), the outcome
    is None with the reason.
    """
    started = time.perf_counter()
    assessment = assessment or assess(scenario)
    m, o, env = scenario.motion, scenario.object, scenario.environment
    runs: dict[int, list[_Run]] = {1: [], 2: [], 3: [], 4: []}
    analytic_fail: dict[int, list[Check]] = {1: [], 2: [], 3: [], 4: []}
    for c in assessment.checks:
        if _analytic_only(c) and c.fails:
            analytic_fail[c.phase].append(c)

    has_clearance = m.clearance_m is not None
    if has_clearance:
        phase = 1 if m.clearance_phase == "approach" else 3
        runs[phase].append(_clearance_scene(scenario, seconds))
    if m.carry == "grasped":
        grasp = _grasp_scene(scenario, lift=True, transport=True, seconds=seconds)
        runs[2 if grasp.measured.get("failed_in", "lift") == "lift" else 3].append(grasp)
    elif m.transport_accel_mps2 > 0:
        runs[3].append(_support_scene(scenario, m.transport_accel_mps2, 0.0, 0.0, seconds, "tray"))
    if env.slope_deg > 0:
        runs[4].append(_support_scene(scenario, 0.0, env.slope_deg, 0.0, seconds, "incline"))
    if o.rolls and m.release_speed_mps > 0:
        runs[4].append(_support_scene(scenario, 0.0, env.slope_deg, m.release_speed_mps, seconds, "release"))

    measured: dict[str, Any] = {}
    for phase_runs in runs.values():
        for run in phase_runs:
            for key, value in run.measured.items():
                measured[f"{run.scene}.{key}"] = value
    all_runs = [r for rs in runs.values() for r in rs]
    main = next((r for r in all_runs if r.mode), all_runs[0] if all_runs else None)
    trajectory = main.trajectory if main else []
    elapsed = time.perf_counter() - started
    for phase in sorted(runs):
        failing = [r for r in runs[phase] if r.mode]
        if analytic_fail[phase] and not failing:
            c = analytic_fail[phase][0]
            return SimResult(None, measured, trajectory, f"analytic only: {c.mode} ({c.name}): {_analytic_only(c)}",
                             scene=main.scene if main else "", seconds_cpu=elapsed)
        if failing:
            first = min(failing, key=lambda r: r.onset_s)
            return SimResult(first.mode, measured, first.trajectory,
                             f"{first.scene} scene: {first.mode} at t = {first.onset_s:.2f} s",
                             scene=first.scene, seconds_cpu=elapsed)
    if not all_runs:
        return SimResult(None, measured, [], "no check of this scenario can be simulated", seconds_cpu=elapsed)
    return SimResult("success", measured, trajectory, "no simulated check failed",
                     scene=main.scene if main else "", seconds_cpu=elapsed)


# --------------------------------------------------------------------------- agreement


def _scenario_of(record: dict[str, Any]) -> Scenario:
    from physlab.schema import parse_scenario

    return parse_scenario(record["params"], where=f"{record.get('id', '?')}: ")


def agreement(records: Iterable[dict[str, Any]], n: int | None = None, seconds: float = 1.5) -> dict[str, Any]:
    """Analytic label vs simulated outcome on up to n records whose label is a simulated mode.

    Returns {"rows": [{mode, n, agree, rate}], "disagreements": [...], "analytic_only": {mode: count},
    "undecided": [...], "seconds_per_scenario": float, "total": int, "agree": int}.
    """
    rows: dict[str, dict[str, int]] = {}
    analytic_only: dict[str, int] = {}
    disagreements, undecided = [], []
    timings = []
    done = 0
    for record in records:
        label = record["label"]
        if label in ANALYTIC_ONLY_MODES:
            analytic_only[label] = analytic_only.get(label, 0) + 1
            continue
        if n is not None and done >= n:
            continue
        scenario = _scenario_of(record)
        assessment = assess(scenario)
        result = simulate(scenario, seconds=seconds, assessment=assessment)
        timings.append(result.seconds_cpu)
        done += 1
        if result.outcome is None:
            undecided.append({"id": record["id"], "label": label, "reason": result.reason})
            continue
        row = rows.setdefault(label, {"n": 0, "agree": 0})
        row["n"] += 1
        if result.outcome == label:
            row["agree"] += 1
        else:
            disagreements.append({
                "id": record["id"], "family": record.get("family", ""), "label": label,
                "simulated": result.outcome, "physics": assessment.explanation,
                "simulation": f"{result.reason}; measured " + ", ".join(
                    f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                    for k, v in sorted(result.measured.items())),
            })
    table = [{"mode": mode, "n": rows[mode]["n"], "agree": rows[mode]["agree"],
              "rate": rows[mode]["agree"] / rows[mode]["n"]}
             for mode in SIMULATED_MODES if mode in rows]
    total = sum(r["n"] for r in table)
    agree = sum(r["agree"] for r in table)
    return {"rows": table, "disagreements": disagreements, "analytic_only": analytic_only,
            "undecided": undecided, "total": total, "agree": agree,
            "seconds_per_scenario": sum(timings) / len(timings) if timings else 0.0}
