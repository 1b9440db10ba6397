"""Backends: the scoring arithmetic, Ollama against a loopback fake, specs, references.

The slow tests load the embedded SmolLM2-135M model and check that the fast scoring path
(one prompt pass, shared KV cache, left padding) gives the same probabilities as the slow,
obvious one (one unpadded forward pass per full answer).
"""

from __future__ import annotations

import json
import math

import pytest

from physlab import cli
from physlab.backends import (
    BackendError,
    DummyBackend,
    FewShotBackend,
    MajorityBackend,
    OllamaBackend,
    check_spec,
    combine_answer_logprobs,
    make_backend,
    pick_fewshot_examples,
    plan_answers,
)
from physlab.labels import LABELS, MODES
from physlab.prompts import ANSWER_PREFIXES, build_prompt, parse_answer

try:
    from fake_ollama import FakeOllama
except ImportError:  # tests/ imported as a package
    from tests.fake_ollama import FakeOllama

DESCRIPTIONS = [
    "A robot lifts a full glass of water and carries it quickly across a table; it brakes hard at the end.",
    "Gripper squeezes a raw egg with 30 N.",
]


# --------------------------------------------------------------------------- scoring arithmetic


def test_combine_decides_fail_first_then_mode_by_summed_likelihood():
    # P(YES token) = 0.75, P(NO token) = 0.25; mode likelihoods 0.6 : 0.3 : 0.1 (summed logs).
    modes = {"tipping": math.log(0.6), "slipping": math.log(0.3), "crushing": math.log(0.1)}
    probs = combine_answer_logprobs(math.log(0.75) - 3.0, math.log(0.25) - 3.0, modes)  # shared offset cancels
    assert probs["success"] == pytest.approx(0.25)
    assert probs["tipping"] == pytest.approx(0.75 * 0.6)
    assert probs["slipping"] == pytest.approx(0.75 * 0.3)
    assert probs["crushing"] == pytest.approx(0.75 * 0.1)
    assert sum(probs.values()) == pytest.approx(1.0)


def test_combine_is_not_a_flat_argmax_over_answer_strings():
    # Seven YES answers share the failure mass: each YES string is less likely than NO,
    # yet failing (0.7) is more likely than not. A flat argmax would answer "success".
    modes = {m: math.log(1 / 7) for m in MODES}
    probs = combine_answer_logprobs(math.log(0.7), math.log(0.3), modes)
    assert 1 - probs["success"] == pytest.approx(0.7)
    assert all(probs[m] < probs["success"] for m in MODES)


def test_plan_finds_decision_token_and_shared_yes_prefix():
    # Token ids as SmolLM2 gives them: NO | Y ES \n FAIL ... : <mode tokens>
    ids = {"success": [1, 9, 5, 6], "tipping": [2, 3, 9, 5, 6, 10],
           "sloshing": [2, 3, 9, 5, 6, 11, 12, 13], "rolling_away": [2, 3, 9, 5, 6, 14, 15]}
    plan = plan_answers(ids)
    assert plan.decision == 0
    assert plan.shared == 5
    assert plan.yes_labels == ("tipping", "sloshing", "rolling_away")


def test_plan_refuses_answers_that_decide_after_the_mode():
    ids = {"success": [5, 6, 7], "tipping": [5, 6, 8], "slipping": [5, 6, 9]}
    with pytest.raises(NotImplementedError, match="decision"):
        plan_answers(ids)


# --------------------------------------------------------------------------- Ollama


def test_ollama_generates_greedily_through_the_official_client():
    replies = {"qwen2.5:1.5b": lambda prompt: "YES\nFAILURE_MODE: sloshing\nREASONING: full glass, hard brake"}
    with FakeOllama(replies) as server:
        backend = OllamaBackend("qwen2.5:1.5b", host=server.url)
        prompts = [build_prompt(d) for d in DESCRIPTIONS]
        outputs = backend.generate(prompts, max_new_tokens=48)
        chats = [r["body"] for r in server.requests if r["path"] == "/api/chat"]
    assert [parse_answer(o).label for o in outputs] == ["sloshing", "sloshing"]
    assert [c["messages"][-1]["content"] for c in chats] == prompts  # the same prompt every backend gets
    assert all(c["options"]["temperature"] == 0 and c["options"]["num_predict"] == 48 for c in chats)
    assert all(c["stream"] is False for c in chats)
    assert not backend.supports_score


