"""GPU speed with models built from a config: the real shapes, random weights.

Speed does not depend on the weights' values, and the GPU machine has no model hub and carries
at most 64 MiB, so the 98 MB embedded model cannot travel. Two steps:

1. Here, with the embedded model installed, write what the GPU machine needs (about 11 MiB):
   SmolLM2's tokenizer, the seed curriculum, the standard test split and a worked curriculum.

       .venv/bin/python bench/gpu_speed.py export --out bench/.gpu      # bench/.gpu is git-ignored

   The GPU machine's own packages may lack pydantic or hold other transformers / peft versions:
   carry physlab's as wheels, and run with USE_HUB_KERNELS=NO (physlab's default; transformers
   >= 5.2x otherwise fetches layer kernels from the hub at load time and fails without one).

2. On the GPU machine (device tool: carry bench/.gpu), for each shape:

       PYTHONPATH=. python bench/gpu_speed.py run --assets bench/.gpu --shape qwen2.5-0.5b

   builds the model from its config (random bf16 weights) into a local folder with the tokenizer,
   runs the published recipe through physlab.train (180 examples, 3 epochs, LoRA r8 on q/v,
   batch 4) and reports the wall time *including* loading the model from disk, tokens/s, peak
   memory and the share of the GPU's peak bf16 throughput; then scores the standard test split
   in score mode at several batch sizes. One JSON line per measurement.

       PYTHONPATH=. python bench/gpu_speed.py worked --assets bench/.gpu --steps 200 --batch-sizes 2,16

   times the dashboard's worked recipe (physlab.launch.RECIPES["worked"]: LoRA r16 on all linear
   layers of the last 22 blocks, lr 1e-3, max length 768, decision weight 4) on the exported worked
   curriculum at the SmolLM2-135M shape for a fixed number of steps per batch size, and projects
   the time of the CPU run's 1,040 steps of 2 and of one epoch.

The Qwen2.5-0.5B shape reads SmolLM2's tokenizer (its ids fit the larger vocabulary), so
sequence lengths differ a little from Qwen's own tokenizer's. The FLOP count is the usual
estimate for LoRA training on frozen weights: 4 x (parameters in linear layers) per token
(2 forward, 2 backward for activations; no weight gradients), attention scores not counted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHAPES = {
    # config.json values of HuggingFaceTB/SmolLM2-135M-Instruct and Qwen/Qwen2.5-0.5B
    "smollm2-135m": ("llama", dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                                   num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
                                   rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True)),
    "qwen2.5-0.5b": ("qwen2", dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                                   num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                                   rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True)),
}
# Dense bf16 peak of the cards the device tool lends (NVIDIA datasheets, SXM, without sparsity).
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0}


# What the GPU machine reads: the published recipe's curriculum, the test split it scores and
# the worked curriculum (any `--format worked` build; copied under this name).
EXPORTS = {("seed", "curriculum.jsonl"): "curriculum.jsonl", ("standard", "test.jsonl"): "test.jsonl"}


def export(out: Path, worked: Path) -> None:
    from physlab.models import load_model

    _, tokenizer = load_model("embedded", device="cpu")
    tokenizer.save_pretrained(out / "tokenizer")
    copies = {Path("data") / preset / name: out / "data" / preset / target for (preset, name), target in EXPORTS.items()}
    copies[worked] = out / "data" / "standard" / "curriculum-worked.jsonl"
    for source, target in copies.items():
        if not source.is_file():
            raise SystemExit(f"{source} missing: run `physlab data generate --preset <preset>` and "
                             f"`physlab curriculum build --preset <preset>` (--format worked for the worked one) first")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 2**20:.1f} MiB)")


def build_model(shape: str, tokenizer_dir: Path, folder: Path, device: str) -> int:
    """A model of `shape` with random bf16 weights saved to `folder`; returns its parameters in
    linear layers (the matmul work per token)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    kind, values = SHAPES[shape]
    config = (LlamaConfig if kind == "llama" else Qwen2Config)(**values)
    torch.manual_seed(0)
    with torch.device(device):
        model = (LlamaForCausalLM if kind == "llama" else Qwen2ForCausalLM)(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(tokenizer_dir).save_pretrained(folder)
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))


def gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def peak_tflops(name: str) -> float | None:
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)


def timed_train(config, linear_params: int) -> dict:
    """Train `config` (on CUDA when present, peak memory counters reset first); its manifest's
    timings with the wall time including the model load, tokens/s and achieved TFLOP/s."""
    import torch

    from physlab.train import train

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    train(config, progress=False)
    wall = time.perf_counter() - start
    manifest = json.loads((Path(config.runs_dir) / config.run_id / "manifest.json").read_text())
    tokens, seconds = manifest["tokens_seen"], manifest["train_time_s"]
    return {"steps": manifest["total_steps"], "wall_s_including_model_load": round(wall, 2),
            "load_s": manifest["load_time_s"], "train_s": seconds, "s_per_step": manifest["seconds_per_step"],
            "tokens_per_s": round(tokens / seconds), "peak_memory_mb": manifest["peak_memory_mb"],
            "achieved_tflops": round(4 * linear_params * tokens / seconds / 1e12, 2)}


