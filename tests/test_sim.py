"""The MuJoCo scenes reproduce hand-known outcomes, one scene per simulated mode, and
`physlab validate` reports agreement on a tiny dataset. Skipped without the `sim` extra.

Hand numbers (g = 9.81 m/s^2): a 5 x 5 x 20 cm box with its centre of mass 10 cm up tips on an
accelerating plate above g*w/(2h) = 9.81*0.05/0.2 = 2.453 m/s^2 if mu > w/(2h) = 0.25, and
slides above mu*g otherwise (mu = 0.15: 1.47 m/s^2).
"""

from __future__ import annotations

import json
from copy import deepcopy

import pytest

pytest.importorskip("mujoco")

from physlab import cli  # noqa: E402
from physlab.physics import MODES, assess  # noqa: E402
from physlab.schema import parse_scenario  # noqa: E402
from physlab.sim import SIMULATED_MODES, agreement, simulate  # noqa: E402

SECONDS = 1.0  # simulated time per scene: enough for every outcome below, cheap on a shared CPU

BOX_ON_PLATE = {
    "id": "sim-box", "family": "test",
    "object": {"type": "block", "shape": "box", "material": "wood", "mass_kg": 0.5,
               "width_m": 0.05, "depth_m": 0.05, "height_m": 0.2, "com_height_m": 0.1},
    "gripper": {"grip_force_n": 20.0, "payload_kg": 3.0, "pad_friction": 0.5},
    "motion": {"action": "tray_carry", "carry": "on_tray", "transport_accel_mps2": 2.0},
    "environment": {"support_friction": 0.5},
}
HELD_CAN = {
    "id": "sim-can", "family": "test",
    "object": {"type": "soup_can", "shape": "cylinder", "material": "steel", "mass_kg": 0.35,
               "width_m": 0.066, "depth_m": 0.066, "height_m": 0.101, "com_height_m": 0.05},
    "gripper": {"grip_force_n": 20.0, "payload_kg": 3.0, "pad_friction": 0.6},
    "motion": {"action": "pick_and_place", "lift_accel_mps2": 2.0, "transport_accel_mps2": 1.0},
}
BALL = {
    "id": "sim-ball", "family": "test",
    "object": {"type": "tennis_ball", "shape": "sphere", "material": "rubber", "mass_kg": 0.058,
               "width_m": 0.064, "depth_m": 0.064, "height_m": 0.064, "com_height_m": 0.032},
    "gripper": {"grip_force_n": 10.0, "payload_kg": 3.0, "pad_friction": 0.8},
    "motion": {"action": "pick_and_place"},
    "environment": {"support_friction": 0.6, "rolling_resistance": 0.03, "roll_tolerance_m": 0.05},
}


def scenario(base: dict, **changes: dict):
    data = deepcopy(base)
    for part, values in changes.items():
        data[part].update(values)
    return parse_scenario(data)


def outcome(base: dict, **changes: dict) -> str | None:
    return simulate(scenario(base, **changes), seconds=SECONDS).outcome


# --------------------------------------------------------------------------- support: tipping vs sliding


@pytest.mark.parametrize(("accel", "mu", "expected"), [
    (2.2, 0.5, "success"),   # 0.90 of the tipping threshold: stays upright
    (2.7, 0.5, "tipping"),   # 1.10 of it, mu 0.5 > 0.25: tips
    (2.0, 0.15, "slipping"),  # mu 0.15 < 0.25: slides above 1.47 m/s^2 instead of tipping
    (1.2, 0.15, "success"),  # below both thresholds
])
def test_box_on_an_accelerating_plate_tips_or_slides_at_the_analytic_threshold(accel, mu, expected):
    s = scenario(BOX_ON_PLATE, motion={"transport_accel_mps2": accel}, environment={"support_friction": mu})
    assert assess(s).label == expected  # the analytic rule agrees with the hand numbers
    result = simulate(s, seconds=SECONDS)
    assert result.outcome == expected, result.reason
    assert result.trajectory, "a trajectory is recorded for the chart"


