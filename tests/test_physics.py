"""Physics ground truth: hand-computed cases per mode, phase precedence, and monotonicity properties.

Every expected number is worked out by hand in the comments (g = 9.81 m/s^2), so a failing
test points at a formula, not at a magic constant.
"""

from __future__ import annotations

import math
from copy import deepcopy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from physlab import physics
from physlab.physics import (
    LABELS,
    MODES,
    TIE_ORDER,
    Check,
    assess,
    deciding_check,
    explain_ratios,
    offcentre_torque_ratio,
    slipping_ratio,
    sloshing_ratio,
    tipping_ratio,
)
from physlab.schema import Scenario, parse_scenario

# A plain, robust 10 cm plastic cube picked and placed gently: every ratio well below 1.
DEFAULTS = {
    "id": "t-1",
    "family": "test",
    "object": {"type": "block", "shape": "box", "material": "plastic", "mass_kg": 0.2,
               "width_m": 0.1, "depth_m": 0.1, "height_m": 0.1, "com_height_m": 0.05},
    "gripper": {"grip_force_n": 20.0, "payload_kg": 3.0, "pad_friction": 0.8},
    "motion": {"action": "pick_and_place"},
    "environment": {},
}


def make(**sections: dict) -> Scenario:
    """A validated scenario: DEFAULTS with the given sections' fields overridden."""
    data = deepcopy(DEFAULTS)
    for section, fields in sections.items():
        data[section].update(fields)
    return parse_scenario(data)


def mug(grip_force_n: float) -> Scenario:
    # The worked example of docs/physics.md: 0.35 kg mug held by the rim, d = 4 cm, mu 0.6, r_pad 8 mm.
    return make(object={"type": "mug", "shape": "cylinder", "material": "ceramic", "mass_kg": 0.35,
                        "width_m": 0.08, "depth_m": 0.08, "height_m": 0.082, "com_height_m": 0.04},
                gripper={"grip_force_n": grip_force_n, "pad_friction": 0.6, "pad_radius_m": 0.008,
                         "grasp_offset_m": 0.04})


def water_cup(**motion: float) -> Scenario:
    # Open cylinder D = 8 cm (R = 4 cm), 10 cm tall, filled to 80 %: depth 8 cm, freeboard 2 cm.
    return make(object={"type": "cup", "shape": "cylinder", "material": "plastic", "mass_kg": 0.3,
                        "width_m": 0.08, "depth_m": 0.08, "height_m": 0.1, "com_height_m": 0.04,
                        "open_top": True, "fill_fraction": 0.8},
                gripper={"grip_force_n": 40.0},
                motion=motion)


def test_constants():
    assert MODES == ("tipping", "slipping", "crushing", "sloshing", "collision", "dropping", "rolling_away")
    assert LABELS == ("success", *MODES)
    assert TIE_ORDER == ("collision", "crushing", "dropping", "slipping", "tipping", "sloshing", "rolling_away")
    assert physics.G == 9.81


def test_baseline_is_a_success_with_all_modes_reported():
    a = assess(make())
    assert a.label == "success" and a.deciding is None
    assert set(a.ratios) == set(MODES)
    # Not applicable modes read 0.0: no crush force, no container, no clearance, no slope, no roll.
    for mode in ("crushing", "sloshing", "collision", "tipping", "rolling_away"):
        assert a.ratios[mode] == 0.0
    # Largest r: lift slip 0.2*9.81 / (2*0.8*20) = 1.962/32 = 0.0613; payload 0.2/3 = 0.0667 wins.
    assert a.margin == pytest.approx(0.2 / 3)
    assert a.margin == max(a.ratios.values())
    assert a.explanation.startswith("no check fails; closest: dropping at r = 0.07")


# --------------------------------------------------------------------------- crushing


def test_crushing_egg_squeezed_too_hard():
    # 30 N on an egg that breaks at 25 N: r = 30/25 = 1.2.
    a = assess(make(object={"type": "egg", "material": "eggshell", "mass_kg": 0.06, "crush_force_n": 25.0},
                    gripper={"grip_force_n": 30.0}))
    assert a.label == "crushing"
    assert a.margin == pytest.approx(1.2)
    assert a.deciding.phase == 1
    assert "30.0 N" in a.explanation and "25.0 N" in a.explanation and a.explanation.endswith("crushes")