def test_ollama_host_comes_from_OLLAMA_HOST(monkeypatch):
    with FakeOllama({"qwen2.5:1.5b": lambda p: "NO\nFAILURE_MODE: none"}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        backend = make_backend("ollama:qwen2.5:1.5b")
        assert backend.host == server.url
        assert parse_answer(backend.generate(["x"])[0]).label == "success"


def test_ollama_unknown_model_says_how_to_pull_it():
    with FakeOllama({"qwen2.5:1.5b": lambda p: ""}) as server:
        with pytest.raises(BackendError) as err:
            OllamaBackend("llama3.2:1b", host=server.url)
    assert "ollama pull llama3.2:1b" in str(err.value)
    assert server.url in str(err.value)


def test_ollama_unreachable_server_is_a_clear_message():
    server = FakeOllama().start()
    url = server.url
    server.stop()  # nothing listens on that port now
    with pytest.raises(BackendError) as err:
        OllamaBackend("qwen2.5:1.5b", host=url)
    message = str(err.value)
    assert url in message and "ollama serve" in message and "ollama pull qwen2.5:1.5b" in message


def test_cli_with_unreachable_ollama_prints_one_line_not_a_traceback(monkeypatch, capsys):
    server = FakeOllama().start()
    url = server.url
    server.stop()
    monkeypatch.setenv("OLLAMA_HOST", url)
    code = cli.main(["predict", "--model", "ollama:qwen2.5:1.5b", "--text", "A mug is carried slowly."])
    err = capsys.readouterr().err
    assert code == 2
    assert "ollama serve" in err and url in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- specs and references


def test_unknown_spec_lists_the_allowed_forms():
    with pytest.raises(BackendError) as err:
        make_backend("gpt-4")
    for form in ("base", "fewshot", "majority", "run:<run_id>", "ollama:<name>", "hf:<"):
        assert form in str(err.value)


def test_an_unknown_run_option_names_the_allowed_ones(tmp_path):
    for make in (make_backend, check_spec):
        with pytest.raises(BackendError) as err:
            make("run:w1:shaped", runs_dir=tmp_path)
        for option in ("run:<id>:no-calculator", "run:<id>:typed", "run:<id>:grammar"):
            assert option in str(err.value)


def test_missing_run_and_unfinished_run_are_clear(tmp_path):
    with pytest.raises(BackendError, match="no training run 'nope'"):
        make_backend("run:nope", runs_dir=tmp_path)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "manifest.json").write_text(json.dumps({"base_model": "embedded"}))
    with pytest.raises(BackendError, match="no adapter yet"):
        make_backend("run:half", runs_dir=tmp_path)


def test_majority_and_fewshot_need_training_data(tmp_path):
    with pytest.raises(BackendError, match="preset"):
        make_backend("majority")
    with pytest.raises(BackendError, match="physlab data generate --preset nothere"):
        make_backend("majority", preset="nothere", data_dir=tmp_path)


def test_majority_answers_the_most_common_training_label():
    backend = MajorityBackend(["success", "tipping", "tipping", "success", "crushing", "tipping"])
    assert backend.label == "tipping"
    assert parse_answer(backend.generate(["a", "b"])[1]).label == "tipping"
    assert backend.score(["a"]) == [{lab: float(lab == "tipping") for lab in LABELS}]
    assert MajorityBackend(["slipping", "crushing"]).label == "crushing"  # a tie: alphabetical, stable


def _train_records():
    labels = ["success"] * 6 + ["tipping"] * 3 + ["crushing"] * 2 + ["sloshing"]
    return [{"id": f"t{i}", "label": lab, "description": f"scenario {i} ({lab})",
             "explanation": f"because {lab}"} for i, lab in enumerate(labels)]


def test_fewshot_examples_cover_distinct_labels_deterministically():
    picked = pick_fewshot_examples(_train_records(), k=4, seed=0)
    assert len(picked) == 4
    assert len({r["label"] for r in picked}) == 4  # success + three different modes
    assert picked == pick_fewshot_examples(_train_records(), k=4, seed=0)


def test_fewshot_puts_worked_examples_before_the_question():
    seen: list[str] = []
    inner = DummyBackend(lambda p: seen.append(p) or "NO\nFAILURE_MODE: none")
    backend = FewShotBackend(inner, pick_fewshot_examples(_train_records(), k=2))
    question = build_prompt("A box is lifted slowly.")
    backend.generate([question])
    assert seen[0].endswith(question)
    assert seen[0].count("Answer:\n") == 2
    assert "REASONING: because" in seen[0]


# --------------------------------------------------------------------------- the embedded model


@pytest.fixture(scope="module")
def embedded():
    from physlab.backends import TransformersBackend

    # float32: the checks below compare two computations of the same numbers to 1e-4
    return TransformersBackend("embedded", batch_size=4, precision="fp32")


