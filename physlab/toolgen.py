"""Tool-paused greedy generation: the worked student writes, the calculator fills in values.

The loop decodes a batch one token per row per step over one KV cache. When a row's current
line is a worked line that has just reached its `=` (physlab.worked.formula_to_compute), the
formula is evaluated by physlab.calculator and the value's tokens (" 0.172") are queued for
that row (a comparison line, `transport largest: max(slipping=1.497, sloshing=2.017) =`,
gets the mode the calculator names): the next steps feed them instead of the model's own
choice, so the cache holds exactly what training showed (training tokenizes the value as its own segment, and computes
no loss on it). Other rows go on generating meanwhile; nothing is recomputed.

Without the calculator (`calculator=False`, the pure-scratchpad ablation) the same loop
runs with no insertion: the student writes the values itself.

Typed copying (`typers`, physlab.typedcopy): while a row writes a number into a formula, its
token is the best of the model's top `TYPED_TOP_K` candidates that keeps the number one the
description states with a unit of the slot's dimension (or no unit). Outside a number, and
when no candidate fits, the model's own choice stands. With the formula grammar
(`Typer.grammar`) a token that would give the formula a shape the teacher never writes for
that check is first replaced by the best of the top candidates that keeps one, and a check
the grammar writes off (`Typer.writes_off`: a crush line for a text that states no crush
limit) gets " n/a" and a newline queued right after its head, the way a value is.

Caps: `max_new_tokens` per row (values included) and `max_lines` worked lines; a row stops
at EOS or once its FAILURE_MODE line is complete.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from physlab import calculator
from physlab.typedcopy import Typer, choose, fits
from physlab.worked import MAX_LINES, NA_TEXT, formula_to_compute

INVALID_VALUE = "?"  # written after `=` when a formula does not evaluate (the line is counted invalid)
TYPED_TOP_K = 40  # candidates typed copying looks at; a digit of the right number is rarely further down


@dataclass
class _Row:
    ids: list[int] = field(default_factory=list)
    text: str = ""
    queue: list[int] = field(default_factory=list)
    done: bool = False
    lines: int = 0
    inserted: int = 0  # values the calculator wrote
    invalid: int = 0  # formulas it could not evaluate
    written_off: int = 0  # checks the formula grammar wrote off as n/a (Typer.writes_off)
    forced: int = 0  # check heads written because the text implies them (Typer.missing_check)


def _queue_value(row: _Row, formula: str, tokenizer: Any) -> None:
    """Evaluate the formula the row has just written and queue its value's tokens (a
    comparison line's value is the mode it names: calculator.tool_output)."""
    output, _error = calculator.tool_output(formula)
    value = output if output is not None else INVALID_VALUE
    row.inserted += int(output is not None)
    row.invalid += int(output is None)
    # Tokenized on its own with a leading space: exactly the masked segment training saw.
    row.queue = list(tokenizer(" " + value, add_special_tokens=False).input_ids)


def _finished(text: str) -> bool:
    """The answer head is complete: a FAILURE_MODE line followed by a newline."""
    idx = text.rfind("FAILURE_MODE:")
    return idx >= 0 and "\n" in text[idx:]