def test_crushing_paper_cup_gentle_grip_survives():
    # 4 N on a paper cup that dents at 5 N: r = 0.8, survives.
    a = assess(make(object={"type": "paper cup", "material": "paper", "mass_kg": 0.01, "crush_force_n": 5.0},
                    gripper={"grip_force_n": 4.0}))
    assert a.label == "success"
    assert a.ratios["crushing"] == pytest.approx(0.8)
    assert physics.crushing_ratio(4.0, 5.0) == pytest.approx(0.8)


def test_on_tray_skips_all_grasp_checks():
    # On a tray nothing squeezes the egg: crushing, payload, in-hand slip and torque all read 0.
    a = assess(make(object={"type": "egg", "material": "eggshell", "mass_kg": 0.06, "crush_force_n": 1.0},
                    gripper={"grip_force_n": 100.0, "payload_kg": 0.01, "grasp_offset_m": 0.2},
                    motion={"carry": "on_tray", "action": "tray_carry"}))
    assert a.label == "success"
    assert a.ratios["crushing"] == 0.0 and a.ratios["dropping"] == 0.0
    assert {c.name for c in a.checks} == {"slides on the support", "tips over", "release height"}


# --------------------------------------------------------------------------- slipping


def test_slipping_in_hand_during_lift():
    # m = 1 kg, a_z = 2.19: demand 1*(9.81+2.19) = 12.0 N; capacity 2*0.5*10 = 10.0 N: r = 1.2.
    a = assess(make(object={"mass_kg": 1.0}, gripper={"grip_force_n": 10.0, "pad_friction": 0.5},
                    motion={"lift_accel_mps2": 2.19}))
    assert a.label == "slipping"
    assert a.margin == pytest.approx(1.2)
    assert a.deciding.phase == 2
    assert "needs 12.0 N of friction, pads give 10.0 N: slips" in a.explanation


def test_slipping_in_hand_during_transport_three_finger():
    # Three fingers, mu 0.5, F = 8 N: capacity 3*0.5*8 = 12 N.
    # Lift (a_z = 0): 9.81/12 = 0.8175 holds. Transport a_t = 9.81: 9.81*sqrt(2) = 13.873 N, r = 1.1561.
    a = assess(make(object={"mass_kg": 1.0},
                    gripper={"kind": "three_finger", "grip_force_n": 8.0, "pad_friction": 0.5, "payload_kg": 5.0},
                    motion={"transport_accel_mps2": 9.81}))
    assert a.label == "slipping"
    assert a.deciding.phase == 3
    assert a.margin == pytest.approx(9.81 * math.sqrt(2) / 12, rel=1e-9)
    lift = next(c for c in a.checks if c.name == "in-hand slip (lift)")
    assert lift.ratio == pytest.approx(0.8175)


def test_slipping_on_the_support_when_it_slides_first():
    # 10x10 cm box, h_com 5 cm: w/(2h) = 1.0 > mu 0.3, so it slides before it can tip.
    # a_h = 4: slide r = 4/(0.3*9.81) = 1.3592; tipping capped at mu*g: 2.943*0.05/(9.81*0.05) = 0.3.
    a = assess(make(motion={"carry": "on_tray", "action": "tray_carry", "transport_accel_mps2": 4.0},
                    environment={"support_friction": 0.3}))
    assert a.label == "slipping"
    assert a.margin == pytest.approx(4 / (0.3 * 9.81))
    assert a.ratios["tipping"] == pytest.approx(0.3)


def test_slipping_formula_matches_docs():
    # m sqrt((g+a_z)^2 + a_t^2) / (n mu F): 0.5*sqrt(11.81^2 + 3^2) = 0.5*12.185 = 6.0925; / (2*0.4*5 = 4) = 1.523.
    assert slipping_ratio(0.5, 2.0, 3.0, 2, 0.4, 5.0) == pytest.approx(0.5 * math.hypot(11.81, 3.0) / 4.0)
    assert slipping_ratio(0.5, 2.0, 3.0, 2, 0.4, 5.0) == pytest.approx(1.5231, abs=1e-4)


