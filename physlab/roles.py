"""Role words: what a number of a description is, from the words around it.

Why: typed copying (physlab.typedcopy) keeps a formula's slot to numbers of its dimension, but
a text states many lengths and many bare coefficients. On free text the student copies the
container's radius as its height, a height as a diameter, the ramp's friction as the pads',
a rolling resistance as a slope friction, and the distance to a bench edge as a release
height. A reader tells them apart by a word: "radius", "high", "centre of mass", "filled",
"on the pads", "rolling resistance". `role(...)` reads that word the way
`typedcopy.accel_direction` reads "upward" and "sideways".

How: a number's window is the words from the previous number (or the start of its clause:
`.`, `;`, `,`, `!`, `?`, or a join: "and", "but", "while", "whereas") to it, and from it to the
next number (or the end of its clause). The nearest role word wins, the one after the number
first at equal distance; a strong word before the number (`STRONG`: a radius, a fill level, a
rolling resistance, a tracking error, a centre of mass) wins from up to `STRONG_REACH` words
further off than a weak one (`WEAK`: high, wide, above, pads, ramp, clearance, ...): "Rolling
resistance on the cloth is about 0.03". After the number the nearest word wins outright: "a 20 cm
tall cylinder of radius 5 cm" (20 is tall). An offset from the centre of mass and a fill given as
a share of a height are read first (`_offset`). No word: no role (None), and then nothing is
ruled out for that number.

Roles are readings, not rules of a check: `physlab.typedcopy` learns which roles each formula
slot takes from the teacher's own lines (`slot_roles`), so a role never names a check here.
"""

from __future__ import annotations

import re

# A word (letters; apostrophes and hyphens split words: "pad-to-steel", "mug's") or a stop.
_WORD_RE = re.compile(r"[A-Za-z]+|[;,.!?]")
STOPS = frozenset(";,.!?")
# Words that join two clauses: a number's words stop there too ("passes 4 mm from the wall while
# the tracking error is 6 mm"). Not "with": "filled with 8 cm of water", "a slope with friction 0.4".
JOINS = frozenset({"and", "but", "while", "whereas"})
# The roles a number of each dimension may have (None: written without a unit).
FOR_DIM: dict[str | None, frozenset[str]] = {
    "length": frozenset({"radius", "level", "tracking", "com", "offset", "tall", "across", "release",
                         "clearance", "travel"}),
    None: frozenset({"level", "rolling", "pad", "support"}),
    "percent": frozenset({"level", "rolling", "pad", "support"}),
    "mass": frozenset({"payload"}),
    "angle": frozenset({"support"}),  # a slope's angle: "a ramp tilted by 18°"
}

# Lengths and coefficients. Strong words name the quantity itself; weak ones describe it.
STRONG: dict[str, frozenset[str]] = {
    "radius": frozenset({"radius", "radii"}),
    "level": frozenset({"fill", "fills", "filled", "filling", "full", "level", "liquid"}),
    "rolling": frozenset({"rolling"}),
    "tracking": frozenset({"tracking", "tracks", "track", "accuracy", "repeatability", "deviation"}),
}
WEAK: dict[str, frozenset[str]] = {
    "tall": frozenset({"high", "tall", "height"}),
    "across": frozenset({"diameter", "wide", "width", "across", "footprint", "broad"}),
    "release": frozenset({"above", "over", "drop", "dropped"}),
    "clearance": frozenset({"clearance", "gap", "obstacle", "wall", "margin"}),
    "travel": frozenset({"travel", "travels", "move", "moves", "roll", "rolls", "movement"}),
    "payload": frozenset({"payload", "rated", "rating", "capacity"}),
    "pad": frozenset({"pad", "pads", "finger", "fingers", "fingertip", "fingertips", "jaw", "jaws"}),
    "support": frozenset({"slope", "ramp", "incline", "inclined", "inclination", "tilted", "tray", "belt",
                          "conveyor", "surface", "table", "shelf", "floor", "mat", "bench", "board", "cloth",
                          "felt", "rack", "support"}),
}
STRONG_REACH = 5  # before a number, a strong word may stand this many words further off than a weak one
_CENTRE = frozenset({"centre", "center"})
_OFF = frozenset({"off", "from", "away"})
_GRASP = frozenset({"grasp", "grip"})
_OF_HEIGHT = frozenset({"height", "depth"})


