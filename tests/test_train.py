"""LoRA training: config checks before any model load, completion-only labels, a real short run,
resume, a background job, and a 2-process torchrun run on the CPU."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from physlab import cli, jobs, models
from physlab import train as training
from physlab.commands import train as train_commands
from physlab.train import CompletionCollator, TrainConfig, tokenize_example

SCENARIOS = [
    ("a glass of water filled to 95% moved sideways at 0.8 m/s", "YES\nFAILURE_MODE: sloshing\nREASONING: the surface tilts past the rim."),
    ("a steel block of 0.5 kg lifted slowly with a firm grip", "NO\nFAILURE_MODE: none\nREASONING: the grip force is ample."),
    ("a tall thin vase pushed at its top at 0.6 m/s", "YES\nFAILURE_MODE: tipping\nREASONING: the push acts above the tipping point."),
    ("an egg squeezed with 40 N of grip force", "YES\nFAILURE_MODE: crushing\nREASONING: 40 N exceeds what the shell takes."),
    ("a wooden box carried at 0.2 m/s through an open space", "NO\nFAILURE_MODE: none\nREASONING: nothing is near its limit."),
    ("a ball released on a 10 degree slope", "YES\nFAILURE_MODE: rolling_away\nREASONING: nothing stops it rolling."),
    ("a wet bottle held with 5 N of grip force while lifted fast", "YES\nFAILURE_MODE: slipping\nREASONING: friction cannot carry the weight."),
    ("a mug moved slowly, half full", "NO\nFAILURE_MODE: none\nREASONING: the liquid stays well below the rim."),
]


def write_curriculum(data_dir: Path, preset: str = "tiny") -> Path:
    path = data_dir / preset / "curriculum.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"prompt": f"You are a robot physics expert.\nScenario: {text}.\nWill this manipulation fail?",
             "completion": answer, "scenario_id": f"tiny-{i}", "teacher": "physics"}
            for i, (text, answer) in enumerate(SCENARIOS)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_curriculum(tmp_path / "data")
    return tmp_path


def tiny_config(workspace: Path, **overrides) -> TrainConfig:
    base = {"preset": "tiny", "data_dir": str(workspace / "data"), "runs_dir": str(workspace / "results" / "runs"),
            "device": "cpu", "batch_size": 4, "max_steps": 2}
    return TrainConfig(**{**base, **overrides})


@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the config was checked")

    monkeypatch.setattr(models, "load_model", refuse)
    monkeypatch.setattr(models, "_load_base", refuse)


# ---------------------------------------------------------------------------- config checks (fast)


def test_defaults_are_the_published_recipe() -> None:
    config = TrainConfig(preset="seed")
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (8, 32, 0.05)
    assert config.target_modules == ["q_proj", "v_proj"]
    assert (config.epochs, config.learning_rate, config.base_model) == (3, 2e-4, "embedded")
    assert config.curriculum_path == Path("data/seed/curriculum.jsonl")
    assert all(training.field_help()[name] for name in TrainConfig.model_fields), "every field has help text"


def test_rank_zero_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"lora_r: must be >= 1 \(got 0\)"):
        TrainConfig.from_dict({"preset": "seed", "lora_r": 0})


@pytest.mark.parametrize("field, value", [("lora_dropout", 1.5), ("learning_rate", 0), ("epochs", -1),
                                          ("max_steps", 0), ("batch_size", 0), ("device", "tpu"),
                                          ("preset", "../etc"), ("target_modules", "all-linear,q_proj"),
                                          ("precision", "fp8"), ("decision_weight", 0), ("decision_weight", float("nan"))])
def test_bad_values_name_their_field(field: str, value) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig.from_dict({"preset": "seed", field: value})


def test_target_modules_accept_comma_text_and_all_linear() -> None:
    assert TrainConfig(preset="s", target_modules="q_proj, k_proj,v_proj").target_modules == ["q_proj", "k_proj", "v_proj"]
    assert TrainConfig(preset="s", target_modules="all-linear").target_modules == ["all-linear"]
    assert TrainConfig(preset="s", max_steps=-1).max_steps is None


def test_unknown_target_module_is_rejected_before_loading(workspace: Path, no_model_load) -> None:
    config = tiny_config(workspace, target_modules=["q_proj", "attention.query"])
    with pytest.raises(ValueError) as caught:
        training.train(config)
    message = str(caught.value)
    assert "attention.query" in message and "q_proj" in message and "down_proj" in message
    assert not (workspace / "results").exists(), "nothing is written for a rejected config"


def test_missing_curriculum_says_how_to_build_it(tmp_path: Path, no_model_load) -> None:
    config = TrainConfig(preset="seed", data_dir=str(tmp_path / "data"))
    with pytest.raises(ValueError, match=r"physlab curriculum build --preset seed"):
        training.train(config)


def test_existing_run_is_not_overwritten(workspace: Path, no_model_load) -> None:
    config = tiny_config(workspace, run_id="taken")
    (config.run_dir).mkdir(parents=True)
    (config.run_dir / "adapter_config.json").write_text("{}")
    with pytest.raises(ValueError, match="--resume"):
        training.train(config)


def test_broken_curriculum_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "curriculum.jsonl"
    path.write_text(json.dumps({"prompt": "p", "completion": "c"}) + "\n" + json.dumps({"prompt": "p"}) + "\n")
    with pytest.raises(ValueError, match=r"curriculum.jsonl:2: field 'completion'"):
        training.read_curriculum(path)


def test_cli_rejects_bad_config_with_exit_code_2(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["train", "--preset", "tiny", "--data-dir", str(workspace / "data"), "--lora-r", "0"])
    assert code == 2
    assert "lora_r: must be >= 1" in capsys.readouterr().err
    code = cli.main(["train", "--preset", "nothere", "--data-dir", str(workspace / "data")])
    assert code == 2
    assert "physlab curriculum build --preset nothere" in capsys.readouterr().err


def test_train_argv_round_trips_through_the_cli(workspace: Path) -> None:
    config = tiny_config(workspace, lora_r=16, target_modules="all-linear", save_checkpoints=False, run_id="x1")
    argv = training.train_argv(config)
    assert argv[:4] == [sys.executable, "-m", "physlab", "train"]
    args = cli.build_parser().parse_args(argv[3:])
    assert train_commands.config_from_args(args) == config


def test_precision_auto_follows_the_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "cpu_has_native_bf16", lambda: True)
    assert training.resolve_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(models, "cpu_has_native_bf16", lambda: False)
    assert training.resolve_precision("auto", "cpu") == "fp32"
    assert training.resolve_precision("fp32", "cpu") == "fp32"


# ---------------------------------------------------------------------------- tokenization (fast)


class CharTokenizer:
    """One token per character; BOS 1 when special tokens are added; EOS 2."""

    chat_template = None
    eos_token_id = 2
    pad_token_id = 0

    def __call__(self, text: str, add_special_tokens: bool = True):
        class Encoded:
            input_ids = ([1] if add_special_tokens else []) + [ord(c) for c in text]

        return Encoded()


def test_loss_only_on_the_completion_and_its_eos() -> None:
    tok = CharTokenizer()
    example = tokenize_example(tok, "Q?", "YES", max_length=64)
    prompt_ids = models.encode_prompt(tok, "Q?")  # exactly what evaluation feeds the model
    assert prompt_ids == [1, ord("Q"), ord("?"), ord("\n")]
    assert example["input_ids"] == prompt_ids + [ord("Y"), ord("E"), ord("S"), 2]
    assert example["labels"] == [-100] * 4 + [ord("Y"), ord("E"), ord("S"), 2]


def test_long_examples_are_cut_or_skipped() -> None:
    tok = CharTokenizer()
    cut = tokenize_example(tok, "Q?", "ABCDEFGH", max_length=6)
    assert len(cut["input_ids"]) == 6 and cut["labels"] == [-100] * 4 + [ord("A"), ord("B")]
    assert tokenize_example(tok, "a prompt of twenty c", "A", max_length=16) is None


def test_collator_pads_each_batch_to_its_own_longest_row() -> None:
    features = [{"input_ids": [5, 6, 7], "labels": [-100, 7, 2]}, {"input_ids": [5, 6, 7, 8, 9], "labels": [-100, -100, -100, 9, 2]}]
    batch = CompletionCollator(pad_token_id=0)(features)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 0, 0], [5, 6, 7, 8, 9]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert batch["labels"].tolist() == [[-100, 7, 2, -100, -100], [-100, -100, -100, 9, 2]]


def test_collator_rounds_the_width_up_to_a_multiple() -> None:
    features = [{"input_ids": [5, 6, 7], "labels": [-100, 7, 2]}, {"input_ids": [5, 6, 7, 8, 9], "labels": [-100, -100, -100, 9, 2]}]
    batch = CompletionCollator(pad_token_id=0, pad_multiple=4, trim_logits=True)(features)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 0, 0, 0, 0, 0], [5, 6, 7, 8, 9, 0, 0, 0]]
    assert batch["attention_mask"].sum().item() == 8  # padding is masked out of attention
    # the loss sees the same answer tokens: labels kept from the first answer position on
    assert [t for row in batch["labels"].tolist() for t in row if t != -100] == [7, 2, 9, 2]
    assert batch["logits_to_keep"] == batch["labels"].shape[1]


def test_trimmed_logits_give_the_same_loss() -> None:
    """logits_to_keep skips the output layer on the prompt; the loss must not change."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2))
    features = [{"input_ids": [5, 6, 7, 8, 9, 10], "labels": [-100, -100, -100, 8, 9, 10]},
                {"input_ids": [11, 12, 13, 14, 15, 16, 17, 18], "labels": [-100] * 5 + [16, 17, 18]},
                {"input_ids": [20, 21, 22, 23], "labels": [-100, -100, 22, 23]}]
    full = CompletionCollator(0)(features)
    trimmed = CompletionCollator(0, trim_logits=True)(features)
    assert trimmed["logits_to_keep"] == 8 - 1 and trimmed["labels"].shape == (3, 7)
    assert models.accepts_logits_to_keep(model)
    with torch.no_grad():
        torch.testing.assert_close(model(**trimmed).loss, model(**full).loss)
    # Rounding the width and the kept positions up to a multiple (few matmul shapes) keeps the loss too.
    rounded = CompletionCollator(0, trim_logits=True, pad_multiple=4)(features)
    assert rounded["input_ids"].shape == (3, 8) and rounded["logits_to_keep"] == 8
    with torch.no_grad():
        torch.testing.assert_close(model(**rounded).loss, model(**full).loss)