# --------------------------------------------------------------------------- tipping


def test_tipping_tall_box_on_a_tray():
    # 5x5x20 cm box, h_com 10 cm: threshold g*w/(2h) = 9.81*0.05/0.2 = 2.4525 m/s^2.
    # mu 0.5 > w/(2h) = 0.25, so it tips first. a_h = 3: r = 3*0.1/(9.81*0.025) = 1.2232.
    # Sliding capped at the tipping threshold: 2.4525/(0.5*9.81) = 0.5.
    a = assess(make(object={"width_m": 0.05, "depth_m": 0.05, "height_m": 0.2, "com_height_m": 0.1},
                    motion={"carry": "on_tray", "action": "tray_carry", "transport_accel_mps2": 3.0},
                    environment={"support_friction": 0.5}))
    assert a.label == "tipping"
    assert a.margin == pytest.approx(3 * 0.1 / (9.81 * 0.025))
    assert a.ratios["slipping"] == pytest.approx(0.5)
    assert "2.5 m/s²" in a.explanation and a.explanation.endswith("tips")


def test_same_box_on_a_slippery_tray_slides_instead_of_tipping():
    # The simulator check of docs/physics.md: mu 0.15 < w/(2h) = 0.25, so it slides.
    # a_h = 3: slide r = 3/(0.15*9.81) = 2.0387; tipping capped at mu*g = 1.4715: 1.4715*0.1/0.24525 = 0.6.
    a = assess(make(object={"width_m": 0.05, "depth_m": 0.05, "height_m": 0.2, "com_height_m": 0.1},
                    motion={"carry": "on_tray", "action": "tray_carry", "transport_accel_mps2": 3.0},
                    environment={"support_friction": 0.15}))
    assert a.label == "slipping"
    assert a.margin == pytest.approx(3 / (0.15 * 9.81))
    assert a.ratios["tipping"] == pytest.approx(0.6)


@given(accel=st.floats(0, 30), width=st.floats(0.01, 0.5), com=st.floats(0.01, 0.5), mu=st.floats(0.05, 1.5))
def test_tipping_and_sliding_never_both_fail(accel, width, com, mu):
    # Whichever comes first pre-empts the other: at most one of the two ratios exceeds 1,
    # and tipping is only possible when mu > w/(2 h_com).
    tip = tipping_ratio(accel, width, com, mu)
    slide = physics.support_slip_ratio(accel, mu, width, com)
    assert not (tip > 1 and slide > 1)
    if mu <= width / (2 * com):
        assert tip <= mu * 2 * com / width * (1 + 1e-12)


def test_tipping_uses_the_narrow_side():
    # 5 cm deep, 20 cm wide, h_com 10 cm: w = min = 5 cm, threshold 2.4525 m/s^2; a_h = 3 tips (r 1.2232).
    a = assess(make(object={"width_m": 0.2, "depth_m": 0.05, "height_m": 0.2, "com_height_m": 0.1},
                    motion={"carry": "on_tray", "action": "tray_carry", "transport_accel_mps2": 3.0}))
    assert a.label == "tipping"
    assert a.margin == pytest.approx(1.2232, abs=1e-4)


def test_tipping_on_an_incline_at_placement():
    # w/(2h) = 0.05/0.2 = 0.25 < mu 0.8: tips first. tan(20 deg) = 0.36397: r = 1.4559 (phase 4).
    # Sliding capped at tan = 0.25: 0.25/0.8 = 0.3125.
    a = assess(make(object={"width_m": 0.05, "depth_m": 0.05, "height_m": 0.2, "com_height_m": 0.1},
                    environment={"slope_deg": 20.0, "support_friction": 0.8}))
    assert a.label == "tipping"
    assert a.deciding.phase == 4
    assert a.margin == pytest.approx(math.tan(math.radians(20)) / 0.25)
    assert a.margin == pytest.approx(1.4559, abs=1e-4)
    assert a.ratios["slipping"] == pytest.approx(0.3125)