@pytest.mark.slow
def test_fast_scoring_matches_one_forward_pass_per_answer(embedded):
    prompts = [build_prompt(d) for d in DESCRIPTIONS]  # different lengths: left padding is exercised
    batched = embedded.score(prompts)
    for prompt, fast in zip(prompts, batched, strict=True):
        slow = embedded.reference_score(prompt)
        assert set(fast) == set(LABELS)
        assert sum(fast.values()) == pytest.approx(1.0, abs=1e-6)
        assert max(abs(fast[k] - slow[k]) for k in LABELS) < 1e-4
    alone = embedded.score(prompts[1:])[0]
    assert max(abs(alone[k] - batched[1][k]) for k in LABELS) < 1e-4


@pytest.mark.slow
def test_batched_greedy_generation_equals_one_at_a_time(embedded):
    prompts = [build_prompt(d) for d in DESCRIPTIONS]
    together = embedded.generate(prompts, max_new_tokens=12)
    alone = [embedded.generate([p], max_new_tokens=12)[0] for p in prompts]
    assert together == alone
    assert all(isinstance(t, str) and t for t in together)


@pytest.mark.slow
def test_answer_heads_tokenize_as_the_scorer_expects(embedded):
    plan = plan_answers(embedded.answer_token_ids())
    assert plan.decision == 0  # YES vs NO is decided by the first answer token
    assert set(plan.yes_labels) == set(MODES)
    assert embedded.tokenizer.decode(plan.yes_ids[0][:plan.shared]).strip() == ANSWER_PREFIXES["tipping"].rsplit(" ", 1)[0]