def test_collator_rounds_the_kept_logit_positions_to_the_multiple_too() -> None:
    features = [{"input_ids": list(range(1, 10)), "labels": [-100] * 6 + [7, 8, 9]},
                {"input_ids": list(range(1, 8)), "labels": [-100] * 5 + [6, 7]}]
    batch = CompletionCollator(pad_token_id=0, pad_multiple=4, trim_logits=True)(features)
    assert batch["input_ids"].shape == (2, 12)
    # the first answer token is at 5: 8 positions from 4 on would do; rounded up to 8 (a multiple of 4)
    assert batch["logits_to_keep"] == 8 and batch["labels"].shape == (2, 8)
    assert [t for row in batch["labels"].tolist() for t in row if t != -100] == [7, 8, 9, 6, 7]


def test_sharing_the_prompt_prefix_gives_the_same_loss_and_gradients() -> None:
    """The prefix every example shares is computed once per step (with gradients) and its KV
    cache repeated per row: loss and LoRA gradients must equal those of the full rows."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    base = LlamaForCausalLM(LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=2))
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"]))
    for name, param in model.named_parameters():  # LoRA B starts at 0; make the adapter matter
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5)
    prefix = [3, 4, 5, 6, 7]
    features = [{"input_ids": prefix + [50, 51, 8, 9, 10], "labels": [-100] * 7 + [8, 9, 10]},
                {"input_ids": prefix + [60, 61, 62, 63, 16, 17], "labels": [-100] * 9 + [16, 17]},
                {"input_ids": prefix + [70, 22, 23], "labels": [-100] * 6 + [22, 23]}]
    assert training.shared_prefix_length(features) == 5
    assert training.shared_prefix_length(features[:1]) == 0

    def loss_and_grads(inputs):
        model.zero_grad()
        loss = model(**inputs).loss
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    full_loss, full_grads = loss_and_grads(CompletionCollator(0, trim_logits=True)(features))
    shared = CompletionCollator(0, trim_logits=True, prefix_len=5)(features)
    assert shared["input_ids"].shape == (3, 6) and shared["attention_mask"].shape == (3, 11)
    assert int(shared["attention_mask"].sum()) == sum(len(f["input_ids"]) for f in features)  # tokens seen
    shared_loss, shared_grads = loss_and_grads(training.with_shared_prefix(model, shared, prefix))
    torch.testing.assert_close(shared_loss, full_loss)
    for name, grad in full_grads.items():
        torch.testing.assert_close(shared_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_the_answer_position_loss_equals_the_models_own_loss_and_gradients() -> None:
    """Training projects only answer positions onto the vocabulary, a chunk at a time; loss and
    LoRA gradients must equal the model's own loss over the padded, trimmed batch, with the
    shared prefix too, whether the Trainer passes a token count or not."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    base = LlamaForCausalLM(LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=2))
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear"))
    for name, param in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5)
    assert training.supports_answer_position_loss(model)
    prefix = [3, 4, 5, 6, 7]
    features = [{"input_ids": prefix + [50, 51, 8, 9, 10], "labels": [-100] * 7 + [8, 9, 10]},
                {"input_ids": prefix + [60, 61, 62, 63, 16, 17, 18, 19], "labels": [-100] * 9 + [16, 17, 18, 19]},
                {"input_ids": prefix + [70, 22, 23], "labels": [-100] * 6 + [22, 23]}]

    def loss_and_grads(compute):
        model.zero_grad()
        loss = compute()
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    def inputs(batch, prefix_len):  # the prefix's KV cache is built (with gradients) and filled per forward
        return training.with_shared_prefix(model, batch, prefix) if prefix_len else batch

    for prefix_len, pad_multiple in ((0, 1), (5, 4)):
        batch = CompletionCollator(0, trim_logits=True, prefix_len=prefix_len, pad_multiple=pad_multiple)(features)
        for count in (None, torch.tensor(11)):  # 11 answer tokens; the Trainer may pass a larger count
            extra = {} if count is None else {"num_items_in_batch": count}
            want, want_grads = loss_and_grads(lambda b=batch, p=prefix_len, e=extra: model(**inputs(b, p), **e).loss)
            got, got_grads = loss_and_grads(  # chunk_rows=3: several chunks
                lambda b=batch, p=prefix_len, c=count: training.answer_position_loss(model, inputs(b, p), c, chunk_rows=3))
            torch.testing.assert_close(got, want)
            for name, grad in want_grads.items():
                torch.testing.assert_close(got_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)
    assert not training.supports_answer_position_loss(torch.nn.Linear(2, 2))