def test_tipping_box_reports_its_tilt():
    result = simulate(scenario(BOX_ON_PLATE, motion={"transport_accel_mps2": 3.0}), seconds=SECONDS)
    assert result.outcome == "tipping"
    assert result.measured["tray.tilt_deg"] > 45


def test_box_on_an_incline_tips_when_tan_alpha_exceeds_w_over_2h():
    # w/(2h) = 0.25 -> 14.0 deg; mu 0.6 holds it against sliding up to 31 deg.
    placed = {"action": "place_on_slope", "carry": "grasped", "transport_accel_mps2": 0.0}
    assert outcome(BOX_ON_PLATE, motion=placed, environment={"slope_deg": 18.0, "support_friction": 0.6}) == "tipping"
    assert outcome(BOX_ON_PLATE, motion=placed, environment={"slope_deg": 10.0, "support_friction": 0.6}) == "success"


# --------------------------------------------------------------------------- grasp: slipping and dropping


def test_held_can_slips_when_friction_cannot_carry_its_weight():
    # Lift needs 0.35*(9.81 + 2) = 4.13 N; the pads give 2*0.6*F: 24 N at F = 20 N (holds), 3.0 N at 2.5 N (slips).
    assert outcome(HELD_CAN) == "success"
    assert outcome(HELD_CAN, gripper={"grip_force_n": 2.5}) == "slipping"


def test_off_centre_grasp_drops_when_the_torque_exceeds_the_pads_torsional_friction():
    # m*g*d = 0.35*9.81*0.05 = 0.172 N*m; tau_cap = 2*(2/3)*0.6*F*0.008: 0.256 at 40 N (holds,
    # lift slip r = 0.17), 0.064 at 10 N (drops, r = 2.7; slip alone r = 0.34 would hold).
    offset = {"grasp_offset_m": 0.05, "pad_radius_m": 0.008}
    assert outcome(HELD_CAN, gripper={**offset, "grip_force_n": 40.0}) == "success"
    assert outcome(HELD_CAN, gripper={**offset, "grip_force_n": 10.0}) == "dropping"


# --------------------------------------------------------------------------- rolling and collision


def test_ball_released_with_speed_rolls_the_analytic_distance():
    # distance = 1.4*v0^2 / (2*0.03*9.81): 0.1 m/s -> 2.4 cm (stays), 0.3 m/s -> 21 cm (rolls away).
    slow = simulate(scenario(BALL, motion={"release_speed_mps": 0.1}), seconds=SECONDS)
    assert slow.outcome == "success"
    assert slow.measured["release.roll_m"] == pytest.approx(0.024, abs=0.006)
    assert outcome(BALL, motion={"release_speed_mps": 0.3}) == "rolling_away"


def test_ball_on_a_slope_rolls_away_above_the_rolling_resistance():
    # tan(alpha) vs mu_roll = 0.03: 3 deg (0.052) rolls, 1 deg (0.017) stays.
    assert outcome(BALL, environment={"slope_deg": 3.0}) == "rolling_away"
    assert outcome(BALL, environment={"slope_deg": 1.0}) == "success"


@pytest.mark.parametrize(("tracking_error", "expected"), [(0.004, "success"), (0.012, "collision")])
def test_pass_beside_an_obstacle_collides_when_the_tracking_error_exceeds_the_clearance(tracking_error, expected):
    s = scenario(HELD_CAN, motion={"clearance_m": 0.01, "tracking_error_m": tracking_error})
    result = simulate(s, seconds=SECONDS)
    assert result.outcome == expected
    assert (result.measured["clearance.min_gap_m"] < 0) == (expected == "collision")


def test_arm_that_must_stop_collides_when_its_stopping_distance_exceeds_the_clearance():
    # Stop: 0.002 + v*0.05 + v^2/(2a). v = 0.2, a = 5: 1.6 cm < 5 cm (stops short).
    # v = 1, a = 0.5: 105 cm > 90 cm, but only 77 cm after the 1 s simulated: the brake takes 2.05 s.
    stop = {"clearance_phase": "approach", "stop_before_obstacle": True}
    assert outcome(HELD_CAN, motion={**stop, "clearance_m": 0.05, "speed_mps": 0.2}) == "success"
    result = simulate(scenario(HELD_CAN, motion={**stop, "clearance_m": 0.9, "speed_mps": 1.0,
                                                 "brake_decel_mps2": 0.5}), seconds=SECONDS)
    assert result.outcome == "collision"


