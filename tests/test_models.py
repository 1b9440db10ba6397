"""Model resolution and loading: the embedded model, local folders, hub ids, adapters, prompt text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from physlab import models
from physlab.models import EMBEDDED_INSTALL, ModelNotFound, load_model, render_prompt, resolve_model

# ---------------------------------------------------------------------------- resolution (fast)


def test_bogus_name_is_one_clear_error() -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_model("not a model!!")
    message = str(caught.value)
    assert "'not a model!!'" in message
    assert EMBEDDED_INSTALL in message and "embedded" in message
    assert isinstance(caught.value, ValueError)  # the CLI prints ValueErrors as one line


def test_missing_path_names_what_was_tried(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such-model"
    with pytest.raises(ModelNotFound, match="such-model"):
        resolve_model(str(missing))


def test_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="holds no model"):
        resolve_model(str(tmp_path))


def test_hub_id_resolves_without_loading() -> None:
    resolved = resolve_model("Qwen/Qwen2.5-0.5B")
    assert (resolved.kind, resolved.source, resolved.gguf_file) == ("hub", "Qwen/Qwen2.5-0.5B", None)


def test_embedded_resolves_to_the_packaged_gguf() -> None:
    resolved = resolve_model("embedded")
    assert resolved.kind == "embedded"
    assert (Path(resolved.source) / resolved.gguf_file).is_file()
    assert resolved.gguf_file == models.EMBEDDED_GGUF
    assert resolve_model(None) == resolved


def test_missing_embedded_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotFound) as caught:
        resolve_model("embedded")
    assert EMBEDDED_INSTALL in str(caught.value)


def test_uncached_hub_model_offline_fails_fast_and_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(ModelNotFound) as caught:
        load_model("physlab-test/certainly-not-cached", device="cpu")
    assert time.monotonic() - started < 30
    message = str(caught.value)
    assert "physlab-test/certainly-not-cached" in message and "cache" in message and EMBEDDED_INSTALL in message


def test_missing_adapter_is_refused_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="adapter_config.json"):
        load_model("embedded", adapter=tmp_path / "nothing-here", device="cpu")


def test_render_prompt_without_chat_template_is_prompt_and_newline() -> None:
    class PlainTokenizer:
        chat_template = None

    assert render_prompt(PlainTokenizer(), "Will it tip?") == "Will it tip?\n"


def test_linear_module_names_of_embedded_model_need_no_weights() -> None:
    names = models.linear_module_names("embedded")
    assert {"q_proj", "v_proj", "down_proj"} <= set(names)


# ---------------------------------------------------------------------------- the real model (slow)


@pytest.fixture(scope="module")
def embedded():
    started = time.monotonic()
    model, tokenizer = load_model("embedded", device="cpu")
    print(f"\nembedded model load: {time.monotonic() - started:.1f} s")
    return model, tokenizer


@pytest.mark.slow
def test_embedded_model_loads_and_generates(embedded) -> None:
    import torch

    model, tokenizer = embedded
    assert type(model).__name__ == "LlamaForCausalLM"
    assert model.dtype == torch.float32 and model.device.type == "cpu"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert tokenizer.pad_token_id is not None and tokenizer.padding_side == "left"
    ids = torch.tensor([models.encode_prompt(tokenizer, "What is 2 + 2? Answer with one number.")])
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=5, do_sample=False)
    text = tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
    assert text.strip(), "greedy generation produced nothing"
    # Cached: a second call costs nothing and is the same object.
    assert load_model("embedded", device="cpu")[0] is model


@pytest.mark.slow
def test_render_prompt_uses_the_chat_template(embedded) -> None:
    _, tokenizer = embedded
    text = render_prompt(tokenizer, "Will the cup tip?")
    assert "<|im_start|>user\nWill the cup tip?<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")
    ids = models.encode_prompt(tokenizer, "Will the cup tip?")
    start = tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert ids[0] == start and ids.count(start) == 3  # system, user, assistant: no doubled specials


@pytest.mark.slow
def test_saved_folder_loads_through_the_transformers_path(embedded, tmp_path: Path) -> None:
    """The Hub-id / local-folder code path (AutoModelForCausalLM.from_pretrained on a folder),
    tested on what ships: the embedded model saved with save_pretrained."""
    import torch

    model, tokenizer = embedded
    folder = tmp_path / "saved"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    assert resolve_model(str(folder)).kind == "local"
    reloaded, retok = load_model(str(folder), device="cpu")
    assert reloaded is not model
    # No hub kernels swapped in (transformers >= 5.2x would, and fails without a hub on a GPU).
    assert not getattr(reloaded, "use_kernels", False)
    ids = torch.tensor([models.encode_prompt(retok, "Will the glass slip?")])
    assert ids.tolist()[0] == models.encode_prompt(tokenizer, "Will the glass slip?")
    with torch.no_grad():
        torch.testing.assert_close(reloaded(ids).logits, model(ids).logits, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_adapter_loads_on_a_private_copy(embedded, tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model

    model, tokenizer = embedded
    trainable, _ = load_model("embedded", device="cpu", for_training=True)
    assert trainable is not model and trainable.training
    # init_lora_weights=False: a non-zero update, so the adapter visibly changes the logits.
    peft_model = get_peft_model(trainable, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                      init_lora_weights=False, task_type="CAUSAL_LM"))
    peft_model.save_pretrained(tmp_path / "adapter")
    adapted, _ = load_model("embedded", adapter=tmp_path / "adapter", device="cpu")
    assert type(adapted).__name__.startswith("Peft") and not adapted.training
    ids = torch.tensor([models.encode_prompt(tokenizer, "Will the egg crush?")])
    with torch.no_grad():
        base_logits = model(ids).logits
        assert not torch.allclose(adapted(ids).logits, base_logits, atol=1e-3)
        # The cached base model was not touched by either copy.
        assert not any("lora" in name for name, _ in model.named_modules())
        torch.testing.assert_close(load_model("embedded", device="cpu")[0](ids).logits, base_logits)