class OffsetCharTokenizer(CharTokenizer):
    """CharTokenizer that also reports each token's characters, as a fast tokenizer does."""

    def __call__(self, text: str, add_special_tokens: bool = True, return_offsets_mapping: bool = False):
        encoded = super().__call__(text, add_special_tokens)
        if return_offsets_mapping:
            encoded.offset_mapping = [(i, i + 1) for i in range(len(text))]
        return encoded


def test_decision_weight_scales_the_check_heads_and_the_answer_lines_only() -> None:
    segments = [["grasp slipping: 2*9.81 =", True], [" 0.5", False],
                [" ok\ntransport sloshing: slosh(a=2) =", True], [" 1.3", False],
                [" FAILS\nYES\nFAILURE_MODE: sloshing", True]]
    completion = "".join(text for text, _ in segments)
    tok = OffsetCharTokenizer()
    plain = tokenize_example(tok, "Q?", completion, max_length=400, segments=segments)
    assert "weights" not in plain  # weight 1 keeps the plain examples (and loss) exactly
    example = tokenize_example(tok, "Q?", completion, max_length=400, segments=segments, decision_weight=4.0)
    assert example["input_ids"] == plain["input_ids"] and example["labels"] == plain["labels"]
    weights = example["weights"]
    assert len(weights) == len(example["input_ids"]) and weights[:4] == [0.0] * 4  # no loss on the prompt
    heavy = "".join(chr(t) for t, w in zip(example["input_ids"], weights, strict=True) if w == 4.0)
    assert heavy == "grasp slipping:" + "transport sloshing:" + "YES" + "FAILURE_MODE: sloshing"
    assert set(weights[4:]) == {1.0, 4.0}
    assert training.decision_spans("NO\nFAILURE_MODE: none") == [(0, 2), (3, 21)]
    # "NOTE" or a formula's "max(" never counts; only whole answer words and line heads
    assert training.decision_spans("NOTE: x\nlift largest: max(a=1) = a") == [(8, 21)]