def test_sliding_down_an_incline_is_slipping():
    # Cube: w/(2h) = 1.0 > mu 0.3: slides first. tan(20 deg)/0.3 = 1.2132; tipping capped: 0.3/1.0 = 0.3.
    a = assess(make(environment={"slope_deg": 20.0, "support_friction": 0.3}))
    assert a.label == "slipping"
    assert a.deciding.phase == 4 and a.deciding.name == "slides down the slope"
    assert a.margin == pytest.approx(1.2132, abs=1e-4)
    assert a.ratios["tipping"] == pytest.approx(0.3)


def test_rolling_objects_never_tip():
    # A ball on a tray at 8 m/s^2 and on a 30 deg slope: no tipping check at all; it rolls.
    a = assess(make(object={"type": "ball", "shape": "sphere", "material": "rubber", "mass_kg": 0.058,
                            "width_m": 0.064, "depth_m": 0.064, "height_m": 0.064, "com_height_m": 0.032},
                    motion={"carry": "on_tray", "action": "tray_carry", "transport_accel_mps2": 8.0},
                    environment={"slope_deg": 30.0}))
    assert a.ratios["tipping"] == 0.0
    assert not any(c.mode == "tipping" for c in a.checks)
    # On the tray: 8/(0.01*9.81) = 81.5, rolls away in transport.
    assert a.label == "rolling_away" and a.deciding.phase == 3
    assert a.margin == pytest.approx(8 / (0.01 * 9.81))


# --------------------------------------------------------------------------- dropping


def test_dropping_mug_worked_example_at_20_n():
    # Demand m g d = 0.35*9.81*0.04 = 0.13734 N*m; tau_cap = 2*(2/3)*0.6*20*0.008 = 0.128 N*m: r = 1.0730.
    # In-hand slip meanwhile: 3.4335/(2*0.6*20 = 24) = 0.143, holds.
    a = assess(mug(20.0))
    assert a.label == "dropping"
    assert a.margin == pytest.approx(0.13734 / 0.128, rel=1e-9)
    assert a.deciding.name == "off-centre torque"
    assert "needs 0.137 N·m; the grip resists 0.128 N·m: drops" in a.explanation
    assert "0.35 kg at 4.0 cm off-centre" in a.explanation


def test_dropping_mug_worked_example_holds_at_70_n():
    # tau_cap = 2*(2/3)*0.6*70*0.008 = 0.448 N*m: r = 0.13734/0.448 = 0.3066.
    a = assess(mug(70.0))
    assert a.label == "success"
    assert a.ratios["dropping"] == pytest.approx(0.13734 / 0.448, rel=1e-9)
    assert offcentre_torque_ratio(0.35, 0.04, 2, 0.6, 70.0, 0.008) == pytest.approx(0.3066, abs=1e-4)


def test_dropping_overloaded_gripper():
    # 4 kg on a 3 kg payload: r = 1.3333. Friction is ample: 39.24 N vs 2*0.8*100 = 160 N.
    a = assess(make(object={"mass_kg": 4.0}, gripper={"grip_force_n": 100.0, "payload_kg": 3.0}))
    assert a.label == "dropping"
    assert a.margin == pytest.approx(4 / 3)
    assert a.deciding.name == "payload"


def test_dropping_released_too_high():
    # Released 3 cm above the table, limit 1 cm: r = 3.0 in phase 4.
    a = assess(make(motion={"release_height_m": 0.03}))
    assert a.label == "dropping"
    assert a.deciding.phase == 4
    assert a.margin == pytest.approx(3.0)
    assert "3.0 cm" in a.explanation


# --------------------------------------------------------------------------- sloshing

# Cup above: R = 0.04, h = 0.08. 1.841*h/R = 3.682, tanh = 0.99873;
# omega1^2 = 1.841*9.81/0.04 * 0.99873 = 450.93, omega1 = 21.235 rad/s, T1 = 0.29589 s.
T1_CUP = 2 * math.pi / math.sqrt(1.841 * 9.81 / 0.04 * math.tanh(1.841 * 0.08 / 0.04))


def test_first_slosh_period_by_hand():
    assert T1_CUP == pytest.approx(0.29589, abs=1e-4)
    assert physics.first_slosh_period_s(0.04, 0.08) == pytest.approx(T1_CUP)


