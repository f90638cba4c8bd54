"""``jixiao score-case FILE``: score one self-contained project, no database (contracts/README.md)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score-case", help="为一个独立的项目评分并输出 JSON（不使用数据库）")
    p.add_argument("file", metavar="FILE", help="评分用例 JSON 文件（- 表示标准输入）")
    p.set_defaults(func=_score_case)


def _score_case(args: argparse.Namespace) -> int:
    import json
    import sys

    from app.cli import CliError
    from app.scoring.case import CaseError, score_case

    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8-sig") as fh:
                text = fh.read()
    except OSError as exc:
        raise CliError(f"无法读取文件“{args.file}”：{exc.strerror}") from None
    try:
        result = score_case(text)
    except CaseError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    if result.errors:
        for err in result.errors:
            where = f"指标“{err.indicator}”：" if err.indicator else ""
            print(f"错误：{where}{err.message}", file=sys.stderr)
        return 1
    return 0