def test_collator_carries_the_weights_aligned_with_the_labels() -> None:
    features = [{"input_ids": [5, 6, 7, 8], "labels": [-100, -100, 7, 8], "weights": [0.0, 0.0, 3.0, 1.0]},
                {"input_ids": [5, 6, 9], "labels": [-100, 9, 2], "weights": [0.0, 1.0, 3.0]}]
    batch = CompletionCollator(pad_token_id=0, trim_logits=True, pad_multiple=1)(features)
    assert batch["loss_weights"].shape == batch["labels"].shape
    for labels, weights in zip(batch["labels"].tolist(), batch["loss_weights"].tolist(), strict=True):
        assert [w for t, w in zip(labels, weights, strict=True) if t != -100] in ([3.0, 1.0], [1.0, 3.0])
        assert not any(w for t, w in zip(labels, weights, strict=True) if t == -100)  # prompt and padding: no weight


def test_the_weighted_loss_is_the_plain_loss_at_weight_one_and_scales_the_chosen_tokens() -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    base = LlamaForCausalLM(LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=2))
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear"))
    features = [{"input_ids": [3, 4, 50, 51, 8, 9, 10], "labels": [-100] * 4 + [8, 9, 10]},
                {"input_ids": [3, 4, 60, 16, 17, 18], "labels": [-100] * 3 + [16, 17, 18]}]
    ones = [dict(f, weights=[0.0 if t == -100 else 1.0 for t in f["labels"]]) for f in features]
    heavy = [dict(f, weights=[0.0 if t == -100 else (5.0 if t in (8, 17) else 1.0) for t in f["labels"]])
             for f in features]
    plain = CompletionCollator(0, trim_logits=True)(features)
    with torch.no_grad():
        want = model(**plain).loss
        for make in (lambda b, w: training.weighted_token_loss(model, b, w),
                     lambda b, w: training.answer_position_loss(model, b, weights=w)):
            batch = CompletionCollator(0, trim_logits=True)(ones)
            torch.testing.assert_close(make(batch, batch.pop("loss_weights")), want)
            batch = CompletionCollator(0, trim_logits=True)(heavy)
            weights = batch.pop("loss_weights")
            # by hand: per-token NLL over the 6 answer tokens, tokens 8 and 17 counted 5 times
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits.float()
            targets = batch["labels"][:, 1:]
            nll = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, 100), targets.reshape(-1),
                                                    ignore_index=-100, reduction="none").reshape(targets.shape)
            scale = torch.where(targets == 8, 5.0, torch.where(targets == 17, 5.0, 1.0))
            by_hand = (nll * scale * (targets != -100)).sum() / 6
            torch.testing.assert_close(make(batch, weights), by_hand)
            assert make(batch, weights) > want


