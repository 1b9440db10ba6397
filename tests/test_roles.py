"""Role words (physlab.roles): what a number of a free text is, from the words around it, and how
typed copying uses that to keep a number out of another quantity's slot."""

from __future__ import annotations

import pytest

from physlab import roles, toolgen, typedcopy


def _roles(text: str) -> dict[str, str | None]:
    return {n.text: n.role for n in typedcopy.text_numbers(text)}


@pytest.mark.parametrize(("text", "expected"), [
    ("A can 101 mm high, radius 33.1 mm.", {"101": "tall", "33.1": "radius"}),
    ("a cup 12 cm tall with a 4 cm radius", {"12": "tall", "4": "radius"}),
    ("Glass: 65 mm diameter and 120 mm tall, filled to 0.85 of its height.",
     {"65": "across", "120": "tall", "0.85": "level"}),
    ("The soup fills it to 70 percent of that height.", {"70": "level"}),
    ("Centre of mass about 22 mm above the foot.", {"22": "com"}),
    ("its mass centre is 35 mm above its base", {"35": "com"}),
    ("200 mm tall with its centre of mass at mid-height (100 mm)", {"200": "tall", "100": "com"}),
    ("the jaws pinch it 12 cm out from where its centre of mass sits", {"12": "offset"}),
    ("Grasp offset from the centre of mass: 16.9 cm", {"16.9": "offset"}),
    ("The gripper lets go 4 mm above the table.", {"4": "release"}),
    ("Pad-to-steel friction 0.7, and the ramp's friction is 0.25.", {"0.7": "pad", "0.25": "support"}),
    ("Rolling resistance on the cloth is about 0.03.", {"0.03": "rolling"}),
    ("the ramp slopes at a 7.52% grade (rolling resistance 0.0483)", {"0.0483": "rolling"}),
    ("the finger passes 4 mm from the tote wall while the tracking error is 6 mm",
     {"4": "clearance", "6": "tracking"}),
    ("it may roll at most 10 cm after release", {"10": "travel"}),
    ("The arm is rated for 5 kg; the drill weighs 2 kg.", {"5": "payload", "2": None}),
    ("29.2 cm tall on a 7.36 cm wide base", {"29.2": "tall", "7.36": "across"}),
    # after a number its nearest word wins, even against a strong word further on
    ("a 20 cm tall cylinder of radius 5 cm", {"20": "tall", "5": "radius"}),
    ("a 30 cm tall glass filled to 20 cm", {"30": "tall", "20": "level"}),
    ("a 10 cm tall cup filled with water to 8 cm", {"10": "tall", "8": "level"}),
    ("its mass centre is 169 mm away from the grasp point", {"169": "offset"}),
    ("The box is grasped by its sides and has its centre of mass 8 cm up.", {"8": "com"}),
    ("a slope with friction 0.4", {"0.4": "support"}),
])
def test_a_numbers_role_is_read_from_its_words(text: str, expected: dict[str, str | None]) -> None:
    got = _roles(text)
    assert {k: got[k] for k in expected} == expected, got


def test_roles_are_only_those_a_number_of_its_kind_can_have() -> None:
    """A mass is never a "level" ("filled with sockets weighs 7.2 kg"), an acceleration has no
    role, and a length is never read as a share of a height ("0.005 m of height per 1 m")."""
    got = _roles("A toolbox filled with sockets weighs 7.2 kg and accelerates at 2 m/s² on the tray.")
    assert got["7.2"] is None and got["2"] is None
    assert roles.role("a ramp that gains ", " of height per", "length") == "tall"
    assert roles.role("a ramp that gains ", " of height per", None) == "level"


def test_no_role_word_no_role() -> None:
    assert set(_roles("A 300 g block, 50 x 30 x 20 mm, friction 0.5.").values()) == {None}


def test_a_slot_is_not_offered_a_number_the_words_make_another_slots() -> None:
    """The container's height slot (slosh H=) takes neither its diameter nor its centre of mass
    height; its diameter slot does not take its height; a pad friction slot does not take a
    rolling resistance. Without role words (the same numbers, no words) each is offered."""
    text = ("A mug 82 mm tall and 80 mm across, its centre of mass 35 mm up, filled to 51% of its "
            "height, on a tray at 5 m/s² reached in 200 ms.")
    typer = typedcopy.Typer.for_description(text, grammar=True)
    height = typer.allowed("transport sloshing: slosh(a=5, D=80[mm], H=")
    assert height is not None and height.allowed - {"0"} == {"82"}
    diameter = typer.allowed("transport sloshing: slosh(a=5, D=")
    assert diameter is not None and diameter.allowed - {"0"} == {"80"}
    bare = typedcopy.Typer.for_description("A mug 82 mm, 80 mm, 35 mm, 51%, on a tray at 5 m/s², 200 ms.", grammar=True)
    assert {"82", "80", "35"} <= bare.allowed("transport sloshing: slosh(a=5, D=80[mm], H=").allowed

    ball = typedcopy.Typer.for_description(
        "A 58 g ball held at 10 N, pad friction 0.8, lifted at 1 m/s²; rolling resistance 0.02.")
    pad = ball.allowed("lift slipping: 58[g]*(g+1)/(2*")
    assert pad is not None and "0.8" in pad.allowed and "0.02" not in pad.allowed


def test_a_role_that_would_leave_a_slot_nothing_rules_nothing_out() -> None:
    """Where every number of the slot's kind is read as another slot's, the slot keeps them all
    (the words may be wrong; the dimension rule still holds)."""
    typer = typedcopy.Typer.for_description(
        "A mug of radius 40 mm with its centre of mass 35 mm up, on a tray at 5 m/s², 51% full, 200 ms ramp.")
    diameter = typer.allowed("transport sloshing: slosh(a=5, D=")
    assert diameter is not None and {"40", "35"} <= diameter.allowed


