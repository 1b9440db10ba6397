"""The worked student's calculator: evaluates one formula line, safely.

A formula is arithmetic over numbers, never code. It is parsed with Python's `ast` module and
walked node by node against a whitelist (numbers, + - * / ** ^, unary minus, parentheses, the
functions and constants below, named arguments of the helpers); nothing is ever passed to
eval or exec. Anything else (a name, an attribute, a string, a subscript, a call of something
unknown, a number too large, a division by zero) makes the line *invalid*: `evaluate` returns
a `Result` with `ok=False` and the reason, and never raises.

Units: a number may carry its unit in square brackets, exactly as the description wrote it:
`350[g]` is 0.35 (kg), `8[cm]` is 0.08 (m), `115[ms]` is 0.115 (s), `84[%]` is 0.84. The
calculator converts to SI (`UNITS`), so the student copies a quantity with its unit and never
decides a conversion itself. An unknown unit makes the line invalid.

Angles are in DEGREES (sin, cos, tan take degrees; asin, acos, atan return degrees), because
descriptions give slopes in degrees.

The named helpers are the checks whose formula is too long to spell out on one line (their
formulas are in docs/physics.md, "Named helpers of the worked format"); each calls the very
function of physlab.physics that labels the data, so a worked line can never disagree with
the physics by construction, only by the numbers copied into it.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from physlab import physics

MAX_CHARS = 400  # one formula line; longer is not a formula the teacher writes
MAX_MAGNITUDE = 1e12  # larger intermediate values are nonsense here (and guard against 9**9**9)
MAX_EXPONENT = 64.0  # |b| in a**b
MAX_NODES = 200


class CalculatorError(ValueError):
    """Why a formula could not be evaluated (the line is marked invalid)."""


def _deg(f: Callable[[float], float]) -> Callable[[float], float]:
    return lambda x: f(math.radians(x))


def _inv_deg(f: Callable[[float], float]) -> Callable[[float], float]:
    return lambda x: math.degrees(f(x))


def _footprint(w: float, d: float | None, pick: Callable[[float, float], float] = min) -> float:
    """The side that matters when a helper is given both footprint sides (w, d): the narrow one
    for tipping and sliding, the wide one for sloshing. The helper picks, so the student only copies."""
    return w if d is None else pick(w, d)


def tray_tip(a: float, w: float, h: float, mu: float, d: float | None = None) -> float:
    """Standing unsecured on a moving tray: tipping r (capped when it slides first)."""
    return physics.tipping_ratio(a, _footprint(w, d), h, mu)


def tray_slide(a: float, mu: float, w: float, h: float, d: float | None = None) -> float:
    """Standing unsecured on a moving tray: sliding r = a/(mu*g) (capped when it tips first)."""
    return physics.support_slip_ratio(a, mu, _footprint(w, d), h)


def slope_tip(deg: float, w: float, h: float, mu: float, d: float | None = None) -> float:
    """Standing on an incline of `deg` degrees: tipping r = tan(deg)/(w/(2h)) (capped when it slides first)."""
    return physics.incline_tipping_ratio(deg, _footprint(w, d), h, mu)


def slope_slide(deg: float, mu: float, w: float, h: float, d: float | None = None) -> float:
    """Standing on an incline of `deg` degrees: sliding r = tan(deg)/mu (capped when it tips first)."""
    return physics.incline_slip_ratio(deg, mu, _footprint(w, d), h)


def slosh(a: float, D: float, H: float, fill: float, ramp: float, d: float | None = None) -> float:  # noqa: N803
    """Open container moved at a (m/s²): rise at the wall over freeboard (k from the ramp time).
    D is the container's width (its diameter when round); with d (a box's other side) the
    wider of the two is used."""
    return physics.sloshing_ratio(a, 0.0, _footprint(D, d, max), H, fill, ramp)


def roll(v: float, k: float, mu: float) -> float:
    """Roll-out distance (m) of a round body let go at v (m/s): k*v²/(2*mu*g), k = 1 + I/(mR²)."""
    return physics.roll_distance_m(v, k, mu)


# Named helpers: name -> (function, its argument names in order; those in OPTIONAL_ARGS may be left out).
HELPERS: dict[str, tuple[Callable[..., float], tuple[str, ...]]] = {
    "tray_tip": (tray_tip, ("a", "w", "h", "mu", "d")),
    "tray_slide": (tray_slide, ("a", "mu", "w", "h", "d")),
    "slope_tip": (slope_tip, ("deg", "w", "h", "mu", "d")),
    "slope_slide": (slope_slide, ("deg", "mu", "w", "h", "d")),
    "slosh": (slosh, ("a", "D", "H", "fill", "ramp", "d")),
    "roll": (roll, ("v", "k", "mu")),
}
OPTIONAL_ARGS = {"d"}  # a box's second footprint side; a round object has one diameter
# The rolling body's k = 1 + I/(mR²), by name, so the student names the body the text
# describes instead of recalling a number.
BODIES = {"solid_ball": 1.4, "hollow_ball": 5 / 3, "solid_cylinder": 1.5, "thin_tube": 2.0}

FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt,
    "sin": _deg(math.sin), "cos": _deg(math.cos), "tan": _deg(math.tan),
    "asin": _inv_deg(math.asin), "acos": _inv_deg(math.acos), "atan": _inv_deg(math.atan),
    "tanh": math.tanh,
    "abs": abs,
}
VARIADIC = {"min": min, "max": max}
CONSTANTS = {"pi": math.pi, "g": physics.G, **BODIES}

# Units a bracket may hold -> (key, factor to SI). Keys name the unit in `structure`, so
# "m/s²" and "m/s^2" are one unit. Slopes stay in degrees (the trig functions take degrees).
_UNIT_GROUPS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("mg", 1e-6, ("mg", "milligram", "milligrams")),
    ("g", 1e-3, ("g", "gram", "grams", "gr")),
    ("kg", 1.0, ("kg", "kilogram", "kilograms", "kgs")),
    ("mm", 1e-3, ("mm", "millimetre", "millimetres", "millimeter", "millimeters")),
    ("cm", 1e-2, ("cm", "centimetre", "centimetres", "centimeter", "centimeters")),
    ("m", 1.0, ("m", "metre", "metres", "meter", "meters")),
    ("in", 0.0254, ("in", "inch", "inches")),
    ("N", 1.0, ("N", "newton", "newtons")),
    ("kN", 1e3, ("kN",)),
    ("s", 1.0, ("s", "sec", "secs", "second", "seconds")),
    ("ms", 1e-3, ("ms", "millisecond", "milliseconds")),
    ("mps", 1.0, ("m/s",)),
    ("cmps", 1e-2, ("cm/s",)),
    ("mmps", 1e-3, ("mm/s",)),
    ("mps2", 1.0, ("m/s²", "m/s^2", "m/s2", "m/s/s")),
    ("pct", 1e-2, ("%", "percent")),
    ("deg", 1.0, ("°", "deg", "degree", "degrees")),
)
UNITS: dict[str, tuple[str, float]] = {alias: (key, factor) for key, factor, aliases in _UNIT_GROUPS
                                       for alias in aliases}
_UNIT_KEYS = {key: factor for key, factor, _ in _UNIT_GROUPS}
_UNIT_CALL = "_U_"  # `350[g]` is parsed as the call _U_g(350)
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_UNIT_RE = re.compile(rf"(?<![\w.])({_NUMBER})\s*\[\s*([^\[\]]{{1,16}}?)\s*\]")


def _units_to_calls(text: str) -> str:
    def call(match: re.Match[str]) -> str:
        unit = re.sub(r"\s+", "", match.group(2))
        if unit not in UNITS:
            raise CalculatorError(f"unknown unit {match.group(2)!r} (known: {', '.join(sorted(UNITS))})")
        return f"{_UNIT_CALL}{UNITS[unit][0]}({match.group(1)})"

    return _UNIT_RE.sub(call, text)

_BINOPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}


@dataclass(frozen=True)
class Result:
    """One evaluated formula: `value` when ok, else `error` says why the line is invalid."""

    formula: str
    value: float | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


def _check(x: float) -> float:
    if isinstance(x, complex) or not math.isfinite(x) or abs(x) > MAX_MAGNITUDE:
        raise CalculatorError(f"value out of range ({x!r})")
    return float(x)


class _Evaluator:
    def __init__(self) -> None:
        self.nodes = 0

    def visit(self, node: ast.AST) -> float:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CalculatorError("formula too long")
        if isinstance(node, ast.Expression):
            return self.visit(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise CalculatorError(f"not a number: {node.value!r}")
            return _check(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.visit(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.visit(node.left), self.visit(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise CalculatorError("division by zero")
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
                raise CalculatorError(f"exponent {right} too large")
            try:
                return _check(_BINOPS[type(node.op)](left, right))
            except (OverflowError, ZeroDivisionError, ValueError) as err:
                raise CalculatorError(str(err)) from None
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise CalculatorError(f"unknown name {node.id!r}")
        if isinstance(node, ast.Call):
            return self._call(node)
        raise CalculatorError(f"not allowed in a formula: {type(node).__name__}")

    def _call(self, node: ast.Call) -> float:
        if not isinstance(node.func, ast.Name):
            raise CalculatorError("only named functions can be called")
        name = node.func.id
        factor = _UNIT_KEYS.get(name.removeprefix(_UNIT_CALL)) if name.startswith(_UNIT_CALL) else None
        if factor is not None:
            if node.keywords or len(node.args) != 1:
                raise CalculatorError("a unit follows one number")
            value = self.visit(node.args[0])  # x / 1000 rather than x * 0.001: 350[g] is exactly 0.35
            divisor = round(1 / factor)
            return _check(value / divisor if factor < 1 and divisor * factor == 1 else value * factor)
        args = [self.visit(a) for a in node.args]
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise CalculatorError("no *args")
        try:
            if name in FUNCTIONS:
                if node.keywords or len(args) != 1:
                    raise CalculatorError(f"{name} takes one number")
                return _check(FUNCTIONS[name](args[0]))
            if name in VARIADIC:
                if node.keywords or not args:
                    raise CalculatorError(f"{name} takes one or more numbers")
                return _check(VARIADIC[name](args))
            if name in HELPERS:
                function, params = HELPERS[name]
                kwargs: dict[str, float] = dict(zip(params, args, strict=False))
                if len(args) > len(params):
                    raise CalculatorError(f"{name} takes {len(params)} arguments: {', '.join(params)}")
                for kw in node.keywords:
                    if kw.arg not in params or kw.arg in kwargs:
                        raise CalculatorError(f"{name}: unknown or repeated argument {kw.arg!r}; "
                                              f"arguments: {', '.join(params)}")
                    kwargs[kw.arg] = self.visit(kw.value)
                missing = [p for p in params if p not in kwargs and p not in OPTIONAL_ARGS]
                if missing:
                    raise CalculatorError(f"{name}: missing {', '.join(missing)}")
                return _check(function(**kwargs))
        except CalculatorError:
            raise
        except (ValueError, OverflowError, ZeroDivisionError, TypeError) as err:
            raise CalculatorError(f"{name}: {err}") from None
        raise CalculatorError(f"unknown function {name!r}")


def parse(formula: str) -> ast.Expression:
    """The formula's syntax tree (`^` read as a power); CalculatorError when it is not a formula."""
    if not isinstance(formula, str):
        raise CalculatorError("a formula is text")
    text = _units_to_calls(formula.strip()).replace("^", "**").replace("×", "*").replace("÷", "/").replace("−", "-")
    if not text:
        raise CalculatorError("empty formula")
    if len(text) > MAX_CHARS:
        raise CalculatorError(f"formula longer than {MAX_CHARS} characters")
    try:
        return ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise CalculatorError(f"not a formula ({type(err).__name__})") from None