# ---------------------------------------------------------------------------- real training (slow)


@pytest.fixture(scope="module")
def warm_model():
    """Load the embedded model once: train() then takes a private copy (~1 s) instead of ~15 s."""
    started = time.monotonic()
    models.load_model("embedded", device="cpu")
    return time.monotonic() - started


@pytest.mark.slow
def test_a_time_budget_stops_training_and_keeps_the_adapter(workspace: Path, warm_model: float) -> None:
    # A budget shorter than one step: the run ends after its first step, saved as usual.
    config = tiny_config(workspace, run_id="budget", max_steps=3, max_minutes=1e-4, save_checkpoints=False)
    run_dir = training.train(config, progress=False)
    assert (run_dir / "adapter_model.safetensors").is_file()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1]
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "done" and "time budget" in status["stopped_early"], status
    with pytest.raises(ValueError, match="max_minutes"):
        TrainConfig(preset="s", max_minutes=0)


def test_lora_layers_adapts_only_the_last_blocks(workspace: Path, warm_model: float) -> None:
    from safetensors.torch import load_file

    config = tiny_config(workspace, run_id="top2", max_steps=1, lora_layers=2, save_checkpoints=False,
                         target_modules="all-linear")
    run_dir = training.train(config, progress=False)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    # r=8 on q, k, v, o (576x576, 576x192 twice, 576x576) and gate, up, down (576x1536 each):
    # 81,408 per block, in 2 of the 30 blocks.
    assert manifest["trainable_params"] == 2 * 81_408
    blocks = {int(k.split(".layers.")[1].split(".")[0]) for k in load_file(str(run_dir / "adapter_model.safetensors"))}
    assert blocks == {28, 29}
    assert json.loads((run_dir / "adapter_config.json").read_text())["layers_to_transform"] == [28, 29]
    # The adapter loads back for answering with the same blocks adapted.
    adapted, _ = models.load_model("embedded", adapter=run_dir, device="cpu")
    assert {n.split(".layers.")[1].split(".")[0] for n, _ in adapted.named_parameters() if "lora_A" in n} == {"28", "29"}