def run(assets: Path, shape: str, batch_sizes: list[int], max_steps: int | None, n_eval: int) -> None:
    import torch

    from physlab.backends import make_backend
    from physlab.datasets_io import read_split
    from physlab.prompts import build_prompt
    from physlab.train import TrainConfig

    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = gpu_name()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / shape
        linear_params = build_model(shape, assets / "tokenizer", folder, device)
        config = TrainConfig(preset="seed", data_dir=str(assets / "data"), base_model=str(folder),
                             runs_dir=str(Path(tmp) / "runs"), run_id=f"gpu-{shape}", save_checkpoints=False,
                             max_steps=max_steps)
        timings = timed_train(config, linear_params)
        peak = peak_tflops(name)
        print(json.dumps({
            "what": "train, published recipe", "shape": shape, "device": name, **timings,
            "share_of_peak_bf16": round(timings["achieved_tflops"] / peak, 4) if peak else None,
        }), flush=True)

        records = read_split(assets / "data" / "standard" / "test.jsonl")[:n_eval]
        prompts = sorted((build_prompt(r["description"]) for r in records), key=len)
        for batch_size in batch_sizes:
            backend = make_backend(f"hf:{folder}", batch_size=batch_size)
            backend.prepare(prompts)
            backend.score(prompts[:batch_size])  # warm-up: kernels, allocator
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for first in range(0, len(prompts), batch_size):
                backend.score(prompts[first:first + batch_size])
            if device == "cuda":
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            print(json.dumps({"what": "score mode", "shape": shape, "device": name, "batch_size": batch_size,
                              "scenarios": len(prompts), "scenarios_per_s": round(len(prompts) / elapsed, 1)}),
                  flush=True)


def worked(assets: Path, batch_sizes: list[int], steps: int, cpu_steps: int = 1040, cpu_batch: int = 2) -> None:
    """Seconds per step of the dashboard's worked recipe (physlab.launch.RECIPES) at the
    SmolLM2-135M shape, per batch size, with what they project for the CPU run and one epoch."""
    import dataclasses

    import torch

    from physlab import launch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    curriculum = assets / "data" / "standard" / "curriculum-worked.jsonl"
    examples = sum(1 for line in curriculum.open() if line.strip())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "smollm2-135m"
        linear_params = build_model("smollm2-135m", assets / "tokenizer", folder, device)
        for batch_size in batch_sizes:
            form = dataclasses.replace(launch.recipe_form("worked", "standard"), base_model=str(folder),
                                       batch_size=batch_size, max_steps=steps, max_minutes=0)
            config = launch.training_config(form).model_copy(update={
                "data_dir": str(assets / "data"), "curriculum": str(curriculum), "runs_dir": str(Path(tmp) / "runs"),
                "run_id": f"gpu-worked-b{batch_size}", "save_checkpoints": False})
            timings = timed_train(config, linear_params)
            per_step = timings["s_per_step"]
            print(json.dumps({
                "what": "train, worked recipe", "shape": "smollm2-135m", "device": gpu_name(),
                "batch_size": batch_size, **timings,
                # the CPU run's examples (cpu_steps x cpu_batch) at this batch size, and one epoch
                "projected_s_cpu_run_examples": round(per_step * cpu_steps * cpu_batch / batch_size, 1),
                "projected_s_one_epoch": round(per_step * examples / batch_size, 1), "curriculum_examples": examples,
            }), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write the tokenizer and data the GPU machine needs")
    ex.add_argument("--out", type=Path, default=Path("bench/.gpu"))
    ex.add_argument("--worked", type=Path, default=Path("data/standard/curriculum-worked.jsonl"),
                    help="the worked curriculum to export (a `curriculum build --format worked` output)")
    rn = sub.add_parser("run", help="build a model from its config, train the published recipe, time scoring")
    rn.add_argument("--assets", type=Path, default=Path("bench/.gpu"))
    rn.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-0.5b")
    rn.add_argument("--batch-sizes", default="8,64,256")
    rn.add_argument("--max-steps", type=int, default=None, help="stop training early (a smoke test on the CPU)")
    rn.add_argument("--n-eval", type=int, default=660, help="standard test scenarios to score")
    wk = sub.add_parser("worked", help="time the worked student's recipe at the SmolLM2-135M shape")
    wk.add_argument("--assets", type=Path, default=Path("bench/.gpu"))
    wk.add_argument("--batch-sizes", default="2,16")
    wk.add_argument("--steps", type=int, default=200, help="optimizer steps timed per batch size")
    args = parser.parse_args(argv)
    if args.command == "export":
        export(args.out, args.worked)
    elif args.command == "worked":
        worked(args.assets, [int(b) for b in args.batch_sizes.split(",")], args.steps)
    else:
        run(args.assets, args.shape, [int(b) for b in args.batch_sizes.split(",")], args.max_steps, args.n_eval)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