def evaluate(formula: str) -> Result:
    """Evaluate one formula; never raises (an invalid line gets `value=None` and the reason)."""
    try:
        value = _Evaluator().visit(parse(formula))
    except CalculatorError as err:
        return Result(str(formula), None, str(err))
    except RecursionError:
        return Result(str(formula), None, "formula nested too deeply")
    return Result(formula, value)


@dataclass(frozen=True)
class Choice:
    """One evaluated comparison line: `mode` when ok (and each named value, in order), else
    `error` says why it is invalid."""

    formula: str
    mode: str | None
    error: str = ""
    values: tuple[tuple[str, float], ...] = ()

    @property
    def ok(self) -> bool:
        return self.mode is not None


def _comparison(tree: ast.Expression) -> ast.Call | None:
    """The `max(<name>=<value>, ...)` call of a comparison, else None (a formula's own max, in
    the roll-out line, has positional numbers)."""
    body = tree.body
    if (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "max"
            and not body.args and body.keywords):
        return body
    return None


def is_comparison(formula: str) -> bool:
    """A comparison is `max(<mode>=<value>, ...)`: a max whose arguments are all named."""
    try:
        return _comparison(parse(formula)) is not None
    except CalculatorError:
        return False


def compare(formula: str) -> Choice:
    """Which failure mode has the largest value in `max(slipping=1.497, sloshing=2.017)`.

    Why a tool: in a phase where the largest ratio decides (lift, transport), a 135M student
    cannot compare two decimals it has just been given (BENCHMARKS.md, worked try 9); it only
    copies the values of its own failing lines into this line, and the calculator names the
    largest. An exact tie goes to the mode earlier in physics.TIE_ORDER, as in the labels.
    Each value may be any formula. Never raises."""
    try:
        call = _comparison(parse(formula))
        if call is None:
            raise CalculatorError("a comparison is max(<mode>=<value>, ...) with every value named")
        values = []
        for kw in call.keywords:
            if kw.arg not in physics.TIE_ORDER:
                raise CalculatorError(f"unknown failure mode {kw.arg!r}; modes: {', '.join(physics.TIE_ORDER)}")
            values.append((kw.arg, _Evaluator().visit(kw.value)))
    except CalculatorError as err:
        return Choice(str(formula), None, str(err))
    except RecursionError:
        return Choice(str(formula), None, "formula nested too deeply")
    best = min(values, key=lambda mv: (-mv[1], physics.TIE_ORDER.index(mv[0])))
    return Choice(formula, best[0], values=tuple(values))