def test_sloshing_slow_ramp_spills_at_high_acceleration():
    # Ramp 1 s > T1: k = 1. a_h = 6: tan = 0.61162, rise = 0.04*0.61162 = 0.024465 m; /0.02 = 1.2232.
    a = assess(water_cup(transport_accel_mps2=6.0, ramp_time_s=1.0))
    assert a.label == "sloshing"
    assert a.margin == pytest.approx(0.04 * 6 / 9.81 / 0.02)
    assert "k = 1.00" in a.explanation and a.explanation.endswith("spills")
    assert sloshing_ratio(6.0, 0.0, 0.08, 0.1, 0.8, 1.0) == pytest.approx(1.2232, abs=1e-4)
    # A vertical acceleration lowers the tilt: tan = 6/(9.81 + 3), r = 0.9368.
    assert sloshing_ratio(6.0, 3.0, 0.08, 0.1, 0.8, 1.0) == pytest.approx(0.04 * 6 / 12.81 / 0.02)


def test_sloshing_sudden_start_doubles_the_rise():
    # a_h = 3: tan = 0.30581. Slow ramp: r = 0.04*0.30581/0.02 = 0.6116 (stays in).
    # Ramp 0.01 s: k = 2 - 0.01/0.29589 = 1.96620: r = 1.9662*0.6116 = 1.2026 (spills).
    slow = assess(water_cup(transport_accel_mps2=3.0, ramp_time_s=1.0))
    fast = assess(water_cup(transport_accel_mps2=3.0, ramp_time_s=0.01))
    assert slow.label == "success" and slow.ratios["sloshing"] == pytest.approx(0.6116, abs=1e-4)
    assert fast.label == "sloshing"
    assert fast.margin == pytest.approx((2 - 0.01 / T1_CUP) * 0.04 * 3 / 9.81 / 0.02)
    assert fast.margin == pytest.approx(1.2026, abs=1e-4)


def test_brim_full_cup_spills_when_moved_but_not_at_rest():
    # fill 1.0: freeboard taken as 1 mm. At rest no tilt (r = 0); at 1 m/s^2, slow ramp:
    # rise 0.04*1/9.81 = 4.08 mm over 1 mm: r = 4.08, finite.
    assert sloshing_ratio(0.0, 0.0, 0.08, 0.1, 1.0, 1.0) == 0.0
    assert sloshing_ratio(1.0, 0.0, 0.08, 0.1, 1.0, 1.0) == pytest.approx(0.04 / 9.81 / 0.001)


def test_sloshing_only_for_filled_open_containers():
    assert assess(make(motion={"transport_accel_mps2": 9.0})).ratios["sloshing"] == 0.0
    empty_bowl = make(object={"open_top": True}, motion={"transport_accel_mps2": 9.0})
    assert assess(empty_bowl).ratios["sloshing"] == 0.0


# --------------------------------------------------------------------------- collision


def test_collision_when_the_arm_must_stop_in_time():
    # Stopping: 0.5*0.1 + 0.5^2/(2*5) = 0.05 + 0.025 = 0.075 m; + 5 mm tracking = 0.08 m; / 0.05 = 1.6.
    a = assess(make(motion={"speed_mps": 0.5, "reaction_time_s": 0.1, "brake_decel_mps2": 5.0,
                            "tracking_error_m": 0.005, "clearance_m": 0.05, "stop_before_obstacle": True}))
    assert a.label == "collision"
    assert a.deciding.phase == 3
    assert a.margin == pytest.approx(1.6)
    assert "7.5 cm" in a.explanation


def test_collision_planned_pass_uses_tracking_error_only():
    # Passing a shelf: 6 mm tracking error vs 4 mm gap: 1.5 (hits); vs 1 cm: 0.6 (clears), speed irrelevant.
    hit = assess(make(motion={"tracking_error_m": 0.006, "clearance_m": 0.004, "speed_mps": 2.0}))
    clear = assess(make(motion={"tracking_error_m": 0.006, "clearance_m": 0.01, "speed_mps": 2.0}))
    assert hit.label == "collision" and hit.margin == pytest.approx(1.5)
    assert clear.label == "success" and clear.ratios["collision"] == pytest.approx(0.6)


# --------------------------------------------------------------------------- rolling_away