def test_decision_weight_reaches_the_trainers_loss(workspace: Path, warm_model: float) -> None:
    """One real step, same seed and batch, with and without --decision-weight: the weighted run's
    first loss is higher (YES/NO and FAILURE_MODE tokens count 4 times, the divisor is the same),
    so the weights survive the Trainer's column handling and reach the loss."""
    losses = {}
    for weight in (1.0, 4.0):
        config = tiny_config(workspace, run_id=f"weight-{weight:g}", max_steps=1, save_checkpoints=False,
                             decision_weight=weight)
        run_dir = training.train(config, progress=False)
        losses[weight] = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])["loss"]
        assert json.loads((run_dir / "config.json").read_text())["decision_weight"] == weight
    assert losses[4.0] > losses[1.0] * 1.05, losses


def test_lora_layers_beyond_the_model_is_rejected_before_loading(workspace: Path, no_model_load) -> None:
    with pytest.raises(ValueError, match=r"lora_layers: 31 is more than .* 30 transformer blocks"):
        training.train(tiny_config(workspace, lora_layers=31))
    with pytest.raises(ValueError, match=r"lora_layers: must be a number of blocks"):
        TrainConfig.from_dict({"preset": "seed", "lora_layers": 0})
    assert not (workspace / "results").exists()


@pytest.mark.slow
def test_a_few_real_steps_write_a_loadable_adapter(workspace: Path, warm_model: float) -> None:
    import torch
    from safetensors.torch import load_file

    config = tiny_config(workspace, run_id="short", max_steps=2)
    run_dir = training.train(config, progress=False)
    assert run_dir == config.run_dir
    for name in ("adapter_config.json", "adapter_model.safetensors", "config.json", "manifest.json",
                 "metrics.jsonl", "status.json"):
        assert (run_dir / name).is_file(), name

    # The saved config is the one given, with the answer format read from the curriculum.
    assert TrainConfig(**json.loads((run_dir / "config.json").read_text())) == \
        config.model_copy(update={"answer_format": "answer"})
    manifest = json.loads((run_dir / "manifest.json").read_text())
    curriculum = config.curriculum_path.read_bytes()
    assert manifest["data_sha256"] == hashlib.sha256(curriculum).hexdigest()
    assert manifest["train_examples"] == len(SCENARIOS) and manifest["total_steps"] == 2
    assert manifest["trainable_params"] == 460_800  # r=8 on q_proj (576x576) and v_proj (576x192), 30 layers
    assert math.isfinite(manifest["final_loss"]) and manifest["seed"] == 42 and manifest["device"] == "cpu"
    assert {"torch", "transformers", "peft"} <= set(manifest["versions"])
    print(f"\nload (warm cache copy) {manifest['load_time_s']} s, {manifest['seconds_per_step']} s/step "
          f"(batch 4), first load {warm_model:.1f} s")

    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    for row in rows:
        assert {"step", "epoch", "loss", "learning_rate", "tokens_per_s", "elapsed_s"} <= set(row)
        assert math.isfinite(row["loss"]) and row["loss"] > 0 and row["tokens_per_s"] > 0
    status = jobs.Job.load(run_dir).status()
    assert status["state"] == "done" and status["step"] == 2

    # Training moved the adapter: LoRA B starts at zero.
    weights = load_file(str(run_dir / "adapter_model.safetensors"))
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in weights.items())
    # And it loads back with peft on top of the base model.
    adapted, tokenizer = models.load_model("embedded", adapter=run_dir, device="cpu")
    assert type(adapted).__name__.startswith("Peft")
    ids = torch.tensor([models.encode_prompt(tokenizer, json.loads(config.curriculum_path.read_text().splitlines()[0])["prompt"])])
    with torch.no_grad():
        out = adapted.generate(ids, max_new_tokens=4, do_sample=False)
    assert out.shape[1] > ids.shape[1]


