"""One small interface for every model physlab evaluates (in the spirit of lm-eval-harness).

A backend turns finished prompt strings (physlab.prompts.build_prompt) into answers:

- `generate(prompts, max_new_tokens) -> list[str]`: greedy text, the published method;
- `score(prompts) -> list[dict[label, prob]]`: one probability per label from the likelihood
  of the eight canonical answers (prompts.ANSWER_PREFIXES); only where `supports_score`.

Backends: TransformersBackend (a base model, optionally with a LoRA adapter), OllamaBackend
(any model an Ollama server runs), FewShotBackend (wraps another with worked examples),
MajorityBackend (a reference that always answers the majority training label) and
DummyBackend (canned outputs, for tests). `make_backend(spec)` builds one from a short spec.

Heavy imports (torch, transformers, ollama) live inside the functions that need them, so the
CLI's --help and the dashboard start fast.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physlab.models import (
    PRECISIONS,
    accepts_logits_to_keep,
    cache_kwarg_name,
    common_prefix_length,
    default_device,
    output_cache,
    resolve_precision,
)

SPEC_FORMS = (
    "base (the embedded base model, zero-shot)",
    "fewshot (the base model with worked examples from train)",
    "majority (always the majority training label)",
    "run:<run_id> (a LoRA adapter from results/runs/<run_id>; a worked student answers with the calculator)",
    "run:<run_id>:no-calculator (a worked student writing its own values)",
    "run:<run_id>:typed (a worked student whose copied numbers must fit their units, physlab.typedcopy)",
    "run:<run_id>:grammar (typed, and every formula keeps a shape the physics teacher writes for its check)",
    "sklearn:logreg or sklearn:gbt (a classical learner fitted on train's structured parameters; evaluate only)",
    "probe:<ratios|quantities>:<run_id> (a run trained on a probe preset, asked with the hint appended; evaluate only)",
    "ollama:<name> (a model served by Ollama, e.g. ollama:qwen2.5:1.5b)",
    "hf:<model id or local path> (a transformers model)",
)
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


class BackendError(ValueError):
    """A backend cannot run as asked (server down, model missing, ...): the message says the fix."""


class Backend:
    """The interface. Subclasses set `name` and implement generate (and score where possible)."""

    name: str = "backend"
    supports_score: bool = False
    answer_format: str = "answer"  # "worked": formula lines first (physlab.worked)

    def build_prompt(self, description: str) -> str:
        """The prompt this model is asked with (its answer format's instruction)."""
        from physlab.prompts import build_prompt

        return build_prompt(description)

    def answer_settings(self) -> dict[str, Any]:
        """Settings of this backend that change its answers beyond its spec (the answer format,
        whether a calculator is used, ...). An evaluation stores them in config.json and refuses
        to resume with different ones."""
        return {"answer_format": self.answer_format}

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        raise NotImplementedError

    def score(self, prompts: list[str]) -> list[dict[str, float]]:
        raise NotImplementedError(f"{self.name} gives no token likelihoods; use mode 'generate'")

    def prepare(self, prompts: list[str]) -> None:
        """Shown every prompt of an evaluation before the first batch; a backend may cache what
        they share (TransformersBackend: the common prompt prefix). Optional; does nothing here."""



# --------------------------------------------------------------------------- helpers


def answer_heads() -> dict[str, str]:
    """The eight canonical answer heads, keyed by label, in physlab.labels.LABELS order."""
    from physlab.labels import LABELS
    from physlab.prompts import ANSWER_PREFIXES

    return {label: ANSWER_PREFIXES[label] for label in LABELS}


def one_hot(label: str) -> dict[str, float]:
    from physlab.labels import LABELS

    return {lab: (1.0 if lab == label else 0.0) for lab in LABELS}


def _softmax(values: Sequence[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


@dataclass(frozen=True)
class AnswerPlan:
    """Where the eight answer heads' token sequences agree and differ (one tokenizer).

    decision: index of the first token where the NO answer and the YES answers differ
    ('Y' vs 'NO' at index 0 for SmolLM2); shared: length of the prefix all YES answers share
    ("YES\nFAILURE_MODE:", 8 tokens for SmolLM2). Scoring needs only the decision token and
    each YES answer's tokens after the shared prefix; the rest cancel out.
    """

    yes_labels: tuple[str, ...]
    yes_ids: tuple[tuple[int, ...], ...]
    no_ids: tuple[int, ...]
    decision: int
    shared: int


def plan_answers(token_ids: dict[str, list[int]]) -> AnswerPlan:
    yes_labels = tuple(lab for lab in token_ids if lab != "success")
    yes_ids = tuple(tuple(token_ids[lab]) for lab in yes_labels)
    no_ids = tuple(token_ids["success"])
    shortest = min(len(s) for s in yes_ids)
    shared = 0
    while shared < shortest and all(s[shared] == yes_ids[0][shared] for s in yes_ids):
        shared += 1
    # Each YES answer keeps at least its last token to score, even if one were a prefix of another.
    shared = min(shared, shortest - 1)
    decision = 0
    while decision < min(len(no_ids), len(yes_ids[0])) and no_ids[decision] == yes_ids[0][decision]:
        decision += 1
    if decision >= shared or decision >= len(no_ids):
        raise NotImplementedError(
            "score mode needs answers whose YES/NO decision comes before the failure mode "
            f"(NO and YES heads first differ at token {decision}, YES heads share {shared} tokens)")
    return AnswerPlan(yes_labels, yes_ids, no_ids, decision, shared)


def combine_answer_logprobs(log_yes: float, log_no: float, mode_logliks: dict[str, float]) -> dict[str, float]:
    """One probability per label from the decision token and the mode tokens.

    Two steps, because a flat argmax over all eight strings favours the single short NO
    answer over seven YES answers that split the failure probability (design.md):
    1. P(fail) = softmax(log_yes, log_no): the log-probabilities of the decision token
       (the first token where YES and NO differ; the tokens before it are shared).
    2. P(mode | fail) = softmax over each YES answer's *summed* log-likelihood of its tokens
       after the prefix all YES answers share ("YES\nFAILURE_MODE:"). Summed, not
       length-normalised: the sum is the model's probability of that exact string, whereas
       a per-token mean rewards multi-token names (" sl"+"os"+"hing", " rolling"+"_"+"away")
       whose later tokens are near-certain once the first is chosen.
    p(success) = P(NO); p(mode) = P(YES) * P(mode | YES).
    """
    p_yes, p_no = _softmax([log_yes, log_no])
    labels = list(mode_logliks)
    p_modes = _softmax([mode_logliks[lab] for lab in labels])
    probs = {"success": p_no}
    probs.update({lab: p_yes * p for lab, p in zip(labels, p_modes, strict=True)})
    return probs


# --------------------------------------------------------------------------- transformers


_LOCKS_GUARD = threading.Lock()


def _serialized(method: Callable) -> Callable:
    """Run `method` holding the backend's own lock: one cached backend may serve several
    dashboard sessions (threads) at once, and the prompt-prefix cache (_prefix) is shared state."""
    import functools

    @functools.wraps(method)
    def locked(self, *args: Any, **kwargs: Any) -> Any:
        lock = self.__dict__.get("_lock")
        if lock is None:
            with _LOCKS_GUARD:
                lock = self.__dict__.setdefault("_lock", threading.RLock())
        with lock:
            return method(self, *args, **kwargs)

    return locked


class TransformersBackend(Backend):
    """A causal LM through transformers: greedy batched generation and answer scoring.

    Thread-safe: generate, score and prepare (also a subclass's) hold the backend's lock, so
    sessions sharing one cached backend never see each other's prefix cache.

    The prompt is rendered with models.render_prompt (the chat template), the same text
    training sees. Batches are left-padded with explicit position ids, so a padded row gets
    the same logits as the row alone (tests check the probabilities to 1e-4).
    """

    supports_score = True

    def __init__(self, model: str = "embedded", adapter: str | Path | None = None,
                 batch_size: int = 8, device: str | None = None, name: str | None = None,
                 loaded: tuple[Any, Any] | None = None, precision: str = "auto") -> None:
        if batch_size < 1:
            raise BackendError(f"batch_size must be >= 1 (got {batch_size})")
        if precision not in PRECISIONS:
            raise BackendError(f"precision must be one of {', '.join(PRECISIONS)} (got {precision!r})")
        self.model_name = model
        self.adapter = str(adapter) if adapter else None
        self.batch_size = batch_size
        self.name = name or (f"{model}+{Path(self.adapter).name}" if self.adapter else model)
        # bf16 weights on GPUs and on CPUs with native bf16: every forward pass about twice as
        # fast as float32 there (bench/eval_speed.py); training's autocast computes in bf16 too.
        self.precision = resolve_precision(precision, device or default_device())
        if loaded is None:  # else used as given, in its own dtype
            dtype = "bfloat16" if self.precision == "bf16" else "float32"
            loaded = load_cached(model, self.adapter, device, dtype)
        self.model, self.tokenizer = loaded
        self.model.eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._answer_ids: dict[str, list[int]] | None = None
        self._cache_kwarg = cache_kwarg_name(self.model)
        self._keep_last_logits = accepts_logits_to_keep(self.model)
        # The prompt prefix every prompt shares (chat template, system turn, instruction,
        # few-shot examples): its token ids and KV cache, computed once (see _shared_prefix).
        self._prefix: tuple[tuple[int, ...], Any] | None = None
        self._head32: Any = None  # float32 copy of the output head's weight (see _fp32_logits)

    # -- tokenization
    def _encode_prompt(self, prompt: str) -> list[int]:
        # models.encode_prompt: the chat template with special tokens exactly once, the very
        # ids training computes its loss after.
        from physlab.models import encode_prompt

        return encode_prompt(self.tokenizer, prompt)

    def _left_pad(self, rows: list[list[int]]):
        import torch

        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
        return ids.to(self.model.device), mask.to(self.model.device)

    # -- generate
    @_serialized
    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        import torch

        outputs: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            rows = [self._encode_prompt(p) for p in prompts[start:start + self.batch_size]]
            ids, mask = self._left_pad(rows)
            with torch.no_grad():
                out = self.model.generate(
                    input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                    do_sample=False, temperature=None, top_p=None, top_k=None,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            new_tokens = out[:, ids.shape[1]:]
            outputs.extend(self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
        return outputs

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("generate", "score", "prepare"):
            if name in cls.__dict__:
                setattr(cls, name, _serialized(cls.__dict__[name]))

    # -- score
    def answer_token_ids(self) -> dict[str, list[int]]:
        if self._answer_ids is None:
            self._answer_ids = {
                label: self.tokenizer(text, add_special_tokens=False).input_ids
                for label, text in answer_heads().items()
            }
        return self._answer_ids

    @_serialized
    def score(self, prompts: list[str]) -> list[dict[str, float]]:
        rows = [self._encode_prompt(p) for p in prompts]
        prefix = self._shared_prefix(rows)
        results: list[dict[str, float]] = []
        for start in range(0, len(rows), self.batch_size):
            for log_yes, log_no, modes in self._score_batch(rows[start:start + self.batch_size], prefix):
                results.append(combine_answer_logprobs(log_yes, log_no, modes))
        return results

    @_serialized
    def prepare(self, prompts: list[str]) -> None:
        if len(prompts) > 1:
            self._shared_prefix([self._encode_prompt(p) for p in prompts])

    def _shared_prefix(self, rows: list[list[int]]) -> int:
        """Length of the token prefix whose KV cache score() reuses for these rows (0: none).

        Every physlab prompt starts with the same ~140 tokens (chat template, system turn,
        instruction; the few-shot baseline adds its examples), more than half of a prompt.
        Their keys and values are computed once and reused for every row and batch: the
        largest saving in score mode. The cached prefix is kept while it still begins every
        row; otherwise it is rebuilt from the rows' longest common prefix, leaving each row at
        least one token of its own (its last position gives the first answer token's logits).
        """
        import torch

        shortest = min(len(r) for r in rows)
        if self._prefix is not None:
            key = self._prefix[0]
            if len(key) < shortest and all(tuple(r[:len(key)]) == key for r in rows):
                return len(key)
        if len(rows) < 2:
            return 0  # one prompt alone says nothing about what later prompts share
        length = common_prefix_length(rows, shortest - 1)
        if length < MIN_SHARED_PREFIX:
            return 0
        key = tuple(rows[0][:length])
        with torch.no_grad():
            out = self.model(input_ids=torch.tensor([key], device=self.model.device), use_cache=True)
        self._prefix = (key, output_cache(out))
        return length

    def _score_batch(self, rows: list[list[int]], prefix: int = 0) -> list[tuple[float, float, dict[str, float]]]:
        """(log P(YES token), log P(NO token), summed log-likelihood of each mode) per prompt.

        `rows` are encoded prompts; their first `prefix` tokens are the cached shared prefix
        (self._prefix), so only the rest of each prompt is computed. Up to three forward
        passes share one KV cache, so scoring costs little more than reading the prompt once
        (instead of eight prompt+answer sequences):
        1. the prompts' own tokens (left-padded after the shared prefix, which needs explicit
           position ids): logits for the first answer token at the last position only;
        2. the prefix the seven YES answers share (8 tokens), same rows: the decision token
           when it is not the first, and every mode's first token at the last position;
        3. only for modes of several tokens (sloshing, rolling_away): the cache repeated once
           per such mode, their remaining tokens right-padded.
        """
        import torch

        plan = plan_answers(self.answer_token_ids())
        n_rows = len(rows)
        ids, mask = self._left_pad([r[prefix:] for r in rows])
        device = ids.device
        shared = plan.shared
        extra: dict[str, Any] = {"logits_to_keep": 1} if self._keep_last_logits else {}
        if prefix:
            cache = copy.deepcopy(self._prefix[1])
            cache.batch_repeat_interleave(n_rows)
            extra[self._cache_kwarg] = cache
            # Rows read [shared prefix][padding][own tokens]; the mask hides the padding.
            mask = torch.cat([torch.ones(n_rows, prefix, dtype=mask.dtype, device=device), mask], dim=1)
        prompt_len = mask.sum(-1)  # real tokens per row, the shared prefix included
        own = mask[:, prefix:]
        with torch.no_grad(), self._fp32_logits():
            out = self.model(input_ids=ids, attention_mask=mask, position_ids=prefix + (own.cumsum(-1) - 1).clamp(min=0),
                             use_cache=True, **extra)
            cache = output_cache(out)
            # logp[p]: log-probabilities for YES-prefix token p (p = 0 .. shared), [rows, vocab]
            logp = [torch.log_softmax(out.logits[:, -1].float(), dim=-1)]
            if shared > 0:
                yes_prefix = torch.tensor([list(plan.yes_ids[0][:shared])] * n_rows, device=device)
                mask = torch.cat([mask, torch.ones_like(yes_prefix)], dim=1)
                out = self.model(input_ids=yes_prefix, attention_mask=mask, use_cache=True,
                                 position_ids=prompt_len[:, None] + torch.arange(shared, device=device)[None],
                                 **{self._cache_kwarg: cache})
                cache = output_cache(out)
                step = torch.log_softmax(out.logits.float(), dim=-1)
                logp += [step[:, i] for i in range(shared)]
            d = plan.decision
            log_yes = logp[d][:, plan.yes_ids[0][d]].tolist()
            log_no = logp[d][:, plan.no_ids[d]].tolist()
            modes = [{lab: logp[shared][r, seq[shared]].item() for lab, seq in zip(plan.yes_labels, plan.yes_ids, strict=True)}
                     for r in range(n_rows)]
            longer = [(lab, seq) for lab, seq in zip(plan.yes_labels, plan.yes_ids, strict=True) if len(seq) > shared + 1]
            if longer:
                rest = max(len(seq) for _, seq in longer) - shared - 1
                pad = self.tokenizer.pad_token_id
                n_long = len(longer)
                cache.batch_repeat_interleave(n_long)  # row r * n_long + j: prompt r, mode j
                # Feed mode tokens shared .. n-2 (right-padded); their logits score tokens shared+1 .. n-1.
                feed = [list(seq[shared:-1]) + [pad] * (rest - len(seq) + shared + 1) for _, seq in longer]
                feed_mask = [[1] * (len(seq) - shared - 1) + [0] * (rest - len(seq) + shared + 1)
                             for _, seq in longer]
                cont = torch.tensor(feed * n_rows, device=device)
                full_mask = torch.cat([mask.repeat_interleave(n_long, 0),
                                       torch.tensor(feed_mask * n_rows, device=device)], dim=1)
                start = (prompt_len + shared).repeat_interleave(n_long)
                out = self.model(input_ids=cont, attention_mask=full_mask, use_cache=False,
                                 position_ids=start[:, None] + torch.arange(rest, device=device)[None],
                                 **{self._cache_kwarg: cache})
                step = torch.log_softmax(out.logits.float(), dim=-1)
                for r in range(n_rows):
                    for j, (lab, seq) in enumerate(longer):
                        modes[r][lab] += sum(step[r * n_long + j, i, seq[shared + 1 + i]].item()
                                             for i in range(len(seq) - shared - 1))
        return [(log_yes[r], log_no[r], modes[r]) for r in range(n_rows)]

    @contextlib.contextmanager
    def _fp32_logits(self):
        """Inside: the model's logits are float32 even when its weights are bf16.

        A bf16 logit keeps 8 significant bits, a step of 0.125-0.25 at the 16-64 where answer
        logits lie, so an undecided student's YES and NO logits often tie and P(success) reads
        exactly 0.5. The head's input (the last hidden state, rounded once to bf16) is multiplied
        by a float32 copy of the head's weight instead (~113 MB for the embedded model).
        """
        import torch

        head = self.model.get_output_embeddings()
        if head is None or head.weight.dtype == torch.float32:
            yield
            return
        if self._head32 is None:
            self._head32 = head.weight.detach().float()
        bias = None if getattr(head, "bias", None) is None else head.bias.detach().float()
        handle = head.register_forward_hook(
            lambda _module, args, _out: torch.nn.functional.linear(args[0].float(), self._head32, bias))
        try:
            yield
        finally:
            handle.remove()

    def reference_score(self, prompt: str) -> dict[str, float]:
        """The same probabilities the slow, obvious way (for tests): one unpadded forward pass
        per full prompt + answer head, no cache, no batching."""
        import torch

        plan = plan_answers(self.answer_token_ids())
        prompt_ids = self._encode_prompt(prompt)
        token_logp: dict[str, list[float]] = {}
        for label, seq in self.answer_token_ids().items():
            full = torch.tensor([prompt_ids + list(seq)], device=self.model.device)
            with torch.no_grad(), self._fp32_logits():
                logp = torch.log_softmax(self.model(input_ids=full).logits[0].float(), dim=-1)
            token_logp[label] = [logp[len(prompt_ids) - 1 + i, t].item() for i, t in enumerate(seq)]
        d, shared = plan.decision, plan.shared
        return combine_answer_logprobs(token_logp[plan.yes_labels[0]][d], token_logp["success"][d],
                                       {lab: sum(token_logp[lab][shared:]) for lab in plan.yes_labels})


# Shorter common prefixes are not worth a cache copy per batch.
MIN_SHARED_PREFIX = 16


# Adapter models loaded in this process, most recent last. models.load_model caches the plain
# base model itself; each adapter gets a private ~0.5 GB copy, so only the last two are kept.
_ADAPTERS: OrderedDict[tuple[str, str, str | None, str | None], tuple[Any, Any]] = OrderedDict()
_ADAPTERS_KEPT = 2


def load_cached(model: str, adapter: str | None = None, device: str | None = None,
                dtype: str | None = None) -> tuple[Any, Any]:
    """models.load_model for inference, without reloading: 'base' and 'fewshot' share one copy,
    and repeated predict() calls with the same run do not reload (~15 s each on a CPU). An
    adapter comes merged into its own copy of the weights (a plain model, no peft layers)."""
    from physlab.models import load_model

    if adapter is None:
        return load_model(model, device=device, dtype=dtype)
    key = (model, adapter, device, dtype)
    if key in _ADAPTERS:
        _ADAPTERS.move_to_end(key)
        return _ADAPTERS[key]
    # The adapter is folded into a float32 copy of the weights, then cast: a merged model answers
    # as fast as the base (peft's separate LoRA matmuls, with their dtype casts, made a bf16
    # all-linear student about 1.7x slower), and merging in float32 loses nothing to rounding.
    peft_model, tokenizer = load_model(model, adapter=adapter, device=device, dtype="float32")
    merged = peft_model.merge_and_unload()
    if dtype not in (None, "float32"):
        import torch

        merged = merged.to(getattr(torch, dtype))
    loaded = (merged.eval(), tokenizer)
    _ADAPTERS[key] = loaded
    while len(_ADAPTERS) > _ADAPTERS_KEPT:
        _ADAPTERS.popitem(last=False)
    return loaded


# --------------------------------------------------------------------------- Ollama


def ollama_host(host: str | None = None) -> str:
    return host or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST


class OllamaBackend(Backend):
    """A model served by Ollama, through the official client, greedy (temperature 0).

    Construction checks the server and the model once, so a missing server or model is one
    clear BackendError naming the host and the fix, before any scenario runs.
    """

    supports_score = False

    def __init__(self, model: str, host: str | None = None, timeout_s: float = 600.0,
                 check: bool = True) -> None:
        if not model:
            raise BackendError("ollama needs a model name, e.g. ollama:qwen2.5:1.5b")
        import httpx
        import ollama

        self.model = model
        self.name = f"ollama:{model}"
        self.host = ollama_host(host)
        # Connecting should fail fast (5 s); a slow CPU model may take minutes to answer.
        self.client = ollama.Client(host=self.host, timeout=httpx.Timeout(timeout_s, connect=5.0))
        if check:
            self._call(lambda: self.client.show(model))

    def _call(self, fn: Callable[[], Any]) -> Any:
        import httpx
        import ollama

        try:
            return fn()
        except (ConnectionError, httpx.TransportError) as err:
            raise BackendError(
                f"cannot reach an Ollama server at {self.host} ({type(err).__name__}). "
                f"Start one with `ollama serve` (or set OLLAMA_HOST to where it runs), "
                f"then `ollama pull {self.model}`."
            ) from None
        except ollama.ResponseError as err:
            if err.status_code == 404 or "not found" in str(err.error).lower():
                raise BackendError(
                    f"the Ollama server at {self.host} has no model '{self.model}': "
                    f"run `ollama pull {self.model}` (see `ollama list` for what it has)."
                ) from None
            raise BackendError(f"Ollama at {self.host} refused the request for '{self.model}': "
                               f"{err.error} (HTTP {err.status_code})") from None

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        outputs = []
        for prompt in prompts:
            response = self._call(lambda p=prompt: self.client.chat(
                model=self.model,
                messages=[{"role": "user", "content": p}],
                options={"temperature": 0, "seed": 0, "num_predict": max_new_tokens},
            ))
            outputs.append((response.message.content or "") if response.message else "")
        return outputs


# --------------------------------------------------------------------------- wrappers and references


def fewshot_block(examples: Sequence[dict]) -> str:
    """Worked examples (records with description, label, explanation) as text before the question."""
    from physlab.prompts import format_answer

    parts = ["Here are worked examples with their correct answers.\n"]
    for i, ex in enumerate(examples, 1):
        parts.append(f"Example {i}:\n{ex['description']}\nAnswer:\n"
                     f"{format_answer(ex['label'], ex.get('explanation') or '')}\n")
    parts.append("Now answer the following question in the same format.\n")
    return "\n".join(parts) + "\n"


def pick_fewshot_examples(train: Sequence[dict], k: int = 4, seed: int = 0) -> list[dict]:
    """k training records covering as many different labels as possible (success first).

    Deterministic for a seed, so two evaluations show the model the same examples.
    """
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[dict]] = {}
    for rec in train:
        by_label.setdefault(rec["label"], []).append(rec)
    order = sorted(by_label, key=lambda lab: (lab != "success", lab))
    picked: list[dict] = []
    while len(picked) < k and any(by_label.values()):
        for lab in order:
            if by_label[lab] and len(picked) < k:
                pool = by_label[lab]
                picked.append(pool.pop(rng.randrange(len(pool))))
    rng.shuffle(picked)  # no label always last, right before the question
    return picked


class FewShotBackend(Backend):
    """Any backend with worked examples placed before each prompt (one user turn)."""

    def __init__(self, inner: Backend, examples: Sequence[dict], name: str | None = None) -> None:
        self.inner = inner
        self.examples = list(examples)
        self.prefix = fewshot_block(self.examples)
        self.name = name or f"fewshot({inner.name}, k={len(self.examples)})"
        self.supports_score = inner.supports_score

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        return self.inner.generate([self.prefix + p for p in prompts], max_new_tokens)

    def score(self, prompts: list[str]) -> list[dict[str, float]]:
        return self.inner.score([self.prefix + p for p in prompts])

    def prepare(self, prompts: list[str]) -> None:
        self.inner.prepare([self.prefix + p for p in prompts])


class MajorityBackend(Backend):
    """A reference: always the most common training label (ties: alphabetical)."""

    supports_score = True

    def __init__(self, train_labels: Sequence[str], name: str = "majority") -> None:
        if not train_labels:
            raise BackendError("majority needs training labels (data/<preset>/train.jsonl is empty)")
        counts = Counter(train_labels)
        self.label = min(counts, key=lambda lab: (-counts[lab], lab))
        self.name = name

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        from physlab.prompts import format_answer

        text = format_answer(self.label, "Always the most common label in the training data.")
        return [text for _ in prompts]

    def score(self, prompts: list[str]) -> list[dict[str, float]]:
        return [one_hot(self.label) for _ in prompts]


class DummyBackend(Backend):
    """Canned answers for tests: a list (cycled) or a function of the prompt.

    `fail_after` raises RuntimeError once that many prompts were answered, to test resume.
    """

    def __init__(self, outputs: Sequence[Any] | Callable[[str], Any], name: str = "dummy",
                 probabilities: Callable[[str], Any] | None = None, fail_after: int | None = None) -> None:
        self.outputs = outputs
        self.name = name
        self.probabilities = probabilities
        self.supports_score = probabilities is not None
        self.fail_after = fail_after
        self.calls = 0  # prompts answered so far

    def _tick(self, n: int) -> None:
        if self.fail_after is not None and self.calls + n > self.fail_after:
            raise RuntimeError(f"{self.name}: simulated crash after {self.fail_after} prompts")
        self.calls += n

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[Any]:
        self._tick(len(prompts))
        if callable(self.outputs):
            return [self.outputs(p) for p in prompts]
        return [self.outputs[(self.calls - len(prompts) + i) % len(self.outputs)] for i in range(len(prompts))]

    def score(self, prompts: list[str]) -> list[Any]:
        if self.probabilities is None:
            return super().score(prompts)
        self._tick(len(prompts))
        return [self.probabilities(p) for p in prompts]


class RecordBackend(Backend):
    """A reference that answers dataset records, not text (classical learners read the exact
    parameters, a probe appends a hint built from them): evaluate calls score_records /
    generate_records; free text is refused with a clear message."""

    reads_params = True

    def score_records(self, records: list[dict]) -> list[dict[str, float]]:
        raise NotImplementedError

    def generate_records(self, records: list[dict], max_new_tokens: int = 64) -> list[str]:
        raise NotImplementedError

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        raise BackendError(f"{self.name} answers a dataset scenario from its structured parameters, not text: "
                           "use it in `physlab evaluate`, not on free text")

    score = generate


class WorkedBackend(TransformersBackend):
    """A student trained on the worked format (physlab.worked): it writes one formula line per
    physics check, and generation pauses at each `=` for the calculator's value
    (physlab.toolgen). `use_calculator=False` lets the same student write the values itself
    (the pure-scratchpad ablation). Answers are generated, never scored."""

    supports_score = False
    answer_format = "worked"
    WORKED_MAX_NEW_TOKENS = 420  # the longest teacher answer is 346 tokens (with n/a lines), values included

    def __init__(self, *args: Any, use_calculator: bool = True, typed_copy: bool = False, grammar: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.use_calculator = use_calculator
        self.typed_copy = typed_copy or grammar  # the grammar runs with typed copying
        self.grammar = grammar
        self._token_text: dict[int, str] = {}
        self.last_stats: list[dict[str, Any]] = []

    def build_prompt(self, description: str) -> str:
        from physlab.prompts import build_worked_prompt

        return build_worked_prompt(description)

    def answer_settings(self) -> dict[str, Any]:
        settings = {"answer_format": "worked", "calculator": self.use_calculator,
                    "max_new_tokens": self.WORKED_MAX_NEW_TOKENS}
        if self.typed_copy:
            from physlab.typedcopy import RULES

            # Which typed-copying rules answered: records of two rule sets must not mix.
            settings["typed_copy"] = True
            settings["typed_copy_rules"] = RULES
        if self.grammar:
            from physlab.typedcopy import GRAMMAR_RULES

            settings["formula_grammar"] = GRAMMAR_RULES  # which forms it allows changes answers
        return settings

    def score(self, prompts: list[str]) -> list[dict[str, float]]:
        raise NotImplementedError(f"{self.name} answers in the worked format: use mode 'generate'")

    def generate(self, prompts: list[str], max_new_tokens: int = 64) -> list[str]:
        from physlab import toolgen
        from physlab.prompts import worked_description
        from physlab.typedcopy import Typer

        rows = [self._encode_prompt(p) for p in prompts]
        typers = ([Typer.for_description(worked_description(p), grammar=self.grammar) for p in prompts]
                  if self.typed_copy else None)
        prefix = self._shared_prefix(rows) if len(rows) > 1 or self._prefix is not None else 0
        budget = max(max_new_tokens, self.WORKED_MAX_NEW_TOKENS)
        outputs: list[str] = []
        self.last_stats = []
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start:start + self.batch_size]
            results = toolgen.generate(
                self.model, self.tokenizer, batch, max_new_tokens=budget, use_calculator=self.use_calculator,
                prefix=prefix, prefix_cache=self._prefix[1] if prefix else None, cache_kwarg=self._cache_kwarg,
                token_text=self._token_text,
                typers=typers[start:start + self.batch_size] if typers is not None else None)
            outputs += [r["text"] for r in results]
            self.last_stats += results
        return outputs


NO_CALCULATOR = "no-calculator"
TYPED = "typed"
GRAMMAR = "grammar"
RUN_OPTIONS = ("", NO_CALCULATOR, TYPED, GRAMMAR)


# --------------------------------------------------------------------------- specs


def run_dir(run_id: str, runs_dir: str | Path | None = None) -> Path:
    return _runs_dir(runs_dir) / run_id


def _runs_dir(runs_dir: str | Path | None) -> Path:
    from physlab import fileio

    return Path(runs_dir) if runs_dir is not None else fileio.runs_dir()


def resolve_run(run_id: str, runs_dir: str | Path | None = None) -> tuple[str, Path]:
    """(base model, adapter folder) of a training run, with a clear error when it is unusable."""
    runs_dir = _runs_dir(runs_dir)
    folder = run_dir(run_id, runs_dir)
    if not folder.is_dir():
        known = sorted(p.name for p in Path(runs_dir).glob("*") if p.is_dir()) if Path(runs_dir).is_dir() else []
        raise BackendError(f"no training run '{run_id}' in {runs_dir}"
                           + (f"; runs there: {', '.join(known)}" if known else " (train one with `physlab train`)"))
    base = "embedded"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            base = json.loads(manifest.read_text()).get("base_model") or base
        except json.JSONDecodeError as err:
            raise BackendError(f"{manifest} is not valid JSON ({err})") from None
    for candidate in (folder, folder / "adapter", folder / "final"):
        if (candidate / "adapter_config.json").is_file():
            return base, candidate
    raise BackendError(f"run '{run_id}' has no adapter yet ({folder}/adapter_config.json missing): "
                       f"has its training finished?")


def run_answer_format(run_id: str, runs_dir: str | Path | None = None) -> str:
    """'worked' or 'answer': the format a run was trained on (its manifest, else its config)."""
    folder = run_dir(run_id, runs_dir)
    for name in ("manifest.json", "config.json"):
        path = folder / name
        if path.is_file():
            try:
                value = json.loads(path.read_text()).get("answer_format")
            except (json.JSONDecodeError, AttributeError):
                continue
            if value:
                return str(value)
    return "answer"


def _train_records(preset: str | None, data_dir: str | Path) -> list[dict]:
    if not preset:
        raise BackendError("this model spec needs a preset (training data), e.g. --preset seed")
    from physlab import fileio
    from physlab.datasets_io import read_split

    path = Path(data_dir if data_dir is not None else fileio.data_dir()) / preset / "train.jsonl"
    if not path.is_file():
        raise BackendError(f"{path} not found: generate it with `physlab data generate --preset {preset}`")
    return read_split(path)


def check_spec(spec: str, *, preset: str | None = None, data_dir: str | Path | None = None,
                runs_dir: str | Path | None = None) -> None:
    """Everything about a model spec that can be checked without loading a model: its form, the
    run folder and adapter of run:<id>, the training data of fewshot and majority. Raises
    BackendError naming the spec and the allowed forms."""
    spec = (spec or "").strip()
    kind, _, arg = spec.partition(":")
    if spec in ("base",):
        return
    if spec in ("fewshot", "majority"):
        _train_records(preset, data_dir)
        return
    if kind == "run" and arg:
        run_id, _, option = arg.partition(":")
        if option not in RUN_OPTIONS:
            raise BackendError(f"unknown run option '{option}' in '{spec}'; allowed: run:<id>, "
                               f"run:<id>:{NO_CALCULATOR}, run:<id>:{TYPED} or run:<id>:{GRAMMAR}")
        resolve_run(run_id, runs_dir)
        return
    if kind in ("ollama", "hf") and arg:
        return
    if kind == "probe":
        hint, _, run_id = arg.partition(":")
        from physlab.probes import HINTS

        if hint not in HINTS or not run_id:
            raise BackendError(f"'{spec}': a probe spec is probe:<{'|'.join(HINTS)}>:<run_id>")
        resolve_run(run_id, runs_dir)
        return
    if kind == "sklearn":
        from physlab.classical import LEARNERS

        if arg not in LEARNERS:
            raise BackendError(f"unknown classical learner '{spec}'; allowed: "
                               + ", ".join(f"sklearn:{x}" for x in LEARNERS))
        _train_records(preset, data_dir)
        return
    raise BackendError(f"unknown model spec '{spec}'; allowed forms: " + "; ".join(SPEC_FORMS))


def make_backend(spec: str, *, preset: str | None = None, data_dir: str | Path | None = None,
                 runs_dir: str | Path | None = None, batch_size: int = 8, device: str | None = None,
                 fewshot_k: int = 4, ollama_host_url: str | None = None, precision: str = "auto",
                 use_calculator: bool = True) -> Backend:
    """Build a backend from a spec: base, fewshot, majority, run:<id>, ollama:<name>, hf:<id or path>.
    `precision` applies to transformers models (TransformersBackend)."""
    spec = spec.strip()
    kind, _, arg = spec.partition(":")
    if spec == "base":
        return TransformersBackend("embedded", batch_size=batch_size, device=device, name="base", precision=precision)
    if spec == "fewshot":
        examples = pick_fewshot_examples(_train_records(preset, data_dir), k=fewshot_k)
        inner = TransformersBackend("embedded", batch_size=batch_size, device=device, name="base", precision=precision)
        return FewShotBackend(inner, examples, name="fewshot")
    if spec == "majority":
        return MajorityBackend([r["label"] for r in _train_records(preset, data_dir)])
    if kind == "run" and arg:
        run_id, _, option = arg.partition(":")
        if option not in RUN_OPTIONS:
            raise BackendError(f"unknown run option '{option}' in '{spec}'; allowed: run:<id>, "
                               f"run:<id>:{NO_CALCULATOR} (a worked student writing its own values), "
                               f"run:<id>:{TYPED} (copied numbers must fit their units) or "
                               f"run:<id>:{GRAMMAR} (typed, and every formula a shape the teacher writes)")
        base, adapter = resolve_run(run_id, runs_dir)
        if run_answer_format(run_id, runs_dir) == "worked":
            return WorkedBackend(base, adapter=adapter, batch_size=batch_size, device=device, name=spec,
                                 precision=precision, use_calculator=option != NO_CALCULATOR and use_calculator,
                                 typed_copy=option == TYPED, grammar=option == GRAMMAR)
        if option:
            raise BackendError(f"run '{run_id}' answers in the plain format; :{option} only applies "
                               f"to students trained with `physlab curriculum build --format worked`")
        return TransformersBackend(base, adapter=adapter, batch_size=batch_size, device=device, name=spec,
                                   precision=precision)
    if kind == "probe":
        from physlab.probes import ProbeBackend

        hint, _, run_id = arg.partition(":")
        check_spec(spec, preset=preset, data_dir=data_dir, runs_dir=runs_dir)
        base, adapter = resolve_run(run_id, runs_dir)
        inner = TransformersBackend(base, adapter=adapter, batch_size=batch_size, device=device, name=spec,
                                    precision=precision)
        return ProbeBackend(inner, hint, spec)
    if kind == "sklearn":
        from physlab.classical import ClassicalBackend

        return ClassicalBackend(arg, _train_records(preset, data_dir))
    if kind == "ollama" and arg:
        return OllamaBackend(arg, host=ollama_host_url)
    if kind == "hf" and arg:
        return TransformersBackend(arg, batch_size=batch_size, device=device, name=spec, precision=precision)
    raise BackendError(f"unknown model spec '{spec}'; allowed forms: " + "; ".join(SPEC_FORMS))
