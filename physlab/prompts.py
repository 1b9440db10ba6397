"""Prompt text, answer format and a forgiving answer parser.

The answer format is the published experiment's, three lines:

    YES                          (or NO: will the manipulation fail?)
    FAILURE_MODE: tipping        (one of labels.MODES, or "none" for NO)
    REASONING: <free text>

`build_prompt` and `format_answer` write it (training and evaluation use the same text),
`ANSWER_PREFIXES` holds the eight answers without reasoning (what score mode compares),
and `parse_answer` reads back whatever a model actually wrote.

How parse_answer reads an answer (the rules a person can check by hand)
-----------------------------------------------------------------------
* Markdown (`*`, `` ` ``, `#`, `_`) and case are ignored, so "**Yes**", "FAILURE MODE",
  "failure_mode -" and "Failure-Mode =" all read the same.
* The *head* is the text before the first FAILURE_MODE / REASONING marker (the whole text
  when there is no marker). The decision is the first stand-alone "yes" or "no" in the
  head; failing that, a phrase like "will fail" / "will not fail" / "not going to fail" /
  "succeeds" in the head.
* The mode is read from the FAILURE_MODE field: a mode name or a synonym ("topples" ->
  tipping, "spills" -> sloshing, "falls out of the gripper" -> dropping, ...); "none",
  "n/a", "-" mean explicitly no mode. With no field (or a field naming nothing known) the
  head is searched for a synonym. The reasoning is never searched: it often discusses
  modes that do not happen ("it will not slip, but ..."). A synonym preceded in its clause
  by a negation ("not", "never", "won't", ...) does not count.
* Missing decision: a named mode means YES (naming a failure mode is a failure claim), an
  explicit "none" means NO; `ok` is False either way.
* Contradiction, NO with a named mode: the decision wins (label "success", ok False). The
  decision is the answer's first line, what the model commits to first and what score mode
  reads first; the stray mode is kept in `mode_mentioned` so it can be counted.
* YES without a recognizable mode: `fails` is True (binary accuracy can use it) but the
  label is "unparsed" (it cannot be right on the failure mode).
* `ok` is True only when a decision was found and, for YES, a mode; and nothing contradicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from physlab.labels import LABELS, MODES, UNPARSED

# Kept short on purpose: every token is paid for in every training step on a 2-core CPU
# (115 tokens with SmolLM2's tokenizer; build_prompt adds 12 plus the description).
# The system turn of chat models. Given explicitly so a template's own default (SmolLM2's is
# 30 tokens about being "SmolLM") does not cost every training example and prompt.
SYSTEM = "You are a robot manipulation physics expert."

INSTRUCTION = """Predict whether the manipulation fails.
Failure modes:
tipping: falls over
slipping: slides in the gripper or on its support
crushing: grip force damages it
sloshing: liquid spills
collision: hits an obstacle
dropping: falls from the gripper or from too high
rolling_away: a round object rolls away
Answer exactly:
YES or NO
FAILURE_MODE: <mode or none>
REASONING: <one or two sentences>"""

QUESTION = "Will this manipulation fail?"


def build_prompt(description: str) -> str:
    """The full user message: instruction, the scenario description, the question."""
    if not isinstance(description, str) or not description.strip():
        raise ValueError("description: must be a non-empty string describing the scenario")
    return f"{INSTRUCTION}\n\nScenario: {description.strip()}\n\n{QUESTION}"


# The worked format (physlab.worked): the student writes one formula line per physics check and
# a calculator evaluates each one. A short instruction: the fine-tuned student learns the
# format from its targets, and every prompt token is paid for in every training step.
WORKED_INSTRUCTION = """Check each failure mode in time order (grasp, lift, transport, place).
One line per check: phase mode: ratio formula with the scenario's numbers, units in brackets as written (350[g]) = value, then ok or FAILS (FAILS when above 1).
Then answer:
YES or NO
FAILURE_MODE: <mode or none>"""

ANSWER_FORMATS = ("answer", "worked")


def build_worked_prompt(description: str) -> str:
    """The user message of the worked format: its instruction, the description, the question."""
    if not isinstance(description, str) or not description.strip():
        raise ValueError("description: must be a non-empty string describing the scenario")
    return f"{WORKED_INSTRUCTION}\n\nScenario: {description.strip()}\n\n{QUESTION}"


def worked_description(prompt: str) -> str:
    """The description inside a worked prompt (build_worked_prompt's inverse); the whole prompt
    when it is not one."""
    head, sep, rest = prompt.partition("\n\nScenario: ")
    if not sep:
        return prompt
    return rest.rsplit(f"\n\n{QUESTION}", 1)[0]


def prompt_builder(answer_format: str):
    """build_prompt or build_worked_prompt, by answer format ('answer' or 'worked')."""
    if answer_format not in ANSWER_FORMATS:
        raise ValueError(f"answer_format: must be one of {', '.join(ANSWER_FORMATS)} (got {answer_format!r})")
    return build_worked_prompt if answer_format == "worked" else build_prompt


def _answer_head(label: str) -> str:
    if label not in LABELS:
        raise ValueError(f"label: {label!r} is not one of {', '.join(LABELS)}")
    if label == "success":
        return "NO\nFAILURE_MODE: none"
    return f"YES\nFAILURE_MODE: {label}"


# The eight canonical answers without reasoning, in LABELS order; score mode compares the
# model's likelihood of each.
ANSWER_PREFIXES: dict[str, str] = {label: _answer_head(label) for label in LABELS}


def format_answer(label: str, reasoning: str = "") -> str:
    """The training target for `label`: the answer head, then REASONING when there is any."""
    head = _answer_head(label)
    reasoning = (reasoning or "").strip()
    return f"{head}\nREASONING: {reasoning}" if reasoning else head


# --------------------------------------------------------------------------- parsing

@dataclass(frozen=True)
class ParsedAnswer:
    """What an answer says. `label` is "success", a mode, or "unparsed"."""

    fails: bool | None  # the YES/NO decision; None when no decision could be read
    mode: str | None  # one of MODES, only when fails is True
    reasoning: str
    ok: bool  # decision and mode read without guessing, nothing contradicting
    mode_mentioned: str | None = None  # the mode the answer named, even next to a NO (unused then)
    note: str = ""  # why ok is False, for people reading evaluation records

    @property
    def label(self) -> str:
        if self.fails is False:
            return "success"
        if self.fails and self.mode in MODES:
            return self.mode
        return UNPARSED


# Synonyms per mode. Word boundaries keep "fingertips", "droplet", "white" from matching.
# Patterns are plain alternations (no nested repetition) so arbitrary text cannot make
# the regex engine backtrack for long.
_MODE_PATTERNS: dict[str, str] = {
    "tipping": r"tip(?:s|ped|ping)?|topple(?:s|d)?|toppling|tilts? over|falls? over|fell over"
               r"|knock(?:s|ed)? over|overturn(?:s|ed|ing)?|tips? over",
    "slipping": r"slip(?:s|ped|ping|page)?|slides?|slid|sliding|skid(?:s|ded|ding)?",
    "crushing": r"crush(?:es|ed|ing)?|squash(?:es|ed|ing)?|crack(?:s|ed|ing)?|break(?:s|ing)?"
                r"|broke|broken|deform(?:s|ed|ing)?",
    "sloshing": r"slosh(?:es|ed|ing)?|spill(?:s|ed|ing|age)?|spilt|splash(?:es|ed|ing)?"
                r"|overflow(?:s|ed|ing)?",
    "collision": r"collid(?:e|es|ed|ing)|collisions?|hit(?:s|ting)?|bump(?:s|ed|ing)?"
                 r"|strike(?:s)?|struck|crash(?:es|ed|ing)? into",
    "dropping": r"drop(?:s|ped|ping)?|falls? out|fell out|falls? from|fell from|falls? off the gripper",
    "rolling_away": r"rolling[ \t-]*away|roll(?:s|ed|ing)?(?: away| off)?",
}
# One combined pattern; longer alternatives are listed first inside each mode and the
# earliest match in the text wins.
_MODE_RE = re.compile(
    "|".join(rf"\b(?P<{mode}>{pattern})\b" for mode, pattern in _MODE_PATTERNS.items()),
    re.IGNORECASE,
)
# "none", "n/a", "-", "no failure", also "no tipping": nothing fails.
_NONE_RE = re.compile(r"\s*(?:none|n/a|na|null|nil|nothing|no|not applicable|-+|—|–)(?![a-z])", re.IGNORECASE)
_NEGATION_RE = re.compile(r"\b(?:not|never|without|cannot|wont)\b|n't\b", re.IGNORECASE)
# Field markers: "FAILURE_MODE:", "failure mode -", "Failure-Mode =", "failure mode is".
_MODE_FIELD_RE = re.compile(r"\bfailure[ \t-]*mode\b[ \t]*(?:[:=\-–—]|is\b)?", re.IGNORECASE)
_REASONING_RE = re.compile(r"\breasoning\b[ \t]*[:=\-–—]|^[ \t]*reasoning\b", re.IGNORECASE | re.MULTILINE)
_DECISION_RE = re.compile(r"\b(?P<yes>yes)\b|\b(?P<no>no)\b", re.IGNORECASE)
# Fallback when no yes/no: the earliest phrase wins, so "will not fail" beats its "fail".
_PHRASE_RE = re.compile(
    r"(?P<no>(?:\bnot|n't)\s+(?:(?:going|expected|likely|about|set)\s+to\s+|ever\s+|really\s+)?fail|\bnever\s+fails?|\bsucceed(?:s|ed)?\b|\bsuccess(?:ful|fully)?\b"
    r"|\bsafe(?:ly)?\b)"
    r"|(?P<yes>\bfail(?:s|ed|ure)?\b)",
    re.IGNORECASE,
)
# Characters that are markup, not words: blanked (same length, so offsets stay valid).
_MARKUP = str.maketrans({"*": " ", "`": " ", "#": " ", "_": " "})


def _negated(text: str, start: int) -> bool:
    """True when the clause before `start` holds a negation ("it will not tip")."""
    clause = re.split(r"[.,;:!?\n]", text[max(0, start - 40):start])[-1]
    return _NEGATION_RE.search(clause) is not None


def _find_mode(text: str) -> str | None:
    for match in _MODE_RE.finditer(text):
        if not _negated(text, match.start()):
            return match.lastgroup
    return None


def _field_value(text: str, start: int) -> tuple[str, int]:
    """The FAILURE_MODE value (the first non-empty line after the marker, up to REASONING)
    and the offset where that value ends."""
    rest = text[start:]
    reasoning = _REASONING_RE.search(rest)
    if reasoning:
        rest = rest[:reasoning.start()]
    offset = start
    for line in rest.split("\n"):
        if line.strip():
            return line.strip(), offset + len(line)
        offset += len(line) + 1
    return "", start + len(rest)


def parse_answer(text: str) -> ParsedAnswer:
    """Read a model's answer; never raises (see the module docstring for the rules)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    plain = text.translate(_MARKUP)

    mode_field = _MODE_FIELD_RE.search(plain)
    reasoning_marker = _REASONING_RE.search(plain)
    markers = [m.start() for m in (mode_field, reasoning_marker) if m]
    head = plain[:min(markers)] if markers else plain

    value, value_end = _field_value(plain, mode_field.end()) if mode_field else ("", 0)
    # The reasoning: after its marker; else after the FAILURE_MODE line; else everything.
    if reasoning_marker:
        reasoning = text[reasoning_marker.end():].strip()
    elif mode_field:
        reasoning = text[value_end:].strip()
    else:
        reasoning = text.strip()

    # The decision.
    fails: bool | None = None
    decision = _DECISION_RE.search(head) or _PHRASE_RE.search(head)
    if decision:
        fails = decision.lastgroup == "yes"

    # The mode: the field first, then the head.
    field_mode: str | None = None
    field_says_none = False
    if mode_field:
        field_says_none = _NONE_RE.match(value) is not None
        if not field_says_none:
            field_mode = _find_mode(value)
    head_mode = _find_mode(head) if not field_mode and not field_says_none else None
    mode = field_mode or head_mode

    if fails is None:
        if mode:
            return ParsedAnswer(True, mode, reasoning, False, mode, "no YES/NO; a mode was named")
        if field_says_none:
            return ParsedAnswer(False, None, reasoning, False, None, "no YES/NO; FAILURE_MODE none")
        return ParsedAnswer(None, None, reasoning, False, None, "no decision and no mode found")
    if fails is False:
        if field_mode:
            return ParsedAnswer(False, None, reasoning, False, field_mode,
                                f"NO with FAILURE_MODE {field_mode}: the decision wins")
        # A mode mentioned in the head of a NO ("no, it won't spill") is not a claim.
        return ParsedAnswer(False, None, reasoning, True)
    if mode:
        return ParsedAnswer(True, mode, reasoning, True, mode)
    why = "YES with FAILURE_MODE none" if field_says_none else "YES without a recognizable failure mode"
    return ParsedAnswer(True, None, reasoning, False, None, why)