BALL = {"type": "tennis ball", "shape": "sphere", "material": "rubber", "mass_kg": 0.058,
        "width_m": 0.064, "depth_m": 0.064, "height_m": 0.064, "com_height_m": 0.032}
CAN_ON_SIDE = {"type": "can", "shape": "cylinder", "material": "aluminium", "mass_kg": 0.37,
               "width_m": 0.066, "depth_m": 0.066, "height_m": 0.066, "com_height_m": 0.033,
               "hollow": True, "orientation": "on_side"}


def test_rolling_away_on_a_slope():
    # tan(2 deg) = 0.034921 / mu_roll 0.01 = 3.4921.
    a = assess(make(object=BALL, environment={"slope_deg": 2.0, "rolling_resistance": 0.01}))
    assert a.label == "rolling_away"
    assert a.margin == pytest.approx(3.4921, abs=1e-4)


def test_rolling_away_released_with_speed():
    # Thin-walled can, 1 + I/mR^2 = 2, v0 = 0.15, mu_roll 0.02:
    # 2*0.0225/(2*0.02*9.81) = 0.045/0.3924 = 0.11468 m over 5 cm: r = 2.2936.
    can = assess(make(object=CAN_ON_SIDE, motion={"release_speed_mps": 0.15},
                      environment={"rolling_resistance": 0.02}))
    assert can.label == "rolling_away"
    assert can.margin == pytest.approx(2.2936, abs=1e-4)
    assert "11.5 cm" in can.explanation
    # Solid ball (1.4), v0 = 0.1: 1.4*0.01/0.3924 = 0.035678 m over 5 cm = 0.7136: stays.
    ball = assess(make(object=BALL, motion={"release_speed_mps": 0.1}, environment={"rolling_resistance": 0.02}))
    assert ball.label == "success"
    assert ball.ratios["rolling_away"] == pytest.approx(0.7136, abs=1e-4)


def test_upright_can_does_not_roll():
    upright = dict(CAN_ON_SIDE, orientation="upright", height_m=0.122, com_height_m=0.061)
    a = assess(make(object=upright, motion={"release_speed_mps": 0.5}))
    assert a.ratios["rolling_away"] == 0.0


# --------------------------------------------------------------------------- precedence


def test_crushing_in_grasp_beats_slipping_in_lift():
    # Egg: crush 30/25 = 1.2 (phase 1). Slip: 0.5*9.81/(2*0.05*30 = 3) = 1.635 (phase 2) is larger but later.
    a = assess(make(object={"type": "egg", "material": "eggshell", "mass_kg": 0.5, "crush_force_n": 25.0},
                    gripper={"grip_force_n": 30.0, "pad_friction": 0.05}))
    assert a.ratios["slipping"] == pytest.approx(1.635)
    assert a.label == "crushing"


def test_approach_collision_comes_before_crushing():
    a = assess(make(object={"crush_force_n": 10.0}, gripper={"grip_force_n": 20.0},
                    motion={"clearance_m": 0.001, "clearance_phase": "approach"}))
    # Collision 0.002/0.001 = 2.0 and crushing 2.0 both in phase 1: collision is checked first.
    assert a.ratios["crushing"] == pytest.approx(2.0) and a.ratios["collision"] == pytest.approx(2.0)
    assert a.label == "collision" and a.deciding.phase == 1


def test_lift_slipping_beats_transport_sloshing():
    # Cup 0.3 kg, F = 2 N, mu 0.8, a_z = 3: lift slip 0.3*12.81/(2*0.8*2) = 3.843/3.2 = 1.2009 (phase 2).
    # Sloshing at a_h = 9, slow ramp: 0.04*0.91743/0.02 = 1.8349 (phase 3): larger but later.
    cup = water_cup(lift_accel_mps2=3.0, transport_accel_mps2=9.0, ramp_time_s=1.0)
    cup = cup.model_copy(update={"gripper": cup.gripper.model_copy(update={"grip_force_n": 2.0})})
    a = assess(cup)
    assert a.ratios["sloshing"] == pytest.approx(1.8349, abs=1e-4)
    assert a.label == "slipping" and a.deciding.phase == 2
    assert a.margin == pytest.approx(0.3 * 12.81 / 3.2)