def words(text: str) -> list[str]:
    """Lower-case words and stops of `text`."""
    return [w.lower() for w in _WORD_RE.findall(text)]


def _is_com(ws: list[str], i: int) -> bool:
    """ws[i] ends "centre of mass", "centre of gravity", "mass centre", or is "com", "cog"."""
    if ws[i] in ("com", "cog"):
        return True
    if ws[i] in _CENTRE and i >= 1 and ws[i - 1] == "mass":
        return True
    return ws[i] in ("mass", "gravity") and i >= 2 and ws[i - 1] == "of" and ws[i - 2] in _CENTRE


def _offset(ws: list[str]) -> bool:
    """The clause says "offset", or "off / from / away ... centre of mass", or "between the grasp
    and the centre of mass": a distance from the centre of mass ("12 cm out from where its centre
    of mass sits"; "its mass centre is 169 mm away from the grasp point"). Not a clause that
    only names a grasp and a centre of mass ("grasped by its sides, centre of mass 8 cm up")."""
    if "offset" in ws:
        return True
    coms = [i for i in range(len(ws)) if _is_com(ws, i)]
    if not coms:
        return False
    offs = [i for i, w in enumerate(ws) if w in _OFF or w == "between"]
    if any(o < c and c - o <= 6 for o in offs for c in coms):
        return True  # "out from where its centre of mass sits", "off the mug's centre of mass"
    return any(w in _GRASP for w in ws) and any(c < o for o in offs for c in coms)  # "... away from the grasp point"


def role(before: str, after: str, dim: str | None = None, after_number: bool = False) -> str | None:
    """The role of a number of dimension `dim` between `before` (its clause up to it, from the
    previous number) and `after` (from the end of its unit to the next number or the end of its
    clause); only roles a number of that dimension can have (`FOR_DIM`; others: None).
    `after_number`: `before` starts right after another number, whose own word comes first
    ("29.2 cm tall on a 7.36 cm base": "tall" is not read for 7.36)."""
    if dim not in FOR_DIM:
        return None
    back = words(before)
    # the whole clause (joins kept) for an offset: "offset between the grasp and the CoM: 5 cm"
    clause = back[max((i for i, w in enumerate(back) if w in STOPS), default=-1) + 1:]
    rest = words(after)
    clause += rest[:min((i for i, w in enumerate(rest) if w in STOPS), default=len(rest))]
    if dim == "length" and _offset(clause):
        return "offset"
    if any(w in STOPS or w in JOINS for w in back):
        back = back[max(i for i, w in enumerate(back) if w in STOPS or w in JOINS) + 1:]
    elif after_number:
        back = back[1:]
    # an aside in parentheses after a number is about something else: "7.52% grade (rolling ...)"
    ahead = words(after.split("(", 1)[0])
    if any(w in STOPS or w in JOINS for w in ahead):
        ahead = ahead[:min(i for i, w in enumerate(ahead) if w in STOPS or w in JOINS)]
    # A fill given as a share of the container: "70 percent of that height", "0.85 of its height".
    if dim in (None, "percent") and (ahead[:1] == ["percent"] or ahead[:1] == ["of"]):
        rest = ahead[1:] if ahead[:1] == ["percent"] else ahead
        if rest[:1] == ["of"] and any(w in _OF_HEIGHT for w in rest[1:4]):
            return "level"
    found: list[tuple[int, int, int, str]] = []  # (distance, weak?, before?, role): the least wins
    for side, seq in ((0, ahead), (1, back)):
        for j, w in enumerate(seq):
            distance = len(seq) - 1 - j if side else j
            hits = [(name, True) for name, vocabulary in STRONG.items() if w in vocabulary]
            hits += [(name, False) for name, vocabulary in WEAK.items() if w in vocabulary]
            if _is_com(seq, j):  # "centre of mass" counts from its first word ahead, its last behind
                hits.append(("com", True))
                distance = len(seq) - 1 - j if side else j - (0 if w in ("com", "cog") else (2 if w in ("mass", "gravity") else 1))
            found += [(distance - STRONG_REACH if strong and side else distance, int(not strong), side, name)
                      for name, strong in hits if name in FOR_DIM[dim]]
    return min(found)[3] if found else None
