"""CLI: `physlab app`: start the Streamlit dashboard (the same as `make app`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("app", help="start the dashboard (http://localhost:8501)")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_app)


def cmd_app(args: argparse.Namespace) -> int:
    if not APP.is_file():
        raise FileNotFoundError(f"{APP} not found: `physlab app` runs from a source checkout")
    # Run from the checkout so .streamlit/config.toml (localhost only, theme) applies.
    os.chdir(APP.parent)
    argv = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(args.port)]
    os.execv(sys.executable, argv)
    return 0  # not reached