def test_largest_ratio_wins_inside_transport():
    # F = 2 N: both transport checks fail. In-hand slip 0.3*sqrt(9.81^2 + 9^2)/(2*0.8*2) = 3.994/3.2 = 1.2481;
    # sloshing 1.8349 is larger, so it wins. Lift slip 2.943/3.2 = 0.92 holds.
    cup = water_cup(transport_accel_mps2=9.0, ramp_time_s=1.0)
    cup = cup.model_copy(update={"gripper": cup.gripper.model_copy(update={"grip_force_n": 2.0})})
    a = assess(cup)
    assert a.ratios["slipping"] == pytest.approx(0.3 * math.hypot(9.81, 9.0) / 3.2)
    assert a.label == "sloshing" and a.margin == pytest.approx(1.8349, abs=1e-4)


def test_placement_uses_fixed_order_not_largest_ratio():
    # Ball released 2 cm high (r 2.0) on a 2 deg slope (rolling r 3.49): dropping comes first.
    a = assess(make(object=BALL, motion={"release_height_m": 0.02}, environment={"slope_deg": 2.0}))
    assert a.ratios["rolling_away"] > a.ratios["dropping"] > 1
    assert a.label == "dropping"


def test_exact_tie_in_lift_goes_to_dropping_over_slipping():
    # Payload 2/1 = 2.0; slip 2*9.81/(2*0.5*9.81) = 2.0 exactly in floats.
    a = assess(make(object={"mass_kg": 2.0}, gripper={"payload_kg": 1.0, "grip_force_n": 9.81, "pad_friction": 0.5}))
    assert a.ratios["dropping"] == a.ratios["slipping"] == 2.0
    assert a.label == "dropping"


@pytest.mark.parametrize("order", [TIE_ORDER, tuple(reversed(TIE_ORDER))])
def test_tie_order_in_a_max_ratio_phase(order):
    checks = [Check(mode, 3, "transport", 1.5, "x") for mode in order]
    assert deciding_check(checks).mode == "collision"
    checks = [Check(mode, 3, "transport", 1.5, "x") for mode in order if mode != "collision"]
    assert deciding_check(checks).mode == "crushing"
    # Below-threshold checks never decide, and a larger r beats tie order.
    checks = [Check("collision", 3, "transport", 1.0, "x"), Check("sloshing", 3, "transport", 1.01, "x")]
    assert deciding_check(checks).mode == "sloshing"


def test_explanations_carry_numbers_and_explain_ratios_marks_the_decider():
    a = assess(mug(20.0))
    lines = explain_ratios(a)
    assert len(lines) == len(a.checks)
    marked = [line for line in lines if line.startswith("→")]
    assert len(marked) == 1 and "off-centre" in marked[0] and "r = 1.07" in marked[0]
    assert all(any(ch.isdigit() for ch in c.explanation) for c in a.checks)


def test_ratio_functions_reject_zero_capacities():
    with pytest.raises(ValueError, match="crush_force_n"):
        physics.crushing_ratio(10.0, 0.0)
    with pytest.raises(ValueError, match="clearance_m"):
        physics.collision_ratio(0.001, 0.0, False)


# --------------------------------------------------------------------------- properties

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(mass=st.floats(0.01, 50), a_z=st.floats(0, 30), a_t=st.floats(0, 30), n=st.sampled_from([2, 3]),
       mu=st.floats(0.05, 1.5), f1=st.floats(0.1, 500), f2=st.floats(0.1, 500))
def test_more_grip_force_never_increases_slipping(mass, a_z, a_t, n, mu, f1, f2):
    low, high = sorted((f1, f2))
    assert slipping_ratio(mass, a_z, a_t, n, mu, high) <= slipping_ratio(mass, a_z, a_t, n, mu, low)