def generate(model: Any, tokenizer: Any, rows: list[list[int]], *, max_new_tokens: int = 360,
             use_calculator: bool = True, max_lines: int = MAX_LINES, prefix: int = 0,
             prefix_cache: Any = None, cache_kwarg: str = "past_key_values",
             token_text: dict[int, str] | None = None, prefill: list[str] | None = None,
             typers: list[Typer | None] | None = None) -> list[dict[str, Any]]:
    """Greedy tool-paused generation for encoded prompts `rows`; one dict per row:
    {"text", "new_tokens", "inserted", "invalid", "retyped", "reshaped", "written_off", "forced"}
    (retyped / reshaped: tokens typed copying / the formula grammar put in place of the model's
    own; written_off: checks the grammar wrote off as n/a; forced: check heads written before the
    verdict because the text's role words imply the check, Typer.missing_check).

    `prefix` tokens at the start of every row may come with their KV cache (`prefix_cache`,
    computed once by the caller for all batches); rows are laid out [prefix][padding][own].
    `prefill`: text of the answer already at the end of each row (its tokens are in the row);
    generation continues it, and a prefill ending in a formula's `=` gets its value first.
    `typers`: one typed-copy constraint per row (None: that row is not constrained).
    """
    import torch

    device = model.device
    n = len(rows)
    pad = tokenizer.pad_token_id
    eos = tokenizer.eos_token_id
    stop_ids = {eos}
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>") if hasattr(tokenizer, "convert_tokens_to_ids") else None
    if isinstance(im_end, int) and im_end >= 0:
        stop_ids.add(im_end)
    token_text = token_text if token_text is not None else {}

    def piece(token: int) -> str:
        if token not in token_text:
            token_text[token] = tokenizer.decode([token], skip_special_tokens=True)
        return token_text[token]

    formula_ids = _formula_ids(tokenizer, piece, device) if typers is not None and any(
        t is not None and t.grammar for t in typers) else None
    own = [r[prefix:] for r in rows]
    width = max(len(r) for r in own)
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in own], dtype=torch.long, device=device)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in own], dtype=torch.long, device=device)
    extra: dict[str, Any] = {}
    if prefix and prefix_cache is not None:
        cache = copy.deepcopy(prefix_cache)
        cache.batch_repeat_interleave(n)
        extra[cache_kwarg] = cache
        mask = torch.cat([torch.ones(n, prefix, dtype=mask.dtype, device=device), mask], dim=1)
    positions = prefix + (mask[:, prefix:].cumsum(-1) - 1).clamp(min=0)
    state = [_Row(text=(prefill[i] if prefill else "")) for i in range(n)]
    for row in state:
        formula = formula_to_compute(row.text) if use_calculator else None
        if formula is not None:
            _queue_value(row, formula, tokenizer)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **extra)
        cache = out.cache if "cache" in out else out.past_key_values
        next_pos = positions[:, -1] + 1
        logits = out.logits[:, -1]
        # `live`: the rows still in the batch, by their index in `state`. Finished rows leave
        # the batch (and the cache) once a quarter of it is done: answers differ in length by
        # 3x (a failure stops at its deciding phase), so this saves a good part of the steps.
        live = list(range(n))
        for _ in range(max_new_tokens):
            choice = logits.argmax(-1).tolist()
            feed = []
            for pos, i in enumerate(live):
                row = state[i]
                if row.done:
                    feed.append(pad)
                    continue
                queued = bool(row.queue)  # a calculator value being fed: never retyped
                token = row.queue.pop(0) if queued else choice[pos]
                if typers is not None and typers[i] is not None and not queued:
                    token = _typed(typers[i], row.text, logits[pos], token, piece, formula_ids)
                    head = _missing_head(typers[i], row.text, piece(token))
                    if head is not None:  # the verdict starts before a check the text implies
                        head_ids = list(tokenizer(head, add_special_tokens=False).input_ids)
                        token, row.queue = head_ids[0], head_ids[1:]
                        row.forced += 1
                feed.append(token)
                if token in stop_ids:
                    row.done = True
                    continue
                row.ids.append(token)
                row.text += piece(token)
                if row.queue:
                    continue  # still writing a value
                if row.text.endswith("\n"):
                    row.lines += 1
                    if row.lines > max_lines + 3 or _finished(row.text):
                        row.done = True
                        continue
                formula = formula_to_compute(row.text)
                if formula is not None and use_calculator:
                    _queue_value(row, formula, tokenizer)
                elif typers is not None and typers[i] is not None and typers[i].writes_off(row.text):
                    # a check the text gives no numbers for: written off like a value is inserted
                    row.queue = list(tokenizer(f" {NA_TEXT}\n", add_special_tokens=False).input_ids)
                    row.written_off += 1
            keep = [pos for pos, i in enumerate(live) if not state[i].done]
            if not keep:
                break
            if len(keep) <= 0.75 * len(live) and hasattr(cache, "batch_select_indices"):
                index = torch.tensor(keep, dtype=torch.long, device=device)
                cache.batch_select_indices(index)
                mask, next_pos = mask[index], next_pos[index]
                feed = [feed[pos] for pos in keep]
                live = [live[pos] for pos in keep]
            step = torch.tensor(feed, dtype=torch.long, device=device)[:, None]
            mask = torch.cat([mask, torch.ones(len(live), 1, dtype=mask.dtype, device=device)], dim=1)
            out = model(input_ids=step, attention_mask=mask, position_ids=next_pos[:, None], use_cache=True,
                        **{cache_kwarg: cache})
            cache = out.cache if "cache" in out else out.past_key_values
            next_pos = next_pos + 1
            logits = out.logits[:, -1]
    return [{"text": row.text.strip(), "new_tokens": len(row.ids), "inserted": row.inserted,
             "invalid": row.invalid, "retyped": typers[i].changed if typers is not None and typers[i] else 0,
             "reshaped": typers[i].reshaped if typers is not None and typers[i] else 0,
             "written_off": row.written_off, "forced": row.forced}
            for i, row in enumerate(state)]