@pytest.mark.slow
def test_resume_continues_from_the_last_checkpoint(workspace: Path, warm_model: float) -> None:
    # 8 examples / batch 4 = 2 steps per epoch: the epoch-end checkpoint is checkpoint-2.
    config = tiny_config(workspace, run_id="resumable", max_steps=2)
    run_dir = training.train(config, progress=False)
    assert (run_dir / "checkpoints" / "checkpoint-2").is_dir()
    longer = config.model_copy(update={"max_steps": 3})
    training.train(longer, progress=False, resume=True)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["total_steps"] == 3 and manifest["resumed_from"].endswith("checkpoint-2")
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


@pytest.mark.slow
def test_background_training_job(workspace: Path) -> None:
    config = tiny_config(workspace, run_id="bg", max_steps=1, save_checkpoints=False)
    job = training.submit_training(config, jobs_dir=workspace / "results" / "jobs")
    status = job.wait(timeout=300)
    assert status["state"] == "done", job.log_tail(40)
    assert status["outputs"]["run_dir"] == str(config.run_dir.resolve())
    run_status = jobs.Job.load(config.run_dir).status()
    assert run_status["state"] == "done" and run_status["job_dir"] == str(job.folder.resolve())
    assert (config.run_dir / "adapter_model.safetensors").is_file()


@pytest.mark.slow
def test_torchrun_two_cpu_processes(workspace: Path) -> None:
    """Two gloo processes really trained together: torch.distributed says so in the manifest,
    and the adapter equals a single process's on the same global batch (all 8 examples in one
    step: 2 x 4 against 1 x 8; no dropout, full rows, so the gradients are the same sum)."""
    from safetensors.torch import load_file

    runs_dir = workspace / "results" / "runs"
    common = ["--preset", "tiny", "--data-dir", str(workspace / "data"), "--runs-dir", str(runs_dir),
              "--max-steps", "1", "--device", "cpu", "--no-save-checkpoints", "--lora-dropout", "0",
              "--no-share-prefix", "--precision", "fp32"]  # bf16 rounding would blur the comparison
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "physlab", "train", *common, "--batch-size", "4", "--run-id", "ddp"]
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = runs_dir / "ddp"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["world_size"] == 2 and manifest["effective_batch"] == 8 and manifest["total_steps"] == 1
    # world_size above comes from the environment; this is torch.distributed's own state.
    assert manifest["distributed"] == {"initialized": True, "backend": "gloo", "world_size": 2, "rank": 0}
    rows = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1, "only rank 0 writes metrics"
    single = subprocess.run([sys.executable, "-m", "physlab", "train", *common, "--batch-size", "8", "--run-id", "one"],
                            capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert single.returncode == 0, single.stderr[-3000:]
    one = json.loads((runs_dir / "one" / "manifest.json").read_text())
    assert one["distributed"]["initialized"] is False and one["effective_batch"] == 8
    a = load_file(str(run_dir / "adapter_model.safetensors"))
    b = load_file(str(runs_dir / "one" / "adapter_model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:  # B starts at zero, so the first step leaves every A as initialised (same seed)
        if "lora_A" in key:
            assert (a[key] == b[key]).all(), key
    moved = differ = total = 0
    for key in (k for k in a if "lora_B" in k):
        moved += int((a[key] != 0).sum())
        differ += int(((a[key] - b[key]).abs() > 1e-6).sum())
        total += a[key].numel()
    assert moved > 0.9 * total, "one step must move the LoRA B matrices away from zero"
    # Adam's first step is about lr * sign(gradient): entries whose gradient is ~0 can round either
    # way (the all-reduce sums in another order; measured: 851 of 230,400), while another batch
    # would flip the sign of a large share of them. The same global batch: (almost) all equal.
    assert differ <= 0.01 * total, f"{differ} of {total} LoRA B weights differ from the single-process run"
    print(f"\ntorchrun 2 x CPU, 1 step: {elapsed:.0f} s wall")
