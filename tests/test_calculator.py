"""The worked student's calculator: exact arithmetic on whitelisted formulas, never a crash."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from physlab import calculator, physics
from physlab.calculator import evaluate, numbers, structure

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def expressions(draw, depth: int = 0):
    """(text, value) of a random arithmetic expression over + - * / and parentheses; value None
    when some step divides by zero or leaves the calculator's range (it must refuse those)."""
    if depth >= 3 or draw(st.booleans()):
        x = draw(positive)
        return repr(x), x
    left_text, left = draw(expressions(depth + 1))
    right_text, right = draw(expressions(depth + 1))
    op = draw(st.sampled_from("+-*/"))
    if left is None or right is None or (op == "/" and right == 0):
        value = None
    else:
        value = {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                 "/": lambda: left / right}[op]()
        if abs(value) > calculator.MAX_MAGNITUDE:
            value = None
    return f"({left_text}{op}{right_text})", value


@given(expressions())
@settings(max_examples=300, deadline=None)
def test_arithmetic_matches_python(expr) -> None:
    text, expected = expr
    result = evaluate(text)
    if expected is None:
        assert not result.ok
    else:
        assert result.ok, result.error
        assert result.value == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(st.text(max_size=80))
@settings(max_examples=500, deadline=None)
def test_any_text_never_raises(text: str) -> None:
    result = evaluate(text)
    assert result.ok == (result.value is not None)
    if not result.ok:
        assert result.error


@given(st.text(alphabet="0123456789.+-*/^() eg,=a", max_size=40))
@settings(max_examples=500, deadline=None)
def test_formula_like_text_never_raises(text: str) -> None:
    result = evaluate(text)
    assert result.value is None or math.isfinite(result.value)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "open('x')", "x", "().__class__", "[1, 2][0]", "lambda: 1",
    "'a' * 3", "1 if 1 else 2", "(1).real", "[x for x in (1,)]", "sqrt(4, 5)", "slosh(1)",
    "tray_tip(a=1, w=1, h=1, mu=1, z=2)", "max()", "1/0", "9**9**9", "2**1000", "1e400", "", "(",
    "f'{1}'", "True + 1", "1 = 1", "a=1",
])
def test_whatever_is_not_a_formula_is_invalid(text: str) -> None:
    result = evaluate(text)
    assert not result.ok and result.value is None and result.error


def test_operators_functions_and_constants() -> None:
    assert evaluate("2^3").value == 8
    assert evaluate("2**3").value == 8
    assert evaluate("-3 + +2").value == -1
    assert evaluate("sqrt(g^2 + 0)").value == pytest.approx(physics.G)
    assert evaluate("tan(45)").value == pytest.approx(1.0)  # degrees
    assert evaluate("sin(30)").value == pytest.approx(0.5)
    assert evaluate("cos(60)").value == pytest.approx(0.5)
    assert evaluate("atan(1)").value == pytest.approx(45.0)
    assert evaluate("tanh(0)").value == 0
    assert evaluate("2*pi").value == pytest.approx(2 * math.pi)
    assert evaluate("min(3, 1, 2) + max(3, 1, 2)").value == 4
    assert evaluate("6 × 7 ÷ 2 − 1").value == 20  # typographic operators people paste


