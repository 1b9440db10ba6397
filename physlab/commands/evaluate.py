"""CLI: `physlab evaluate`, `physlab predict`, `physlab report`, `physlab evaluations list`.

Thin over physlab.evaluate and physlab.report; heavy imports happen inside the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SPLIT_CHOICES = ("test", "ood", "boundary", "wording", "train")
MODE_CHOICES = ("generate", "score")


def register(subparsers: argparse._SubParsersAction) -> None:
    ev = subparsers.add_parser(
        "evaluate", help="evaluate models on a split (records, summary, report)",
        description="Every model answers every scenario of a split; results go to "
                    "results/evaluations/<eval_id>/. Rerunning with the same --eval-id resumes.")
    ev.add_argument("--preset", default="seed", help="data/<preset>/ to read (default: seed)")
    ev.add_argument("--split", default="test", choices=SPLIT_CHOICES, help="which split (default: test)")
    ev.add_argument("--models", default="base",
                    help="comma-separated specs, the first is the reference for McNemar: base, fewshot, "
                         "majority, run:<run_id>, ollama:<name>, hf:<id or path> (default: base)")
    ev.add_argument("--mode", default="generate", choices=MODE_CHOICES,
                    help="generate: greedy text, parsed (the published method); score: likelihood of the "
                         "8 canonical answers, gives probabilities (default: generate)")
    ev.add_argument("--limit", type=int, default=None, help="only the first N scenarios")
    ev.add_argument("--batch-size", type=int, default=8, help="prompts per forward pass (default: 8)")
    ev.add_argument("--max-new-tokens", type=int, default=64, help="generate mode: tokens per answer (default: 64)")
    ev.add_argument("--fewshot-k", type=int, default=4, help="worked examples for 'fewshot' (default: 4)")
    ev.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"),
                    help="transformers models: bf16 autocast, fp32, or auto = bf16 on GPUs and on CPUs with "
                         "native bf16, about 2x faster there (default: auto)")
    ev.add_argument("--eval-id", default=None, help="folder name under results/evaluations (default: <preset>-<split>-<time>)")
    ev.add_argument("--background", action="store_true", help="run as a background job and return at once")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=cmd_evaluate)

    pr = subparsers.add_parser(
        "predict", help="answer free-text scenario descriptions with one model",
        description="Descriptions may be written in any phrasing. Prints the decision, the failure "
                    "mode and the reasoning (and probabilities in score mode).")
    pr.add_argument("--model", required=True, help="a model spec: base, run:<id>, ollama:<name>, hf:<id>, ...")
    source = pr.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="one description")
    source.add_argument("--file", help='a JSONL file, one {"text": ...} per line; other fields are kept (one an answer field would overwrite, e.g. "label", as given_label)')
    pr.add_argument("--out", help="with --file: write JSONL here (default: standard output)")
    pr.add_argument("--mode", default="generate", choices=MODE_CHOICES)
    pr.add_argument("--preset", default=None, help="training data for 'fewshot' and 'majority'")
    pr.add_argument("--batch-size", type=int, default=8)
    pr.add_argument("--max-new-tokens", type=int, default=96)
    pr.add_argument("--reading", action="store_true",
                    help="with --text: also print how a worked student reads each number (unit, kind, role "
                         "word) and the checks the text implies")
    pr.set_defaults(func=cmd_predict)

    rp = subparsers.add_parser("report", help="print an evaluation's table and write its report.md")
    rp.add_argument("eval_id", help="an evaluation id (see `physlab evaluations list`) or its folder")
    rp.set_defaults(func=cmd_report)

    evs = subparsers.add_parser("evaluations", help="evaluations on disk")
    evs_sub = evs.add_subparsers(dest="evaluations_command", metavar="ACTION")
    ls = evs_sub.add_parser("list", help="list evaluations, newest first")
    ls.set_defaults(func=cmd_evaluations_list)
    evs.set_defaults(func=cmd_evaluations_list)


# --------------------------------------------------------------------------- evaluate


def _config_from_args(args: argparse.Namespace):
    from physlab.evaluate import EvalConfig

    return EvalConfig(preset=args.preset, split=args.split, models=args.models, mode=args.mode,
                      limit=args.limit, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                      eval_id=args.eval_id, fewshot_k=args.fewshot_k, precision=args.precision)


def _job_argv(config) -> list[str]:
    """The same evaluation as an argument list for a background process (physlab.launch builds it,
    so the dashboard starts exactly the same command)."""
    from physlab.launch import evaluate_argv

    return evaluate_argv(config)


def cmd_evaluate(args: argparse.Namespace) -> int:
    config = _config_from_args(args)  # validates: a bad field fails here, before any job starts
    if args.background:
        from physlab import jobs

        job = jobs.submit("evaluate", [sys.executable, "-m", "physlab", *_job_argv(config)],
                          Path(config.results_dir) / "jobs",
                          outputs={"eval_id": config.eval_id, "eval_dir": str(config.eval_dir)})
        print(f"started evaluation {config.eval_id} as background job {job.id}; log: {job.log_path}\n"
              f"results: {config.eval_dir}; when done: `physlab report {config.eval_id}`")
        return 0
    from physlab.evaluate import evaluate
    from physlab.report import render_table, write_report

    out = evaluate(config, progress=not args.quiet)
    summary = json.loads((out / "summary.json").read_text())
    print(render_table(summary))
    report = write_report(out)
    print(f"\nrecords: {out / 'records.jsonl'}\nreport:  {report}")
    return 0


# --------------------------------------------------------------------------- predict


def _read_texts(path: Path) -> list[dict]:
    """One row per non-blank line: {"line": n, **the object} or, for a line that cannot be read
    (not UTF-8, not JSON, no "text" string), {"line": n, "error": why}: that line gets an error
    record in the output and every other line is still answered."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    rows = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            rows.append({"line": number, "error": f"{where}: text: not valid UTF-8 (byte {err.start + 1})"})
            continue
        try:
            row = json.loads(line)
        except ValueError as err:
            rows.append({"line": number, "error": f"{where}: not JSON ({getattr(err, 'msg', err)})"})
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            rows.append({"line": number, "error": f'{where}: each line must be an object with a non-empty "text" string'})
            continue
        rows.append({"line": number, **row})
    if not rows:
        raise ValueError(f"{path} holds no descriptions")
    return rows


