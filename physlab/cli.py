"""The `physlab` command line: a thin dispatcher over the library.

Each area registers its subcommands from physlab/commands/<area>.py; heavy imports
(torch, transformers) happen inside the command functions so `physlab --help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Areas in the order they appear in --help. Every one must import: a missing module fails the
# CLI instead of silently dropping its commands.
COMMAND_MODULES = ("data", "curriculum", "train", "evaluate", "validate", "pipeline", "app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="physlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        # A missing command module is a broken install, not a smaller CLI: let it fail loudly.
        module = importlib.import_module(f"physlab.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as err:
        # Bad input is the user's to fix: one clear message, no traceback.
        print(f"physlab: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        # Expected file-system trouble (an unwritable --out, a full disk): one message, no traceback.
        where = f" {err.filename}" if getattr(err, "filename", None) else ""
        print(f"physlab: error:{where}: {err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("physlab: interrupted", file=sys.stderr)
        return 130