def test_helpers_are_the_physics_functions() -> None:
    assert evaluate("slosh(a=3, D=0.08, H=0.1, fill=0.8, ramp=0.1)").value == pytest.approx(
        physics.sloshing_ratio(3, 0.0, 0.08, 0.1, 0.8, 0.1))
    assert evaluate("tray_tip(a=3, w=0.06, h=0.1, mu=0.5)").value == pytest.approx(
        physics.tipping_ratio(3, 0.06, 0.1, 0.5))
    assert evaluate("tray_slide(a=3, mu=0.2, w=0.06, h=0.1)").value == pytest.approx(
        physics.support_slip_ratio(3, 0.2, 0.06, 0.1))
    assert evaluate("slope_tip(deg=20, w=0.06, h=0.1, mu=0.9)").value == pytest.approx(
        physics.incline_tipping_ratio(20, 0.06, 0.1, 0.9))
    assert evaluate("slope_slide(deg=20, mu=0.3, w=0.06, h=0.1)").value == pytest.approx(
        physics.incline_slip_ratio(20, 0.3, 0.06, 0.1))
    assert evaluate("roll(v=0.2, k=1.4, mu=0.01)").value == pytest.approx(physics.roll_distance_m(0.2, 1.4, 0.01))
    # positional arguments in the documented order work too
    assert evaluate("roll(0.2, 1.4, 0.01)").value == pytest.approx(physics.roll_distance_m(0.2, 1.4, 0.01))
    assert not evaluate("roll(v=0.2, k=1.4, mu=0)").ok  # the physics refuses mu = 0: invalid, no crash


def test_helpers_take_both_footprint_sides() -> None:
    # Given a box's two sides, tipping and sliding use the narrow one and sloshing the wide one,
    # whichever order the student copies them in; without d the one side given is used.
    for formula, narrow in (("tray_tip(a=3, w={}, d={}, h=0.1, mu=0.5)", "tray_tip(a=3, w={}, h=0.1, mu=0.5)"),
                            ("slope_slide(deg=20, mu=0.3, w={}, d={}, h=0.1)", "slope_slide(deg=20, mu=0.3, w={}, h=0.1)")):
        assert evaluate(formula.format(0.06, 0.09)).value == pytest.approx(evaluate(narrow.format(0.06)).value)
        assert evaluate(formula.format(0.09, 0.06)).value == pytest.approx(evaluate(narrow.format(0.06)).value)
    assert evaluate("slosh(a=3, D=0.06, d=0.08, H=0.1, fill=0.8, ramp=0.1)").value == pytest.approx(
        physics.sloshing_ratio(3, 0.0, 0.08, 0.1, 0.8, 0.1))
    assert evaluate("tray_tip(a=3, w=6[cm], d=90[mm], h=10[cm], mu=0.5)").value == pytest.approx(
        physics.tipping_ratio(3, 0.06, 0.1, 0.5))
    assert not evaluate("tray_tip(a=3, d=0.06, h=0.1, mu=0.5)").ok  # w is required, d is not


def test_rolling_bodies_by_name() -> None:
    for name, k in (("solid_ball", 1.4), ("hollow_ball", 5 / 3), ("solid_cylinder", 1.5), ("thin_tube", 2.0)):
        assert evaluate(f"roll(v=0.2, k={name}, mu=0.01)").value == pytest.approx(physics.roll_distance_m(0.2, k, 0.01))
    assert not evaluate("roll(v=0.2, k=wooden_ball, mu=0.01)").ok  # an unknown name is an invalid line


def test_numbers_and_structure() -> None:
    assert numbers("0.35*(g+2)/(2*0.6*20)") == [0.35, 2, 2, 0.6, 20]
    assert numbers("(350/1000)/5") == [350, 1000, 5]
    assert numbers("not a formula (") == []
    assert structure("0.35*(g+2)/(2*0.6*20)") == structure("0.4*(g+3)/(3*0.5*10)")
    assert structure("0.35/5") != structure("0.35*5")
    assert structure("tray_tip(a=1, w=2, h=3, mu=4)") == "tray_tip(a=#, w=#, h=#, mu=#)"


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_format_value_reads_back(value: float) -> None:
    text = calculator.format_value(value)
    assert float(text) == pytest.approx(value, abs=0.0005 if value < 1000 else 0.5)
    assert (float(text) > 1.0) == (value > 1.0) or abs(value - 1.0) < 0.0005