def test_a_payload_is_never_the_objects_mass() -> None:
    """fresh-22 of the hand-written set: "payload 5 kg" copied as the drill's mass (5/2 = 2.5 FAILS)."""
    typer = typedcopy.Typer.for_description("A 2 kg drill; the arm's payload is 5 kg.")
    mass = typer.allowed("lift dropping: ")
    assert mass is not None and mass.allowed - {"0"} == {"2"}


def test_role_words_imply_the_hazard_checks_the_teacher_writes_for_them() -> None:
    """Learned from the teacher's lines over the seed texts: a fill level implies a sloshing
    line, a tracking error or a clearance a collision line, a rolling resistance the rolling
    line. Only hazard checks are ever forced, never tipping or slipping."""
    implied = {role: {mode for _, mode in checks} for role, checks in typedcopy.implied_checks().items()}
    assert "sloshing" in implied["level"]
    assert "collision" in implied["tracking"] and "collision" in implied["clearance"]
    assert "rolling_away" in implied["rolling"]
    assert not {"tipping", "slipping", "dropping"} & typedcopy.FORCEABLE


def test_a_check_the_text_implies_is_asked_for_before_the_verdict() -> None:
    text = ("A glass of water, 65 mm diameter and 120 mm tall, filled to 0.85 of its height, held at 30 N, "
            "pad friction 0.6; lift 1 m/s², then sideways 4 m/s² in 40 ms.")
    typer = typedcopy.Typer.for_description(text, grammar=True)
    lines = "lift dropping: 350[g]/3[kg] = 0.117 ok\nplace dropping: 0/0.01 = 0.000 ok\n"
    assert typer.missing_check(lines) == "transport sloshing:"
    assert typer.missing_check(lines + "transport sloshing: slosh(...) = 0.5 ok\n") is None
    assert typer.missing_check("lift slipping: 350[g]*(g+1)/(2*0.6*30) = 1.2 FAILS\n") is None  # decided
    assert typedcopy.Typer.for_description(text).missing_check(lines) is None  # only with the grammar
    plain = typedcopy.Typer.for_description("A 350 g mug, 65 mm across, 120 mm tall, held at 30 N.", grammar=True)
    assert plain.missing_check(lines) is None


def test_generation_writes_the_implied_check_before_the_verdict() -> None:
    """A student about to give its verdict without the sloshing line the text implies gets that
    line's head first; a line start of any phase is left to the student (it may still write it)."""
    from tests.test_typedcopy import _generate

    text = "A glass 120 mm tall and 65 mm across, filled to 85% of its height; tray at 4 m/s² in 40 ms."
    script = "place dropping: 0/0.01 = 0.000 ok\nNO\nFAILURE_MODE: none\n"
    out = _generate(script, [typedcopy.Typer.for_description(text, grammar=True)])
    assert out["text"].startswith("place dropping: 0/0.01 = 0.000 ok\ntransport sloshing:"), out["text"]
    assert out["forced"] == 1 and out["text"].count("sloshing:") == 1
    assert _generate(script, [typedcopy.Typer.for_description(text)])["forced"] == 0
    typer = typedcopy.Typer.for_description(text, grammar=True)
    lines = "lift dropping: 1[kg]/3[kg] = 0.333 ok\n"
    assert toolgen._missing_head(typer, lines, "place") is None
    assert toolgen._missing_head(typer, lines, "NO") == "transport sloshing:"
    assert toolgen._missing_head(typer, lines[:-1], "NO") is None  # not at a line start


def test_a_weak_or_lone_role_word_forces_nothing() -> None:
    """No rolling line for a box because the arm "travels 1.2 m"; no collision line for
    "repeatability is 0.05 mm" without any clearance; no sloshing line for a "20 cm tall bottle
    of liquid soap" (the height is the bottle's)."""
    lines = "lift dropping: 1[kg]/3[kg] = 0.333 ok\n"
    for text in ("A 1 kg box; the arm travels 1.2 m to the shelf at 2 m/s².",
                 "A 1 kg box held at 20 N; the arm's repeatability is 0.05 mm.",
                 "A sealed 20 cm tall bottle of liquid soap, 6 cm across, 1 kg, held at 20 N."):
        assert typedcopy.Typer.for_description(text, grammar=True).missing_check(lines) is None, text
    both = typedcopy.Typer.for_description(
        "A 1 kg box held at 20 N; tracking error 3 mm, and 2 mm of clearance to the bin wall.", grammar=True)
    assert both.missing_check(lines) is not None and both.missing_check(lines).endswith("collision:")


def test_no_role_word_comes_only_from_the_held_out_templates() -> None:
    """The role words are ordinary English, never read off the held-out wording: every one
    that a held-out template or synonym uses also appears in a train or wide part, or in the
    hand-written descriptions a person wrote (not the final set, which stays unseen)."""
    from physlab.describe import REGISTRY
    from tests.test_handwritten import fixture_cases

    def vocabulary(texts) -> set[str]:
        return {w for t in texts for w in roles.words(t)}

    held = vocabulary(o for c in REGISTRY.values() for o in c.options("holdout"))
    seen = vocabulary(o for c in REGISTRY.values() for w in ("train", "wide") for o in c.options(w))
    seen |= vocabulary(c["text"] for name in ("handwritten", "handwritten_fresh") for c in fixture_cases(name))
    role_words = set().union(*roles.STRONG.values(), *roles.WEAK.values()) | {"centre", "center", "mass", "gravity"}
    assert not (role_words & held) - seen, sorted((role_words & held) - seen)
