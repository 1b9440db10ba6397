"""`physlab curriculum build`: turn a preset's train split into curriculum.jsonl."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "curriculum", help="build the training curriculum (prompt + answer with reasoning)",
        description="Build data/<preset>/curriculum.jsonl from data/<preset>/train.jsonl.")
    sub = parser.add_subparsers(dest="curriculum_command", metavar="ACTION")
    build = sub.add_parser(
        "build", help="write data/<preset>/curriculum.jsonl",
        description="One example per train scenario: the prompt, and the answer with a REASONING "
                    "line written by the teacher. Labels always come from physics; an LLM teacher's "
                    "answer that disagrees is rejected and replaced by the physics teacher's.")
    build.add_argument("--preset", required=True, help="dataset preset, e.g. seed or standard")
    build.add_argument("--teacher", default="physics",
                       help="physics (default, offline), ollama:MODEL (host from OLLAMA_HOST) or "
                            "openai:MODEL (PHYSLAB_OPENAI_BASE_URL, PHYSLAB_OPENAI_API_KEY)")
    build.add_argument("--data-dir", default=None, help="folder holding <preset>/train.jsonl (default: $PHYSLAB_DATA_DIR, else data)")
    build.add_argument("--out", default=None, help="output file (default: <data-dir>/<preset>/curriculum.jsonl)")
    build.add_argument("--answers-only", action="store_true",
                       help="targets without the REASONING line, written to <preset>/curriculum-answers.jsonl "
                            "(train on it with --curriculum); the decision and mode get the whole gradient")
    build.add_argument("--format", dest="answer_format", default="answer", choices=("answer", "worked"),
                       help="answer (default): YES/NO, FAILURE_MODE, REASONING; worked: one formula line per "
                            "physics check with the description's numbers, evaluated by a calculator, then "
                            "the answer, written to <preset>/curriculum-worked.jsonl (physics teacher only)")
    build.add_argument("--rare-target", type=int, default=0, metavar="N",
                       help="--format worked: describe the train records holding rare checks again (other "
                            "wording, same scenario) until every check appears in N targets (default 0: off)")
    build.add_argument("--max-variants", type=int, default=2, metavar="K",
                       help="with --rare-target: at most K extra descriptions per record (default 2)")
    build.add_argument("--set-down", type=float, default=0.0, metavar="SHARE",
                       help="--format worked: also add this share (0 to 1) of the train records set down on "
                            "the support instead of let go above it, relabelled by physics (default 0: off)")
    build.add_argument("--balance-by", default="check", choices=("check", "formula"),
                       help="with --rare-target: count a check by its phase and mode (check, default) or also "
                            "by the form of its formula (formula: a torque line apart from a payload line)")
    build.add_argument("--tilt", type=float, default=0.0, metavar="SHARE",
                       help="--format worked: also add this share (0 to 1) of the rolling train records let go "
                            "on a slope instead of a level support, relabelled by physics (default 0: off)")
    build.add_argument("--stop", type=float, default=0.0, metavar="SHARE",
                       help="--format worked: also add this share (0 to 1) of the train records with an obstacle "
                            "made to stop before it, relabelled by physics; above 1, copies per record (2.5: two "
                            "each, a third for half of them; at most 8) (default 0: off)")
    build.add_argument("--fill", type=float, default=0.0, metavar="SHARE",
                       help="--format worked: also add this share (0 to 1) of the carried train records with an "
                            "empty upright container (vase, jar, bottle, can, glass, mug) filled with liquid, "
                            "relabelled by physics (default 0: off)")
    build.add_argument("--decide-target", type=int, default=0, metavar="N",
                       help="--format worked: add perturbed copies (one or two varied quantities scaled, "
                            "relabelled by physics) until each way a phase with several checks is decided "
                            "appears in N targets, where the draws allow (default 0: off)")
    build.add_argument("--compare", action="store_true",
                       help="--format worked: end a failing lift or transport phase with a comparison line, "
                            "'transport largest: max(slipping=1.497, sloshing=2.017) = sloshing', whose "
                            "answer the calculator writes (default: off)")
    build.add_argument("--na-lines", action="store_true",
                       help="--format worked: write each optional check of a phase (an obstacle, a crush limit, "
                            "a liquid, a slope, a rolling body) at a fixed place, as 'grasp crushing: n/a' where "
                            "it does not apply (default: off)")
    build.add_argument("--copy-wording", default="train", choices=("train", "wide"),
                       help="--format worked: the wording of the extra copies (rare checks, set down, ...): "
                            "train (default, the splits' train templates) or wide (those plus curriculum-only "
                            "phrasings, physlab.describe.WIDE; never a held-out template)")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=_build)
    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _build(args: argparse.Namespace) -> int:
    from physlab.teacher import CurriculumStats, TeacherUnavailableError, build_curriculum, parse_teacher_spec

    parse_teacher_spec(args.teacher)  # a bad spec fails before any file is read
    if args.answer_format == "worked" and (args.teacher != "physics" or args.answers_only):
        raise ValueError("--format worked is written by the physics teacher alone, without --answers-only")
    if (args.rare_target or args.set_down or args.tilt or args.stop or args.fill or args.decide_target or args.compare
            or args.na_lines or args.balance_by != "check" or args.copy_wording != "train") \
            and args.answer_format != "worked":
        raise ValueError("--rare-target, --balance-by, --set-down, --tilt, --stop, --fill, --decide-target, "
                         "--compare, --na-lines, --copy-wording: only with --format worked")
    stats = CurriculumStats()
    try:
        path = build_curriculum(args.preset, teacher=args.teacher, data_dir=args.data_dir, out=args.out,
                                progress=not args.quiet, stats=stats, answers_only=args.answers_only,
                                answer_format=args.answer_format, rare_target=args.rare_target,
                                max_variants=args.max_variants, set_down=args.set_down,
                                balance_by=args.balance_by, tilt=args.tilt, stop=args.stop, fill=args.fill,
                                decide_target=args.decide_target, compare=args.compare,
                                na_lines=args.na_lines, copy_wording=args.copy_wording)
    except TeacherUnavailableError as err:
        print(f"physlab: error: {err}", file=sys.stderr)
        return 1
    if args.quiet:  # otherwise build_curriculum has already printed the summary (stderr)
        print(f"{path}: {stats.summary()}")
    return 0