def tool_output(formula: str) -> tuple[str | None, str]:
    """What the calculator writes after a worked line's `=`: the formatted value of a formula,
    or the mode a comparison names; (None, reason) when the line is invalid."""
    if is_comparison(formula):
        choice = compare(formula)
        return choice.mode, choice.error
    result = evaluate(formula)
    return (format_value(result.value) if result.ok else None), result.error


def numbers(formula: str) -> list[float]:
    """The number literals of a formula in reading order (what was copied); [] when invalid."""
    try:
        tree = parse(formula)
    except CalculatorError:
        return []
    found: list[tuple[int, int, float]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            found.append((node.lineno, node.col_offset, float(node.value)))
    return [v for *_, v in sorted(found)]


def structure(formula: str) -> str:
    """The formula with every number replaced by `#`: two formulas with the same structure
    differ only in the numbers copied into them. '' when the formula does not parse."""
    try:
        tree = parse(formula)
    except CalculatorError:
        return ""

    class _Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.AST:  # noqa: N802 (ast API)
            return ast.Name(id="#", ctx=ast.Load())

    text = ast.unparse(_Blank().visit(tree))
    return re.sub(rf"{_UNIT_CALL}(\w+)\(#\)", r"#[\1]", text)


def format_value(value: float) -> str:
    """How a value is written into a worked line: 3 decimals below 1000, whole numbers above."""
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.3f}"
