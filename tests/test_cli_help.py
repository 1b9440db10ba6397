"""Every `physlab` command and subcommand prints its --help (argparse formats help text with %,
so a field description such as "13% faster" once made `physlab train --help` crash)."""

from __future__ import annotations

import argparse

import pytest

from physlab.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:  # noqa: SLF001 (argparse keeps subparsers here)
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


COMMANDS = _commands(build_parser())


def test_the_walk_finds_the_commands_a_user_types() -> None:
    assert {("train",), ("evaluate",), ("curriculum", "build"), ("data", "generate")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "physlab")
def test_help_prints(command: tuple[str, ...], capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: physlab" in capsys.readouterr().out