@pytest.mark.slow
def test_a_run_folder_loads_its_adapter_and_base_model(embedded, tmp_path):
    """run:<id> reads the base model from the manifest and applies the adapter. A fresh LoRA
    adapter (B = 0) must leave the model's answers exactly as the base model's."""
    import copy

    from peft import LoraConfig, get_peft_model

    run = tmp_path / "runs" / "fresh"
    peft_model = get_peft_model(copy.deepcopy(embedded.model),
                                LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    peft_model.save_pretrained(run)
    (run / "manifest.json").write_text(json.dumps({"base_model": "embedded"}))
    student = make_backend("run:fresh", runs_dir=tmp_path / "runs", batch_size=2, precision="fp32")
    assert student.name == "run:fresh"
    assert not hasattr(student.model, "peft_config")  # merged into its own copy of the weights
    assert student.model is not embedded.model
    prompt = build_prompt(DESCRIPTIONS[0])
    fast, base = student.score([prompt])[0], embedded.score([prompt])[0]
    assert max(abs(fast[k] - base[k]) for k in LABELS) < 1e-4
    assert student.generate([prompt], max_new_tokens=6) == embedded.generate([prompt], max_new_tokens=6)


@pytest.mark.slow
def test_the_shared_prompt_prefix_is_cached_and_rebuilt_when_prompts_change(embedded):
    prompts = [build_prompt(d) for d in DESCRIPTIONS]
    embedded.score(prompts)
    # The chat template, system turn and instruction are computed once, not per prompt.
    assert len(embedded._prefix[0]) > 100
    other = ["Worked example: a full mug tips over on a tray.\n\n" + p for p in prompts]
    for prompt, fast in zip(other, embedded.score(other), strict=True):
        slow = embedded.reference_score(prompt)
        assert max(abs(fast[k] - slow[k]) for k in LABELS) < 1e-4
    assert "Worked example" in embedded.tokenizer.decode(list(embedded._prefix[0]))


@pytest.mark.slow
def test_bf16_scores_stay_close_to_float32(embedded):
    from physlab.backends import TransformersBackend

    bf16 = TransformersBackend("embedded", batch_size=4, precision="bf16")
    assert str(bf16.model.dtype) == "torch.bfloat16" and str(embedded.model.dtype) == "torch.float32"
    prompts = [build_prompt(d) for d in DESCRIPTIONS]
    for low, full in zip(bf16.score(prompts), embedded.score(prompts), strict=True):
        assert sum(low.values()) == pytest.approx(1.0, abs=1e-6)
        assert max(abs(low[k] - full[k]) for k in LABELS) < 0.05


@pytest.mark.slow
def test_bf16_scoring_does_not_round_the_answer_logits(embedded):
    # bf16 logits keep 8 significant bits (a step of 0.125 at 16-32), so close YES and NO logits
    # tied and an undecided student read exactly P = 0.5. Scoring projects in float32 instead.
    import torch

    from physlab.backends import TransformersBackend

    bf16 = TransformersBackend("embedded", batch_size=4, precision="bf16")
    ids = torch.tensor([bf16._encode_prompt(build_prompt(DESCRIPTIONS[0]))])
    with torch.no_grad():
        rounded = bf16.model(input_ids=ids).logits[0, -1].float()
        with bf16._fp32_logits():
            exact = bf16.model(input_ids=ids).logits[0, -1]
        again = bf16.model(input_ids=ids).logits[0, -1]
    assert exact.dtype == torch.float32 and again.dtype == torch.bfloat16, "the float32 head is only used inside"
    assert torch.allclose(exact.bfloat16().float(), rounded, atol=0.25), "the same logits, before rounding"
    off_grid = (exact * 8 - (exact * 8).round()).abs() > 1e-3  # not a multiple of 1/8
    assert off_grid.float().mean() > 0.9 and not ((rounded * 8 - (rounded * 8).round()).abs() > 1e-3)[rounded.abs() >= 16].any()
    # The batched, cached score reads the same float32 logits (its bf16 body sums in another
    # order than one plain pass, so the two agree to about 1e-2, not to float32's 1e-4).
    assert bf16.score([build_prompt(DESCRIPTIONS[0])])[0] == pytest.approx(
        bf16.reference_score(build_prompt(DESCRIPTIONS[0])), abs=0.02)


def test_a_precision_outside_the_allowed_values_is_refused():
    from physlab.backends import TransformersBackend

    with pytest.raises(BackendError, match="precision must be one of auto, bf16, fp32"):
        TransformersBackend("embedded", precision="fp8", loaded=(None, None))


@pytest.mark.slow
def test_a_merged_adapter_answers_like_the_unmerged_peft_model(embedded, tmp_path):
    """Students are served merged (as fast as the base model); merging must not change them."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model

    from physlab.backends import TransformersBackend

    torch.manual_seed(0)
    peft_model = get_peft_model(copy.deepcopy(embedded.model),
                                LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    for name, param in peft_model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.02)
    run = tmp_path / "runs" / "trained"
    peft_model.save_pretrained(run)
    (run / "manifest.json").write_text(json.dumps({"base_model": "embedded"}))
    merged = make_backend("run:trained", runs_dir=tmp_path / "runs", batch_size=2, precision="fp32")
    unmerged = TransformersBackend("embedded", batch_size=2, loaded=(peft_model.eval(), embedded.tokenizer))
    prompts = [build_prompt(d) for d in DESCRIPTIONS]
    for a, b, base in zip(merged.score(prompts), unmerged.score(prompts), embedded.score(prompts), strict=True):
        assert max(abs(a[k] - b[k]) for k in LABELS) < 1e-4
        assert max(abs(a[k] - base[k]) for k in LABELS) > 1e-3  # the adapter does change the answers


# --------------------------------------------------------------------------- issue 14, item 14


def _tiny_transformers_backend():
    """A 2-layer random Llama with a character tokenizer: real TransformersBackend code paths
    (prefix cache, batching), no model file, a fraction of a second per call."""
    import string

    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from physlab.backends import TransformersBackend

    vocab = {"<pad>": 0, "<eos>": 1, **{c: i + 2 for i, c in enumerate(string.printable)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tok.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>")
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                         max_position_embeddings=512)).eval()
    return TransformersBackend("tiny", loaded=(model, tokenizer), batch_size=2, name="tiny", precision="fp32")


def test_one_backend_scored_from_two_threads_gives_each_its_own_numbers():
    """The dashboard shares one cached backend across sessions; its prefix cache is shared state."""
    import threading
    import time

    backend = _tiny_transformers_backend()
    groups = {"a": [f"alpha alpha alpha alpha: mug {i}" for i in range(4)],
              "b": [f"bravo bravo bravo bravo bravo: egg {i}" for i in range(4)]}
    expected = {}
    for name, prompts in groups.items():
        expected[name] = [backend.reference_score(p) for p in prompts]
    real_forward = backend.model.forward

    def slow_forward(*args, **kwargs):  # widen the window in which another thread can interleave
        time.sleep(0.005)
        return real_forward(*args, **kwargs)

    backend.model.forward = slow_forward
    backend._prefix = None
    wrong: list[str] = []
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        for _ in range(6):
            for got, want in zip(backend.score(groups[name]), expected[name], strict=True):
                if max(abs(got[k] - want[k]) for k in LABELS) > 1e-4:
                    wrong.append(name)

    threads = [threading.Thread(target=work, args=(name,)) for name in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not wrong, f"{len(wrong)} scores came out wrong under concurrent use"
