"""``jixiao`` command line. Thin: each subcommand module parses arguments and calls a service.

Every subcommand module exposes ``register(subparsers)``; heavy imports stay inside the command
functions so ``jixiao parse`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "app.cli.db_cmd",
    "app.cli.demo_cmd",
    "app.cli.import_cmd",
    "app.cli.parse_cmd",
    "app.cli.policy_cmd",
    "app.cli.rescore_cmd",
    "app.cli.score_cmd",
    "app.cli.user_cmd",
)


class CliError(Exception):
    """A user-facing failure: message on stderr (Chinese), non-zero exit."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jixiao", description="项目支出绩效自评工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