# The unit of each bracket, its factor to SI, checked by hand (not read from calculator.UNITS).
HAND_UNITS = [("g", 1e-3), ("kg", 1.0), ("mg", 1e-6), ("mm", 1e-3), ("cm", 1e-2), ("m", 1.0), ("N", 1.0),
              ("newtons", 1.0), ("s", 1.0), ("seconds", 1.0), ("ms", 1e-3), ("m/s", 1.0), ("cm/s", 1e-2),
              ("mm/s", 1e-3), ("m/s²", 1.0), ("m/s^2", 1.0), ("%", 1e-2), ("°", 1.0), ("in", 0.0254)]


@given(positive, st.sampled_from(HAND_UNITS))
@settings(max_examples=300, deadline=None)
def test_a_bracketed_unit_converts_to_si(x: float, unit_factor) -> None:
    unit, factor = unit_factor
    text = repr(x)
    assert evaluate(f"{text}[{unit}]").value == pytest.approx(x * factor, rel=1e-12)
    assert evaluate(f"{text} [ {unit} ]").value == pytest.approx(x * factor, rel=1e-12)
    assert numbers(f"2*{text}[{unit}]") == [2, x]  # a unit is not a copied number


def test_units_in_formulas() -> None:
    assert evaluate("350[g]").value == 0.35  # exactly: 350/1000, not 350*0.001
    assert evaluate("350[g]/5[kg]").value == pytest.approx(0.07)
    assert evaluate("atan(8[%])").value == pytest.approx(math.degrees(math.atan(0.08)))
    assert evaluate("60[mm]/82[mm]").value == pytest.approx(60 / 82)
    # one unit, however it is spelled, has one structure; another unit has another
    assert structure("2.99[m/s^2]") == structure("4[m/s²]") == "#[mps2]"
    assert structure("369[g]") != structure("369[kg]") != structure("369")
    unknown = evaluate("5[furlong]")
    assert not unknown.ok and "unknown unit 'furlong'" in unknown.error
    # a bracket that does not follow a number is not a unit: invalid, never a crash
    for text in ("x[g]", "(2+3)[g]", "[g]", "5[]", "5[g", "5[[g]]"):
        assert not evaluate(text).ok, text


_MODE_VALUES = st.dictionaries(st.sampled_from(physics.TIE_ORDER),
                               st.floats(min_value=0, max_value=50, allow_nan=False).map(lambda x: round(x, 3)),
                               min_size=1, max_size=4)


@settings(deadline=None)  # a pure function; a deadline only measures how busy the CPU is
@given(_MODE_VALUES)
def test_comparison_names_the_largest_mode_with_the_physics_tie_order(values: dict[str, float]) -> None:
    """`max(slipping=1.497, sloshing=2.017)` names the mode with the largest value; an exact
    tie goes to the mode earlier in physics.TIE_ORDER, as physics.deciding_check does."""
    formula = "max(" + ", ".join(f"{m}={calculator.format_value(v)}" for m, v in values.items()) + ")"
    choice = calculator.compare(formula)
    best = max(values.values())
    tied = [m for m in physics.TIE_ORDER if m in values and values[m] == best]
    assert choice.ok and choice.mode == tied[0]
    assert calculator.tool_output(formula) == (tied[0], "")


def test_comparison_is_told_apart_from_a_formulas_own_max() -> None:
    assert calculator.tool_output("max(2, 3)") == ("3.000", "")  # the roll-out line's max
    assert calculator.compare("max(tipping=2*0.6, slipping=1.1)").mode == "tipping"  # values may be formulas
    for bad, why in [("max(foo=1.2)", "unknown failure mode 'foo'"), ("max(1, 2)", "every value named"),
                     ("max(tipping=x)", "unknown name"), ("min(tipping=1)", "every value named"),
                     ("max(tipping=1, 2)", "not a formula"), ("max(tipping=", "not a formula")]:
        choice = calculator.compare(bad)
        assert not choice.ok and why in choice.error, (bad, choice.error)
    assert calculator.tool_output("max(tipping=x)")[0] is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="max(tipngslhcor_=,.0123456789) ", max_size=60))
def test_comparison_never_raises(text: str) -> None:
    choice = calculator.compare(text)
    assert choice.ok == (choice.mode in physics.TIE_ORDER)