def _typed(typer: Typer, text: str, logits: Any, token: int, piece: Any, formula_ids: Any = None) -> int:
    """The token typed copying writes next: the model's own `token` unless, with the grammar,
    it would make a formula the teacher never writes for that check (then the best of the top
    candidates that keeps one and moves the formula on, else the best such of `formula_ids`),
    or it starts or continues a number the description's units rule out (then the best
    candidate on the way to a fitting number that the grammar also allows)."""
    own = token
    top = _LazyTop(logits, own)
    if not typer.shape_allows(text, piece(own)):
        better = [t for t in top.ids if typer.shape_moves_on(text, piece(t))]
        if not better and formula_ids is not None and len(formula_ids):
            # None of the top candidates keeps a formula: after "(g+1) / " the student's top 40
            # are all digits (it means "/ 2*0.8"); the best token of formula characters that
            # keeps one ("(") is further down.
            ranked = formula_ids[logits[formula_ids].argsort(descending=True)[:FALLBACK_SCAN]].tolist()
            better = next(([t] for t in ranked if t != own and typer.shape_moves_on(text, piece(t))), [])
        if better:
            token = better[0]
            typer.reshaped += 1
    if _starts_unfit_number(typer, text, piece(token)):
        # A token such as "=." ends the formula text and starts a literal in one piece, so the
        # literal's first character was never checked: the student wrote `D=.595[s]` (a time)
        # where the text states only lengths, and no later digit could mend ".".
        better = [t for t in top.ids if not _starts_unfit_number(typer, text, piece(t))
                  and typer.shape_moves_on(text, piece(t))]
        if better:
            token = better[0]
            typer.changed += 1
    constraint = typer.allowed(text)
    if constraint is None or (not constraint.written and piece(token)[:1] not in "0123456789."):
        return token
    candidates = [token] + [t for t in top.ids if t != token and typer.shape_allows(text, piece(t))]
    chosen, changed = choose(candidates, [piece(t) for t in candidates], constraint)
    typer.changed += int(changed)
    return chosen


class _LazyTop:
    """The model's top `TYPED_TOP_K` candidates other than its own token, computed once and only
    when a rule needs them (most steps need none)."""

    def __init__(self, logits: Any, own: int) -> None:
        self.logits, self.own, self._ids = logits, own, None

    @property
    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = [t for t in self.logits.topk(TYPED_TOP_K).indices.tolist() if t != self.own]
        return self._ids


_LEAD_NUMBER_RE = re.compile(r"(\s*[^\d.\s]*)([\d.]+)")  # "=.", " (.", " .": text, then a number's start


def _starts_unfit_number(typer: Typer, text: str, piece: str) -> bool:
    """Whether `piece` writes some formula text or a space and then the start of a literal
    ("=.", " (.", " .") that the typed-copy constraint at that literal rules out."""
    match = _LEAD_NUMBER_RE.fullmatch(piece)
    if match is None or not match.group(1):
        return False  # a bare number's start is typed copying's own business (`choose`)
    constraint = typer.allowed(text + match.group(1))
    if constraint is None or constraint.written:
        return False
    return not fits("", match.group(2), constraint.fresh if constraint.must_fresh else constraint.allowed)


_FORMULA_PIECE_RE = re.compile(r"\s?[0-9.()\[\]*/+^=,a-zA-Z_%°-]{1,3}")
FALLBACK_SCAN = 300  # formula tokens the grammar's fallback looks at, best first
_FORMULA_IDS: dict[int, tuple[Any, Any]] = {}


def _formula_ids(tokenizer: Any, piece: Any, device: Any) -> Any:
    """The token ids whose text is up to 3 formula characters (digits, operators, brackets,
    letters of a name or unit), once per tokenizer: where none of the top candidates keeps a
    formula, the grammar looks among these."""
    import torch

    key = id(tokenizer)  # the process's tokenizer lives as long as its model; a new one recomputes
    if key not in _FORMULA_IDS or _FORMULA_IDS[key][0] is not tokenizer:
        size = len(tokenizer) if hasattr(tokenizer, "__len__") else 0
        _FORMULA_IDS[key] = (tokenizer, torch.tensor(
            [t for t in range(size) if _FORMULA_PIECE_RE.fullmatch(piece(t) or "")], dtype=torch.long))
    return _FORMULA_IDS[key][1].to(device)


def _missing_head(typer: Typer, text: str, piece: str) -> str | None:
    """The head of a check the text implies and the answer lacks, to write in place of the
    verdict that `piece` starts at a line start ("YES", "NO", "FAILURE_MODE"). Only there, not at
    the first line of a later phase: a student that will write the check itself (a carry's
    stopping distance) keeps its chance, and one forced early got the grasp's plain clearance
    instead (hand-written fixtures: 2 answers lost). So a forced line may stand after the
    place lines, out of phase order; the label is its mode either way."""
    if text and not text.endswith("\n"):
        return None
    if not piece.strip()[:1].isupper():
        return None
    return typer.missing_check(text)
