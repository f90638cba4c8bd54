"""``jixiao parse FILE``: print a published target table as JSON, without touching the database."""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("auto", "text", "xlsx", "csv", "html")  # kept in step with app.targets.formats.FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("parse", help="读取一张绩效目标表，输出 JSON（不写数据库）")
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="文件格式（默认按扩展名判断）")
    parser.set_defaults(func=_parse)


def _parse(args: argparse.Namespace) -> int:
    import json
    import sys

    from app.cli import CliError
    from app.scoring.engine import points_warnings
    from app.targets.formats import read_table
    from app.targets.types import TableFormatError

    try:
        table = read_table(args.file, format=args.format)
    except TableFormatError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    table.warnings.extend(points_warnings(table))  # under the built-in central_2020
    json.dump(table.to_json(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