@st.composite
def scenario_data(draw) -> dict:
    """A random valid scenario covering both carries, containers, clearances, slopes and rollers."""
    shape = draw(st.sampled_from(["box", "cylinder", "sphere"]))
    width = draw(st.floats(0.02, 0.3))
    depth = width if shape != "box" else draw(st.floats(0.02, 0.3))
    height = width if shape == "sphere" else draw(st.floats(0.02, 0.4))
    orientation = "on_side" if shape == "cylinder" and draw(st.booleans()) else "upright"
    open_top = shape != "sphere" and orientation == "upright" and draw(st.booleans())
    obj = {"type": "thing", "shape": shape, "material": "plastic", "mass_kg": draw(st.floats(0.01, 5)),
           "width_m": width, "depth_m": depth, "height_m": height,
           "com_height_m": height * draw(st.floats(0.2, 1.0)),
           "crush_force_n": draw(st.none() | st.floats(1, 500)), "open_top": open_top,
           "fill_fraction": draw(st.floats(0.05, 0.98)) if open_top else None,
           "hollow": draw(st.booleans()), "orientation": orientation}
    gripper = {"kind": draw(st.sampled_from(["parallel_jaw", "three_finger"])),
               "grip_force_n": draw(st.floats(1, 300)), "payload_kg": draw(st.floats(0.5, 10)),
               "pad_friction": draw(st.floats(0.1, 1.2)), "grasp_offset_m": draw(st.floats(0, 0.1))}
    motion = {"action": "pick_and_place", "carry": draw(st.sampled_from(["grasped", "on_tray"])),
              "lift_accel_mps2": draw(st.floats(0, 10)), "transport_accel_mps2": draw(st.floats(0, 10)),
              "ramp_time_s": draw(st.floats(0.01, 2)), "speed_mps": draw(st.floats(0, 2)),
              "tracking_error_m": draw(st.floats(0, 0.01)),
              "clearance_m": draw(st.none() | st.floats(0.005, 0.5)),
              "clearance_phase": draw(st.sampled_from(["approach", "transport"])),
              "stop_before_obstacle": draw(st.booleans()),
              "release_height_m": draw(st.floats(0, 0.03)), "release_speed_mps": draw(st.floats(0, 0.5))}
    environment = {"support_friction": draw(st.floats(0.1, 1.2)), "slope_deg": draw(st.floats(0, 10)),
                   "rolling_resistance": draw(st.floats(0.001, 0.1))}
    return {"id": "h", "family": "h", "object": obj, "gripper": gripper, "motion": motion,
            "environment": environment}


@SETTINGS
@given(data=scenario_data(), f1=st.floats(1, 300), f2=st.floats(1, 300))
def test_assessed_slipping_ratio_non_increasing_in_grip_force(data, f1, f2):
    low, high = sorted((f1, f2))
    ratios = []
    for force in (low, high):
        d = deepcopy(data)
        d["gripper"]["grip_force_n"] = force
        ratios.append(assess(parse_scenario(d)).ratios["slipping"])
    assert ratios[1] <= ratios[0] * (1 + 1e-12)


@SETTINGS
@given(data=scenario_data(), a1=st.floats(0, 30), a2=st.floats(0, 30))
def test_more_horizontal_acceleration_never_removes_tipping_or_sloshing(data, a1, a2):
    low, high = sorted((a1, a2))
    results = []
    for accel in (low, high):
        d = deepcopy(data)
        d["motion"]["transport_accel_mps2"] = accel
        results.append(assess(parse_scenario(d)))
    for mode in ("tipping", "sloshing"):
        assert results[1].ratios[mode] >= results[0].ratios[mode] * (1 - 1e-12)
        if results[0].ratios[mode] > 1:
            assert results[1].ratios[mode] > 1


@SETTINGS
@given(data=scenario_data(), shrink=st.floats(0.01, 1.0))
def test_shrinking_every_demand_keeps_a_success(data, shrink):
    d = deepcopy(data)
    for key in ("lift_accel_mps2", "transport_accel_mps2", "speed_mps", "tracking_error_m",
                "release_height_m", "release_speed_mps"):
        d["motion"][key] *= shrink
    d["object"]["mass_kg"] *= shrink
    d["environment"]["slope_deg"] *= shrink
    if d["motion"]["clearance_m"] is not None:
        d["motion"]["clearance_m"] = min(d["motion"]["clearance_m"] / shrink, 2.0)
    before, after = assess(parse_scenario(data)), assess(parse_scenario(d))
    for mode in MODES:
        assert after.ratios[mode] <= before.ratios[mode] * (1 + 1e-12) + 1e-15
    if before.label == "success":
        assert after.label == "success"