def _reading(text: str) -> str:
    """How a worked student reads the numbers of `text` (physlab.typedcopy.reading)."""
    from physlab import typedcopy

    lines = ["numbers read (as written, unit, kind, role):"]
    lines += [f"  {r['number']:>10} {r['unit'] or '-':>6}  {r['kind']:<10} {r['role'] or '-'}"
              for r in typedcopy.reading(text)]
    implied = typedcopy.implied_check_names(text)
    lines.append("checks the text implies: " + (", ".join(implied) or "none"))
    return "\n".join(lines)


def cmd_predict(args: argparse.Namespace) -> int:
    from physlab.evaluate import check_text, predict

    if args.out:
        from physlab.fileio import check_out_path

        if args.text is not None:
            raise ValueError("--out: only with --file (one --text answer is printed)")
        check_out_path(args.out)  # before any model loads
    if args.reading and args.text is None:
        raise ValueError("--reading: only with --text")
    if args.text is not None:
        check_text(args.text, "--text")
        rows = [{"text": args.text}]
    else:
        rows = _read_texts(Path(args.file))
    readable = [r for r in rows if "error" not in r]
    answers = iter(predict(args.model, [r["text"] for r in readable], mode=args.mode, preset=args.preset,
                           batch_size=args.batch_size, max_new_tokens=args.max_new_tokens) if readable else [])
    if args.text is not None:
        print(_human(next(answers)))
        if args.reading:
            print(_reading(args.text))
        return 0
    added = ("decision", "mode", "label", "reasoning", "ok", "probabilities", "raw_output", "error")
    lines, errors = [], 0
    for row in rows:
        if "error" in row:
            out = {"line": row["line"], "error": row["error"]}
        else:
            answer = next(answers)
            if answer.get("error"):
                answer = {**answer, "error": f"{args.file}:{row['line']}: {answer['error']}"}
            # A field of the input line that an answer field would overwrite (a "label" the user
            # keeps beside the text, say) is kept as given_<field>.
            given = {f"given_{k}": row[k] for k in added if k in row}
            worked = {k: answer[k] for k in ("derivation", "assumed") if k in answer}
            out = {**row, **given, "text": answer["text"], **{k: answer[k] for k in added}, **worked}
        errors += bool(out.get("error"))
        lines.append(json.dumps(out))
    if args.out:
        from physlab.fileio import write_text_atomic

        write_text_atomic(Path(args.out), "\n".join(lines) + "\n")
        print(f"wrote {len(lines)} answers to {args.out}" + (f" ({errors} lines refused: see their error)"
                                                              if errors else ""), file=sys.stderr)
    else:
        print("\n".join(lines))
        if errors:
            print(f"physlab: {errors} lines refused: see their error field", file=sys.stderr)
    return 1 if errors else 0  # every line has its record; 1 says some of them are errors


def _human(answer: dict) -> str:
    decision = {"fails": "FAILS", "succeeds": "SUCCEEDS"}.get(answer.get("decision"), "UNCLEAR (answer not parsed)")
    lines = [f"decision: {decision}"]
    if answer.get("mode"):
        lines.append(f"failure mode: {answer['mode']}")
    if answer.get("derivation"):  # a worked student: its lines, with the calculator's values
        lines.append("derivation:")
        lines += [f"  {d['text']}" for d in answer["derivation"]]
        lines += [f"note: {note}" for note in answer.get("assumed") or []]
    elif answer.get("reasoning"):
        lines.append(f"reasoning: {answer['reasoning']}")
    probs = answer.get("probabilities")
    if probs:
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        lines.append("probabilities: " + ", ".join(f"{k} {v:.2f}" for k, v in ranked))
    if not answer.get("ok"):
        lines.append(f"raw output: {answer.get('raw_output')!r}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- report, list


def _eval_folder(eval_id: str) -> Path:
    from physlab.evaluate import _default_results_dir

    as_path = Path(eval_id)
    if as_path.is_dir() and ((as_path / "records.jsonl").exists() or (as_path / "summary.json").exists()):
        return as_path
    folder = Path(_default_results_dir()) / "evaluations" / eval_id
    if not folder.is_dir():
        raise FileNotFoundError(f"no evaluation '{eval_id}' in {folder.parent} (see `physlab evaluations list`)")
    return folder


def cmd_report(args: argparse.Namespace) -> int:
    from physlab.report import render_table, write_report

    folder = _eval_folder(args.eval_id)
    path = write_report(folder)
    summary_path = folder / "summary.json"
    if summary_path.is_file():
        print(render_table(json.loads(summary_path.read_text())))
    print(f"\nreport: {path}")
    return 0


def cmd_evaluations_list(args: argparse.Namespace) -> int:
    from physlab.evaluate import list_evaluations

    rows = list_evaluations()
    if not rows:
        print("no evaluations yet: `physlab evaluate --preset seed --split test --models base`")
        return 0
    for r in rows:
        print(f"{r['eval_id']:<36} {r['state']:<9} {str(r['preset']):<9} {str(r['split']):<9} "
              f"{str(r['mode']):<9} {r['records']:>5} records  {','.join(r['models'])}")
    return 0
