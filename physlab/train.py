"""LoRA fine-tuning of the student on a curriculum (peft + the transformers Trainer).

    curriculum.jsonl ──► prompt through models.render_prompt, completion + EOS
                     ──► loss on completion tokens only ──► results/runs/<run_id>/

The run folder holds the standard peft adapter (adapter_config.json, adapter_model.safetensors),
config.json (this TrainConfig), manifest.json (what a person needs to trust or reproduce the
run), metrics.jsonl (one line per logged step), status.json (the physlab.jobs status format,
so a page can re-attach and cancel), and checkpoints/ (one per epoch, for resume).

Defaults are the published recipe: LoRA r=8, alpha=32, dropout 0.05 on q_proj/v_proj, 3 epochs,
learning rate 2e-4. The same code runs on one CPU, one GPU (bf16), and several processes under
`torchrun --nproc_per_node N -m physlab train ...` or `accelerate launch` (the Trainer does the
distribution; only rank 0 writes files).

Cost on a 2-core CPU (SmolLM2-135M): batches are padded only to their longest row, and rows of
similar length go together (group_by_length), because every padded token costs as much as a
real one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from physlab import fileio, jobs
from physlab.fileio import write_json_atomic
from physlab.models import (
    PRECISIONS,
    accepts_logits_to_keep,
    cache_kwarg_name,
    common_prefix_length,
    output_cache,
    resolve_precision,
)
from physlab.worked import PHASE_WORDS

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
ALL_LINEAR = "all-linear"
PAD_MULTIPLE_DEFAULT = 32  # tokens; see TrainConfig.pad_multiple and BENCHMARKS.md, Training speed
# Upper bounds: far above any sensible run, low enough that a typo fails here, not after a model load.
LIMITS = {"epochs": 1000.0, "learning_rate": 1.0, "lora_r": 4096, "lora_alpha": 65536, "batch_size": 4096,
          "grad_accum": 4096, "logging_steps": 1_000_000, "max_length": 131_072, "max_steps": 10_000_000,
          "seed": 2**32 - 1, "torch_threads": 1024, "pad_multiple": 4096, "lora_layers": 1024,
          "decision_weight": 100.0, "max_minutes": 7 * 24 * 60}


def slug(text: str, fallback: str = "model") -> str:
    """A folder-name-safe form of any text: letters, digits, - _ . only ("My Model (v2)" -> "my-model-v2")."""
    out = re.sub(r"[^a-z0-9_.-]+", "-", text.lower().replace(".", "-")).strip("-_.")
    return out[:40] or fallback


class TrainConfig(BaseModel):
    """Everything that decides a training run; saved as config.json in the run folder."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    preset: str = Field(description="Dataset preset: trains on data/<preset>/curriculum.jsonl (e.g. seed, standard).")
    data_dir: str = Field(default_factory=lambda: str(fileio.data_dir()), description="Folder holding one sub-folder per preset ($PHYSLAB_DATA_DIR, else data).")
    curriculum: str | None = Field(None, description="Curriculum JSONL to train on; default <data_dir>/<preset>/curriculum.jsonl.")
    base_model: str = Field("embedded", description="'embedded' (SmolLM2-135M-Instruct, ships with physlab), a Hugging Face id (Qwen/Qwen2.5-0.5B) or a local model folder.")
    lora_r: int = Field(8, description="LoRA rank: trainable capacity per adapted matrix (published: 8).")
    lora_alpha: int = Field(32, description="LoRA scaling numerator; the update is scaled by alpha/r (published: 32).")
    lora_dropout: float = Field(0.05, description="Dropout on the LoRA input, in [0, 1).")
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"],
                                      description="Linear layers LoRA adapts, e.g. q_proj,v_proj (published) or all-linear.")
    lora_layers: int | None = Field(None, description="Adapt only the last N transformer blocks (unset: all). The backward pass stops at the lowest adapted block, so fewer blocks make a step cheaper (BENCHMARKS.md, Training speed).")
    epochs: float = Field(3.0, description="Passes over the curriculum (published: 3).")
    learning_rate: float = Field(2e-4, description="Peak AdamW learning rate, after warmup, decaying linearly to 0.")
    batch_size: int = Field(4, description="Examples per optimizer step per process (before gradient accumulation).")
    grad_accum: int = Field(1, description="Batches accumulated per optimizer step: effective batch = batch_size x grad_accum x processes.")
    max_length: int = Field(512, description="Longest example in tokens (prompt + completion); longer completions are cut, examples whose prompt alone is this long are skipped.")
    max_steps: int | None = Field(None, description="Stop after this many optimizer steps (overrides epochs); None or -1 for no limit.")
    max_minutes: float | None = Field(None, description="Wall-clock budget for the optimizer steps of this invocation, in minutes: training stops at the first step past it and saves the adapter as usual (status.json says so; a --resume gets a fresh budget). None for no limit.")
    warmup_ratio: float = Field(0.0, description="Fraction of the steps spent warming the learning rate up from 0, in [0, 1).")
    seed: int = Field(42, description="Seed for LoRA initialisation, data order and dropout.")
    run_id: str | None = Field(None, description="Name of the run folder; default <preset>-<model>-r<rank>-<date>-<time>.")
    runs_dir: str = Field(default_factory=lambda: str(fileio.runs_dir()), description="Folder holding one sub-folder per run ($PHYSLAB_RESULTS_DIR/runs, else results/runs).")
    device: str | None = Field(None, description="'cpu' or 'cuda'; default CUDA when available (weights in bf16 where supported), else CPU (weights in float32).")
    save_checkpoints: bool = Field(True, description="Save a checkpoint (adapter + optimizer) at each epoch end so --resume can continue.")
    logging_steps: int = Field(1, description="Write a metrics.jsonl line every this many optimizer steps.")
    precision: str = Field("auto", description="Matmul precision: bf16 (autocast; float32 master weights), fp32, or auto = bf16 on a GPU that supports it and on CPUs with native bf16 (AVX512-BF16 / AMX, about 2x faster there), else fp32.")
    share_prefix: bool = Field(True, description="Compute the prompt prefix every example shares (chat template, system turn, instruction: ~127 tokens) once per step instead of once per example; the same loss, 13% faster per step on the seed preset (BENCHMARKS.md). Off under several processes.")
    answer_format: str | None = Field(None, description="Target format, read from the curriculum: 'answer' (YES/NO, mode, reasoning) or 'worked' (formula lines a calculator evaluates, then the answer); the student answers in it.")
    pad_multiple: int = Field(PAD_MULTIPLE_DEFAULT, description="Round each batch's width (and the positions given logits) up to a multiple of this many tokens, so a run sees a few dozen matmul shapes instead of hundreds: on a CPU every new shape costs oneDNN a kernel build and memory (BENCHMARKS.md, Training speed). 1 pads to the longest row only.")
    answer_logits: bool = Field(True, description="Project only the positions whose next token is scored (answer tokens) onto the vocabulary, in chunks, instead of every position from the batch's shortest prompt on; the same loss (llama/qwen/mistral-type heads; others and several processes use the model's own loss).")
    decision_weight: float = Field(1.0, description="Loss weight of the target's decision tokens (each line's 'phase mode:' head, which picks the next check, and the YES/NO and FAILURE_MODE lines) against 1 for every other scored token; 1 is the plain loss. The worked student's misses are checks left out, not miswritten, and those choices are ~10% of its target tokens (BENCHMARKS.md, worked try 13).")
    torch_threads: int | None = Field(None, description="CPU threads torch may use; default torch's own choice (all cores). Lower it when other work shares the CPU.")

    # ---- field checks: each message names the field and what is allowed
    @field_validator("preset")
    @classmethod
    def _preset(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"must be a folder name (letters, digits, - _ .), got {v!r}")
        return v

    @field_validator("run_id")
    @classmethod
    def _run_id(cls, v: str | None) -> str | None:
        if v is not None and not _NAME.match(v):
            raise ValueError(f"must be a folder name (letters, digits, - _ ., at most 100), got {v!r}")
        return v

    @field_validator("lora_r", "lora_alpha", "batch_size", "grad_accum", "logging_steps", "pad_multiple")
    @classmethod
    def _positive_int(cls, v: int, info: Any) -> int:
        if v < 1:
            raise ValueError(f"must be >= 1 (got {v})")
        if v > LIMITS[info.field_name]:
            raise ValueError(f"must be at most {LIMITS[info.field_name]} (got {v})")
        return v

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        if not 0 <= v <= LIMITS["seed"]:
            raise ValueError(f"must be in [0, {LIMITS['seed']}] (got {v})")
        return v

    @field_validator("torch_threads", "lora_layers")
    @classmethod
    def _optional_count(cls, v: int | None, info: Any) -> int | None:
        # A count that may be left unset: torch's own thread choice, or LoRA on every block.
        what = {"torch_threads": "a number of threads", "lora_layers": "a number of blocks"}[info.field_name]
        if v is not None and not 1 <= v <= LIMITS[info.field_name]:
            raise ValueError(f"must be {what} in [1, {LIMITS[info.field_name]}], or unset (got {v})")
        return v

    @field_validator("precision")
    @classmethod
    def _precision(cls, v: str) -> str:
        if v not in PRECISIONS:
            raise ValueError(f"must be one of {', '.join(PRECISIONS)} (got {v!r})")
        return v

    @field_validator("max_length")
    @classmethod
    def _max_length(cls, v: int) -> int:
        if not 16 <= v <= LIMITS["max_length"]:
            raise ValueError(f"must be in [16, {LIMITS['max_length']}] tokens (got {v})")
        return v

    @field_validator("lora_dropout", "warmup_ratio")
    @classmethod
    def _fraction(cls, v: float) -> float:
        if not (math.isfinite(v) and 0.0 <= v < 1.0):
            raise ValueError(f"must be in [0, 1) (got {v})")
        return v

    @field_validator("epochs", "learning_rate")
    @classmethod
    def _positive(cls, v: float, info: Any) -> float:
        top = LIMITS[info.field_name]
        if not (math.isfinite(v) and 0 < v <= top):
            raise ValueError(f"must be a finite number in (0, {top:g}] (got {v})")
        return v

    @field_validator("decision_weight")
    @classmethod
    def _decision_weight(cls, v: float) -> float:
        if not (math.isfinite(v) and 0 < v <= LIMITS["decision_weight"]):
            raise ValueError(f"must be a finite number in (0, {LIMITS['decision_weight']:g}]; 1 is the plain loss (got {v})")
        return v

    @field_validator("max_minutes")
    @classmethod
    def _max_minutes(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and 0 < v <= LIMITS["max_minutes"]):
            raise ValueError(f"must be a number of minutes in (0, {LIMITS['max_minutes']}], or None for no limit (got {v})")
        return v

    @field_validator("max_steps")
    @classmethod
    def _max_steps(cls, v: int | None) -> int | None:
        if v is None or v == -1:
            return None
        if not 1 <= v <= LIMITS["max_steps"]:
            raise ValueError(f"must be in [1, {LIMITS['max_steps']}], or -1 / None for no limit (got {v})")
        return v

    @field_validator("target_modules", mode="before")
    @classmethod
    def _targets(cls, v: Any) -> list[str]:
        if isinstance(v, str):
            v = [part for part in (p.strip() for p in v.split(",")) if part]
        if not isinstance(v, (list, tuple)) or not v or not all(isinstance(x, str) and x for x in v):
            raise ValueError("must be module names such as q_proj,v_proj or the single word all-linear")
        v = [x.strip() for x in v]
        if ALL_LINEAR in v and len(v) > 1:
            raise ValueError("all-linear stands alone (it already means every linear layer)")
        return v

    @field_validator("answer_format")
    @classmethod
    def _answer_format(cls, v: str | None) -> str | None:
        if v is not None and v not in ("answer", "worked"):
            raise ValueError(f"must be answer or worked, or unset to read it from the curriculum (got {v!r})")
        return v

    @field_validator("device")
    @classmethod
    def _device(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(cpu|cuda(:\d+)?)$", v):
            raise ValueError(f"must be cpu, cuda or cuda:N (got {v!r})")
        return v

    # ---- derived paths
    @property
    def curriculum_path(self) -> Path:
        return Path(self.curriculum) if self.curriculum else Path(self.data_dir) / self.preset / "curriculum.jsonl"

    @property
    def run_dir(self) -> Path:
        if not self.run_id:
            raise ValueError("run_id: not set yet (train() picks one; or call with_run_id())")
        return Path(self.runs_dir) / self.run_id

    def with_run_id(self) -> TrainConfig:
        """This config with run_id filled in (a readable, time-stamped default)."""
        if self.run_id:
            return self
        model = slug(Path(self.base_model.rstrip("/")).name)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.model_copy(update={"run_id": f"{self.preset}-{model}-r{self.lora_r}-{stamp}"})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build and validate; raises ValueError with one 'field: message' line per problem."""
        try:
            return cls(**data)
        except ValidationError as err:
            raise ValueError(format_validation_error(err)) from None


def format_validation_error(err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        field = ".".join(str(p) for p in problem.get("loc", ())) or "config"
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        lines.append(f"{field}: {message}")
    return "; ".join(lines)


def field_help() -> dict[str, str]:
    """Field name -> help text (CLI --help and dashboard tooltips)."""
    return {name: f.description or "" for name, f in TrainConfig.model_fields.items()}


# --------------------------------------------------------------------------- checks before loading


def read_curriculum(path: Path) -> list[dict[str, str]]:
    """Curriculum rows {prompt, completion, ...}; ValueError naming file, line and field, or saying
    how to rebuild a curriculum whose train.jsonl changed since it was built (fileio.check_derived)."""
    path = Path(path)
    fileio.check_derived(path)
    rows: list[dict[str, str]] = []
    with path.open() as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise ValueError(f"{path}:{number}: not JSON ({err})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: expected an object with prompt and completion")
            for field in ("prompt", "completion"):
                if not isinstance(row.get(field), str) or not row[field].strip():
                    raise ValueError(f"{path}:{number}: field {field!r} must be a non-empty string")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: the curriculum is empty; rebuild it with `physlab curriculum build`")
    return rows


def curriculum_format(path: Path) -> str:
    """The answer format of a curriculum file: its rows' `format` ('answer' when absent)."""
    with Path(path).open() as fh:
        for line in fh:
            if line.strip():
                try:
                    row = json.loads(line)
                except ValueError:
                    return "answer"  # read_curriculum names the bad line
                return row.get("format", "answer") if isinstance(row, dict) else "answer"
    return "answer"


def check_config(config: TrainConfig, resume: bool = False) -> None:
    """Everything that can be checked without loading model weights (seconds, not minutes).

    Raises ValueError naming the field and the fix: a missing curriculum, target modules the
    base model does not have, a run folder that exists while not resuming.
    """
    curriculum = config.curriculum_path
    if not curriculum.is_file():
        raise ValueError(
            f"curriculum not found: {curriculum}. Build it with "
            f"`physlab curriculum build --preset {config.preset}` (after `physlab data generate --preset {config.preset}`)."
        )
    fileio.check_derived(curriculum)  # refuses a curriculum built from an older train.jsonl
    from physlab.models import hidden_size, linear_module_names, num_layers

    width = hidden_size(config.base_model)
    if width and config.lora_r > width:
        raise ValueError(f"lora_r: {config.lora_r} is more than base model {config.base_model!r}'s hidden size "
                         f"({width}); use a rank of at most {width} (published: 8)")
    depth = num_layers(config.base_model) if config.lora_layers else None
    if depth and config.lora_layers > depth:
        raise ValueError(f"lora_layers: {config.lora_layers} is more than base model {config.base_model!r}'s "
                         f"{depth} transformer blocks; use at most {depth}, or leave it unset for all")
    if config.target_modules != [ALL_LINEAR]:
        available = linear_module_names(config.base_model)
        unknown = [m for m in config.target_modules if m not in available]
        if unknown:
            raise ValueError(
                f"target_modules: {', '.join(unknown)} not in base model {config.base_model!r}; "
                f"its linear layers are {', '.join(available)} (or use {ALL_LINEAR})"
            )
    if config.run_id and not resume:
        run_dir = config.run_dir
        if (run_dir / "adapter_config.json").exists() or (run_dir / "checkpoints").exists():
            raise ValueError(
                f"run_id: {config.run_id!r} already exists in {config.runs_dir}; pass --resume to "
                f"continue it, or choose another --run-id"
            )


# --------------------------------------------------------------------------- tokenization


# The decision tokens of a target (TrainConfig.decision_weight): the head of each check line
# ("transport sloshing:", "transport largest:"), which chooses the next check, and the answer
# lines, which give the verdict. Everything else is copying or formula text.
DECISION_RE = re.compile(rf"^(?:(?:{'|'.join(PHASE_WORDS.values())}) [a-z_]+:|YES\b|NO\b|FAILURE_MODE:[^\n]*)",
                         re.MULTILINE)


def decision_spans(completion: str) -> list[tuple[int, int]]:
    """Character spans [start, end) of the completion's decision tokens (DECISION_RE)."""
    return [m.span() for m in DECISION_RE.finditer(completion)]


def _token_weights(offsets: list[tuple[int, int]], base: int, spans: list[tuple[int, int]],
                   weight: float) -> list[float]:
    """weight for each token whose characters (offsets, shifted by base) overlap a span, else 1."""
    out = []
    for start, end in offsets:
        start, end = start + base, end + base
        out.append(weight if any(start < b and a < end for a, b in spans) else 1.0)
    return out


def tokenize_example(tokenizer: Any, prompt: str, completion: str, max_length: int,
                     segments: list | None = None, decision_weight: float = 1.0) -> dict[str, list] | None:
    """input_ids and labels for one example: labels -100 on the prompt (no loss there).

    The prompt goes through models.encode_prompt, exactly the ids evaluation feeds the model;
    the completion ends with EOS so the student learns to stop. None when the prompt leaves no
    room for a single completion token within max_length. With decision_weight != 1 the example
    also carries "weights", one per token (0 on the prompt): decision_weight on the tokens of
    decision_spans, 1 on the rest.
    """
    from physlab.models import encode_prompt

    prompt_ids = encode_prompt(tokenizer, prompt)
    pieces = [(text, bool(trained)) for text, trained in segments] if segments else [(completion, True)]
    weighted = decision_weight != 1
    spans = decision_spans("".join(text for text, _ in pieces)) if weighted else []
    # The worked format (physlab.worked): [text, trained] pieces, each tokenized on its own,
    # exactly as tool-paused generation sees them; the values the calculator inserts get
    # no loss, so the student never learns to guess a number.
    completion_ids, completion_labels, weights, base = [], [], [], 0
    for text, trained in pieces:
        encoded = tokenizer(text, add_special_tokens=False, **({"return_offsets_mapping": True} if weighted else {}))
        ids = list(encoded.input_ids)
        completion_ids += ids
        completion_labels += ids if trained else [-100] * len(ids)
        if weighted:
            weights += _token_weights(encoded.offset_mapping, base, spans, decision_weight)
        base += len(text)
    completion_ids.append(tokenizer.eos_token_id)
    completion_labels.append(tokenizer.eos_token_id)
    weights.append(1.0)
    room = max_length - len(prompt_ids)
    if room < 1:
        return None
    example: dict[str, list] = {"input_ids": prompt_ids + completion_ids[:room],
                                "labels": [-100] * len(prompt_ids) + completion_labels[:room]}
    if weighted:
        example["weights"] = [0.0] * len(prompt_ids) + weights[:room]
    return example


def shared_prefix_length(examples: list[dict[str, list[int]]]) -> int:
    """How many leading tokens every example shares, leaving each example the position that
    predicts its first answer token (the loss needs that position's logits)."""
    if len(examples) < 2:
        return 0
    limit = min(_first_label(e["labels"]) for e in examples) - 1
    return common_prefix_length([e["input_ids"] for e in examples], limit)


class CompletionCollator:
    """Pads a batch on the right to its own longest row (not to max_length): on a CPU every
    padded token costs as much as a real one. Padding gets attention 0 and label -100.

    With pad_multiple M > 1 the width (and, with trim_logits, the kept positions) is rounded up
    to a multiple of M tokens, so a run sees a few dozen matmul shapes instead of hundreds. With
    M = 32, worked try 4 kept a steady 5.6 s/step where try 3 (M = 1) slowed from 8.2 to 13.4
    (BENCHMARKS.md, Training speed); it costs up to M-1 padded tokens per row.

    With trim_logits, only the positions from the batch's shortest prompt on get vocabulary
    logits (the model's `logits_to_keep`): the loss ignores the prompt, and the 49k-way output
    layer on ~110 prompt tokens per row is about a sixth of a SmolLM2 training step. The labels
    are cut to the same positions, so the model's shift-by-one loss is unchanged.

    With prefix_len P > 0 the first P tokens (the same in every example) are left out of
    input_ids; attention_mask still covers them (its first P columns are 1) so the shared
    prefix's KV cache can be put in front (with_shared_prefix), and the Trainer's token count
    still counts every token the batch stands for.
    """

    def __init__(self, pad_token_id: int, trim_logits: bool = False, prefix_len: int = 0,
                 pad_multiple: int = 1) -> None:
        self.pad_token_id = pad_token_id
        self.pad_multiple = max(1, pad_multiple)
        self.trim_logits = trim_logits
        self.prefix_len = prefix_len

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        p = self.prefix_len
        width = max(len(f["input_ids"]) for f in features) - p
        width = -(-width // self.pad_multiple) * self.pad_multiple
        ids, mask, labels, weights = [], [], [], []
        weighted = "weights" in features[0]
        for f in features:
            own = list(f["input_ids"][p:])
            pad = width - len(own)
            ids.append(own + [self.pad_token_id] * pad)
            mask.append([1] * (p + len(own)) + [0] * pad)
            labels.append(list(f["labels"][p:]) + [-100] * pad)
            if weighted:
                weights.append(list(f["weights"][p:]) + [0.0] * pad)
        batch: dict[str, Any] = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
        keep = width
        if self.trim_logits:
            # The logit at position p predicts token p+1: keep from one before the first answer token.
            first_answer = min(_first_label(row) for row in labels)
            keep = width - max(first_answer - 1, 0)
            keep = min(width, -(-keep // self.pad_multiple) * self.pad_multiple)  # few lm_head shapes too
            batch["logits_to_keep"] = keep
        batch["labels"] = torch.tensor([row[width - keep:] for row in labels])
        if weighted:  # aligned with labels: weights[i, j] scales the loss of predicting labels[i, j]
            batch["loss_weights"] = torch.tensor([row[width - keep:] for row in weights])
        return batch


def with_shared_prefix(model: Any, inputs: dict[str, Any], prefix_ids: list[int]) -> dict[str, Any]:
    """The model inputs of a prefix-sharing batch (CompletionCollator with prefix_len): the
    prefix is run once, with gradients (LoRA changes its keys and values too), and its KV cache
    repeated for every row; the rows' own tokens continue at position len(prefix).

    The loss and gradients equal those of the full rows (tests check both). One difference:
    LoRA dropout on the prefix draws one mask per step instead of one per example.
    """
    import torch

    ids = inputs["input_ids"]
    rows, width = ids.shape
    prefix = torch.tensor([prefix_ids], device=ids.device)
    extra = {"logits_to_keep": 1} if accepts_logits_to_keep(model) else {}
    cache = output_cache(model(input_ids=prefix, use_cache=True, **extra))
    cache.batch_repeat_interleave(rows)
    positions = torch.arange(len(prefix_ids), len(prefix_ids) + width, device=ids.device).expand(rows, width)
    return {**inputs, "position_ids": positions, cache_kwarg_name(model): cache}


# Architectures whose causal-LM head is a plain lm_head(hidden) (no logit scaling or soft-capping),
# so answer_position_loss computes exactly the model's own loss.
PLAIN_HEAD_TYPES = ("llama", "qwen2", "qwen3", "mistral", "smollm3")
LOSS_CHUNK_ROWS = 128  # answer positions per vocabulary projection: 128 x 49k fp32 logits = 25 MB at a time


def supports_answer_position_loss(model: Any) -> bool:
    """Whether answer_position_loss equals this model's own loss (a plain-head architecture)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(getattr(base, "config", None), "model_type", None) in PLAIN_HEAD_TYPES


def answer_position_loss(model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None,
                         chunk_rows: int = LOSS_CHUNK_ROWS, weights: Any = None) -> Any:
    """The causal-LM loss with the vocabulary projection run only where a label is scored.

    The model's own loss projects every kept position (from the batch's shortest prompt on,
    padding included) onto the 49k vocabulary, then masks most of them out. This runs the
    decoder, picks the positions whose next token is an answer token, and projects those alone,
    a chunk at a time. The same value as the model's loss (tests check loss and gradients): a sum
    over answer tokens divided by num_items_in_batch (the Trainer's count over the accumulated
    batch), else their mean. weights (the collator's loss_weights, shaped like labels) scale each
    token's term; the divisor stays the token count, so weight 1 everywhere is the plain loss.
    """
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = getattr(base, base.base_model_prefix)
    head = base.get_output_embeddings()
    labels = inputs["labels"]
    body = {k: v for k, v in inputs.items() if k not in ("labels", "logits_to_keep", "num_items_in_batch")}
    hidden = decoder(**body).last_hidden_state[:, -labels.shape[1]:]  # labels cover the kept positions
    targets = labels[:, 1:]
    scored = targets != -100
    picked, wanted = hidden[:, :-1][scored], targets[scored]
    scale = weights[:, 1:][scored].float() if weights is not None else None
    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, picked.shape[0], chunk_rows):
        logits = head(picked[start:start + chunk_rows]).float()
        nll = torch.nn.functional.cross_entropy(logits, wanted[start:start + chunk_rows], reduction="none")
        if scale is not None:
            nll = nll * scale[start:start + chunk_rows]
        total = total + nll.sum()
    return _per_token(total, scored, num_items_in_batch)


def _per_token(total: Any, scored: Any, num_items_in_batch: Any) -> Any:
    """A summed token loss divided as the Trainer expects: by num_items_in_batch (its count over
    the accumulated batch) when given, else by this batch's scored tokens."""
    import torch

    if num_items_in_batch is not None:
        return total / torch.as_tensor(num_items_in_batch, device=total.device)
    return total / scored.sum().clamp(min=1)


def weighted_token_loss(model: Any, inputs: dict[str, Any], weights: Any, num_items_in_batch: Any = None) -> Any:
    """The model's causal-LM loss with each scored token's term scaled by weights (shaped like
    labels, as CompletionCollator gives them): the full projection over the kept positions, as
    the model's own loss does, then a weighted sum divided by the token count (_per_token)."""
    import torch

    labels = inputs["labels"]
    body = {k: v for k, v in inputs.items() if k not in ("labels", "num_items_in_batch")}
    logits = model(**body).logits[:, -labels.shape[1]:]
    targets = labels[:, 1:]
    scored = targets != -100
    nll = torch.nn.functional.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                                            targets.reshape(-1), ignore_index=-100, reduction="none")
    total = (nll * weights[:, 1:].reshape(-1).float()).sum()
    return _per_token(total, scored, num_items_in_batch)


def _first_label(labels: list[int]) -> int:
    for i, label in enumerate(labels):
        if label != -100:
            return i
    return len(labels)


# --------------------------------------------------------------------------- run folder


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("physlab", "torch", "transformers", "peft", "accelerate"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def git_commit() -> str | None:
    """The checkout's commit (with '+dirty' when it has changes), or None outside a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5)
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def peak_memory_mb(device: str) -> float:
    """Peak GPU memory allocated by torch on CUDA; on the CPU this process's peak resident set
    (Linux ru_maxrss is in KiB), which includes the ~0.5 GB float32 model and Python itself."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def _distributed_state() -> dict[str, Any]:
    """torch.distributed's own view: initialised, backend, world size and this rank."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return {"initialized": False, "backend": None, "world_size": 1, "rank": 0}
    return {"initialized": True, "backend": str(dist.get_backend()), "world_size": dist.get_world_size(),
            "rank": dist.get_rank()}


class TrainingCancelled(KeyboardInterrupt):
    """SIGTERM arrived (a cancel): raised in the main thread so the run records 'cancelled'."""


def _metrics_rows_up_to(path: Path, step: int) -> list[str]:
    return [json.dumps(row) for row in fileio.read_jsonl(path) if int(row.get("step", 0)) <= step]


# --------------------------------------------------------------------------- callbacks


def _callbacks(run_dir: Path, elapsed_offset_s: float, max_minutes: float | None = None):
    """(metrics writer, quiet progress bar) TrainerCallback instances; built here to keep
    transformers out of module import."""
    from transformers import TrainerCallback
    from transformers.trainer_callback import ProgressCallback

    class MetricsWriter(TrainerCallback):
        """Appends {step, epoch, loss, learning_rate, grad_norm, tokens_per_s, elapsed_s} to
        metrics.jsonl at every log (rank 0 only) and keeps status.json's step current."""

        def __init__(self) -> None:
            self.started = time.monotonic()
            self.last_time = self.started
            self.last_tokens = 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.started = self.last_time = time.monotonic()
            self.last_tokens = state.num_input_tokens_seen
            if state.is_world_process_zero:
                jobs.update_status(run_dir, total_steps=state.max_steps, step=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs or "loss" not in logs:
                return
            now = time.monotonic()
            tokens = state.num_input_tokens_seen - self.last_tokens
            row = {
                "step": state.global_step,
                "epoch": round(float(state.epoch or 0.0), 4),
                "loss": float(logs["loss"]),
                "learning_rate": float(logs.get("learning_rate", 0.0)),
                "grad_norm": float(logs["grad_norm"]) if logs.get("grad_norm") is not None else None,
                # Non-padding tokens over all processes since the previous line, per second.
                "tokens_per_s": round(tokens / max(now - self.last_time, 1e-9), 1),
                "elapsed_s": round(elapsed_offset_s + now - self.started, 2),
            }
            self.last_time, self.last_tokens = now, state.num_input_tokens_seen
            with (run_dir / "metrics.jsonl").open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            jobs.update_status(run_dir, step=state.global_step, total_steps=state.max_steps, loss=row["loss"])

        def on_step_end(self, args, state, control, **kwargs):
            # The time budget of this invocation (a --resume gets a fresh one): the schedule is
            # not stretched, the run just ends early. Under several processes the ranks agree
            # (a MAX all-reduce), so none stops a step before another and leaves it waiting.
            if max_minutes is None:
                return
            over = time.monotonic() - self.started > max_minutes * 60
            if _world_size() > 1:
                import torch
                import torch.distributed as dist

                if dist.is_available() and dist.is_initialized():
                    flag = torch.tensor([1.0 if over else 0.0],
                                        device="cuda" if dist.get_backend() == "nccl" else "cpu")
                    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                    over = bool(flag.item())
            if over:
                control.should_training_stop = True
                if state.is_world_process_zero:
                    jobs.update_status(run_dir, stopped_early=f"time budget of {max_minutes:g} min "
                                                              f"reached at step {state.global_step}")

    class QuietProgress(ProgressCallback):
        """The Trainer's progress bar with the loss in the bar instead of a printed dict per step."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and self.training_bar is not None and logs and "loss" in logs:
                self.training_bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)

    return MetricsWriter(), QuietProgress


# --------------------------------------------------------------------------- training


def _agree_on_run_id(config: TrainConfig) -> TrainConfig:
    """Every process of a torchrun / accelerate launch must write to the same run folder.

    A time stamp taken in each process could differ, so a multi-process launch without --run-id
    names the run after the launch's rendezvous id (TORCHELASTIC_RUN_ID, shared by all ranks).
    """
    if config.run_id or _world_size() == 1:
        return config.with_run_id()
    launch_id = os.environ.get("TORCHELASTIC_RUN_ID", "")
    if not launch_id or launch_id == "none":
        raise ValueError("run_id: pass --run-id when launching several processes, so all of them "
                         "write to the same run folder")
    model = slug(Path(config.base_model.rstrip("/")).name)
    safe = re.sub(r"[^A-Za-z0-9]", "", launch_id)[:8] or "launch"
    return config.model_copy(update={"run_id": f"{config.preset}-{model}-r{config.lora_r}-ddp-{safe}"})


def train(config: TrainConfig, progress: bool = True, resume: bool = False) -> Path:
    """Fine-tune config.base_model with LoRA on the curriculum; returns the run folder.

    resume=True continues the run folder's last checkpoint (or starts it when it has none).
    Raises ValueError for a bad config before any model is loaded.
    """
    check_config(config, resume=resume)
    if config.answer_format is None:
        config = config.model_copy(update={"answer_format": curriculum_format(config.curriculum_path)})
    config = _agree_on_run_id(config)
    run_dir = config.run_dir
    is_main = _rank() == 0
    wall_start = time.time()
    if is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(run_dir / "config.json", config.model_dump(mode="json"))
        job = jobs.current_job()
        if job is not None:
            job.add_outputs(run_dir=str(run_dir.resolve()), run_id=config.run_id)
        me = os.getpid()
        jobs.update_status(
            run_dir, run_id=config.run_id, kind="train", state="running", pid=me,
            # A run started outside a job shares its group with the shell or notebook that
            # started it: cancel must signal only this process, so no pgid is recorded.
            pgid=os.getpgrp() if job is not None else None, proc_start=jobs.proc_start_time(me),
            job_dir=str(job.folder.resolve()) if job is not None else None,
            command=list(sys.argv), started_at=jobs.now_iso(), created_at_s=time.time(),
            ended_at=None, error=None, outputs={"run_dir": str(run_dir.resolve())}, step=0,
            total_steps=config.max_steps, cancel_requested=False, stopped_early=None,
        )

    previous_handler = None
    if threading.current_thread() is threading.main_thread():
        def on_sigterm(_signum: int, _frame: Any) -> None:
            raise TrainingCancelled("training cancelled (SIGTERM)")

        previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        manifest = _train(config, run_dir, progress=progress, resume=resume, is_main=is_main, wall_start=wall_start)
    except BaseException as err:
        if is_main:
            cancelled = isinstance(err, KeyboardInterrupt)
            jobs.update_status(run_dir, state="cancelled" if cancelled else "failed", ended_at=jobs.now_iso(),
                               error=None if cancelled else f"{type(err).__name__}: {err}"[:1000])
        raise
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    if is_main:
        jobs.update_status(run_dir, state="done", ended_at=jobs.now_iso(), step=manifest["total_steps"],
                           total_steps=manifest["total_steps"], loss=manifest["final_loss"])
    return run_dir


def _lora_targets(config: TrainConfig) -> str | list[str]:
    # peft refuses layers_to_transform with the "all-linear" shorthand, so name the modules then.
    if config.target_modules != [ALL_LINEAR]:
        return list(config.target_modules)
    if config.lora_layers is None:
        return ALL_LINEAR
    from physlab.models import linear_module_names

    return linear_module_names(config.base_model)


def _top_layers(model: Any, count: int | None) -> list[int] | None:
    # The indices of the last `count` blocks (peft's layers_to_transform); None adapts every block.
    if count is None:
        return None
    depth = int(model.config.num_hidden_layers)
    return list(range(max(0, depth - count), depth))


def _train(config: TrainConfig, run_dir: Path, progress: bool, resume: bool, is_main: bool,
           wall_start: float) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments, set_seed
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.trainer_utils import get_last_checkpoint

    from physlab.models import default_device, dtype_for, encode_prompt, load_model, resolve_model

    rows = read_curriculum(config.curriculum_path)
    data_hash = sha256_file(config.curriculum_path)
    set_seed(config.seed)
    device = config.device or default_device()
    # Default: torch's own choice (all cores). On a shared machine, fewer threads can be much
    # faster (2 threads on a 2-core box under load 3 took 42 s/step, 1 thread 8.5 s): set it.
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)

    if device == "cuda" and _world_size() > 1:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    load_start = time.monotonic()
    model, tokenizer = load_model(config.base_model, device=device, for_training=True)
    load_s = time.monotonic() - load_start

    examples, skipped, truncated = [], 0, 0
    for row in rows:
        example = tokenize_example(tokenizer, row["prompt"], row["completion"], config.max_length,
                                   segments=row.get("segments"), decision_weight=config.decision_weight)
        if example is None:
            skipped += 1
            continue
        full = len(tokenizer(row["completion"], add_special_tokens=False).input_ids) + 1
        truncated += int(len(encode_prompt(tokenizer, row["prompt"])) + full > config.max_length)
        examples.append(example)
    if not examples:
        raise ValueError(f"max_length: {config.max_length} tokens leaves no room for any completion "
                         f"(every prompt is at least that long); raise --max-length")

    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=_lora_targets(config),
        bias="none", task_type="CAUSAL_LM",
        layers_to_transform=_top_layers(model, config.lora_layers),
    )
    model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())

    on_gpu = device.startswith("cuda")
    precision = resolve_precision(config.precision, device)
    checkpoints = run_dir / "checkpoints"
    args = TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # transformers 5: a float < 1 is a fraction of all steps
        lr_scheduler_type="linear",
        logging_strategy="steps",
        logging_steps=config.logging_steps,
        save_strategy="epoch" if config.save_checkpoints else "no",
        save_total_limit=1,  # the latest is all resume needs (~3x the adapter: weights + Adam moments)
        seed=config.seed,
        data_seed=config.seed,
        train_sampling_strategy="group_by_length",
        include_num_input_tokens_seen="non_padding",
        bf16=precision == "bf16",
        use_cpu=not on_gpu,
        ddp_backend=None if on_gpu else ("gloo" if _world_size() > 1 else None),
        ddp_find_unused_parameters=False,  # every LoRA weight gets a gradient each step
        label_names=["labels"],
        report_to="none",
        disable_tqdm=not (progress and is_main),
        remove_unused_columns=False,  # the examples hold only what the collator reads ("weights" included)
        dataloader_num_workers=0,  # tokenized lists in memory: workers would only add start-up time
    )

    last_checkpoint = get_last_checkpoint(str(checkpoints)) if resume and checkpoints.is_dir() else None
    elapsed_offset = 0.0
    if is_main:
        metrics_path = run_dir / "metrics.jsonl"
        if last_checkpoint:
            # Steps logged after the checkpoint will be trained (and logged) again.
            step = int(Path(last_checkpoint).name.rsplit("-", 1)[-1])
            kept = _metrics_rows_up_to(metrics_path, step)
            metrics_path.write_text("".join(line + "\n" for line in kept))
            if kept:
                elapsed_offset = float(json.loads(kept[-1]).get("elapsed_s", 0.0))
        elif metrics_path.exists():
            metrics_path.unlink()
        if resume and not last_checkpoint:
            print(f"physlab: no checkpoint in {checkpoints}; starting run {config.run_id} from the beginning",
                  file=sys.stderr)

    commit = git_commit()  # the code that trains, read now: the tree may change during an hour's run
    metrics_writer, quiet_progress = _callbacks(run_dir, elapsed_offset, config.max_minutes)
    # DDP expects one forward per backward, so several processes train on full rows.
    prefix_len = shared_prefix_length(examples) if config.share_prefix and _world_size() == 1 else 0
    prefix_ids = list(examples[0]["input_ids"][:prefix_len])

    # DDP syncs gradients through its wrapper's forward, so several processes use the model's own loss.
    answer_loss = config.answer_logits and supports_answer_position_loss(model) and _world_size() == 1

    class PhyslabTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            inputs = dict(inputs)
            weights = inputs.pop("loss_weights", None)  # only with --decision-weight != 1
            if prefix_ids:
                inputs = with_shared_prefix(model, inputs, prefix_ids)
            if answer_loss and not return_outputs:
                return answer_position_loss(model, inputs, num_items_in_batch, weights=weights)
            if weights is not None and not return_outputs:
                return weighted_token_loss(model, inputs, weights, num_items_in_batch)
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)

    trainer = PhyslabTrainer(
        model=model, args=args, train_dataset=examples,
        data_collator=CompletionCollator(tokenizer.pad_token_id, trim_logits=accepts_logits_to_keep(model),
                                         prefix_len=prefix_len, pad_multiple=config.pad_multiple),
        processing_class=tokenizer, callbacks=[metrics_writer],
    )
    # Replace the Trainer's per-step printed dicts with the loss shown in the bar (metrics.jsonl has them all).
    trainer.pop_callback(PrinterCallback)
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(quiet_progress)
    train_start = time.monotonic()
    output = trainer.train(resume_from_checkpoint=last_checkpoint)
    train_s = time.monotonic() - train_start

    manifest: dict[str, Any] = {}
    if trainer.is_world_process_zero():
        trainer.model.save_pretrained(str(run_dir))  # adapter_config.json + adapter_model.safetensors
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
        steps_this_session = max(trainer.state.global_step - (int(Path(last_checkpoint).name.rsplit("-", 1)[-1])
                                                               if last_checkpoint else 0), 1)
        resolved = resolve_model(config.base_model)
        manifest = {
            "run_id": config.run_id,
            "preset": config.preset,
            "base_model": config.base_model,
            "base_model_source": {"kind": resolved.kind, "source": resolved.source, "gguf_file": resolved.gguf_file},
            "curriculum": str(config.curriculum_path),
            "data_sha256": data_hash,
            "answer_format": config.answer_format or "answer",
            "seed": config.seed,
            "versions": library_versions(),
            "git_commit": commit,
            "device": device,
            "dtype": str(dtype_for(device)).removeprefix("torch."),
            "precision": precision,
            "world_size": _world_size(),
            # What torch.distributed itself says (not the environment): proof that ranks synchronised.
            "distributed": _distributed_state(),
            "dataset_hash": (fileio.read_meta_quiet(config.curriculum_path) or {}).get("dataset_hash"),
            "torch_threads": torch.get_num_threads(),
            "train_examples": len(examples),
            "shared_prefix_tokens": prefix_len,
            "skipped_examples": skipped,
            "truncated_examples": truncated,
            "effective_batch": config.batch_size * config.grad_accum * _world_size(),
            "total_steps": trainer.state.global_step,
            "epochs_done": round(float(trainer.state.epoch or 0.0), 4),
            "final_loss": losses[-1] if losses else None,
            "first_loss": losses[0] if losses else None,
            "train_loss": float(output.training_loss),
            "trainable_params": trainable,
            "total_params": total,
            "tokens_seen": int(trainer.state.num_input_tokens_seen),
            "load_time_s": round(load_s, 2),
            "train_time_s": round(train_s, 2),
            "seconds_per_step": round(train_s / steps_this_session, 3),
            "wall_time_s": round(time.time() - wall_start, 2),
            "peak_memory_mb": peak_memory_mb(device),
            "resumed_from": last_checkpoint,
            "finished_at": jobs.now_iso(),
        }
        write_json_atomic(run_dir / "manifest.json", manifest)
    return manifest


# --------------------------------------------------------------------------- background


def train_argv(config: TrainConfig, resume: bool = False) -> list[str]:
    """The `physlab train` argument list that runs this config (for jobs.submit)."""
    argv = [sys.executable, "-m", "physlab", "train"]
    defaults = TrainConfig.model_construct()
    for name in TrainConfig.model_fields:
        value = getattr(config, name)
        if name != "preset" and value == getattr(defaults, name, object()):
            continue
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + name.replace("_", "-"))
        elif isinstance(value, list):
            argv += [flag, ",".join(value)]
        else:
            argv += [flag, str(value)]
    if resume:
        argv.append("--resume")
    return argv


def submit_training(config: TrainConfig, jobs_dir: Path | str | None = None, resume: bool = False) -> jobs.Job:
    """Check the config (no model load), then queue the run as a background job; returns the job.

    The run id is fixed now so the caller knows the run folder before the job starts.
    """
    check_config(config, resume=resume)
    config = config.with_run_id()
    jobs_dir = Path(jobs_dir) if jobs_dir else fileio.jobs_dir()  # the one queue every command shares
    return jobs.submit("train", train_argv(config, resume=resume), jobs_dir,
                       outputs={"run_dir": str(config.run_dir.resolve()), "run_id": config.run_id})