def test_crushing_is_analytic_only():
    egg = scenario(HELD_CAN, object={"crush_force_n": 5.0})
    result = simulate(egg, seconds=SECONDS)
    assert result.outcome is None
    assert "crushing" in result.reason


# --------------------------------------------------------------------------- agreement and the CLI


def _record(s) -> dict:
    a = assess(s)
    return {"id": s.id, "split": "test", "family": s.family, "action": s.motion.action, "object": s.object.type,
            "label": a.label, "ratios": {m: a.ratios[m] for m in MODES}, "margin": a.margin,
            "explanation": a.explanation, "description": "test", "params": s.model_dump(mode="json")}


def _tiny_records() -> list[dict]:
    cases = [
        scenario(BOX_ON_PLATE, motion={"transport_accel_mps2": 3.2}),
        scenario(BOX_ON_PLATE, motion={"transport_accel_mps2": 1.0}),
        scenario(HELD_CAN, gripper={"grip_force_n": 2.5}),
        scenario(HELD_CAN, object={"crush_force_n": 5.0}),
    ]
    return [_record(s.model_copy(update={"id": f"tiny-{i}"})) for i, s in enumerate(cases)]


def test_agreement_counts_per_mode_and_keeps_crushing_apart():
    summary = agreement(_tiny_records(), n=10, seconds=SECONDS)
    rows = {row["mode"]: row for row in summary["rows"]}
    assert set(rows) <= set(SIMULATED_MODES)
    assert rows["tipping"]["agree"] == rows["tipping"]["n"] == 1
    assert rows["slipping"]["agree"] == 1 and rows["success"]["agree"] == 1
    assert summary["analytic_only"] == {"crushing": 1}
    assert summary["disagreements"] == []


def test_validate_cli_prints_the_table(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _tiny_records()), encoding="utf-8")
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path))
    assert cli.main(["validate", "--preset", "tiny", "--n", "2", "--seconds", "1.0"]) == 0
    out = capsys.readouterr().out
    assert "tipping" in out and "success" in out
    assert "Analytic only" in out and "crushing 1" in out
    assert "slipping" not in out.split("Analytic only")[0]  # --n 2: only the first two were simulated


def test_validate_cli_rejects_a_bad_n(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path))
    assert cli.main(["validate", "--preset", "tiny", "--n", "0"]) == 2
    assert "--n" in capsys.readouterr().err


# --------------------------------------------------------------------------- chart and dashboard


def test_sim_trajectory_chart_shows_position_and_tilt_over_time():
    from physlab.charts import sim_trajectory

    result = simulate(scenario(BOX_ON_PLATE, motion={"transport_accel_mps2": 3.0}), seconds=SECONDS)
    fig = sim_trajectory(result)
    assert "tipping" in fig.layout.title.text
    tilt = next(trace for trace in fig.data if "tilt" in trace.name)
    assert max(tilt.y) > 45 and tilt.x[-1] == pytest.approx(SECONDS, abs=0.05)
    empty = sim_trajectory({"trajectory": [], "reason": "analytic only: crushing"})
    assert "analytic only" in empty.layout.annotations[0].text


def test_scenario_page_runs_the_simulation_on_click(tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from physlab.datasets_io import write_dataset

    records = _tiny_records()
    write_dataset(tmp_path / "data" / "tiny", {"train": records, "test": records}, {"preset": "tiny", "seed": 0})
    monkeypatch.setenv("PHYSLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHYSLAB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/scenarios.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="scen_id").set_value("tiny-0").run()
    at.button(key="scen_sim").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Simulated: **tipping** (agrees with the physics label" in m.value for m in at.markdown)
